"""OpenAPI documentation of the catalog's payloads, shared by every API that returns products."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from catalog.models import StockState
from grocery.schema import ErrorSerializer

PRODUCT_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No product with that code.")


class ProductOutput(serializers.Serializer):
    """Documents the product payload built by catalog.selectors.product_payload."""

    product_id = serializers.CharField()
    name = serializers.CharField()
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    description = serializers.CharField()
    stock = serializers.DecimalField(max_digits=12, decimal_places=3)
    currency = serializers.CharField()
    unit = serializers.ChoiceField(choices=["each", "kg", "100g"])
    price_per_kg = serializers.DecimalField(
        max_digits=11,
        decimal_places=2,
        allow_null=True,
        help_text="The price of 1 kg for goods sold by weight (quantities are in kg); null for items sold each.",
    )
    category = inline_serializer(
        "ProductCategory", {"slug": serializers.CharField(), "name": serializers.CharField()}
    )
    gtin = serializers.CharField(allow_null=True, help_text="The primary GTIN, as GTIN-14.")
    codes = inline_serializer(
        "ProductCodeRef",
        {
            "code": serializers.CharField(),
            "kind": serializers.ChoiceField(choices=["gtin", "plu"]),
        },
        many=True,
        help_text="Every code the product answers to: its GTIN first, then further GTINs and PLUs.",
    )
    translations = serializers.DictField(
        child=inline_serializer(
            "ProductTranslationText",
            {"name": serializers.CharField(), "description": serializers.CharField()},
        ),
        help_text='The name and description in other languages, by language code ("de"); '
        "absent ones fall back to `name` and `description`.",
    )
    active = serializers.BooleanField()
    stock_state = serializers.ChoiceField(choices=StockState.values)
    min_age = serializers.IntegerField(
        allow_null=True, help_text="age-restricted (16, 18): an ID is checked at the exit"
    )
    deposit = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        help_text="Deposit per item (bottles, crates) on top of the price, on a line of its own; 0 for none.",
    )
    image_url = serializers.CharField(allow_null=True)
    url = serializers.URLField()
    qr_url = serializers.URLField()
    promotions = inline_serializer(
        "ProductPromotion",
        {
            "id": serializers.CharField(),
            "name": serializers.CharField(),
            "description": serializers.CharField(),
            "valid_until": serializers.DateField(allow_null=True),
            "url": serializers.URLField(),
        },
        many=True,
    )


class StoreOutput(serializers.Serializer):
    """A store as customers see it (the PWA's store banner and switch)."""

    class Meta:
        ref_name = "Store"

    code = serializers.CharField()
    name = serializers.CharField()
    address = serializers.CharField()
    opening_hours = serializers.CharField()


UNKNOWN_STORE = OpenApiResponse(
    ErrorSerializer, description="The store named (URL, X-Store, cookie) is unknown or closed."
)
