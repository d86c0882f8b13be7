"""Recompute "often bought together": item-to-item co-occurrence over the paid orders (Linden,
Smith and York, "Amazon.com recommendations: item-to-item collaborative filtering", 2003).

Two products score by lift, P(a and b) / (P(a) P(b)): how much more often they share an order
than if shoppers picked them independently, so bread, which is in every basket, does not top
every list. Pairs held by fewer than RECOMMENDATIONS_MIN_ORDERS orders are dropped (minimum
support). Ties go to the pair held by more orders, then to the lower shelf code: the same history
always gives the same lists.
"""

import heapq
import itertools
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.models import Product
from checkout.models import Order, OrderLine
from recommendations.models import BoughtTogether
from recommendations.selectors import cache_bought_together

STREAM_CHUNK = 20_000
WRITE_BATCH = 5_000


@dataclass(frozen=True)
class Together:
    product_id: str  # the recommended product's shelf code
    lift: float
    support: float
    orders: int


def paid_baskets() -> Iterator[list[str]]:
    """Each paid order's products (shelf codes), streamed in one query ordered by order."""
    rows = (
        OrderLine.objects.filter(transaction__status__in=Order.PAID)
        .order_by("transaction_id")
        .values_list("transaction_id", "product__product_id")
        .iterator(chunk_size=STREAM_CHUNK)
    )
    for _, lines in itertools.groupby(rows, key=lambda row: row[0]):
        yield [code for _, code in lines]


def score_baskets(
    baskets: Iterable[Iterable[str]], *, min_orders: int, top: int
) -> dict[str, list[Together]]:
    """The `top` products most often bought with each product, strongest first.

    Baskets are kept as arrays of small integers and only products in at least `min_orders`
    baskets are paired (a pair can never be more frequent than either of its products), so a
    million lines fit in a few hundred megabytes.
    """
    index: dict[str, int] = {}
    flat, ends = array("i"), array("q")
    for basket in baskets:
        flat.extend(sorted({index.setdefault(code, len(index)) for code in basket}))
        ends.append(len(flat))
    total = len(ends)
    codes = list(index)
    del index
    bought = Counter(flat)  # orders holding each product (each is once per basket)

    frequent = (
        bought.keys() if min_orders <= 1 else {i for i, n in bought.items() if n >= min_orders}
    )
    width = len(codes)
    pairs: Counter[int] = Counter()
    start = 0
    for end in ends:
        items = [i for i in flat[start:end] if i in frequent]
        start = end
        # Sorted within a basket, so each pair has one key, a * width + b with a < b.
        pairs.update(a * width + b for a, b in itertools.combinations(items, 2))
    del flat, ends

    candidates: defaultdict[int, list[tuple]] = defaultdict(list)
    for key, together in pairs.items():
        if together < min_orders:
            continue
        a, b = divmod(key, width)
        lift = together * total / (bought[a] * bought[b])
        support = together / total
        candidates[a].append((-lift, -together, codes[b], support))
        candidates[b].append((-lift, -together, codes[a], support))
    del pairs
    return {
        codes[a]: [
            Together(product_id=code, lift=-neg_lift, support=support, orders=-neg_together)
            for neg_lift, neg_together, code, support in heapq.nsmallest(top, found)
        ]
        for a, found in sorted(candidates.items(), key=lambda item: codes[item[0]])
    }


def recompute_bought_together() -> int:
    """Recount every paid order and replace the table in one short transaction, then the
    cached lists. Returns how many rows the table holds now."""
    scored = score_baskets(
        paid_baskets(),
        min_orders=settings.RECOMMENDATIONS_MIN_ORDERS,
        top=settings.RECOMMENDATIONS_KEPT,
    )
    named = {code for code in scored} | {t.product_id for found in scored.values() for t in found}
    keys = _product_keys(named)
    now = timezone.now()
    rows = [
        BoughtTogether(
            product_id=keys[code],
            recommended_id=keys[t.product_id],
            rank=rank,
            lift=t.lift,
            support=t.support,
            orders=t.orders,
            computed_at=now,
        )
        for code, found in scored.items()
        if code in keys
        for rank, t in enumerate((t for t in found if t.product_id in keys), start=1)
    ]
    before = set(
        BoughtTogether.objects.filter(rank=1).values_list("product__product_id", flat=True)
    )
    with transaction.atomic():
        BoughtTogether.objects.all().delete()
        BoughtTogether.objects.bulk_create(rows, batch_size=WRITE_BATCH)
    lists = {
        code: [[t.product_id, t.lift, t.orders] for t in found] for code, found in scored.items()
    }
    # A product that lost every partner shows none at once rather than its old list.
    cache_bought_together({**dict.fromkeys(before - lists.keys(), []), **lists})
    return len(rows)


def _product_keys(codes: set[str]) -> dict[str, int]:
    """Shelf code -> primary key, in chunks (a product deleted meanwhile is left out)."""
    keys: dict[str, int] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), WRITE_BATCH):
        chunk = ordered[start : start + WRITE_BATCH]
        keys.update(Product.objects.filter(product_id__in=chunk).values_list("product_id", "pk"))
    return keys
