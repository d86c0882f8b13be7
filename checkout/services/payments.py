"""Settling a payment: the one status change of an order, and what the gateway's answers mean.

Lock order: the order row first, then product rows in primary-key order (inside
catalog.services, when a failure gives the stock back). No gateway call is made while the row is
locked: callers ask the gateway first, then apply its answer here.
"""

from collections.abc import Sequence

from django.db import connection, transaction

from catalog.models import StockMovement
from catalog.services import StockLine, return_stock
from checkout.errors import NotConfirmable, PaymentUnavailable
from checkout.gateway import GatewayError, PaymentResult, PaymentStatus, get_gateway
from checkout.models import CartLine, CartVoucher, Order, OrderEvent
from checkout.services import audits
from checkout.services.discrepancies import flag_discrepancy, refund_late_payment
from customers.services.loyalty import earn_points, give_back_redeemed

Status = Order.Status


def apply_payment_result(order: Order, result: PaymentResult, *, source: str) -> bool:
    """Move an order to what the gateway says; True if this call moved it. Safe to call
    twice, from anywhere: only one caller ever moves an order out of an open status."""
    fields = {"gateway_payment_id": result.payment_id} if result.payment_id else {}
    if result.status == PaymentStatus.SUCCEEDED:
        moved = transition_order(
            order, to=Status.SUCCEEDED, reason=f"{source}: payment succeeded", **fields
        )
        if not moved and order.status == Status.FAILED and result.payment_id:
            refund_late_payment(order, result, source=source)
        return moved
    if result.status in (PaymentStatus.DECLINED, PaymentStatus.CANCELED):
        return transition_order(
            order,
            to=Status.FAILED,
            reason=f"{source}: {result.message or result.status}"[:255],
            failure_code="declined" if result.status == PaymentStatus.DECLINED else "canceled",
            **fields,
        )
    if result.status == PaymentStatus.REQUIRES_ACTION:
        moved = transition_order(
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
        Order.objects.filter(pk=order.pk, gateway_payment_id="").update(**fields)
        order.refresh_from_db()
    return False


def apply_reported_result(order: Order, result: PaymentResult, *, source: str) -> str:
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
        flag_discrepancy(result, amount, currency, order.transaction_id, note=note)
        return "discrepancy"
    apply_payment_result(order, result, source=source)
    return order.status


def transition_order(
    order: Order,
    *,
    to: str,
    reason: str,
    from_statuses: Sequence[str] = Order.OPEN,
    **fields,
) -> bool:
    """The one status change: row-locked, logged, and a failure gives the stock back once."""
    with transaction.atomic():
        _relax_commit()
        row = Order.objects.select_for_update().get(pk=order.pk)
        moved = row.status in from_statuses
        if moved:
            if to == Status.SUCCEEDED:
                fields.update(audits.audit_fields(row))  # decided once, when paid
                earn_points(order=row)  # once, on whichever path saw it paid
            OrderEvent.objects.create(
                transaction=row, from_status=row.status, to_status=to, reason=reason
            )
            row.status = to
            if to == Status.FAILED:
                row.failure_reason = reason
            for name, value in fields.items():
                setattr(row, name, value)
            if to == Status.FAILED and not row.stock_released:
                _release_stock(row)
                # Nothing was paid, so the customer keeps the deposit vouchers for next time,
                # and the points redeemed on it.
                row.vouchers.all().delete()
                row.coupons.all().delete()  # and the coupons' uses
                give_back_redeemed(order=row, reason=f"payment failed on {row.transaction_id}")
            if to == Status.SUCCEEDED and row.cart_token:
                bought = row.lines.values_list("product_id", flat=True)
                CartLine.objects.filter(cart__token=row.cart_token, product__in=bought).delete()
                _forget_cart_vouchers(order, row)
            row.save(
                update_fields=[
                    "status",
                    "failure_reason",
                    "stock_released",
                    "updated_at",
                    *fields,
                ]
            )
    for field in Order._meta.concrete_fields:  # what the row now says, without a re-read
        setattr(order, field.attname, getattr(row, field.attname))
    return moved


def _forget_cart_vouchers(order: Order, row: Order) -> None:
    """The vouchers this order redeemed leave its cart (a checkout just made knows them)."""
    redeemed = getattr(order, "redeemed_vouchers", None)
    if redeemed is None:
        codes = list(row.vouchers.values_list("code", flat=True))
    else:
        codes = [v.code for v in redeemed]
    if codes:
        CartVoucher.objects.filter(cart__token=row.cart_token, code__in=codes).delete()


def _relax_commit() -> None:
    """A settled status need not wait for the disk: should PostgreSQL lose the last moments of
    commits in a crash, the order is simply open again and reconciliation settles it by
    asking the gateway. (Orders and stock taken before a charge are committed durably.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _release_stock(row: Order) -> None:
    return_stock(
        [StockLine(line.product_id, line.quantity) for line in row.lines.all()],
        store=row.store,
        reference=row.transaction_id,
        reason=StockMovement.Reason.RELEASE,
    )
    row.stock_released = True


def confirm_payment(*, order: Order) -> Order:
    """After the customer authenticated (3-D Secure): ask the gateway how it ended."""
    if order.status in (*Order.PAID, Status.FAILED, Status.REFUNDED):
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
