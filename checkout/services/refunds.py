"""Refunds of paid orders through their gateway.

The amount is reserved under a row lock in a short transaction before the gateway is called, so
two clerks cannot refund more than was paid; the gateway call itself runs outside any transaction.
"""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from checkout.errors import PaymentUnavailable, RefundNotAllowed
from checkout.gateway import GatewayError, PaymentRejected, get_gateway
from checkout.models import Order, OrderEvent, Refund
from grocery.money import round_money

Status = Order.Status


def refund_order(*, order: Order, amount: Decimal, user=None, reason: str = "") -> Refund:
    """Refund part or all of a paid order through its gateway.

    The amount is reserved first (row lock, short transaction), so two clerks cannot refund
    more than was paid; the gateway is called after the commit; a gateway failure undoes it.
    """
    amount = round_money(amount)
    with transaction.atomic():
        row = Order.objects.select_for_update().get(pk=order.pk)
        if row.status not in Order.PAID:
            raise RefundNotAllowed(f"A {row.status} order cannot be refunded.")
        if amount <= 0 or amount > row.refundable_amount:
            raise RefundNotAllowed(
                f"Refund must be between 0.01 and {row.refundable_amount}.",
                refundable=row.refundable_amount,
            )
        # Summed in Decimal under the row lock: SQLite would add REALs in SQL (2.49 + 4.98 there
        # is 7.470000000000001, which breaks the refund-within-total constraint).
        Order.objects.filter(pk=row.pk).update(refunded_amount=row.refunded_amount + amount)
        refund = Refund.objects.create(transaction=row, amount=amount, user=user, reason=reason)
    try:
        result = get_gateway().refund(
            payment_id=row.gateway_payment_id,
            amount=amount,
            idempotency_key=f"refund-{refund.pk}",
        )
    except GatewayError as exc:
        with transaction.atomic():
            row = Order.objects.select_for_update().get(pk=order.pk)
            Order.objects.filter(pk=row.pk).update(refunded_amount=row.refunded_amount - amount)
            refund.delete()
        if isinstance(exc, PaymentRejected):
            raise RefundNotAllowed(f"The gateway refused the refund: {exc}") from exc
        raise PaymentUnavailable("The gateway did not answer; nothing was refunded.") from exc
    with transaction.atomic():
        row = Order.objects.select_for_update().get(pk=order.pk)
        Refund.objects.filter(pk=refund.pk).update(gateway_refund_id=result.refund_id)
        to = Status.REFUNDED if row.refunded_amount >= row.total else Status.PARTIALLY_REFUNDED
        OrderEvent.objects.create(
            transaction=row,
            from_status=row.status,
            to_status=to,
            reason=f"refund of {amount} {row.currency}: {reason or 'no reason given'}"[:255],
        )
        Order.objects.filter(pk=row.pk).update(status=to, updated_at=timezone.now())
    order.refresh_from_db()
    refund.refresh_from_db()
    return refund
