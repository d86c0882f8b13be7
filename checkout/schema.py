"""OpenAPI documentation of the checkout's answers (the payloads are built in checkout.selectors)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from grocery.schema import ErrorSerializer

CHECKOUT_STATUSES = ["success", "failed", "requires_action", "pending", "refunded"]

money = serializers.FloatField
number = serializers.FloatField


class DiscountOutput(serializers.Serializer):
    promotion_id = serializers.CharField()
    amount = money()
    reason = serializers.CharField()


class BasketDiscountOutput(DiscountOutput):
    product_id = serializers.CharField()


class PricedLineOutput(serializers.Serializer):
    product_id = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    quantity = number()
    unit_price = money()
    price_per_kg = money(
        allow_null=True,
        help_text="the price of 1 kg for goods sold by weight; null for items sold each",
    )
    line_total = money(help_text="item or kg price × quantity, before discounts")
    discount = money()
    total = money()
    discounts = DiscountOutput(many=True)
    min_age = serializers.IntegerField(
        allow_null=True, required=False, help_text="age-restricted: staff check an ID at the exit"
    )
    tax_rate = number(help_text="VAT in percent of this line's goods")
    deposit = money(help_text="the line's deposit, also listed in deposits")


class TaxOutput(serializers.Serializer):
    rate = number(help_text="percent")
    net = money()
    tax = money()
    gross = money(help_text="what the lines at this rate cost, VAT included")


class DepositOutput(serializers.Serializer):
    product_id = serializers.CharField()
    name = serializers.CharField()
    quantity = number()
    unit_amount = money()
    total = money()
    tax_rate = number()


class VoucherOutput(serializers.Serializer):
    code = serializers.CharField()
    amount = money(help_text="printed on the voucher")
    applied = money(help_text="what it takes off: never more than is left to pay")


class TaxesMixin(serializers.Serializer):
    """VAT per rate: Σ gross = total and Σ net + Σ tax = total."""

    taxes = TaxOutput(many=True)
    deposits = DepositOutput(many=True)
    deposit_total = money()


class VouchersMixin(serializers.Serializer):
    vouchers = VoucherOutput(many=True)
    voucher_total = money(help_text="total = subtotal - discount_total + deposit_total - this")


class CartLineOutput(PricedLineOutput):
    available = serializers.BooleanField()
    stock = number()
    price_when_added = money()
    image_url = serializers.CharField(allow_null=True)


class CartProblemOutput(serializers.Serializer):
    product_id = serializers.CharField(required=False)
    voucher = serializers.CharField(required=False, help_text="for voucher_redeemed")
    code = serializers.ChoiceField(
        choices=[
            "inactive",
            "insufficient_stock",
            "price_changed",
            "voucher_redeemed",
            "invalid_voucher",
            "voucher_other_shop",
        ]
    )
    message = serializers.CharField()


class CartOutput(TaxesMixin, VouchersMixin):
    token = serializers.CharField()
    lines = CartLineOutput(many=True)
    subtotal = money()
    discount_total = money()
    total = money()
    tax = money()
    currency = serializers.CharField()
    item_count = serializers.IntegerField()
    problems = CartProblemOutput(many=True)


class AppliedCouponOutput(serializers.Serializer):
    code = serializers.CharField(help_text="as stored: upper case")
    promotion_id = serializers.CharField()
    amount = money(help_text="what its promotion took off this basket")


class QuoteOutput(TaxesMixin, VouchersMixin):
    lines = PricedLineOutput(many=True)
    subtotal = money()
    discount_total = money()
    total = money()
    tax = money()
    currency = serializers.CharField()
    discounts = BasketDiscountOutput(many=True)
    points_redeemed = serializers.IntegerField(
        help_text="loyalty points this quote spends (a discount with promotion_id loyalty-points)"
    )
    coupons = AppliedCouponOutput(many=True, help_text="the coupon codes applied")


class ReceiptItemOutput(serializers.Serializer):
    name = serializers.CharField()
    quantity = number()
    price = money()


class ReceiptLineOutput(PricedLineOutput):
    line_id = serializers.IntegerField(help_text="what a return names")
    returned_quantity = number()


class ReturnLineOutput(serializers.Serializer):
    line_id = serializers.IntegerField()
    name = serializers.CharField()
    quantity = number()
    amount = money(help_text="the goods, as paid (their share of discounts and vouchers)")
    deposit = money()
    restocked = serializers.BooleanField()


class ReturnOutput(serializers.Serializer):
    refund_id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    amount = money()
    lines = ReturnLineOutput(many=True)
    taxes = TaxOutput(many=True)


class StoreOutput(serializers.Serializer):
    class Meta:
        ref_name = "ReceiptStore"

    code = serializers.CharField()
    name = serializers.CharField()
    address = serializers.CharField()


class ReceiptOutput(TaxesMixin, VouchersMixin):
    total = money()
    items = ReceiptItemOutput(many=True)
    transaction_id = serializers.CharField()
    status = serializers.ChoiceField(choices=CHECKOUT_STATUSES)
    created_at = serializers.DateTimeField()
    subtotal = money()
    discount_total = money()
    tax = money()
    tax_rate = number()
    refunded_amount = money()
    currency = serializers.CharField()
    payment_method = serializers.CharField()
    store = StoreOutput(help_text="where it was bought; its exit code opens only this store's door")
    lines = ReceiptLineOutput(many=True)
    returns = ReturnOutput(many=True)
    exit_code = serializers.CharField(allow_null=True)
    exit_qr_url = serializers.URLField(allow_null=True)


class ReturnAnswerOutput(serializers.Serializer):
    # "return" is a keyword: the field is declared under another name and renamed.
    receipt = ReceiptOutput()


ReturnAnswerOutput._declared_fields["return"] = ReturnOutput()


class ReceiptListOutput(serializers.Serializer):
    receipts = ReceiptOutput(many=True)


class CheckoutOutput(serializers.Serializer):
    transaction_id = serializers.CharField()
    status = serializers.ChoiceField(choices=CHECKOUT_STATUSES)
    message = serializers.CharField()
    receipt = ReceiptOutput()
    receipt_url = serializers.URLField()
    cart_token = serializers.CharField()
    client_secret = serializers.CharField(required=False, help_text="only for requires_action")
    next_action = serializers.DictField(required=False, help_text="only for requires_action")


class CheckoutFailedOutput(CheckoutOutput):
    code = serializers.ChoiceField(
        choices=["payment_declined", "payment_rejected", "payment_unavailable"]
    )
    detail = serializers.DictField()


class TestOutcomeOutput(serializers.Serializer):
    token = serializers.CharField()
    label = serializers.CharField()


class CheckoutConfigOutput(serializers.Serializer):
    gateway = serializers.ChoiceField(choices=["simulated", "stripe"])
    currency = serializers.CharField()
    publishable_key = serializers.CharField(allow_blank=True)
    test_outcomes = TestOutcomeOutput(many=True)


class ExitLineOutput(serializers.Serializer):
    product_id = serializers.CharField()
    gtin = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    unit = serializers.CharField()
    quantity = serializers.FloatField()
    total = serializers.FloatField()
    min_age = serializers.IntegerField(allow_null=True)


class ExitAnswerOutput(serializers.Serializer):
    decision = serializers.ChoiceField(["go", "audit", "id_check", "stop"])
    reason = serializers.CharField(
        help_text="What staff read on screen, e.g. 'Already used at 14:02 by clerk.'"
    )
    lines = ExitLineOutput(many=True, help_text="Empty when the code names no order of ours.")
    total = serializers.FloatField(allow_null=True)
    transaction_id = serializers.CharField(required=False)
    status = serializers.CharField(required=False)
    paid_at = serializers.DateTimeField(required=False)
    refunded_amount = serializers.FloatField(required=False)
    currency = serializers.CharField(required=False)
    min_age = serializers.IntegerField(required=False, allow_null=True)
    id_check = serializers.CharField(required=False, allow_null=True)
    audited = serializers.BooleanField(required=False)


def errors(*statuses: int) -> dict:
    return {status: ErrorSerializer for status in statuses}


CHECKOUT_ANSWERS = {
    201: OpenApiResponse(CheckoutOutput, description="Paid."),
    202: OpenApiResponse(CheckoutOutput, description="requires_action (3-D Secure) or pending."),
    402: OpenApiResponse(CheckoutFailedOutput, description="Declined; the stock was returned."),
    503: OpenApiResponse(
        CheckoutFailedOutput,
        description="The gateway did not answer or refused our credentials; nothing was "
        "charged and the stock was returned.",
    ),
}


class GateDeviceScheme(OpenApiAuthenticationExtension):
    target_class = "checkout.authentication.GateDeviceAuthentication"
    name = "gateDevice"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A gate's token from the admin, sent as `Device <token>`.",
        }
