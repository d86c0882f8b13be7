"""Reads of the recommendations: "often bought together" (the table recommendations.services
fills, served from the cache) and "your usual items" (the signed-in customer's repeat purchases,
the strong baseline of next-basket research: Li et al., ACM TOIS 2023).

A recommended product is shown as the store sells it now, read through the cached product lookup
(catalog.selectors): one the store does not list, that is inactive or out of stock there is
skipped, and a running promotion on it comes with it (promotions.selectors.with_promotions).
"""

import time
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Count, Max

from catalog.errors import ProductNotFound
from catalog.selectors import get_product_payload
from checkout.models import Order, OrderLine
from grocery.cache import cache_add, cache_get, cache_set_many
from promotions.selectors import with_promotions
from recommendations.models import BoughtTogether

# Bump when the cached lists' format changes.
CACHE_FORMAT = 1
# Twice the default recompute period: the task rewrites every list each time anyway.
CACHE_SECONDS = 2 * 3600


def _together_key(product_id: str) -> str:
    return f"recs:v{CACHE_FORMAT}:together:{product_id}"


def cache_bought_together(lists: dict[str, list]) -> None:
    """Store freshly computed lists ({shelf code: [[code, lift, orders], ...]})."""
    forget_memo()
    cache_set_many({_together_key(code): found for code, found in lists.items()}, CACHE_SECONDS)


# Each process keeps the lists it served for MEMO_SECONDS: a warm read makes no round trip at
# all (the recommended products' payloads come from the local cache too). A recompute shows in
# other processes within that time; the lists are an hour old anyway.
_memo: dict[str, tuple[float, list]] = {}
MEMO_SIZE = 20_000


def forget_memo() -> None:
    _memo.clear()


def bought_together(product_id: str) -> list[list]:
    """[[code, lift, orders], ...] bought with this product, strongest first (no store applied)."""
    now = time.monotonic()
    memo = _memo.get(product_id)
    if memo is not None and memo[0] > now:
        return memo[1]
    found = _shared_or_table(product_id)
    if len(_memo) >= MEMO_SIZE:
        _memo.clear()  # bounded; the busiest products come back at once
    _memo[product_id] = (now + settings.RECOMMENDATIONS_MEMO_SECONDS, found)
    return found


def _shared_or_table(product_id: str) -> list[list]:
    key = _together_key(product_id)
    found = cache_get(key)
    if found is None:
        found = [
            [code, lift, orders]
            for code, lift, orders in BoughtTogether.objects.filter(product__product_id=product_id)
            .order_by("rank")
            .values_list("recommended__product_id", "lift", "orders")
        ]
        cache_add(key, found, CACHE_SECONDS)  # add: a recompute's fresher list is never undone
    return found


def shown_in_store(
    ranked: Iterable[tuple[str, dict]], *, store: str | None, exclude: set[str]
) -> list[dict]:
    """The first RECOMMENDATIONS_SHOWN of (code, extra fields) that the store sells now, in
    stock, as product payloads with their promotions and the extra fields."""
    shown = []
    for code, extra in ranked:
        if code in exclude:
            continue
        try:
            payload = get_product_payload(code, store=store)
        except ProductNotFound:  # not listed in this store
            continue
        if not payload["active"] or payload["stock"] <= 0:
            continue
        shown.append({**with_promotions(payload, store=store), **extra})
        if len(shown) == settings.RECOMMENDATIONS_SHOWN:
            break
    return shown


def _together_fields(lift: float, orders: int) -> dict:
    return {"lift": round(lift, 3), "orders_together": orders}


def bought_together_with_product(product_id: str, *, store: str | None) -> list[dict]:
    """ "Often bought together" on a product's screen (never the product itself)."""
    ranked = ((code, _together_fields(lift, n)) for code, lift, n in bought_together(product_id))
    return shown_in_store(ranked, store=store, exclude={product_id})


def bought_together_with_cart(in_cart: list[str], *, store: str | None) -> list[dict]:
    """ "Often bought together" under a cart, ranked by rank_for_cart."""
    ranked = rank_for_cart(bought_together(product_id) for product_id in in_cart)
    return shown_in_store(
        ((code, _together_fields(lift, n)) for code, lift, n in ranked),
        store=store,
        exclude=set(in_cart),
    )


def rank_for_cart(lists: Iterable[list[list]]) -> list[tuple[str, float, int]]:
    """The cart products' lists merged, as Linden et al. score a basket: each candidate sums
    its lifts with the products in the cart (one bought with several of them comes first), then
    its orders together, then the lower shelf code. The offline evaluation in
    bench/recommendations.py ranks with this too."""
    summed: dict[str, tuple[float, int]] = {}
    for found in lists:
        for code, lift, orders in found:
            total, together = summed.get(code, (0.0, 0))
            summed[code] = (total + lift, together + orders)
    ranked = sorted(summed.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))
    return [(code, lift, orders) for code, (lift, orders) in ranked]


def usual_items(user, *, store: str | None, exclude: set[str]) -> list[dict]:
    """ "Your usual items": what the signed-in customer bought in at least
    RECOMMENDATIONS_USUAL_MIN_ORDERS paid orders and is not in the cart; most orders first,
    then the most recently bought, then the lower shelf code. Nobody signed in: none."""
    if user is None or not user.is_authenticated:
        return []
    rows = (
        OrderLine.objects.filter(transaction__user=user, transaction__status__in=Order.PAID)
        .exclude(product__product_id__in=exclude)
        .values("product__product_id")
        .annotate(orders=Count("transaction", distinct=True), last=Max("transaction__created_at"))
        .filter(orders__gte=settings.RECOMMENDATIONS_USUAL_MIN_ORDERS)
        .order_by("-orders", "-last", "product__product_id")
    )
    # A few more than shown: some may be out of stock or not listed in this store.
    ranked = (
        (row["product__product_id"], {"times_bought": row["orders"]})
        for row in rows[: settings.RECOMMENDATIONS_KEPT]
    )
    return shown_in_store(ranked, store=store, exclude=exclude)
