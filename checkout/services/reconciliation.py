"""Reconciliation: settle orders left open too long, and flag gateway payments nobody accounts for.

Safe to run twice at once: a status moves only under a row lock, from an open status
(checkout.services.payments). The gateway is asked outside any transaction.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from checkout.gateway import (
    GatewayError,
    GatewayUnavailable,
    PaymentRejected,
    PaymentResult,
    PaymentStatus,
    get_gateway,
)
from checkout.models import Order
from checkout.services.discrepancies import flag_discrepancy
from checkout.services.payments import apply_payment_result, transition_order

logger = logging.getLogger(__name__)
Status = Order.Status


def list_stale_order_ids() -> list[int]:
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.RECONCILE_AFTER_SECONDS)
    # An order waiting for 3-D Secure is looked at no later than when its hold runs out.
    hold_cutoff = max(cutoff, now - timedelta(minutes=settings.PAYMENT_HOLD_MINUTES))
    return list(
        Order.objects.filter(
            Q(status=Status.PENDING, updated_at__lt=cutoff)
            | Q(status=Status.REQUIRES_ACTION, updated_at__lt=hold_cutoff)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def reconcile_order(*, pk: int) -> str:
    """Ask the gateway how an open order ended and settle it. Safe to run twice at once:
    the status only moves under a row lock, from an open status. GatewayUnavailable propagates
    (the task retries the run); any other refusal is logged, and fails the order once its hold
    has run out."""
    order = Order.objects.get(pk=pk)
    if order.status not in Order.OPEN:
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
        moved = transition_order(
            order,
            to=Status.FAILED,
            reason=f"reconciliation: hold ran out, gateway refused: {exc}"[:255],
            failure_code=exc.failure_code,
        )
        return "failed" if moved else "already settled"
    if result is None:
        moved = transition_order(
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


def _held_too_long(order: Order) -> bool:
    """Stock held for a customer who must authenticate is held for PAYMENT_HOLD_MINUTES; a payment
    the gateway is still processing gets the longer RECONCILE_ABANDON_SECONDS."""
    if order.status == Status.REQUIRES_ACTION:
        held = timedelta(minutes=settings.PAYMENT_HOLD_MINUTES)
    else:
        held = timedelta(seconds=settings.RECONCILE_ABANDON_SECONDS)
    return order.updated_at < timezone.now() - held


def _gateway_outcome(order: Order) -> PaymentResult | None:
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
    """Record succeeded gateway payments that no paid order accounts for."""
    since = timezone.now() - timedelta(seconds=since_seconds)
    flagged = 0
    for payment in get_gateway().list_payments(since):
        if payment.status != PaymentStatus.SUCCEEDED:
            continue
        order = (
            Order.objects.filter(gateway_payment_id=payment.payment_id).first()
            or Order.objects.filter(transaction_id=payment.reference).first()
        )
        if order is not None and order.status != Status.FAILED:
            continue  # paid, refunded, or still open (the stale-order pass settles those)
        note = "no transaction for this payment" if order is None else "transaction failed"
        result = PaymentResult(status=payment.status, payment_id=payment.payment_id)
        flagged += flag_discrepancy(
            result, payment.amount, payment.currency, payment.reference, note=note
        )
    return flagged
