"""HTTP for the cart, quote, checkout, receipts, exit codes and Stripe's webhooks. Thin: parse,
call one service or selector, render."""

from decimal import Decimal, InvalidOperation
from io import BytesIO

import stripe
from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api import ErrorSerializer
from checkout import selectors, services
from checkout.errors import InvalidWebhookEvent
from checkout.gateway import get_gateway
from checkout.models import Transaction
from checkout.pricing import MAX_QUANTITY, RequestedLine, quote_cart
from checkout.schema import (
    CHECKOUT_ANSWERS,
    CartOutput,
    CheckoutConfigOutput,
    ExitVerifyOutput,
    QuoteOutput,
    ReceiptListOutput,
    ReceiptOutput,
    errors,
)
from checkout.selectors import verify_exit_code
from checkout.webhooks import receive_stripe_event
from grocery.errors import DomainError, error_body
from grocery.parsers import StoredJSONParser
from grocery.qr import qr_response
from grocery.schema import documented_by
from grocery.throttles import CUSTOMER_THROTTLES

CART_COOKIE = "cart_token"
CART_HEADER = "X-Cart-Token"
# How a failed checkout answers, by its failure_code; anything else (a decline) is a 402.
FAILED_ANSWERS = {
    "gateway_unavailable": (status.HTTP_503_SERVICE_UNAVAILABLE, "payment_unavailable"),
    # The customer can do nothing about our key: to them the gateway is simply unavailable.
    "gateway_misconfigured": (status.HTTP_503_SERVICE_UNAVAILABLE, "payment_unavailable"),
    "payment_rejected": (status.HTTP_422_UNPROCESSABLE_ENTITY, "payment_rejected"),
}
DECLINED = (status.HTTP_402_PAYMENT_REQUIRED, "payment_declined")
RETRY_AFTER_SECONDS = "2"


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


def cart_token_of(request) -> str | None:
    return request.headers.get(CART_HEADER) or request.COOKIES.get(CART_COOKIE) or None


def with_cart_cookie(response: Response, token: str) -> Response:
    response.set_cookie(
        CART_COOKIE,
        token,
        max_age=settings.CART_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=not settings.DEBUG,
    )
    return response


# --- Cart -----------------------------------------------------------------------------------


class CartMixin:
    def cart(self, request):
        return services.get_or_create_cart(token=cart_token_of(request), user=request.user)

    def answer(self, cart) -> Response:
        return with_cart_cookie(Response(selectors.cart_payload(cart)), cart.token)


class CartApi(CartMixin, APIView):
    throttle_scope = "cart"

    def get_throttles(self):
        # Reading is free (it writes nothing); emptying the cart counts as a cart write.
        return [] if self.request.method == "GET" else [t() for t in CUSTOMER_THROTTLES]

    @extend_schema(
        summary="The cart, priced now, with problems (inactive, short, price changed)",
        responses={200: CartOutput},
    )
    def get(self, request):
        token = cart_token_of(request)
        cart = services.find_cart(token=token, user=request.user)
        if cart is None:  # the first write creates it: a bot reading carts fills no table
            token = services.usable_cart_token(token)
            return with_cart_cookie(Response(selectors.empty_cart_payload(token)), token)
        return self.answer(cart)

    @extend_schema(summary="Empty the cart", responses={200: CartOutput})
    def delete(self, request):
        cart = self.cart(request)
        services.clear_cart(cart=cart)
        return self.answer(cart)


class CartLinesApi(CartMixin, APIView):
    throttle_classes = CUSTOMER_THROTTLES
    throttle_scope = "cart"

    @extend_schema(
        summary="Add a quantity of a product to the cart",
        request=CartLineInput,
        responses={200: CartOutput, **errors(400, 404, 409)},
    )
    def post(self, request):
        given = CartLineInput(data=request.data)
        given.is_valid(raise_exception=True)
        cart = self.cart(request)
        services.add_to_cart(cart=cart, **given.validated_data)
        return self.answer(cart)


class CartLineApi(CartMixin, APIView):
    throttle_classes = CUSTOMER_THROTTLES
    throttle_scope = "cart"

    @extend_schema_serializer(component_name="CartQuantityInput")
    class InputSerializer(serializers.Serializer):
        quantity = quantity_field()

    @extend_schema(
        summary="Set a cart line's quantity",
        request=InputSerializer,
        responses={200: CartOutput, **errors(400, 404, 409)},
    )
    def put(self, request, product_id: str):
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        cart = self.cart(request)
        services.set_cart_quantity(cart=cart, product_id=product_id, **given.validated_data)
        return self.answer(cart)

    @extend_schema(
        summary="Remove a product from the cart", responses={200: CartOutput, **errors(404)}
    )
    def delete(self, request, product_id: str):
        cart = self.cart(request)
        services.remove_from_cart(cart=cart, product_id=product_id)
        return self.answer(cart)


# --- Quote and checkout ---------------------------------------------------------------------


class CheckoutConfigApi(APIView):
    @extend_schema(
        summary="Which gateway the PWA talks to, and the simulated test outcomes",
        responses={200: CheckoutConfigOutput},
    )
    def get(self, request):
        gateway = get_gateway()
        return Response(
            {"gateway": gateway.name, "currency": settings.CURRENCY, **gateway.client_config()}
        )


class QuoteApi(APIView):
    throttle_classes = CUSTOMER_THROTTLES
    throttle_scope = "quote"

    @extend_schema_serializer(component_name="QuoteInput")
    class InputSerializer(serializers.Serializer):
        customer_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
        cart = cart_field()

    @extend_schema(
        summary="What a checkout of this cart would charge",
        request=InputSerializer,
        responses={200: QuoteOutput, **errors(400, 404, 409)},
    )
    def post(self, request):
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        quote = quote_cart(requested_lines(given.validated_data["cart"]))
        return Response(selectors.quote_payload(quote))


class CheckoutApi(APIView):
    throttle_classes = CUSTOMER_THROTTLES
    throttle_scope = "checkout"

    @extend_schema_serializer(component_name="CheckoutInput")
    class InputSerializer(serializers.Serializer):
        customer_id = serializers.CharField(
            max_length=64, required=False, allow_blank=True, default=""
        )
        cart = cart_field()
        payment_method = serializers.ChoiceField(choices=settings.PAYMENT_METHODS)
        total_amount = AmountField()
        payment_token = serializers.CharField(
            max_length=255, required=False, allow_blank=True, default=""
        )
        cart_token = serializers.CharField(
            max_length=64, required=False, allow_blank=True, default=""
        )

    @extend_schema(
        summary="Pay for a cart (SPEC); send an Idempotency-Key header to make retries safe",
        request=InputSerializer,
        # A 422 is a reused Idempotency-Key, nothing to pay, or payment data the gateway refused
        # (then with the checkout's fields as well as the error shape).
        responses={**CHECKOUT_ANSWERS, **errors(400, 404, 409, 422)},
    )
    def post(self, request):
        key = request.headers.get("Idempotency-Key", "").strip() or None
        if key and len(key) > 255:
            raise serializers.ValidationError({"Idempotency-Key": ["At most 255 characters."]})
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        token = data["cart_token"] or cart_token_of(request) or services.new_cart_token()
        order = services.place_order(
            request=services.CheckoutRequest(
                customer_id=data["customer_id"],
                lines=requested_lines(data["cart"]),
                claimed_total=data["total_amount"],
                payment_method=data["payment_method"],
                payment_token=data["payment_token"],
                cart_token=token,
                user=request.user,
            ),
            idempotency_key=key,
        )
        return with_cart_cookie(checkout_response(order), token)


def checkout_response(order: Transaction) -> Response:
    body = selectors.checkout_payload(order)
    if order.status == Transaction.Status.FAILED:
        # The SPEC's fields plus the error shape, so both kinds of client understand it.
        http_status, code = FAILED_ANSWERS.get(order.failure_code, DECLINED)
        body.update(code=code, detail={"transaction_id": order.transaction_id})
        return Response(body, status=http_status)
    if order.status == Transaction.Status.PENDING:
        # Still at the gateway (a replay of a checkout in flight): ask again shortly.
        return Response(
            body, status=status.HTTP_202_ACCEPTED, headers={"Retry-After": RETRY_AFTER_SECONDS}
        )
    if order.status in Transaction.OPEN:
        return Response(body, status=status.HTTP_202_ACCEPTED)
    return Response(body, status=status.HTTP_201_CREATED)


class CheckoutConfirmApi(APIView):
    throttle_classes = CUSTOMER_THROTTLES
    throttle_scope = "checkout"

    @extend_schema(
        summary="Finish a payment after the customer authenticated (3-D Secure)",
        request=None,
        responses={
            **CHECKOUT_ANSWERS,
            200: CHECKOUT_ANSWERS[201],
            **errors(404, 409),
            503: ErrorSerializer,
        },
    )
    def post(self, request, transaction_id: str):
        order = selectors.get_visible_transaction(
            transaction_id=transaction_id, user=request.user, cart_token=cart_token_of(request)
        )
        order = services.confirm_payment(order=order)
        response = checkout_response(order)
        if response.status_code == status.HTTP_201_CREATED:
            response.status_code = status.HTTP_200_OK
        return response


# --- Receipts and the exit gate -------------------------------------------------------------


class ReceiptApi(APIView):
    @extend_schema(
        operation_id="receipt_detail",
        summary="A receipt: only for its cart token or its signed-in customer",
        responses={200: ReceiptOutput, **errors(404)},
    )
    def get(self, request, transaction_id: str):
        order = selectors.get_visible_transaction(
            transaction_id=transaction_id, user=request.user, cart_token=cart_token_of(request)
        )
        return Response(selectors.receipt_payload(order))


class ReceiptListApi(APIView):
    @extend_schema(
        operation_id="receipt_list",
        summary="This device's or customer's receipts, newest first",
        responses={200: ReceiptListOutput},
    )
    def get(self, request):
        orders = selectors.visible_transactions(
            user=request.user, cart_token=cart_token_of(request)
        ).prefetch_related("lines")[:50]
        return Response({"receipts": [selectors.receipt_payload(order) for order in orders]})


@require_GET
def exit_qr(request, code: str):
    """The exit code as a QR for the door; the signed code is its own credential."""
    if verify_exit_code(code) is None:
        return JsonResponse(error_body(InvalidExitCode.code, InvalidExitCode.message), status=404)
    response = qr_response(code, "svg")
    # The code is a ticket out of the shop: no proxy or shared cache may keep a copy to hand out.
    response["Cache-Control"] = "private, no-store"
    return response


class ExitQrApi(APIView):
    """Schema for exit_qr, which serves the URL (see checkout/urls.py)."""

    @extend_schema(
        operation_id="exit_qr",
        summary="An exit code as a QR (SVG) for the scanner at the door",
        responses={
            (200, "image/svg+xml"): OpenApiTypes.STR,
            404: OpenApiResponse(
                ErrorSerializer, description="Not paid, refunded, expired or forged."
            ),
        },
    )
    def get(self, request, code: str):
        return exit_qr(request._request, code)


documented_by(exit_qr, ExitQrApi)


class ExitVerifyApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema_serializer(component_name="ExitCodeInput")
    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=200)

    @extend_schema(
        summary="Staff at the door: is this exit code a paid receipt, and was it used before?",
        request=InputSerializer,
        responses={200: ExitVerifyOutput, **errors(400, 401, 403, 404)},
    )
    def post(self, request):
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        order = verify_exit_code(given.validated_data["code"])
        if order is None:
            raise InvalidExitCode()
        first, already_used = services.record_exit_verification(order=order, user=request.user)
        return Response(
            {
                "valid": True,
                **selectors.receipt_payload(order),
                **selectors.exit_verification_payload(first, already_used=already_used),
            }
        )


class InvalidExitCode(DomainError):
    code = "invalid_exit_code"
    status_code = status.HTTP_404_NOT_FOUND
    message = "Not a valid exit code: not paid, refunded, expired or forged."


# --- Stripe webhooks ------------------------------------------------------------------------


class StripeWebhookApi(APIView):
    authentication_classes: list = []  # Stripe signs the body; no session, no CSRF
    permission_classes: list = []

    @extend_schema(exclude=True)
    def post(self, request):
        try:
            # The signature first, on the raw bytes; the body is read only once it is Stripe's.
            stripe.WebhookSignature.verify_header(
                request.body,
                request.headers.get("Stripe-Signature"),
                settings.STRIPE_WEBHOOK_SECRET,
                stripe.Webhook.DEFAULT_TOLERANCE,
            )
        except (ValueError, stripe.SignatureVerificationError) as exc:
            return Response(
                error_body(
                    "invalid_signature",
                    "Webhook signature verification failed.",
                    {"error": str(exc)},
                ),
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            # Stripe signs what it sends, not that it nests sanely or that the database can store it.
            event = StoredJSONParser().parse(BytesIO(request.body))
        except ParseError as exc:
            raise InvalidWebhookEvent(problem=str(exc.detail)) from None
        new = receive_stripe_event(event)
        return Response({"received": True, "duplicate": not new})
