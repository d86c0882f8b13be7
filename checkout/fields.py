"""Input fields of the checkout API: JSON numbers read straight into Decimals, never through a
float, and the cart as the SPEC spells it."""

from decimal import Decimal, InvalidOperation

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from checkout.pricing import MAX_QUANTITY, RequestedLine


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.Field):
    """A JSON number (or numeric string) read straight into a Decimal: never through a float."""

    default_error_messages = {
        "invalid": "Must be a number.",
        "positive": "Must be greater than zero.",
        "negative": "Must not be negative.",
        "places": "Must have at most 3 decimals.",
        "too_large": "Is too large.",
    }

    def __init__(self, *, positive: bool = False, places: int | None = None, **kwargs):
        self.positive = positive
        self.places = places
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float | str):
            self.fail("invalid")
        try:
            value = Decimal(str(data).strip())
        except InvalidOperation:
            self.fail("invalid")
        if not value.is_finite():
            self.fail("invalid")
        if self.positive and value <= 0:
            self.fail("positive")
        if value < 0:
            self.fail("negative")
        if value > MAX_QUANTITY * 1000:
            self.fail("too_large")
        if self.places is not None and value != round(value, self.places):
            self.fail("places")
        return value

    def to_representation(self, value):
        return float(value)


@extend_schema_field(
    {
        "type": "number",
        "minimum": 0,
        "exclusiveMinimum": True,  # OpenAPI 3.0 spelling
        "maximum": float(MAX_QUANTITY),
        "multipleOf": 0.001,
    }
)
class QuantityField(NumberField):
    """Whole units, or kg with up to 3 decimals for goods sold by weight."""


def quantity_field(**kwargs) -> NumberField:
    return QuantityField(positive=True, places=3, **kwargs)


@extend_schema_field({"type": "number", "minimum": 0, "maximum": float(MAX_QUANTITY * 1000)})
class AmountField(NumberField):
    """A money amount as the client computed it; compared with the server's within half a cent."""


@extend_schema_serializer(component_name="CartLineInput")
class CartLineInput(serializers.Serializer):
    product_id = serializers.CharField(max_length=32)
    quantity = quantity_field()

    def to_internal_value(self, data):
        if isinstance(data, dict) and isinstance(data.get("product_id"), int):
            data = {**data, "product_id": str(data["product_id"])}  # "12345" or 12345
        return super().to_internal_value(data)


def cart_field() -> serializers.ListField:
    # A ListField (not many=True) so that the schema states minItems/maxItems.
    return serializers.ListField(
        child=CartLineInput(),
        min_length=1,
        max_length=200,
        error_messages={"min_length": "The cart is empty."},
    )


def requested_lines(cart: list[dict]) -> list[RequestedLine]:
    return [RequestedLine(line["product_id"], line["quantity"]) for line in cart]


class StrictCharField(serializers.CharField):
    """Text only: DRF's CharField would take 0 or true and make a string of it."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def exit_code_field() -> StrictCharField:
    return StrictCharField(max_length=200, help_text="the exit code from the receipt's QR")


@extend_schema_serializer(component_name="ExitItemInput")
class ExitItemInput(serializers.Serializer):
    # Taken as sent: trimming made " " blank (a 400 the schema cannot foretell); an id that is
    # not in the shop is a 404 naming it.
    product_id = StrictCharField(max_length=32, trim_whitespace=False)
    quantity = quantity_field()


def vouchers_field() -> serializers.ListField:
    """Deposit-return voucher codes scanned into the cart (checkout.vouchers reads them)."""
    return serializers.ListField(
        child=serializers.CharField(max_length=32),
        required=False,
        default=list,
        max_length=20,
        help_text="EAN-13 codes of deposit-return vouchers; each is redeemed once.",
    )


def coupons_field() -> serializers.ListField:
    """Coupon codes the customer entered or scanned (checkout.coupons checks them)."""
    return serializers.ListField(
        child=serializers.CharField(max_length=32),
        required=False,
        default=list,
        max_length=10,
        help_text="coupon codes (case does not matter); each that does not apply is a 422 "
        "naming it and why",
    )


def redeem_points_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=0,
        max_value=10_000_000,
        required=False,
        default=0,
        help_text="loyalty points to spend on this basket (signed-in customers); only as many "
        "as the goods have room for are used",
    )
