"""Every write of the checkout: carts, placing an order, settling, refunds, reconciliation.

Lock order everywhere: a transaction row first, then product rows in primary-key order (inside
catalog.services). No gateway call is ever made inside a database transaction.
"""

import hashlib
import json
import logging
import re
import secrets
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
from catalog.services import StockLine, refuses_beyond_stock, return_stock, take_stock
from checkout.errors import (
    CartLineNotFound,
    IdempotencyKeyReused,
    InvalidQuantity,
    NotConfirmable,
    NothingToPay,
    PaymentUnavailable,
    ProductInactive,
    RefundNotAllowed,
    TotalMismatch,
)
from checkout.gateway import (
    ChargeRequest,
    GatewayError,
    GatewayUnavailable,
    PaymentRejected,
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


CART_TOKEN_FORMAT = re.compile(r"[A-Za-z0-9_-]{32}")  # what new_cart_token makes


def new_cart_token() -> str:
    return secrets.token_urlsafe(24)


def new_transaction_id() -> str:
    # Hex only: no "_" or "-", so it can be embedded in gateway references unambiguously.
    return "tx" + secrets.token_hex(10)


# --- Carts ----------------------------------------------------------------------------------


def find_cart(*, token: str | None, user=None) -> Cart | None:
    """The signed-in customer's cart (adopting this device's anonymous one), or the device's;
    None when there is none yet: reading a cart never creates one."""
    signed_in = user is not None and user.is_authenticated
    if signed_in:
        cart = Cart.objects.filter(customer=user).first()
        if cart is not None:
            return cart
        if token and Cart.objects.filter(token=token, customer=None).update(customer=user):
            return Cart.objects.get(token=token)
        return None
    if token:
        # A customer's cart is never reachable by its token alone once they signed in.
        return Cart.objects.filter(token=token, customer=None).first()
    return None


def usable_cart_token(token: str | None) -> str:
    """The device's token for a cart not created yet: its own if it looks like one we hand out
    and no cart holds it, else a new one. (Reading an empty cart hands out a token without a
    row, so the first write must be able to create the cart under that token.)"""
    if (
        token
        and CART_TOKEN_FORMAT.fullmatch(token)
        and not Cart.objects.filter(token=token).exists()
    ):
        return token
    return new_cart_token()


def get_or_create_cart(*, token: str | None, user=None) -> Cart:
    """The cart that a write goes to, created on the first write."""
    cart = find_cart(token=token, user=user)
    if cart is not None:
        return cart
    customer = user if user is not None and user.is_authenticated else None
    try:
        with transaction.atomic():
            return Cart.objects.create(token=usable_cart_token(token), customer=customer)
    except IntegrityError:
        # Two first writes of one device raced: the other one created the cart.
        if (cart := find_cart(token=token, user=user)) is not None:
            return cart
        return Cart.objects.create(token=new_cart_token(), customer=customer)


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
    if quantity > product.stock and refuses_beyond_stock():
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

    def idempotency_scope(self) -> str:
        """Whose Idempotency-Key this is: the signed-in customer's, else this device's cart's."""
        if self.user is not None and self.user.is_authenticated:
            return f"user:{self.user.pk}"
        return f"cart:{self.cart_token}" if self.cart_token else ""


def place_order(*, request: CheckoutRequest, idempotency_key: str | None) -> Transaction:
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
    quote = quote_cart(request.lines)
    if quote.total <= ZERO:
        # A paid order with no payment would hand out an exit code for free goods.
        raise NothingToPay(total=float(quote.total), currency=quote.currency)
    if abs(quote.total - request.claimed_total) > settings.CHECKOUT_TOTAL_TOLERANCE:
        raise TotalMismatch(
            f"The total is {quote.total} {quote.currency}, not {request.claimed_total}.",
            total=float(quote.total),
            total_amount=float(request.claimed_total),
            currency=quote.currency,
        )
    try:
        order = _reserve(request, quote, scope, key, fingerprint)
    except IntegrityError:
        # Two requests raced with one key: the unique constraint let one in; answer its result.
        earlier = _keyed(scope, key) if key else None
        if earlier is None:
            raise
        return _replay(earlier, fingerprint)
    _charge(order, request.payment_token)
    return order


def _keyed(scope: str, key: str) -> Transaction | None:
    return Transaction.objects.filter(idempotency_scope=scope, idempotency_key=key).first()


def _replay(earlier: Transaction, fingerprint: str) -> Transaction:
    """The earlier answer, at once: one still at the gateway answers "pending" (202) and the
    client asks again, so no request ever waits on another's payment."""
    if earlier.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused()  # names nothing of the earlier request
    return earlier


def _reserve(
    request: CheckoutRequest,
    quote: Quote,
    scope: str,
    idempotency_key: str | None,
    fingerprint: str,
) -> Transaction:
    """Record the order and take its stock in one short transaction, committed before the charge."""
    user = request.user if request.user and request.user.is_authenticated else None
    with transaction.atomic(durable=True):
        order = Transaction.objects.create(
            transaction_id=new_transaction_id(),
            idempotency_scope=scope if idempotency_key else "",
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
    except GatewayError as exc:
        log = logger.warning if isinstance(exc, GatewayUnavailable) else logger.error
        log("Charge for %s failed: %s", order.transaction_id, exc)
        # Nothing was charged as far as anyone can tell: give the stock back now. Should the
        # gateway have taken the money after all, reconciliation flags the payment for a refund.
        _transition(
            order,
            to=Status.FAILED,
            reason=f"charge: {exc}"[:255],
            failure_code=exc.failure_code,
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


def apply_reported_result(order: Transaction, result: PaymentResult, *, source: str) -> str:
    """A result the gateway sent on its own (a webhook) moves the order only if it is about this
    order's payment: the same intent, amount and currency. Otherwise it is flagged for staff and
    nothing changes. Answers the order's status, or "discrepancy"."""
    problems = [
        what
        for what, differs in (
            (
                "payment id",
                order.gateway_payment_id and result.payment_id != order.gateway_payment_id,
            ),
            ("amount", result.amount is not None and result.amount != order.total),
            ("currency", result.currency and result.currency != order.currency),
        )
        if differs
    ]
    if problems:
        note = f"{source}: {', '.join(problems)} do not match {order.transaction_id}"[:255]
        amount = order.total if result.amount is None else result.amount
        currency = result.currency or order.currency
        _flag_discrepancy(result, amount, currency, order.transaction_id, note=note)
        return "discrepancy"
    apply_payment_result(order, result, source=source)
    return order.status


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
    except GatewayError as exc:
        # Whatever went wrong, the order stays as it was: reconciliation settles it in time.
        raise PaymentUnavailable(
            "The payment service could not say how the payment ended. Please try again.",
            transaction_id=order.transaction_id,
        ) from exc
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
    except GatewayError as exc:
        with transaction.atomic():
            Transaction.objects.filter(pk=row.pk).update(
                refunded_amount=F("refunded_amount") - amount
            )
            refund.delete()
        if isinstance(exc, PaymentRejected):
            raise RefundNotAllowed(f"The gateway refused the refund: {exc}") from exc
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
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.RECONCILE_AFTER_SECONDS)
    # An order waiting for 3-D Secure is looked at no later than when its hold runs out.
    hold_cutoff = max(cutoff, now - timedelta(minutes=settings.PAYMENT_HOLD_MINUTES))
    return list(
        Transaction.objects.filter(
            Q(status=Status.PENDING, updated_at__lt=cutoff)
            | Q(status=Status.REQUIRES_ACTION, updated_at__lt=hold_cutoff)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def reconcile_transaction(*, pk: int) -> str:
    """Ask the gateway how an open transaction ended and settle it. Safe to run twice at once:
    the status only moves under a row lock, from an open status. GatewayUnavailable propagates
    (the task retries the run); any other refusal is logged, and fails the order once its hold
    has run out."""
    order = Transaction.objects.get(pk=pk)
    if order.status not in Transaction.OPEN:
        return "already settled"
    try:
        result = _gateway_outcome(order)
    except GatewayUnavailable:
        raise
    except GatewayError as exc:
        logger.error("Reconciliation of %s: the gateway refused: %s", order.transaction_id, exc)
        if not _held_too_long(order):
            return "gateway error"
        # Its hold ran out and the gateway cannot be asked: free the stock anyway. A payment
        # that still succeeds later reaches us by webhook and is refunded as a late payment.
        moved = _transition(
            order,
            to=Status.FAILED,
            reason=f"reconciliation: hold ran out, gateway refused: {exc}"[:255],
            failure_code=exc.failure_code,
        )
        return "failed" if moved else "already settled"
    if result is None:
        moved = _transition(
            order,
            to=Status.FAILED,
            reason="reconciliation: no payment reached the gateway",
            failure_code="not_charged",
        )
        return "failed" if moved else "already settled"
    if result.status in (PaymentStatus.REQUIRES_ACTION, PaymentStatus.PROCESSING):
        return "waiting"
    moved = apply_payment_result(order, result, source="reconciliation")
    return order.status if moved else "already settled"


def _held_too_long(order: Transaction) -> bool:
    """Stock held for a customer who must authenticate is held for PAYMENT_HOLD_MINUTES; a payment
    the gateway is still processing gets the longer RECONCILE_ABANDON_SECONDS."""
    if order.status == Status.REQUIRES_ACTION:
        held = timedelta(minutes=settings.PAYMENT_HOLD_MINUTES)
    else:
        held = timedelta(seconds=settings.RECONCILE_ABANDON_SECONDS)
    return order.updated_at < timezone.now() - held


def _gateway_outcome(order: Transaction) -> PaymentResult | None:
    """What the gateway says of an open order; an undecided payment held too long is cancelled."""
    gateway = get_gateway()
    if order.gateway_payment_id:
        result = gateway.retrieve(order.gateway_payment_id)
    else:
        result = gateway.find_payment(order.transaction_id)
    if result is None or result.status not in (
        PaymentStatus.REQUIRES_ACTION,
        PaymentStatus.PROCESSING,
    ):
        return result
    if not _held_too_long(order):
        return result
    try:
        return gateway.cancel(result.payment_id)
    except PaymentRejected:
        # It moved on between our two calls (the customer just paid, say): take what it is now.
        return gateway.retrieve(result.payment_id)


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
    except GatewayError:
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
