"""Placing an order: validate, price, reserve stock, charge.

Three steps, never one transaction: the order and its stock are committed in one short durable
transaction; the gateway is called after the commit, with no row locked; the outcome is then
applied under a row lock (checkout.services.payments). An Idempotency-Key belongs to its caller
and the database's unique constraint, not Python, decides which of two racing requests owns it.
"""

import hashlib
import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction

from catalog.models import Store, get_home_store, home_store_code
from catalog.services import StockLine, take_stock
from checkout.coupons import normal_codes, redeem_coupons
from checkout.errors import IdempotencyKeyReused, NothingToPay, TotalMismatch, VoucherRedeemed
from checkout.gateway import ChargeRequest, GatewayError, GatewayUnavailable, get_gateway
from checkout.models import Order, OrderEvent, OrderLine, OrderTax, VoucherRedemption
from checkout.pricing import Quote, RequestedLine, merge_lines, quote_cart
from checkout.services.payments import apply_payment_result, transition_order
from checkout.vouchers import parse_vouchers, redeemed_message
from customers.models import Customer
from customers.selectors import resolve_checkout_customer
from customers.services.loyalty import redeem_points
from grocery.metrics import CHARGES
from grocery.money import ZERO, round_money
from grocery.tasks import enqueue_on_commit
from promotions.reasons import stored_reason

logger = logging.getLogger(__name__)
Status = Order.Status


def new_transaction_id() -> str:
    # Hex only: no "_" or "-", so it can be embedded in gateway references unambiguously.
    return "tx" + secrets.token_hex(10)


@dataclass(frozen=True)
class CheckoutRequest:
    customer_id: str
    lines: Sequence[RequestedLine]
    claimed_total: Decimal
    payment_method: str
    payment_token: str = ""
    cart_token: str = ""
    user: object = None
    vouchers: Sequence[str] = ()  # deposit-return voucher codes
    redeem_points: int = 0  # loyalty points the signed-in customer spends on this basket
    store: Store | None = None  # the cart's store; None: the home store
    coupons: Sequence[str] = ()  # coupon codes entered or scanned

    def fingerprint(self) -> str:
        """What makes two requests "the same" for an Idempotency-Key."""
        body = {
            "customer_id": self.customer_id,
            "cart": sorted(
                (pid, str(qty.normalize())) for pid, qty in merge_lines(self.lines).items()
            ),
            "total_amount": str(round_money(self.claimed_total)),
            "payment_method": self.payment_method,
            "payment_token": self.payment_token,
            **({"vouchers": sorted(self.vouchers)} if self.vouchers else {}),
            **({"redeem_points": self.redeem_points} if self.redeem_points else {}),
            **({"coupons": normal_codes(self.coupons)} if self.coupons else {}),
            # (The home store is left out: a replay across the upgrade keeps its fingerprint.)
            **({"store": self.store.code} if self.in_other_store() else {}),
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()

    def in_other_store(self) -> bool:
        return self.store is not None and self.store.code != home_store_code()

    def idempotency_scope(self) -> str:
        """Whose Idempotency-Key this is: the signed-in customer's, else this device's cart's."""
        if self.user is not None and self.user.is_authenticated:
            return f"user:{self.user.pk}"
        return f"cart:{self.cart_token}" if self.cart_token else ""


def place_order(*, request: CheckoutRequest, idempotency_key: str | None) -> Order:
    """Validate, price, reserve stock, charge; the same caller with the same key and body always
    gets the same answer, and never anyone else's."""
    fingerprint = request.fingerprint()
    scope = request.idempotency_scope()
    # A request with no caller to own the key (no user, no cart token: never one from the API,
    # which always has a cart token) cannot safely share it: it is its own checkout.
    key = idempotency_key if scope else None
    if key:
        earlier = _keyed(scope, key)
        if earlier is not None:
            return _replay(earlier, fingerprint)
    # Whose points these are: a card that does not exist, someone else's account or points not
    # held are refused before anything is priced, reserved or charged.
    customer = resolve_checkout_customer(
        customer_id=request.customer_id, user=request.user, redeem_points=request.redeem_points
    )
    store = request.store or get_home_store()
    quote = quote_cart(
        request.lines,
        vouchers=parse_vouchers(request.vouchers),
        points=request.redeem_points,
        store=store,
        coupons=request.coupons,
        customer=customer,
    )
    if quote.total <= ZERO:
        # A paid order with no payment would hand out an exit code for free goods.
        raise NothingToPay(total=quote.total, currency=quote.currency)
    if abs(quote.total - request.claimed_total) > settings.CHECKOUT_TOTAL_TOLERANCE:
        raise TotalMismatch(
            f"The total is {quote.total} {quote.currency}, not {request.claimed_total}.",
            total=quote.total,
            total_amount=request.claimed_total,
            currency=quote.currency,
        )
    try:
        order = _reserve(request, store, quote, scope, key, fingerprint, customer)
    except IntegrityError:
        # Two requests raced with one key: the unique constraint let one in; answer its result.
        earlier = _keyed(scope, key) if key else None
        if earlier is None:
            raise
        return _replay(earlier, fingerprint)
    _charge(order, request.payment_token)
    return order


def _keyed(scope: str, key: str) -> Order | None:
    return Order.objects.filter(idempotency_scope=scope, idempotency_key=key).first()


def _replay(earlier: Order, fingerprint: str) -> Order:
    """The earlier answer, at once: one still at the gateway answers "pending" (202) and the
    client asks again, so no request ever waits on another's payment."""
    if earlier.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused()  # names nothing of the earlier request
    return earlier


def _reserve(
    request: CheckoutRequest,
    store: Store,
    quote: Quote,
    scope: str,
    idempotency_key: str | None,
    fingerprint: str,
    customer: Customer | None,
) -> Order:
    """Record the order, its redeemed points and its stock in one short transaction, committed
    before the charge."""
    user = request.user if request.user and request.user.is_authenticated else None
    with transaction.atomic(durable=True):
        order = Order.objects.create(
            transaction_id=new_transaction_id(),
            idempotency_scope=scope if idempotency_key else "",
            idempotency_key=idempotency_key or None,
            request_fingerprint=fingerprint,
            customer_id=request.customer_id,
            user=user,
            cart_token=request.cart_token,
            store=store,
            payment_method=request.payment_method,
            gateway=get_gateway().name,
            currency=quote.currency,
            subtotal=quote.subtotal,
            discount_total=quote.discount_total,
            tax=quote.tax,
            total=quote.total,
        )
        order.sold_lines = OrderLine.objects.bulk_create(
            OrderLine(
                transaction=order,
                product=line.product,
                product_code=line.product.product_id,
                name=line.product.name,
                unit=line.product.unit,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                line_total=line.total,
                discounts=[
                    {
                        "promotion_id": d.promotion_id,
                        "amount": str(d.amount),
                        **stored_reason(d.reason),
                    }
                    for d in line.discounts
                ],
                tax_rate=line.tax_rate,
                paid=line.paid,
                deposit=line.deposit,
                deposit_tax_rate=line.deposit_tax_rate,
                deposit_paid=line.deposit_paid,
            )
            for line in quote.lines
        )
        order.sold_taxes = OrderTax.objects.bulk_create(
            OrderTax(transaction=order, rate=t.rate, net=t.net, tax=t.tax, gross=t.gross)
            for t in quote.taxes
        )
        _redeem_vouchers(order, quote)
        if quote.points_redeemed:
            # Under the account's row lock: of two checkouts racing for the same points, the
            # second sees the first one's entry and is refused (409), its order rolled back.
            redeem_points(customer=customer, points=quote.points_redeemed, order=order)
        if quote.coupons:
            # Counted again under each coupon's row lock: of two checkouts racing for its last
            # use, the second is refused (422) and its order rolled back.
            redeem_coupons(order=order, coupons=quote.coupons, customer=customer)
        OrderEvent.objects.create(
            transaction=order, to_status=Status.PENDING, reason="checkout started, stock taken"
        )
        take_stock(
            [StockLine(line.product.pk, line.quantity) for line in quote.lines],
            store=store,
            reference=order.transaction_id,
        )
    return order


def _redeem_vouchers(order: Order, quote: Quote) -> None:
    """Inside the order's transaction: a voucher another checkout holds (committed, or still
    in flight: the insert waits for it) fails the unique code, and this order rolls back."""
    if not quote.vouchers:
        order.redeemed_vouchers = []
        return
    try:
        with transaction.atomic():
            order.redeemed_vouchers = VoucherRedemption.objects.bulk_create(
                VoucherRedemption(
                    transaction=order,
                    code=v.voucher.code,
                    amount=v.voucher.amount,
                    applied=v.applied,
                )
                for v in quote.vouchers
            )
    except IntegrityError as exc:
        codes = [v.voucher.code for v in quote.vouchers]
        raise VoucherRedeemed(redeemed_message(codes), vouchers=codes) from exc


def _charge(order: Order, payment_token: str) -> None:
    try:
        result = get_gateway().charge(
            ChargeRequest(
                reference=order.transaction_id,
                amount=order.total,
                currency=order.currency,
                payment_token=payment_token,
                idempotency_key=f"charge-{order.transaction_id}",
            )
        )
    except GatewayUnavailable as exc:
        # No answer (a timeout, a 5xx, a body nobody can read): the gateway may well have taken
        # the money. Failing the order would give the stock back and tell a charged customer
        # "not charged". It stays pending, stock held; the customer is told to wait (202), and
        # reconciliation settles it from the gateway's own record of our reference.
        logger.warning("Charge for %s got no answer: %s", order.transaction_id, exc)
        CHARGES.labels(outcome="no_answer").inc()
        with transaction.atomic():
            OrderEvent.objects.create(
                transaction=order,
                from_status=Status.PENDING,
                to_status=Status.PENDING,
                reason=f"charge: no answer, reconciliation will settle it: {exc}"[:255],
            )
            enqueue_on_commit(
                "checkout.tasks.reconcile_order_task",
                order.pk,
                countdown=settings.RECONCILE_UNANSWERED_SECONDS,
            )
        return
    except GatewayError as exc:
        # A refusal (our key, the request's data): an answer, and nothing was charged.
        logger.error("Charge for %s refused: %s", order.transaction_id, exc)
        CHARGES.labels(outcome="refused").inc()
        transition_order(
            order,
            to=Status.FAILED,
            reason=f"charge: {exc}"[:255],
            failure_code=exc.failure_code,
        )
        return
    CHARGES.labels(outcome="answered").inc()
    apply_payment_result(order, result, source="charge")
