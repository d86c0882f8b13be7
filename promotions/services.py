"""Writes to promotions, and the shop's rule on how many may run at once."""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format

from catalog.models import Category, Product
from promotions.errors import TooManyActivePromotions
from promotions.models import Promotion

# Any constant will do: it names the one lock every writer of promotion windows takes.
_LIMIT_LOCK_ID = 0x50524F4D  # "PROM"


def _lock_promotion_windows() -> None:
    """Serialize limit checks: two managers saving at once must not both squeeze under it.

    PostgreSQL: a transaction-scoped advisory lock. SQLite runs write transactions one at a time
    already (settings: transaction_mode IMMEDIATE).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LIMIT_LOCK_ID])


def _show(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def check_active_limit(*, promotion: Promotion, now: datetime | None = None) -> None:
    """Refuse a window that would make more than MAX_ACTIVE_PROMOTIONS run at some moment.

    Only the part of the window from now on counts (editing last year's promotion is fine),
    and only active promotions. The check finds the busiest moment exactly (a sweep over the
    overlapping windows), so two promotions that overlap this one but not each other don't add
    up. Call it inside the transaction that saves, which the lock makes safe against races.
    """
    limit = settings.MAX_ACTIVE_PROMOTIONS
    now = now or timezone.now()
    start, end = max(promotion.valid_from, now), promotion.valid_until
    if not promotion.is_active or start >= end:
        return
    _lock_promotion_windows()
    others = list(
        Promotion.objects.running_during(start, end)
        .exclude(pk=promotion.pk)
        .only("code", "name", "valid_from", "valid_until")
    )
    if len(others) < limit:
        return
    # Half-open windows: at equal times an end (-1) comes before a start (+1).
    events = sorted(
        [(max(o.valid_from, start), 1, o) for o in others]
        + [(min(o.valid_until, end), -1, o) for o in others],
        key=lambda e: (e[0], e[1], e[2].pk),
    )
    running: set[int] = set()
    for moment, step, other in events:
        if step < 0:
            running.discard(other.pk)
            continue
        running.add(other.pk)
        if len(running) + 1 > limit:
            clashing = sorted((o for o in others if o.pk in running), key=lambda o: o.code)
            raise TooManyActivePromotions(
                f"The shop runs at most {limit} promotions at the same moment, and on "
                f"{_show(moment)} {len(clashing)} others would already be running: "
                + ", ".join(f"{o.name} ({o.code})" for o in clashing)
                + ". Change the dates, or deactivate one of them first.",
                limit=limit,
                at=moment.isoformat(),
                promotions=[o.code for o in clashing],
            )


@transaction.atomic
def save_promotion(
    *,
    promotion: Promotion,
    products: Iterable[Product] | None = None,
    categories: Iterable[Category] | None = None,
) -> Promotion:
    """Validate (fields, then the active-promotions limit) and save; targets are replaced when
    given. (promotions.signals forgets the cached active set once the transaction commits.)"""
    promotion.code = promotion.code or None
    promotion.full_clean()
    check_active_limit(promotion=promotion)
    promotion.save()
    if not promotion.code:
        promotion.code = f"promo{promotion.pk}"
        promotion.save(update_fields=["code"])
    if products is not None:
        promotion.products.set(products)
    if categories is not None:
        promotion.categories.set(categories)
    return promotion
