"""Gateway discrepancies: money the gateway holds that no paid order accounts for.

Flagged once per gateway payment (a unique id decides), refunded automatically when it is a late
payment for an order we gave up, and resolved by staff with an audit row saying who, when and why.
"""

import logging

from django.db import transaction

from checkout.gateway import GatewayError, PaymentResult, get_gateway
from checkout.models import GatewayDiscrepancy, GatewayDiscrepancyEvent, Order

logger = logging.getLogger(__name__)


def refund_late_payment(order: Order, result: PaymentResult, *, source: str) -> None:
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
        refunded = False
    else:
        note += "; refunded automatically"
        refunded = True
    flagged = flag_discrepancy(result, order.total, order.currency, order.transaction_id, note=note)
    if flagged and refunded:
        set_discrepancy_resolved(
            discrepancy=GatewayDiscrepancy.objects.get(gateway_payment_id=result.payment_id),
            resolved=True,
            user=None,
            reason="refunded automatically",
        )


def flag_discrepancy(result: PaymentResult, amount, currency, reference, *, note) -> int:
    _, created = GatewayDiscrepancy.objects.get_or_create(
        gateway_payment_id=result.payment_id or f"unknown-{reference}",
        defaults={"amount": amount, "currency": currency, "reference": reference, "note": note},
    )
    if created:
        logger.error("Gateway payment %s: %s", result.payment_id, note)
    return int(created)


def set_discrepancy_resolved(
    *, discrepancy: GatewayDiscrepancy, resolved: bool, user, reason: str
) -> bool:
    """Mark a discrepancy resolved (or open again) and log who, when and why in the same
    transaction; True if it changed. The row is locked so two clerks cannot both log a change."""
    with transaction.atomic():
        row = GatewayDiscrepancy.objects.select_for_update().get(pk=discrepancy.pk)
        changed = row.resolved != resolved
        if changed:
            row.resolved = resolved
            row.save(update_fields=["resolved"])
            GatewayDiscrepancyEvent.objects.create(
                discrepancy=row, resolved=resolved, user=user, reason=reason[:255]
            )
    discrepancy.resolved = resolved
    return changed
