"""HTTP for the cart, quote, checkout, receipts, exit codes and Stripe's webhooks. Thin: parse,
call one service or selector, render."""

from io import BytesIO

import stripe
from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import home_store_code
from catalog.selectors import check_works_in
from catalog.stores import get_store, remember_store, store_code_of
from checkout import selectors
from checkout.authentication import GateDeviceAuthentication, IsStaffOrGate
from checkout.errors import InvalidExitCode, InvalidWebhookEvent, OrderNotFound
from checkout.fields import (
    AmountField,
    CartLineInput,
    ExitItemInput,
    cart_field,
    coupons_field,
    exit_code_field,
    quantity_field,
    redeem_points_field,
    requested_lines,
    vouchers_field,
)
from checkout.gateway import get_gateway
from checkout.models import GateDevice, Order
from checkout.pricing import quote_cart
from checkout.schema import (
    CHECKOUT_ANSWERS,
    CartOutput,
    CheckoutConfigOutput,
    ExitAnswerOutput,
    QuoteOutput,
    ReceiptListOutput,
    ReceiptOutput,
    ReturnAnswerOutput,
    errors,
)
from checkout.selectors import verify_exit_code
from checkout.services import carts, exits, orders, payments, returns
from checkout.vouchers import parse_vouchers
from checkout.webhooks import receive_stripe_event
from customers.selectors import resolve_checkout_customer
from grocery.customer import CART_COOKIE, cart_token_of
from grocery.errors import error_body
from grocery.metrics import CHECKOUTS
from grocery.parsers import StoredJSONParser
from grocery.qr import qr_response
from grocery.schema import ErrorSerializer, documented_by
from grocery.throttles import CUSTOMER_THROTTLES

# How a failed checkout answers, by its failure_code; anything else (a decline) is a 402.
FAILED_ANSWERS = {
    "gateway_unavailable": (status.HTTP_503_SERVICE_UNAVAILABLE, "payment_unavailable"),
    # The customer can do nothing about our key: to them the gateway is simply unavailable.
    "gateway_misconfigured": (status.HTTP_503_SERVICE_UNAVAILABLE, "payment_unavailable"),
    "payment_rejected": (status.HTTP_422_UNPROCESSABLE_ENTITY, "payment_rejected"),
}
DECLINED = (status.HTTP_402_PAYMENT_REQUIRED, "payment_declined")
RETRY_AFTER_SECONDS = "2"


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
        return carts.get_or_create_cart(
            token=cart_token_of(request), user=request.user, store_code=store_code_of(request)
        )

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
        named = store_code_of(request)
        cart = carts.find_cart(token=token, user=request.user)
        if cart is None:  # the first write creates it: a bot reading carts fills no table
            if named is not None:
                get_store(named)  # an unknown store is a 404 here too
            token = carts.usable_cart_token(token)
            return with_cart_cookie(Response(selectors.empty_cart_payload(token)), token)
        carts.check_cart_store(cart, named)
        return self.answer(cart)

    @extend_schema(summary="Empty the cart", responses={200: CartOutput})
    def delete(self, request):
        cart = self.cart(request)
        carts.clear_cart(cart=cart)
        return self.answer(cart)


class CartStoreApi(APIView):
    throttle_classes = CUSTOMER_THROTTLES
    throttle_scope = "cart"

    @extend_schema_serializer(component_name="CartStoreInput")
    class InputSerializer(serializers.Serializer):
        store = serializers.CharField(max_length=32, help_text="the store's code")
        empty_cart = serializers.BooleanField(
            default=False,
            help_text="drop a cart of another store that holds lines or vouchers (else 409)",
        )

    @extend_schema(
        summary="Change store: remember it on this device (the store cookie) and start the "
        "cart there; a cart of another store that holds something needs empty_cart",
        request=InputSerializer,
        responses={200: CartOutput, **errors(400, 404, 409)},
    )
    def put(self, request):
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        token = cart_token_of(request)
        store = carts.change_store(
            token=token,
            user=request.user,
            store_code=given.validated_data["store"],
            empty_cart=given.validated_data["empty_cart"],
        )
        cart = carts.find_cart(token=token, user=request.user)
        if cart is None:
            token = carts.usable_cart_token(token)
            response = with_cart_cookie(Response(selectors.empty_cart_payload(token)), token)
        else:
            response = with_cart_cookie(Response(selectors.cart_payload(cart)), cart.token)
        remember_store(response, store)
        return response


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
        carts.add_to_cart(cart=cart, **given.validated_data)
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
        carts.set_cart_quantity(cart=cart, product_id=product_id, **given.validated_data)
        return self.answer(cart)

    @extend_schema(
        summary="Remove a product from the cart", responses={200: CartOutput, **errors(404)}
    )
    def delete(self, request, product_id: str):
        cart = self.cart(request)
        carts.remove_from_cart(cart=cart, product_id=product_id)
        return self.answer(cart)


class CartVouchersApi(CartMixin, APIView):
    throttle_classes = CUSTOMER_THROTTLES
    throttle_scope = "cart"

    @extend_schema_serializer(component_name="CartVoucherInput")
    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=32, help_text="the voucher's EAN-13")

    @extend_schema(
        summary="Add a scanned deposit-return voucher to the cart (a negative line)",
        request=InputSerializer,
        responses={200: CartOutput, **errors(400, 409, 422)},
    )
    def post(self, request):
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        cart = self.cart(request)
        carts.add_voucher(cart=cart, **given.validated_data)
        return self.answer(cart)


class CartVoucherApi(CartMixin, APIView):
    throttle_classes = CUSTOMER_THROTTLES
    throttle_scope = "cart"

    @extend_schema(summary="Take a voucher out of the cart", responses={200: CartOutput})
    def delete(self, request, code: str):
        cart = self.cart(request)
        carts.remove_voucher(cart=cart, code=code)
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
        customer_id = serializers.CharField(
            max_length=64, required=False, allow_blank=True, default=""
        )
        cart = cart_field()
        vouchers = vouchers_field()
        redeem_points = redeem_points_field()
        coupons = coupons_field()

    @extend_schema(
        summary="What a checkout of this cart would charge",
        request=InputSerializer,
        # 403, 404 and 422 name a customer_id or redeem_points refused (docs/loyalty.md).
        responses={200: QuoteOutput, **errors(400, 403, 404, 409, 422)},
    )
    def post(self, request):
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        customer = resolve_checkout_customer(
            customer_id=data["customer_id"], user=request.user, redeem_points=data["redeem_points"]
        )
        quote = quote_cart(
            requested_lines(data["cart"]),
            vouchers=parse_vouchers(data["vouchers"]),
            points=data["redeem_points"],
            coupons=data["coupons"],
            customer=customer,
            store=carts.get_cart_store(
                token=cart_token_of(request),
                user=request.user,
                store_code=store_code_of(request),
            ),
        )
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
        vouchers = vouchers_field()
        redeem_points = redeem_points_field()
        coupons = coupons_field()

    @extend_schema(
        summary="Pay for a cart (SPEC); send an Idempotency-Key header to make retries safe",
        request=InputSerializer,
        # A 422 is a reused Idempotency-Key, nothing to pay, a mistyped card number, or payment
        # data the gateway refused (then with the checkout's fields as well as the error shape);
        # a 403 another customer's account, or points redeemed without signing in.
        responses={**CHECKOUT_ANSWERS, **errors(400, 403, 404, 409, 422)},
    )
    def post(self, request):
        key = request.headers.get("Idempotency-Key", "").strip() or None
        if key and len(key) > 255:
            raise serializers.ValidationError({"Idempotency-Key": ["At most 255 characters."]})
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        given_token = data["cart_token"] or cart_token_of(request)
        token = given_token or carts.new_cart_token()
        store = carts.get_cart_store(
            # A token made just now has no cart to look for.
            token=given_token,
            user=request.user,
            store_code=store_code_of(request),
        )
        order = orders.place_order(
            request=orders.CheckoutRequest(
                customer_id=data["customer_id"],
                lines=requested_lines(data["cart"]),
                claimed_total=data["total_amount"],
                payment_method=data["payment_method"],
                payment_token=data["payment_token"],
                cart_token=token,
                user=request.user,
                vouchers=data["vouchers"],
                redeem_points=data["redeem_points"],
                coupons=data["coupons"],
                store=store,
            ),
            idempotency_key=key,
        )
        CHECKOUTS.labels(status=selectors.STATUS_WORDS[order.status]).inc()
        return with_cart_cookie(checkout_response(order), token)


def checkout_response(order: Order) -> Response:
    body = selectors.checkout_payload(order)
    if order.status == Order.Status.FAILED:
        # The SPEC's fields plus the error shape, so both kinds of client understand it.
        http_status, code = FAILED_ANSWERS.get(order.failure_code, DECLINED)
        body.update(code=code, detail={"transaction_id": order.transaction_id})
        return Response(body, status=http_status)
    if order.status == Order.Status.PENDING:
        # Still at the gateway (a replay of a checkout in flight): ask again shortly.
        return Response(
            body, status=status.HTTP_202_ACCEPTED, headers={"Retry-After": RETRY_AFTER_SECONDS}
        )
    if order.status in Order.OPEN:
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
        order = selectors.get_visible_order(
            transaction_id=transaction_id, user=request.user, cart_token=cart_token_of(request)
        )
        order = payments.confirm_payment(order=order)
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
        order = selectors.get_visible_order(
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
        visible = selectors.visible_orders(
            user=request.user, cart_token=cart_token_of(request)
        ).prefetch_related(*selectors.RECEIPT_PREFETCH)[:50]
        return Response({"receipts": [selectors.receipt_payload(order) for order in visible]})


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


def _staff_or_gate(request) -> tuple:
    """(user, device) of whoever is checking: one of the two is None."""
    if isinstance(request.auth, GateDevice):
        return None, request.auth
    return request.user, None


@extend_schema_serializer(component_name="ReturnLineInput")
class ReturnLineInput(serializers.Serializer):
    line_id = serializers.IntegerField(help_text="a receipt line's line_id")
    quantity = quantity_field()
    restock = serializers.BooleanField(help_text="back on the shelf: it can be sold again")


class CanRefund(IsAdminUser):
    """Staff who may give money back (checkout.refund_order): managers."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.has_perm(
            "checkout.refund_order"
        )


class ReceiptReturnsApi(APIView):
    permission_classes = [CanRefund]

    @extend_schema_serializer(component_name="ReturnInput")
    class InputSerializer(serializers.Serializer):
        lines = ReturnLineInput(many=True, allow_empty=False, max_length=200)
        reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    @extend_schema(
        summary="Staff: return chosen lines and quantities of a paid order, refunded through "
        "the gateway (send an Idempotency-Key to make a retry safe)",
        request=InputSerializer,
        responses={201: ReturnAnswerOutput, **errors(400, 401, 403, 404, 409, 422, 503)},
    )
    def post(self, request, transaction_id: str):
        key = request.headers.get("Idempotency-Key", "").strip() or None
        if key and len(key) > 255:
            raise serializers.ValidationError({"Idempotency-Key": ["At most 255 characters."]})
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        order = Order.objects.filter(transaction_id=transaction_id).first()
        if order is None:
            raise OrderNotFound()
        check_works_in(request.user, order.store)
        refund = returns.return_lines(
            order=order,
            lines=[returns.ReturnedLine(**line) for line in given.validated_data["lines"]],
            user=request.user,
            reason=given.validated_data["reason"],
            idempotency_key=key,
        )
        order = selectors.get_order_for_receipt(order.pk)
        return Response(
            {
                "return": selectors.return_payload(refund),
                "receipt": selectors.receipt_payload(order),
            },
            status=status.HTTP_201_CREATED,
        )


def _check_code_store(user, code: str) -> None:
    """Staff finish the checks of their own stores' exit codes (a forged code is the service's to
    refuse)."""
    if (read := selectors.read_exit_code(code)) is not None:
        check_works_in(user, read[0])


def exit_answer(answer: exits.ExitAnswer) -> Response:
    return Response(selectors.exit_answer_payload(answer.order, answer.decision, answer.reason))


class ExitCodeInput(serializers.Serializer):
    code = exit_code_field()


class ExitVerifyApi(APIView):
    # The device scheme first: a caller without credentials is told how to send them (401).
    authentication_classes = [GateDeviceAuthentication, *APIView.authentication_classes]
    permission_classes = [IsStaffOrGate]

    @extend_schema(
        operation_id="exit_verify",
        summary="The exit check for staff phones and gates: go, audit, ID check or stop",
        description="Single-use: the first scan answered go uses the code up; a later scan "
        "answers stop, naming when and by whom. Staff (session or API token) or a gate "
        "(`Authorization: Device <token>`).",
        request=ExitCodeInput,
        responses={200: ExitAnswerOutput, **errors(400, 401, 403)},
    )
    def post(self, request):
        given = ExitCodeInput(data=request.data)
        given.is_valid(raise_exception=True)
        user, device = _staff_or_gate(request)
        door = store_code_of(request) or home_store_code()
        if user is not None:  # a gate is its door's; staff work at some doors only
            check_works_in(user, door)
        return exit_answer(
            exits.verify_exit(
                code=given.validated_data["code"], user=user, device=device, store=door
            )
        )


class ExitAuditApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema_serializer(component_name="ExitAuditInput")
    class InputSerializer(serializers.Serializer):
        code = exit_code_field()
        missing = ExitItemInput(many=True, required=False, max_length=100)
        extra = ExitItemInput(many=True, required=False, max_length=100)
        missing_action = serializers.ChoiceField(["charge", "write_off"], default="charge")

    @extend_schema(
        operation_id="exit_audit",
        summary="Record a rescanned basket: missing items charged now or written off",
        request=InputSerializer,
        responses={200: ExitAnswerOutput, **errors(400, 401, 403, 404, 409, 503)},
    )
    def post(self, request):
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        _check_code_store(request.user, data["code"])
        return exit_answer(
            exits.record_audit(
                code=data["code"],
                missing=self._items(data.get("missing", [])),
                extra=self._items(data.get("extra", [])),
                charge=data["missing_action"] == "charge",
                user=request.user,
            )
        )

    @staticmethod
    def _items(given: list[dict]) -> list[exits.CountedItem]:
        return [exits.CountedItem(i["product_id"], i["quantity"]) for i in given]


class ExitIdCheckApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema_serializer(component_name="ExitIdCheckInput")
    class InputSerializer(serializers.Serializer):
        code = exit_code_field()
        approved = serializers.BooleanField()

    @extend_schema(
        operation_id="exit_id_check",
        summary="Staff saw an ID: approve, or refuse (the age-restricted lines are refunded)",
        request=InputSerializer,
        responses={200: ExitAnswerOutput, **errors(400, 401, 403, 409, 503)},
    )
    def post(self, request):
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        _check_code_store(request.user, given.validated_data["code"])
        return exit_answer(exits.check_id(**given.validated_data, user=request.user))


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
