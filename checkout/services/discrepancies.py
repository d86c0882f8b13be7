"""Gateway discrepancies: money the gateway holds that no paid order accounts for.

Flagged once per gateway payment (a unique id decides), refunded automatically when it is a late
payment for an order we gave up, and resolved by staff with an audit row saying who, when and why.
"""

import logging

from checkout.gateway import GatewayError, PaymentResult, get_gateway
from checkout.models import GatewayDiscrepancy, Transaction

logger = logging.getLogger(__name__)


def refund_late_payment(order: Transaction, result: PaymentResult, *, source: str) -> None:
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
    if flag_discrepancy(result, order.total, order.currency, order.transaction_id, note=note):
        GatewayDiscrepancy.objects.filter(gateway_payment_id=result.payment_id).update(
            resolved=resolved
        )


def flag_discrepancy(result: PaymentResult, amount, currency, reference, *, note) -> int:
    _, created = GatewayDiscrepancy.objects.get_or_create(
        gateway_payment_id=result.payment_id or f"unknown-{reference}",
        defaults={"amount": amount, "currency": currency, "reference": reference, "note": note},
    )
    if created:
        logger.error("Gateway payment %s: %s", result.payment_id, note)
    return int(created)
