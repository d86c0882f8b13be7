"""The exit: one check for staff phones and gates, exit audits and ID checks.

A code is single-use: the first scan answered "go" lets the goods out, and every later scan
answers stop, naming when and by whom. Scans answered "audit" or "ID check" do not use the code
up: the basket is still in the shop, and staff finish the check on the staff screen (record the
audit, confirm or refuse the ID), which answers go once nothing is left to check.

Lock order: the order row first (select_for_update), then product rows inside catalog.services.
The gateway (audit charges, refunds) is called with no row locked.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import Product, StockMovement, home_store_code
from catalog.services import StockLine, return_stock, take_stock
from checkout.errors import (
    AuditChargeFailed,
    ExitCheckNotAllowed,
    PaymentUnavailable,
    RefundNotAllowed,
    UnknownProducts,
)
from checkout.gateway import ChargeRequest, GatewayError, PaymentStatus, get_gateway
from checkout.models import ExitAudit, ExitDecision, ExitVerification, GateDevice, IdCheck, Order
from checkout.pricing import quantity_problem
from checkout.selectors import first_exit, read_exit_code
from checkout.services.refunds import refund_order
from grocery.money import sum_money

Decision = ExitDecision


@dataclass(frozen=True)
class ExitAnswer:
    decision: str
    reason: str
    order: Order | None = None


@dataclass(frozen=True)
class CountedItem:
    product_id: str
    quantity: Decimal


def verify_exit(
    *, code: str, user=None, device: GateDevice | None = None, store: str | None = None
) -> ExitAnswer:
    """Answer a scan at the door of `store` (a code; the home store's unless told) and record it
    against the order (when the code names one)."""
    read = read_exit_code(code)
    if read is None:
        return ExitAnswer(Decision.STOP, "Forged or damaged code: not one of ours.")
    paid_in, transaction_id = read
    if paid_in != (store or home_store_code()):
        return ExitAnswer(Decision.STOP, f"Another store's code (store {paid_in}).")
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(transaction_id=transaction_id).first()
        if order is None:
            return ExitAnswer(Decision.STOP, "No such purchase.")
        decision, reason = _decide(order)
        _record(order, decision, reason, user=user, device=device)
    return ExitAnswer(decision, reason, order)


def _decide(order: Order) -> tuple[str, str]:
    """What the door does next with this order; the order row is locked by the caller."""
    if order.status == Order.Status.REFUNDED:
        return Decision.STOP, "Refunded: nothing here is paid for."
    if order.status not in Order.PAID:
        return Decision.STOP, "Not paid."
    if order.created_at < timezone.now() - timedelta(hours=settings.EXIT_CODE_VALID_HOURS):
        return Decision.STOP, f"Expired: paid more than {settings.EXIT_CODE_VALID_HOURS} h ago."
    if (first := first_exit(order)) is not None:
        at = timezone.localtime(first.verified_at)
        return Decision.STOP, f"Already used at {at:%H:%M} by {first.by}."
    if order.audit_required and not ExitAudit.objects.filter(transaction=order).exists():
        return Decision.AUDIT, "Random check: rescan this basket."
    if order.min_age and not order.id_check:
        return Decision.ID_CHECK, f"Age-restricted items: check an ID ({order.min_age}+)."
    return Decision.GO, "Paid."


def _record(order: Order, decision: str, reason: str, *, user, device) -> ExitVerification:
    return ExitVerification.objects.create(
        transaction=order,
        verified_by=user if user is not None and user.is_authenticated else None,
        device=device,
        decision=decision,
        reason=reason[:255],
    )


def _pending(code: str, wanted: str) -> Order:
    """The order behind a code whose door check is waiting for `wanted` (audit or ID)."""
    read = read_exit_code(code)
    if read is None or read[0] != home_store_code():
        raise ExitCheckNotAllowed("Not a valid exit code of this store.")
    order = Order.objects.filter(transaction_id=read[1]).first()
    if order is None:
        raise ExitCheckNotAllowed("No such purchase.")
    decision, reason = _decide(order)
    if decision != wanted:
        raise ExitCheckNotAllowed(f"Nothing to {wanted.replace('_', ' ')} here: {reason}")
    return order


def _settle(order: Order, *, user, reason: str) -> ExitAnswer:
    """After a check was done: what the door says now, recorded (a go uses the code up)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        decision, next_reason = _decide(order)
        if decision == Decision.GO:
            next_reason = reason
        _record(order, decision, next_reason, user=user, device=None)
    return ExitAnswer(decision, next_reason, order)


# --- Exit audits ------------------------------------------------------------------------------


def record_audit(
    *,
    code: str,
    missing: list[CountedItem],
    extra: list[CountedItem],
    charge: bool,
    user,
) -> ExitAnswer:
    """Record a rescanned basket. Missing items (carried out, not on the receipt) are charged at
    once to the payment method the customer paid with, or written off; stock follows either way.
    Extra items (paid, not in the basket) are recorded for the manager."""
    order = _pending(code, Decision.AUDIT)
    products = _products([*missing, *extra])
    missing_rows = [_row(products[i.product_id], i.quantity) for i in missing]
    extra_rows = [_row(products[i.product_id], i.quantity) for i in extra]
    amount = sum_money(Decimal(r["amount"]) for r in missing_rows)
    if not missing_rows:
        outcome = ExitAudit.Outcome.CLEAN
    elif charge:
        outcome = ExitAudit.Outcome.CHARGED
    else:
        outcome = ExitAudit.Outcome.WRITTEN_OFF
    stock = [StockLine(products[i.product_id].pk, i.quantity) for i in missing]
    # The audit row is written first: its one-to-one on the order makes a repeated request (a
    # double tap) fail here, before a second charge could start.
    try:
        with transaction.atomic():
            audit = ExitAudit.objects.create(
                transaction=order,
                audited_by=user,
                missing=missing_rows,
                extra=extra_rows,
                outcome=outcome,
                amount=amount,
            )
            if outcome == ExitAudit.Outcome.WRITTEN_OFF:
                take_stock(
                    stock,
                    store=order.store,
                    reference=order.transaction_id,
                    reason=StockMovement.Reason.WRITE_OFF,
                )
    except IntegrityError as exc:
        raise ExitCheckNotAllowed("This basket was already audited.") from exc
    if outcome == ExitAudit.Outcome.CHARGED:
        _charge_missing(order, audit, stock)
    summary = {
        ExitAudit.Outcome.CLEAN: "Audit done: nothing missing.",
        ExitAudit.Outcome.CHARGED: f"Audit done: {amount} {order.currency} charged.",
        ExitAudit.Outcome.WRITTEN_OFF: f"Audit done: {amount} {order.currency} written off.",
    }[outcome]
    return _settle(order, user=user, reason=summary)


def _charge_missing(order: Order, audit: ExitAudit, stock: list[StockLine]) -> None:
    """A new charge for the missing items, idempotent by the audit; undone if it fails."""
    try:
        result = get_gateway().charge_again(
            original_payment_id=order.gateway_payment_id,
            request=ChargeRequest(
                reference=order.transaction_id,
                amount=audit.amount,
                currency=order.currency,
                payment_token="",
                idempotency_key=f"exit-audit-{audit.pk}",
            ),
        )
        problem = "" if result.status == PaymentStatus.SUCCEEDED else result.message or "declined"
    except GatewayError as exc:
        problem = str(exc) or "no answer"
    if problem:
        audit.delete()  # nothing charged: staff may try again, or write the items off
        raise AuditChargeFailed(
            f"The missing items could not be charged ({problem}). "
            "Write them off, or take payment at a till.",
            problem=problem,
        )
    with transaction.atomic():
        ExitAudit.objects.filter(pk=audit.pk).update(gateway_payment_id=result.payment_id)
        take_stock(stock, store=order.store, reference=order.transaction_id)


def _products(items: list[CountedItem]) -> dict[str, Product]:
    wanted = {i.product_id for i in items}
    found = {
        p.product_id: p
        for p in Product.objects.select_related("category").filter(product_id__in=wanted)
    }
    if unknown := sorted(wanted - set(found)):
        raise UnknownProducts(f"Unknown product: {', '.join(unknown)}.", product_ids=unknown)
    for item in items:
        if problem := quantity_problem(found[item.product_id], item.quantity):
            raise ExitCheckNotAllowed(f"{item.product_id}: {problem}")
    return found


def _row(product: Product, quantity: Decimal) -> dict:
    return {
        "product_id": product.product_id,
        "name": product.name,
        "quantity": str(quantity),
        "amount": str(product.price_for(quantity)),
    }


# --- ID checks --------------------------------------------------------------------------------


def check_id(*, code: str, approved: bool, user) -> ExitAnswer:
    """Staff saw (or did not see) a valid ID. Refused: the age-restricted lines stay in the shop,
    refunded through the refund path and put back in stock."""
    order = _pending(code, Decision.ID_CHECK)
    if approved:
        Order.objects.filter(pk=order.pk, id_check="").update(id_check=IdCheck.APPROVED)
        return _settle(order, user=user, reason=f"ID seen ({order.min_age}+).")
    restricted = [
        line
        for line in order.lines.select_related("product__category")
        if line.product.required_age
    ]
    amount = sum_money(line.line_total for line in restricted)
    # Claimed first, so two taps on "refuse" refund once.
    if not Order.objects.filter(pk=order.pk, id_check="").update(id_check=IdCheck.REFUSED):
        raise ExitCheckNotAllowed("The ID check was already answered.")
    if amount > 0:
        try:
            refund_order(
                order=order, amount=amount, user=user, reason="ID check refused at the exit"
            )
        except (PaymentUnavailable, RefundNotAllowed):
            Order.objects.filter(pk=order.pk).update(id_check="")
            raise
    with transaction.atomic():
        return_stock(
            [StockLine(line.product_id, line.quantity) for line in restricted],
            store=order.store,
            reference=order.transaction_id,
            reason=StockMovement.Reason.REFUND,
        )
    return _settle(order, user=user, reason="ID refused: the age-restricted items stay here.")
