"""Every write of the checkout: carts, placing an order, settling, refunds, reconciliation.

Lock order everywhere: a transaction row first, then product rows in primary-key order (inside
catalog.services). No gateway call is ever made inside a database transaction.
"""

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from catalog.errors import OutOfStock, ProductNotFound
from catalog.models import Product, StockMovement
from catalog.services import StockLine, return_stock, take_stock
from checkout.errors import (
    CartLineNotFound,
    IdempotencyKeyReused,
    InvalidQuantity,
    NotConfirmable,
    PaymentUnavailable,
    ProductInactive,
    RefundNotAllowed,
    TotalMismatch,
)
from checkout.gateway import (
    ChargeRequest,
    GatewayUnavailable,
    PaymentResult,
    PaymentStatus,
    get_gateway,
)
from checkout.models import (
    Cart,
    CartLine,
    ExitVerification,
    GatewayDiscrepancy,
    Refund,
    Transaction,
    TransactionEvent,
    TransactionLine,
)
from checkout.pricing import Quote, RequestedLine, merge_lines, quantity_problem, quote_cart
from grocery.money import ZERO, round_money

logger = logging.getLogger(__name__)
Status = Transaction.Status


def new_cart_token() -> str:
    return secrets.token_urlsafe(24)


def new_transaction_id() -> str:
    # Hex only: no "_" or "-", so it can be embedded in gateway references unambiguously.
    return "tx" + secrets.token_hex(10)


# --- Carts ----------------------------------------------------------------------------------


def get_or_create_cart(*, token: str | None, user=None) -> Cart:
    """The signed-in customer's cart (adopting this device's anonymous one), or the device's."""
    signed_in = user is not None and user.is_authenticated
    if signed_in:
        cart = Cart.objects.filter(customer=user).first()
        if cart is not None:
            return cart
        if token and Cart.objects.filter(token=token, customer=None).update(customer=user):
            return Cart.objects.get(token=token)
        return Cart.objects.create(token=new_cart_token(), customer=user)
    if token:
        # A customer's cart is never reachable by its token alone once they signed in.
        cart = Cart.objects.filter(token=token, customer=None).first()
        if cart is not None:
            return cart
    return Cart.objects.create(token=new_cart_token())


def delete_abandoned_carts(*, now=None) -> int:
    """Drop anonymous carts nobody will come back to: empty for a day, or idle past the cookie's
    life. Receipts keep the token as text, so a device still reaches its old receipts."""
    now = now or timezone.now()
    empty_since = now - timedelta(days=1)
    idle_since = now - timedelta(seconds=settings.CART_COOKIE_MAX_AGE)
    abandoned = (
        Cart.objects.filter(customer=None)
        .annotate(last_added=Max("lines__added_at"))
        .filter(
            Q(last_added__isnull=True, updated_at__lt=empty_since)
            | Q(last_added__lt=idle_since, updated_at__lt=idle_since)
        )
    )
    deleted = Cart.objects.filter(pk__in=abandoned.values("pk")).delete()[1].get("checkout.Cart", 0)
    return deleted


def _sellable_product(product_id: str) -> Product:
    try:
        product = Product.objects.get(product_id=product_id)
    except Product.DoesNotExist:
        raise ProductNotFound(product_id=product_id) from None
    if not product.is_active:
        raise ProductInactive(f"{product.name} is no longer sold.", product_ids=[product_id])
    return product


def _check_line(product: Product, quantity: Decimal) -> None:
    if problem := quantity_problem(product, quantity):
        raise InvalidQuantity(f"Quantity {problem}.", product_id=product.product_id)
    if quantity > product.stock:
        raise OutOfStock(
            f"Only {product.stock.normalize():f} of {product.name} left.",
            lines=[
                {
                    "product_id": product.product_id,
                    "requested": float(quantity),
                    "available": float(product.stock),
                }
            ],
        )


def add_to_cart(*, cart: Cart, product_id: str, quantity: Decimal) -> None:
    product = _sellable_product(product_id)
    with transaction.atomic():
        Cart.objects.select_for_update().filter(pk=cart.pk).first()  # one writer per cart
        line = CartLine.objects.filter(cart=cart, product=product).first()
        new_quantity = quantity + (line.quantity if line else ZERO)
        if problem := quantity_problem(product, quantity):
            raise InvalidQuantity(f"Quantity {problem}.", product_id=product_id)
        _check_line(product, new_quantity)
        _save_line(cart, product, line, new_quantity)


def set_cart_quantity(*, cart: Cart, product_id: str, quantity: Decimal) -> None:
    product = _sellable_product(product_id)
    _check_line(product, quantity)
    with transaction.atomic():
        Cart.objects.select_for_update().filter(pk=cart.pk).first()
        line = CartLine.objects.filter(cart=cart, product=product).first()
        _save_line(cart, product, line, quantity)


def _save_line(cart: Cart, product: Product, line: CartLine | None, quantity: Decimal) -> None:
    # Touching a line accepts today's price: the price_changed flag goes away.
    if line is None:
        CartLine.objects.create(
            cart=cart, product=product, quantity=quantity, price_when_added=product.price
        )
    else:
        line.quantity = quantity
        line.price_when_added = product.price
        line.save(update_fields=["quantity", "price_when_added"])
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())


def remove_from_cart(*, cart: Cart, product_id: str) -> None:
    deleted, _ = CartLine.objects.filter(cart=cart, product__product_id=product_id).delete()
    if not deleted:
        raise CartLineNotFound(product_id=product_id)


def clear_cart(*, cart: Cart) -> None:
    CartLine.objects.filter(cart=cart).delete()


# --- Checkout -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckoutRequest:
    customer_id: str
    lines: Sequence[RequestedLine]
    claimed_total: Decimal
    payment_method: str
    payment_token: str = ""
    cart_token: str = ""
    user: object = None

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
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def place_order(*, request: CheckoutRequest, idempotency_key: str | None) -> Transaction:
    """Validate, price, reserve stock, charge; the same key and body always answer the same."""
    fingerprint = request.fingerprint()
    if idempotency_key:
        earlier = Transaction.objects.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            return _replay(earlier, fingerprint)
    quote = quote_cart(request.lines)
    if abs(quote.total - request.claimed_total) > settings.CHECKOUT_TOTAL_TOLERANCE:
        raise TotalMismatch(
            f"The total is {quote.total} {quote.currency}, not {request.claimed_total}.",
            total=float(quote.total),
            total_amount=float(request.claimed_total),
            currency=quote.currency,
        )
    try:
        order = _reserve(request, quote, idempotency_key, fingerprint)
    except IntegrityError:
        # Two requests raced with one key: the unique constraint let one in; answer its result.
        earlier = Transaction.objects.filter(idempotency_key=idempotency_key).first()
        if not idempotency_key or earlier is None:
            raise
        return _replay(earlier, fingerprint)
    _charge(order, request.payment_token)
    return order


def _replay(earlier: Transaction, fingerprint: str) -> Transaction:
    if earlier.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused(transaction_id=earlier.transaction_id)
    # The first request may still be talking to the gateway: wait a little for its answer.
    deadline = time.monotonic() + settings.CHECKOUT_REPLAY_WAIT_SECONDS
    while earlier.status == Status.PENDING and time.monotonic() < deadline:
        time.sleep(0.05)
        earlier.refresh_from_db()
    return earlier


def _reserve(
    request: CheckoutRequest, quote: Quote, idempotency_key: str | None, fingerprint: str
) -> Transaction:
    """Record the order and take its stock in one short transaction, committed before the charge."""
    user = request.user if request.user and request.user.is_authenticated else None
    with transaction.atomic(durable=True):
        order = Transaction.objects.create(
            transaction_id=new_transaction_id(),
            idempotency_key=idempotency_key or None,
            request_fingerprint=fingerprint,
            customer_id=request.customer_id,
            user=user,
            cart_token=request.cart_token,
            payment_method=request.payment_method,
            gateway=get_gateway().name,
            currency=quote.currency,
            subtotal=quote.subtotal,
            discount_total=quote.discount_total,
            tax=quote.tax,
            total=quote.total,
        )
        order.sold_lines = TransactionLine.objects.bulk_create(
            TransactionLine(
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
                    {"promotion_id": d.promotion_id, "amount": str(d.amount), "reason": d.reason}
                    for d in line.discounts
                ],
            )
            for line in quote.lines
        )
        TransactionEvent.objects.create(
            transaction=order, to_status=Status.PENDING, reason="checkout started, stock taken"
        )
        take_stock(
            [StockLine(line.product.pk, line.quantity) for line in quote.lines],
            reference=order.transaction_id,
        )
    return order


def _charge(order: Transaction, payment_token: str) -> None:
    if order.total == ZERO:
        _transition(order, to=Status.SUCCEEDED, reason="nothing to pay")
        return
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
        logger.warning("Charge for %s failed: %s", order.transaction_id, exc)
        # Nothing was charged as far as anyone can tell: give the stock back now. Should the
        # gateway have taken the money after all, reconciliation flags the payment for a refund.
        _transition(
            order,
            to=Status.FAILED,
            reason=f"payment gateway unavailable: {exc}"[:255],
            failure_code="gateway_unavailable",
        )
        return
    apply_payment_result(order, result, source="charge")


def apply_payment_result(order: Transaction, result: PaymentResult, *, source: str) -> bool:
    """Move a transaction to what the gateway says; True if this call moved it. Safe to call
    twice, from anywhere: only one caller ever moves a transaction out of an open status."""
    fields = {"gateway_payment_id": result.payment_id} if result.payment_id else {}
    if result.status == PaymentStatus.SUCCEEDED:
        moved = _transition(
            order, to=Status.SUCCEEDED, reason=f"{source}: payment succeeded", **fields
        )
        if not moved and order.status == Status.FAILED and result.payment_id:
            _refund_late_payment(order, result, source=source)
        return moved
    if result.status in (PaymentStatus.DECLINED, PaymentStatus.CANCELED):
        return _transition(
            order,
            to=Status.FAILED,
            reason=f"{source}: {result.message or result.status}"[:255],
            failure_code="declined" if result.status == PaymentStatus.DECLINED else "canceled",
            **fields,
        )
    if result.status == PaymentStatus.REQUIRES_ACTION:
        moved = _transition(
            order,
            to=Status.REQUIRES_ACTION,
            from_statuses=(Status.PENDING,),
            reason=f"{source}: customer must authenticate",
            client_secret=result.client_secret,
            **fields,
        )
        order.next_action = result.next_action
        return moved
    if fields and not order.gateway_payment_id:
        Transaction.objects.filter(pk=order.pk, gateway_payment_id="").update(**fields)
        order.refresh_from_db()
    return False


def _transition(
    order: Transaction,
    *,
    to: str,
    reason: str,
    from_statuses: Sequence[str] = Transaction.OPEN,
    **fields,
) -> bool:
    """The one status change: row-locked, logged, and a failure gives the stock back once."""
    with transaction.atomic():
        _relax_commit()
        row = Transaction.objects.select_for_update().get(pk=order.pk)
        moved = row.status in from_statuses
        if moved:
            TransactionEvent.objects.create(
                transaction=row, from_status=row.status, to_status=to, reason=reason
            )
            row.status = to
            if to == Status.FAILED:
                row.failure_reason = reason
            for name, value in fields.items():
                setattr(row, name, value)
            if to == Status.FAILED and not row.stock_released:
                _release_stock(row)
            if to == Status.SUCCEEDED and row.cart_token:
                bought = row.lines.values_list("product_id", flat=True)
                CartLine.objects.filter(cart__token=row.cart_token, product__in=bought).delete()
            row.save(
                update_fields=[
                    "status",
                    "failure_reason",
                    "stock_released",
                    "updated_at",
                    *fields,
                ]
            )
    for field in Transaction._meta.concrete_fields:  # what the row now says, without a re-read
        setattr(order, field.attname, getattr(row, field.attname))
    return moved


def _relax_commit() -> None:
    """A settled status need not wait for the disk: should PostgreSQL lose the last moments of
    commits in a crash, the transaction is simply open again and reconciliation settles it by
    asking the gateway. (Orders and stock taken before a charge are committed durably.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _release_stock(row: Transaction) -> None:
    return_stock(
        [StockLine(line.product_id, line.quantity) for line in row.lines.all()],
        reference=row.transaction_id,
        reason=StockMovement.Reason.RELEASE,
    )
    row.stock_released = True


def confirm_payment(*, order: Transaction) -> Transaction:
    """After the customer authenticated (3-D Secure): ask the gateway how it ended."""
    if order.status in (*Transaction.PAID, Status.FAILED, Status.REFUNDED):
        return order  # already settled: confirming again answers the same
    if not order.gateway_payment_id:
        raise NotConfirmable(transaction_id=order.transaction_id)
    try:
        result = get_gateway().retrieve(order.gateway_payment_id)
    except GatewayUnavailable as exc:
        raise PaymentUnavailable(transaction_id=order.transaction_id) from exc
    apply_payment_result(order, result, source="confirmation")
    return order


# --- Refunds --------------------------------------------------------------------------------


def refund_transaction(
    *, order: Transaction, amount: Decimal, user=None, reason: str = ""
) -> Refund:
    """Refund part or all of a paid transaction through its gateway.

    The amount is reserved first (row lock, short transaction), so two clerks cannot refund
    more than was paid; the gateway is called after the commit; a gateway failure undoes it.
    """
    amount = round_money(amount)
    with transaction.atomic():
        row = Transaction.objects.select_for_update().get(pk=order.pk)
        if row.status not in Transaction.PAID:
            raise RefundNotAllowed(f"A {row.status} transaction cannot be refunded.")
        if amount <= 0 or amount > row.refundable_amount:
            raise RefundNotAllowed(
                f"Refund must be between 0.01 and {row.refundable_amount}.",
                refundable=float(row.refundable_amount),
            )
        Transaction.objects.filter(pk=row.pk).update(refunded_amount=F("refunded_amount") + amount)
        refund = Refund.objects.create(transaction=row, amount=amount, user=user, reason=reason)
    try:
        result = get_gateway().refund(
            payment_id=row.gateway_payment_id,
            amount=amount,
            idempotency_key=f"refund-{refund.pk}",
        )
    except GatewayUnavailable as exc:
        with transaction.atomic():
            Transaction.objects.filter(pk=row.pk).update(
                refunded_amount=F("refunded_amount") - amount
            )
            refund.delete()
        raise PaymentUnavailable("The gateway did not answer; nothing was refunded.") from exc
    with transaction.atomic():
        row = Transaction.objects.select_for_update().get(pk=order.pk)
        Refund.objects.filter(pk=refund.pk).update(gateway_refund_id=result.refund_id)
        to = Status.REFUNDED if row.refunded_amount >= row.total else Status.PARTIALLY_REFUNDED
        TransactionEvent.objects.create(
            transaction=row,
            from_status=row.status,
            to_status=to,
            reason=f"refund of {amount} {row.currency}: {reason or 'no reason given'}"[:255],
        )
        Transaction.objects.filter(pk=row.pk).update(status=to, updated_at=timezone.now())
    order.refresh_from_db()
    refund.refresh_from_db()
    return refund


# --- Reconciliation -------------------------------------------------------------------------


def list_stale_transaction_ids() -> list[int]:
    cutoff = timezone.now() - timedelta(seconds=settings.RECONCILE_AFTER_SECONDS)
    return list(
        Transaction.objects.filter(status__in=Transaction.OPEN, updated_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def reconcile_transaction(*, pk: int) -> str:
    """Ask the gateway how an open transaction ended and settle it. Safe to run twice at once:
    the status only moves under a row lock, from an open status."""
    order = Transaction.objects.get(pk=pk)
    if order.status not in Transaction.OPEN:
        return "already settled"
    gateway = get_gateway()
    if order.gateway_payment_id:
        result = gateway.retrieve(order.gateway_payment_id)
    else:
        result = gateway.find_payment(order.transaction_id)
    if result is None:
        moved = _transition(
            order,
            to=Status.FAILED,
            reason="reconciliation: no payment reached the gateway",
            failure_code="not_charged",
        )
        return "failed" if moved else "already settled"
    if result.status in (PaymentStatus.REQUIRES_ACTION, PaymentStatus.PROCESSING):
        abandoned = timezone.now() - timedelta(seconds=settings.RECONCILE_ABANDON_SECONDS)
        if order.updated_at >= abandoned:
            return "waiting"
        result = gateway.cancel(result.payment_id)
    moved = apply_payment_result(order, result, source="reconciliation")
    return order.status if moved else "already settled"


def flag_unmatched_payments(*, since_seconds: int) -> int:
    """Record succeeded gateway payments that no paid transaction accounts for."""
    since = timezone.now() - timedelta(seconds=since_seconds)
    flagged = 0
    for payment in get_gateway().list_payments(since):
        if payment.status != PaymentStatus.SUCCEEDED:
            continue
        order = (
            Transaction.objects.filter(gateway_payment_id=payment.payment_id).first()
            or Transaction.objects.filter(transaction_id=payment.reference).first()
        )
        if order is not None and order.status != Status.FAILED:
            continue  # paid, refunded, or still open (the stale-transaction pass settles those)
        note = "no transaction for this payment" if order is None else "transaction failed"
        result = PaymentResult(status=payment.status, payment_id=payment.payment_id)
        flagged += _flag_discrepancy(
            result, payment.amount, payment.currency, payment.reference, note=note
        )
    return flagged


def _refund_late_payment(order: Transaction, result: PaymentResult, *, source: str) -> None:
    """The gateway took money for an order we already gave up (its stock is back on the shelf):
    give it back at once, and leave a record for staff either way."""
    note = f"{source}: paid after the transaction failed"
    try:
        get_gateway().refund(
            payment_id=result.payment_id,
            amount=order.total,
            idempotency_key=f"late-{result.payment_id}",
        )
    except GatewayUnavailable:
        note += "; automatic refund failed, refund by hand"
        resolved = False
    else:
        note += "; refunded automatically"
        resolved = True
    if _flag_discrepancy(result, order.total, order.currency, order.transaction_id, note=note):
        GatewayDiscrepancy.objects.filter(gateway_payment_id=result.payment_id).update(
            resolved=resolved
        )


def _flag_discrepancy(result: PaymentResult, amount, currency, reference, *, note) -> int:
    _, created = GatewayDiscrepancy.objects.get_or_create(
        gateway_payment_id=result.payment_id or f"unknown-{reference}",
        defaults={"amount": amount, "currency": currency, "reference": reference, "note": note},
    )
    if created:
        logger.error("Gateway payment %s: %s", result.payment_id, note)
    return int(created)


def record_exit_verification(*, order: Transaction, user) -> tuple[ExitVerification, bool]:
    """Log a scan at the door; returns the code's first verification and whether this scan came
    after it. The transaction row is locked so that two gates scanning the same screenshot at the
    same instant cannot both be told they were first."""
    with transaction.atomic():
        Transaction.objects.select_for_update().get(pk=order.pk)
        first = (
            ExitVerification.objects.filter(transaction=order).select_related("verified_by").first()
        )
        mine = ExitVerification.objects.create(transaction=order, verified_by=user)
    return first or mine, first is not None
