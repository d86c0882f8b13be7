"""Writes to promotions, and the shop's rule on how many may run at once."""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from catalog.models import Category, Product, Store, get_home_store
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


def check_active_limit(
    *,
    promotion: Promotion,
    stores: Iterable[Store] | None = None,
    now: datetime | None = None,
) -> None:
    """Refuse a window that would make more than MAX_ACTIVE_PROMOTIONS run at some moment in
    some store.

    `stores`: where the promotion is to run (none: every store); None keeps the stores it has.
    A promotion counts in each store it runs in, one for every store in each of them. Only the
    part of the window from now on counts (editing last year's promotion is fine), and only
    active promotions. The check finds each store's busiest moment exactly (a sweep over the
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
        .prefetch_related(Prefetch("stores", queryset=Store.objects.only("id")))
    )
    if len(others) < limit:
        return
    if stores is None:
        stores = promotion.stores.all() if promotion.pk else ()
    here = list(stores) or _every_store()  # none chosen: it runs in every store
    where = {o.pk: {s.pk for s in o.stores.all()} for o in others}  # empty: every store
    crowded = []  # (store, moment, the others running then)
    for store in sorted(here, key=lambda s: s.code):
        in_store = [o for o in others if not where[o.pk] or store.pk in where[o.pk]]
        if (busiest := _one_too_many(in_store, start, end, limit)) is not None:
            crowded.append((store, *busiest))
    if crowded:
        raise _too_many(crowded, limit)


def _every_store() -> list[Store]:
    # A fresh database has no store until the home store is first needed (catalog.models).
    return list(Store.objects.all()) or [get_home_store()]


def _one_too_many(
    others: list[Promotion], start: datetime, end: datetime, limit: int
) -> tuple[datetime, list[Promotion]] | None:
    """The first moment of [start, end) at which `limit` of the others already run, and those."""
    if len(others) < limit:
        return None
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
            return moment, sorted((o for o in others if o.pk in running), key=lambda o: o.code)
    return None


def _too_many(crowded: list[tuple[Store, datetime, list[Promotion]]], limit: int):
    """The refusal names every store it would crowd, and the first one's clash in full."""
    store, moment, clashing = crowded[0]
    stores = [crowding[0] for crowding in crowded]
    names = ", ".join(f"{s.name} ({s.code})" for s in stores)
    return TooManyActivePromotions(
        _(
            "A store runs at most %(limit)s promotions at the same moment, and this one would "
            "be one too many in %(stores)s. In %(store)s on %(moment)s %(count)s others would "
            "already be running: %(promotions)s. Change the dates or the stores, or deactivate "
            "one of them first."
        )
        % {
            "limit": limit,
            "stores": names,
            "store": f"{store.name} ({store.code})",
            "moment": _show(moment),
            "count": len(clashing),
            "promotions": ", ".join(f"{o.name} ({o.code})" for o in clashing),
        },
        limit=limit,
        at=moment.isoformat(),
        promotions=[o.code for o in clashing],
        stores=[s.code for s in stores],
    )


@transaction.atomic
def save_promotion(
    *,
    promotion: Promotion,
    products: Iterable[Product] | None = None,
    categories: Iterable[Category] | None = None,
    stores: Iterable[Store] | None = None,
) -> Promotion:
    """Validate (fields, then the active-promotions limit in each store) and save; targets and
    stores (none: every store) are replaced when given. (promotions.signals forgets the cached
    active set once the transaction commits.)"""
    stores = None if stores is None else list(stores)
    promotion.code = promotion.code or None
    promotion.full_clean()
    check_active_limit(promotion=promotion, stores=stores)
    promotion.save()
    if not promotion.code:
        promotion.code = f"promo{promotion.pk}"
        promotion.save(update_fields=["code"])
    if products is not None:
        promotion.products.set(products)
    if categories is not None:
        promotion.categories.set(categories)
    if stores is not None:
        promotion.stores.set(stores)
    return promotion
