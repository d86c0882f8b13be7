"""OpenAPI shapes of the checkout's answers.

The views render the dicts that checkout.selectors build (cheaper than serializers on the
checkout hot path); these serializers only document those dicts, field for field, so that
schemathesis can hold the selectors to them (tests/test_api_schema.py).
"""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from catalog.api import ErrorSerializer
from checkout.pricing import MAX_QUANTITY

# Whole quantities are JSON integers, weights decimals: both are JSON numbers.
Quantity = serializers.FloatField
Money = serializers.FloatField

CHECKOUT_STATUSES = ["success", "failed", "requires_action", "pending", "refunded"]


class NumberFieldSchema(OpenApiSerializerFieldExtension):
    """checkout.api.NumberField as a JSON number with the bounds each instance enforces."""

    target_class = "checkout.api.NumberField"

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = {"type": "number", "minimum": 0}
        if field.positive:
            schema["exclusiveMinimum"] = True  # OpenAPI 3.0's boolean form
        if field.places is not None:
            # Quantities (the only fields with places): the pricing rules stop at MAX_QUANTITY.
            schema["multipleOf"] = float(10**-field.places)
            schema["maximum"] = int(MAX_QUANTITY)
        else:
            schema["maximum"] = int(MAX_QUANTITY * 1000)
        return schema


class DiscountOutput(serializers.Serializer):
    class Meta:
        ref_name = "LineDiscount"

    promotion_id = serializers.CharField()
    amount = Money()
    reason = serializers.CharField()


class QuoteDiscountOutput(DiscountOutput):
    class Meta:
        ref_name = "QuoteDiscount"

    product_id = serializers.CharField()


class PricedLineOutput(serializers.Serializer):
    class Meta:
        ref_name = "PricedLine"

    product_id = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.ChoiceField(choices=["each", "kg", "100g"])
    quantity = Quantity()
    unit_price = Money()
    line_total = Money(help_text="unit_price × quantity, before discounts")
    discount = Money()
    total = Money(help_text="line_total − discount")
    discounts = DiscountOutput(many=True)


class QuoteOutput(serializers.Serializer):
    class Meta:
        ref_name = "Quote"

    lines = PricedLineOutput(many=True)
    subtotal = Money()
    discount_total = Money()
    total = Money()
    tax = Money(help_text="VAT included in total")
    currency = serializers.CharField()
    discounts = QuoteDiscountOutput(many=True)


class CartLineOutput(PricedLineOutput):
    class Meta:
        ref_name = "CartLine"

    available = serializers.BooleanField(help_text="Sold now, and in stock for this quantity")
    stock = Quantity()
    price_when_added = Money()
    image_url = serializers.CharField(allow_null=True)


class CartProblemOutput(serializers.Serializer):
    class Meta:
        ref_name = "CartProblem"

    product_id = serializers.CharField()
    code = serializers.ChoiceField(choices=["inactive", "insufficient_stock", "price_changed"])
    message = serializers.CharField()


class CartOutput(serializers.Serializer):
    class Meta:
        ref_name = "Cart"

    token = serializers.CharField(help_text="Send back as X-Cart-Token (or the cart_token cookie)")
    lines = CartLineOutput(many=True)
    subtotal = Money()
    discount_total = Money()
    total = Money()
    tax = Money()
    currency = serializers.CharField()
    item_count = serializers.IntegerField(help_text="Weighed goods count once each")
    problems = CartProblemOutput(many=True)


class TestOutcomeOutput(serializers.Serializer):
    class Meta:
        ref_name = "TestOutcome"

    token = serializers.CharField()
    label = serializers.CharField()


class CheckoutConfigOutput(serializers.Serializer):
    class Meta:
        ref_name = "CheckoutConfig"

    gateway = serializers.ChoiceField(choices=["simulated", "stripe"])
    currency = serializers.CharField()
    publishable_key = serializers.CharField(allow_blank=True)
    test_outcomes = TestOutcomeOutput(many=True, help_text="Simulated gateway only")


class ReceiptItemOutput(serializers.Serializer):
    class Meta:
        ref_name = "ReceiptItem"

    name = serializers.CharField()
    quantity = Quantity()
    price = Money()


class ReceiptOutput(serializers.Serializer):
    class Meta:
        ref_name = "Receipt"

    total = Money()
    items = ReceiptItemOutput(many=True)
    transaction_id = serializers.CharField()
    status = serializers.ChoiceField(choices=CHECKOUT_STATUSES)
    created_at = serializers.DateTimeField()
    subtotal = Money()
    discount_total = Money()
    tax = Money()
    tax_rate = serializers.FloatField()
    refunded_amount = Money()
    currency = serializers.CharField()
    payment_method = serializers.CharField()
    lines = PricedLineOutput(many=True)
    exit_code = serializers.CharField(allow_null=True, help_text="Paid receipts only")
    exit_qr_url = serializers.URLField(allow_null=True)


class ReceiptListOutput(serializers.Serializer):
    class Meta:
        ref_name = "ReceiptList"

    receipts = ReceiptOutput(many=True)


class ExitVerifiedOutput(ReceiptOutput):
    class Meta:
        ref_name = "ExitVerified"

    valid = serializers.BooleanField()


class CheckoutOutput(serializers.Serializer):
    class Meta:
        ref_name = "CheckoutResult"

    transaction_id = serializers.CharField()
    status = serializers.ChoiceField(choices=CHECKOUT_STATUSES)
    message = serializers.CharField()
    receipt = ReceiptOutput()
    receipt_url = serializers.URLField()
    cart_token = serializers.CharField(allow_blank=True)
    client_secret = serializers.CharField(required=False, help_text="requires_action only")
    next_action = serializers.DictField(required=False, help_text="requires_action only")
    code = serializers.CharField(
        required=False, help_text="failed only: payment_declined | payment_unavailable"
    )
    detail = serializers.DictField(required=False, help_text="failed only")


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


INVALID = error("Malformed request (code `invalid`) or a quantity the product cannot be sold in.")
CART_CONFLICT = error("The product is no longer sold, or not enough is in stock.")
PAID = OpenApiResponse(CheckoutOutput, description="Paid.")
OPEN = OpenApiResponse(
    CheckoutOutput, description="Not settled yet: `requires_action` (3-D Secure) or `pending`."
)
DECLINED = OpenApiResponse(
    CheckoutOutput, description="Payment failed (`code`: payment_declined); nothing charged."
)
UNAVAILABLE = OpenApiResponse(
    CheckoutOutput,
    description="The payment service did not answer (`code`: payment_unavailable); nothing "
    "charged, stock released. Retry.",
)
