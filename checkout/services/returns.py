"""Returns by line: a manager gives back chosen units of a paid order's lines.

The refund is what the customer paid for those units: the line's goods and deposit after its
discounts and its share of vouchers (OrderLine.paid / deposit_paid), split over the units so that
returning every unit, in any number of returns, gives back exactly what was paid. Its VAT per
rate comes from the lines' rates (checkout.selectors.return_taxes). Lines are reserved with the
refund under the order's row lock (returned_quantity can never pass what was bought: a database
constraint says so too), the gateway is called after the commit with the refund's key, and the
stock chosen for the shelf comes back through the stock service once the gateway said yes.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from catalog.models import StockMovement, quantity_fits_unit
from catalog.services import StockLine, return_stock
from checkout.errors import ReturnNotAllowed
from checkout.models import Order, OrderLine, Refund, RefundLine
from checkout.services.refunds import ensure_refundable, lock_order, pay_out, reserve_refund
from grocery.money import round_money, sum_money


@dataclass(frozen=True)
class ReturnedLine:
    line_id: int
    quantity: Decimal
    restock: bool  # back on the shelf (it can be sold again), or written off


def share(paid: Decimal, bought: Decimal, units: Decimal) -> Decimal:
    """What the first `units` of a line cost of `paid`: the cents of each return are the
    difference of two such shares, so all returns together are exactly `paid`."""
    return round_money(paid * units / bought)


def return_lines(
    *,
    order: Order,
    lines: Sequence[ReturnedLine],
    user=None,
    reason: str = "",
    idempotency_key: str | None = None,
) -> Refund:
    with transaction.atomic():
        row = lock_order(order)
        # Under the order's lock: a retry, or the same request racing in twice, finds the first
        # return here (before its lines are found already returned) and answers it again.
        if idempotency_key:
            earlier = row.refunds.filter(idempotency_key=idempotency_key).first()
            if earlier is not None:
                return earlier
        if not lines:
            raise ReturnNotAllowed("Name at least one line to return.")
        ensure_refundable(row)
        refund_lines = _reserve_lines(row, lines)
        amount = sum_money(rl.amount + rl.deposit for rl in refund_lines)
        if amount <= 0:
            raise ReturnNotAllowed("Nothing was paid for these units.")
        if amount > row.refundable_amount:
            raise ReturnNotAllowed(
                f"These units cost {amount}; only {row.refundable_amount} is left to refund.",
                refundable=row.refundable_amount,
            )
        refund = reserve_refund(
            row,
            amount,
            user=user,
            reason=reason or "return",
            idempotency_key=idempotency_key or None,
        )
        for rl in refund_lines:
            rl.refund = refund
        RefundLine.objects.bulk_create(refund_lines)

    def undo():  # under pay_out's lock of the order; Decimal arithmetic, as SQLite's is REAL
        for rl in refund_lines:
            line = OrderLine.objects.only("returned_quantity").get(pk=rl.order_line_id)
            OrderLine.objects.filter(pk=line.pk).update(
                returned_quantity=line.returned_quantity - rl.quantity
            )
        RefundLine.objects.filter(refund=refund).delete()

    def restock():
        back = [
            StockLine(rl.order_line.product_id, rl.quantity) for rl in refund_lines if rl.restocked
        ]
        if back:
            return_stock(
                back,
                store=row.store,
                reference=row.transaction_id,
                reason=StockMovement.Reason.REFUND,
            )

    return pay_out(order, refund, reason=reason or "return", undo=undo, settle=restock)


def _reserve_lines(row: Order, wanted: Sequence[ReturnedLine]) -> list[RefundLine]:
    ids = [w.line_id for w in wanted]
    if len(set(ids)) != len(ids):
        raise ReturnNotAllowed("A line is named twice.", line_ids=sorted(ids))
    locked = {
        line.pk: line
        for line in OrderLine.objects.select_for_update()
        .filter(transaction=row, pk__in=ids)
        .order_by("pk")
    }
    unknown = sorted(set(ids) - set(locked))
    if unknown:
        raise ReturnNotAllowed(
            f"Line {', '.join(map(str, unknown))} is not on {row.transaction_id}.", line_ids=unknown
        )
    reserved = []
    for w in wanted:
        line = locked[w.line_id]
        left = line.quantity - line.returned_quantity
        if w.quantity <= 0 or not quantity_fits_unit(w.quantity, line.unit):
            raise ReturnNotAllowed(
                f"Quantity for {line.name} must be a positive whole number of items, or kg.",
                line_id=line.pk,
            )
        if w.quantity > left:
            raise ReturnNotAllowed(
                f"Only {left.normalize():f} of {line.name} can still be returned.",
                line_id=line.pk,
                returnable=left,
            )
        before, after = line.returned_quantity, line.returned_quantity + w.quantity
        reserved.append(
            RefundLine(
                order_line=line,
                quantity=w.quantity,
                amount=share(line.paid, line.quantity, after)
                - share(line.paid, line.quantity, before),
                deposit=share(line.deposit_paid, line.quantity, after)
                - share(line.deposit_paid, line.quantity, before),
                restocked=w.restock,
            )
        )
        OrderLine.objects.filter(pk=line.pk).update(returned_quantity=after)
    return reserved
