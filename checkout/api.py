"""HTTP for the cart, quote, checkout, receipts, exit codes and Stripe's webhooks. Thin: parse,
call one service or selector, render."""

import json
from decimal import Decimal, InvalidOperation

import stripe
from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api import ErrorSerializer
from checkout import selectors, services
from checkout.gateway import get_gateway
from checkout.models import Transaction
from checkout.pricing import MAX_QUANTITY, RequestedLine, quote_cart
from checkout.schema import (
    CART_CONFLICT,
    DECLINED,
    INVALID,
    OPEN,
    PAID,
    UNAVAILABLE,
    CartOutput,
    CheckoutConfigOutput,
    ExitVerifiedOutput,
    QuoteOutput,
    ReceiptListOutput,
    ReceiptOutput,
    error,
)
from checkout.selectors import verify_exit_code
from checkout.webhooks import receive_stripe_event
from grocery.errors import DomainError, error_body
from grocery.qr import qr_response
from grocery.schema import documented_by

CART_COOKIE = "cart_token"
CART_HEADER = "X-Cart-Token"
CART_TOKEN = OpenApiParameter(
    CART_HEADER,
    str,
    OpenApiParameter.HEADER,
    description="This device's cart token (or the cart_token cookie); without one, a new cart.",
)
FAILED_HTTP = {"gateway_unavailable": status.HTTP_503_SERVICE_UNAVAILABLE}
FAILED_CODE = {"gateway_unavailable": "payment_unavailable"}


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


def quantity_field(**kwargs) -> NumberField:
    return NumberField(positive=True, places=3, **kwargs)


class CartLineInput(serializers.Serializer):
    product_id = serializers.CharField(max_length=32)
    quantity = quantity_field()

    def to_internal_value(self, data):
        if isinstance(data, dict) and isinstance(data.get("product_id"), int):
            data = {**data, "product_id": str(data["product_id"])}  # "12345" or 12345
        return super().to_internal_value(data)


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
    @extend_schema(
        summary="The cart, priced now, with problems (inactive, short, price changed)",
        parameters=[CART_TOKEN],
        responses={200: CartOutput},
    )
    def get(self, request):
        return self.answer(self.cart(request))

    @extend_schema(summary="Empty the cart", parameters=[CART_TOKEN], responses={200: CartOutput})
    def delete(self, request):
        cart = self.cart(request)
        services.clear_cart(cart=cart)
        return self.answer(cart)


class CartLinesApi(CartMixin, APIView):
    class InputSerializer(CartLineInput):
        class Meta:
            ref_name = "CartLineAdd"

    @extend_schema(
        summary="Add a quantity of a product to the cart",
        parameters=[CART_TOKEN],
        request=InputSerializer,
        responses={
            200: CartOutput,
            400: INVALID,
            404: error("No product with that id."),
            409: CART_CONFLICT,
        },
    )
    def post(self, request):
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        cart = self.cart(request)
        services.add_to_cart(cart=cart, **given.validated_data)
        return self.answer(cart)


class CartLineApi(CartMixin, APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CartLineQuantity"

        quantity = quantity_field()

    @extend_schema(
        summary="Set a cart line's quantity",
        parameters=[CART_TOKEN],
        request=InputSerializer,
        responses={
            200: CartOutput,
            400: INVALID,
            404: error("No product with that id."),
            409: CART_CONFLICT,
        },
    )
    def put(self, request, product_id: str):
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        cart = self.cart(request)
        services.set_cart_quantity(cart=cart, product_id=product_id, **given.validated_data)
        return self.answer(cart)

    @extend_schema(
        summary="Remove a product from the cart",
        parameters=[CART_TOKEN],
        responses={200: CartOutput, 404: error("That product is not in the cart.")},
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
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "QuoteRequest"

        customer_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
        cart = CartLineInput(many=True, max_length=200)

    @extend_schema(
        summary="What a checkout of this cart would charge",
        request=InputSerializer,
        responses={
            200: QuoteOutput,
            400: error("Malformed request, empty cart, unknown product or invalid quantity."),
            409: CART_CONFLICT,
        },
    )
    def post(self, request):
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        quote = quote_cart(requested_lines(given.validated_data["cart"]))
        return Response(selectors.quote_payload(quote))


class CheckoutApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CheckoutRequest"

        customer_id = serializers.CharField(
            max_length=64, required=False, allow_blank=True, default=""
        )
        # An empty list passes here so that the service can answer "empty_cart" by name.
        cart = CartLineInput(many=True, max_length=200)
        payment_method = serializers.ChoiceField(choices=settings.PAYMENT_METHODS)
        total_amount = NumberField()
        payment_token = serializers.CharField(
            max_length=255, required=False, allow_blank=True, default=""
        )
        cart_token = serializers.CharField(
            max_length=64, required=False, allow_blank=True, default=""
        )

    @extend_schema(
        summary="Pay for a cart (SPEC); send an Idempotency-Key header to make retries safe",
        parameters=[
            CART_TOKEN,
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="The same key and body charge once and answer the same.",
            ),
        ],
        request=InputSerializer,
        responses={
            201: PAID,
            202: OPEN,
            400: error(
                "Malformed request, empty cart, unknown product, invalid quantity, or an "
                "Idempotency-Key over 255 characters."
            ),
            402: DECLINED,
            409: error("The total disagrees with the server's, or a product is gone or short."),
            422: error("This Idempotency-Key was already used with a different request."),
            503: UNAVAILABLE,
        },
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
        code = FAILED_CODE.get(order.failure_code, "payment_declined")
        body.update(code=code, detail={"transaction_id": order.transaction_id})
        return Response(
            body, status=FAILED_HTTP.get(order.failure_code, status.HTTP_402_PAYMENT_REQUIRED)
        )
    if order.status in Transaction.OPEN:
        return Response(body, status=status.HTTP_202_ACCEPTED)
    return Response(body, status=status.HTTP_201_CREATED)


class CheckoutConfirmApi(APIView):
    @extend_schema(
        summary="Finish a payment after the customer authenticated (3-D Secure)",
        parameters=[CART_TOKEN],
        request=None,
        responses={
            200: PAID,
            202: OPEN,
            402: DECLINED,
            404: error("No such transaction for this cart token or customer."),
            409: error("The transaction is not waiting for confirmation."),
            503: error("The payment service did not answer; retry."),
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
        summary="A receipt: only for its cart token or its signed-in customer",
        parameters=[CART_TOKEN],
        responses={
            200: ReceiptOutput,
            404: error("No such transaction for this cart token or customer."),
        },
    )
    def get(self, request, transaction_id: str):
        order = selectors.get_visible_transaction(
            transaction_id=transaction_id, user=request.user, cart_token=cart_token_of(request)
        )
        return Response(selectors.receipt_payload(order))


class ReceiptListApi(APIView):
    @extend_schema(
        operation_id="receipt_list",
        summary="This device's or customer's receipts, newest first (at most 50)",
        parameters=[CART_TOKEN],
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
    return qr_response(code, "svg")


class ExitQrApi(APIView):
    """Schema for exit_qr, which serves the URL (see checkout/urls.py)."""

    @extend_schema(
        operation_id="exit_qr",
        summary="An exit code as a QR (SVG) for the scanner at the door",
        responses={
            (200, "image/svg+xml"): OpenApiTypes.STR,
            404: error("Not paid, refunded, expired or forged."),
        },
    )
    def get(self, request, code: str):
        return exit_qr(request._request, code)


documented_by(exit_qr, ExitQrApi)


class ExitVerifyApi(APIView):
    permission_classes = [IsAdminUser]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ExitCode"

        code = serializers.CharField(max_length=200)

    @extend_schema(
        summary="Staff at the door: is this exit code a paid receipt?",
        request=InputSerializer,
        responses={
            200: ExitVerifiedOutput,
            400: ErrorSerializer,
            403: error("Not signed in as staff (session or `Authorization: Token ...`)."),
            404: error("Not paid, refunded, expired or forged."),
        },
    )
    def post(self, request):
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        order = verify_exit_code(given.validated_data["code"])
        if order is None:
            raise InvalidExitCode()
        return Response({"valid": True, **selectors.receipt_payload(order)})


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
            stripe.Webhook.construct_event(
                request.body,
                request.headers.get("Stripe-Signature"),
                settings.STRIPE_WEBHOOK_SECRET,
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
        new = receive_stripe_event(json.loads(request.body))
        return Response({"received": True, "duplicate": not new})
