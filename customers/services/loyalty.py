"""The loyalty ledger's writes. The ledger is append-only and the balance is its sum.

Lock order: an order's row (held by the caller, when there is one), then the customer's row.
Every write that can take points away locks the customer's row first and reads the balance under
that lock, so two checkouts racing for the same points are serialised: the second one sees the
first one's redeem entry and is refused (as stock is taken in catalog.services).

Rules (docs/loyalty.md says the same for the shop and the API):
- Earn: when an order is paid, LOYALTY_POINTS_PER_UNIT per unit of currency paid for goods, rounded
  down. What was paid for goods is after promotions, redeemed points and vouchers; deposits earn
  nothing. One earn entry per order (a database constraint), whichever path saw it paid.
- Redeem: at checkout, inside the order's transaction; a failed payment gives the points back.
- Refund: after each refund, the order keeps floor(earned x left / total) of its earned points
  and still spends floor(redeemed x left / total) of its redeemed ones, where left is what was
  paid and not refunded; the differences are reverse entries. A full refund reverses every
  earned point and gives every redeemed one back. Earned points already spent can take the
  balance below zero; later earnings pay that off.
- Expiry, first in first out: points go out oldest first, so the points added more than
  LOYALTY_POINTS_EXPIRE_DAYS ago that later spending (redeem, expire, reverse, adjust down) has
  not used up expire.
- Deleting the account forfeits the balance (one entry, so the ledger sums to zero); a refund or
  failed payment after that moves no points.
"""

from datetime import timedelta
from decimal import ROUND_FLOOR, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.models import Customer, PointsEntry
from customers.selectors import get_customer_of_order, insufficient_points, points_balance
from grocery.money import round_money, sum_money

Kind = PointsEntry.Kind


def points_for_amount(amount: Decimal) -> int:
    return int((amount * settings.LOYALTY_POINTS_PER_UNIT).to_integral_value(ROUND_FLOOR))


def points_value(points: int) -> Decimal:
    return round_money(points * settings.LOYALTY_POINT_VALUE)


def lock_customer(customer: Customer) -> Customer:
    return Customer.objects.select_for_update().get(pk=customer.pk)


def redeem_points(*, customer: Customer, points: int, order) -> PointsEntry:
    """Inside the order's transaction: a refusal rolls the whole order back."""
    lock_customer(customer)
    balance = points_balance(customer)
    if points > balance:
        raise insufficient_points(points, balance)
    return PointsEntry.objects.create(
        customer=customer,
        kind=Kind.REDEEM,
        points=-points,
        reason=f"redeemed on {order.transaction_id}",
        order=order,
    )


def earn_points(*, order) -> PointsEntry | None:
    """Inside the transaction that marks the order paid; safe to call twice."""
    customer = get_customer_of_order(order)
    if customer is None:
        return None
    paid = sum_money(line.paid for line in order.lines.all())
    points = points_for_amount(paid)
    if points <= 0 or PointsEntry.objects.filter(order=order, kind=Kind.EARN).exists():
        return None
    try:
        with transaction.atomic():
            return PointsEntry.objects.create(
                customer=customer,
                kind=Kind.EARN,
                points=points,
                reason=f"{paid} {order.currency} paid on {order.transaction_id}",
                order=order,
            )
    except IntegrityError:
        return None  # another path earned them first: the constraint keeps it to one


def _order_points(order) -> dict[str, int]:
    """What an order has earned, redeemed (positive), taken back and given back so far."""
    return PointsEntry.objects.filter(order=order).aggregate(
        earned=Coalesce(Sum("points", filter=Q(kind=Kind.EARN)), 0),
        redeemed=Coalesce(Sum(-F("points"), filter=Q(kind=Kind.REDEEM)), 0),
        taken_back=Coalesce(Sum(-F("points"), filter=Q(kind=Kind.REVERSE, points__lt=0)), 0),
        given_back=Coalesce(Sum("points", filter=Q(kind=Kind.REVERSE, points__gt=0)), 0),
    )


def give_back_redeemed(*, order, reason: str) -> PointsEntry | None:
    """A payment that failed spent nothing: its redeemed points come back (once)."""
    done = _order_points(order)
    owed = done["redeemed"] - done["given_back"]
    if owed <= 0:
        return None
    entry = PointsEntry.objects.filter(order=order, kind=Kind.REDEEM).first()
    if entry.customer.deleted_at is not None:
        return None  # the account forfeited everything when it was deleted
    lock_customer(entry.customer)
    return PointsEntry.objects.create(
        customer=entry.customer, kind=Kind.REVERSE, points=owed, reason=reason, order=order
    )


def reverse_for_refund(*, order) -> list[PointsEntry]:
    """After a refund of `order` (its row locked, refunded_amount up to date): take back earned
    points and give back redeemed ones in proportion to what is left paid. Cumulative, so any
    number of partial refunds ends exactly where one full refund would."""
    any_entry = order.points_entries.select_related("customer").first()
    if any_entry is None:
        return []  # an order that neither earned nor redeemed
    customer = any_entry.customer
    if customer.deleted_at is not None:
        return []  # the account forfeited everything when it was deleted
    done = _order_points(order)
    left, total = order.total - order.refunded_amount, order.total
    kept = _share(done["earned"], left, total)
    still_spent = _share(done["redeemed"], left, total)
    take = done["earned"] - kept - done["taken_back"]
    give = done["redeemed"] - still_spent - done["given_back"]
    if take <= 0 and give <= 0:
        return []
    lock_customer(customer)
    reason = f"refund on {order.transaction_id}: {order.refunded_amount} of {total} refunded"
    made = []
    if take > 0:
        made.append(PointsEntry(customer=customer, kind=Kind.REVERSE, points=-take, reason=reason))
    if give > 0:
        made.append(PointsEntry(customer=customer, kind=Kind.REVERSE, points=give, reason=reason))
    for entry in made:
        entry.order = order
    return PointsEntry.objects.bulk_create(made)


def _share(points: int, left: Decimal, total: Decimal) -> int:
    if total <= 0:
        return 0
    return int((points * left / total).to_integral_value(ROUND_FLOOR))


def expire_points(*, now=None) -> int:
    """Write the expire entries due now (FIFO, see above); safe to run twice. Answers the number
    of customers whose points expired."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.LOYALTY_POINTS_EXPIRE_DAYS)
    due = _due_to_expire(Customer.objects.all(), cutoff).filter(due__gt=0)
    expired = 0
    for pk in due.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            customer = Customer.objects.select_for_update().get(pk=pk)
            points = _due_to_expire(Customer.objects.filter(pk=pk), cutoff).get().due
            if points > 0:  # recomputed under the lock: a redeem may just have used them
                PointsEntry.objects.create(
                    customer=customer,
                    kind=Kind.EXPIRE,
                    points=-points,
                    reason=f"not used within {settings.LOYALTY_POINTS_EXPIRE_DAYS} days "
                    f"(added before {cutoff.date()})",
                    created_at=now,
                )
                expired += 1
    return expired


def _due_to_expire(customers, cutoff):
    """Points added before the cutoff, less everything taken away since the start: what the
    oldest-first rule has not yet used up of the old points."""
    return customers.annotate(
        due=Coalesce(
            Sum("points__points", filter=Q(points__points__gt=0, points__created_at__lt=cutoff)), 0
        )
        + Coalesce(Sum("points__points", filter=Q(points__points__lt=0)), 0)
    )


def forfeit_points(*, customer: Customer, reason: str) -> PointsEntry | None:
    """Inside the caller's transaction: the whole balance goes, so the ledger sums to zero. A
    negative balance (earned points spent, then refunded) is written off the same way."""
    lock_customer(customer)
    balance = points_balance(customer)
    if balance == 0:
        return None  # the ledger refuses an entry of no points
    return PointsEntry.objects.create(
        customer=customer, kind=Kind.FORFEIT, points=-balance, reason=reason
    )


def adjust_points(*, customer: Customer, points: int, reason: str, user) -> PointsEntry:
    """Staff correct a balance (a goodwill gesture, a mistake); never below zero."""
    with transaction.atomic():
        lock_customer(customer)
        balance = points_balance(customer)
        if balance + points < 0:
            raise insufficient_points(-points, balance)
        return PointsEntry.objects.create(
            customer=customer, kind=Kind.ADJUST, points=points, reason=reason, created_by=user
        )
