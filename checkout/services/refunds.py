"""Refunds of paid orders through their gateway.

The amount is reserved under a row lock in a short transaction before the gateway is called, so
two clerks cannot refund more than was paid; the gateway call itself runs outside any transaction.
A refund of an amount lives here; a return of lines (checkout.services.returns) reserves its
lines too and then pays out through the same pay_out.
"""

from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from checkout.errors import PaymentUnavailable, RefundNotAllowed
from checkout.gateway import GatewayError, PaymentRejected, get_gateway
from checkout.models import Order, OrderEvent, Refund
from customers.services.loyalty import reverse_for_refund
from grocery.money import round_money

Status = Order.Status


def refund_order(*, order: Order, amount: Decimal, user=None, reason: str = "") -> Refund:
    """Refund part or all of a paid order through its gateway.

    The amount is reserved first (row lock, short transaction), so two clerks cannot refund
    more than was paid; the gateway is called after the commit; a gateway failure undoes it.
    """
    amount = round_money(amount)
    with transaction.atomic():
        row = lock_order(order)
        ensure_refundable(row)
        if amount <= 0 or amount > row.refundable_amount:
            raise RefundNotAllowed(
                f"Refund must be between 0.01 and {row.refundable_amount}.",
                refundable=row.refundable_amount,
            )
        refund = reserve_refund(row, amount, user=user, reason=reason)
    return pay_out(order, refund, reason=reason)


def lock_order(order: Order) -> Order:
    """The order's row, locked: every refund and return of an order takes this lock first."""
    return Order.objects.select_for_update().get(pk=order.pk)


def ensure_refundable(row: Order) -> None:
    """Only a paid order can give money back."""
    if row.status not in Order.PAID:
        raise RefundNotAllowed(f"A {row.status} order cannot be refunded.")


def reserve_refund(row: Order, amount: Decimal, *, user, reason: str, **fields) -> Refund:
    """Inside the caller's transaction, on a locked row: the amount is the order's to give."""
    # Summed in Decimal under the row lock: SQLite would add REALs in SQL (2.49 + 4.98 there is
    # 7.470000000000001, which breaks the refund-within-total constraint).
    Order.objects.filter(pk=row.pk).update(refunded_amount=row.refunded_amount + amount)
    return Refund.objects.create(transaction=row, amount=amount, user=user, reason=reason, **fields)


def pay_out(
    order: Order,
    refund: Refund,
    *,
    reason: str,
    undo: Callable[[], None] = lambda: None,
    settle: Callable[[], None] = lambda: None,
) -> Refund:
    """Send a reserved refund to the gateway (its key makes a retry safe), then settle it; a
    gateway failure undoes the reservation (and whatever `undo` reserved with it)."""
    try:
        result = get_gateway().refund(
            payment_id=order.gateway_payment_id,
            amount=refund.amount,
            idempotency_key=f"refund-{refund.pk}",
        )
    except GatewayError as exc:
        with transaction.atomic():
            row = lock_order(order)
            Order.objects.filter(pk=row.pk).update(
                refunded_amount=row.refunded_amount - refund.amount
            )
            undo()
            refund.delete()
        if isinstance(exc, PaymentRejected):
            raise RefundNotAllowed(f"The gateway refused the refund: {exc}") from exc
        raise PaymentUnavailable("The gateway did not answer; nothing was refunded.") from exc
    with transaction.atomic():
        row = lock_order(order)
        Refund.objects.filter(pk=refund.pk).update(gateway_refund_id=result.refund_id)
        to = Status.REFUNDED if row.refunded_amount >= row.total else Status.PARTIALLY_REFUNDED
        OrderEvent.objects.create(
            transaction=row,
            from_status=row.status,
            to_status=to,
            reason=f"refund of {refund.amount} {row.currency}: {reason or 'no reason given'}"[:255],
        )
        Order.objects.filter(pk=row.pk).update(status=to, updated_at=timezone.now())
        reverse_for_refund(order=row)  # points earned taken back, points redeemed given back
        if to == Status.REFUNDED:
            row.coupons.all().delete()  # a coupon's use is given back with the whole basket
        settle()
    order.refresh_from_db()
    refund.refresh_from_db()
    return refund
