"""Recommendations (issue 15): recompute "often bought together" over 100,000 paid orders
(about 1,000,000 lines), what serving them costs, and an offline evaluation against popularity.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/recommendations.py \
        [--orders 100000] [--shoppers 5000]

Seeds once (recommendations.demo: the demo catalogue's 10,000 products, the co-purchase pairs,
shoppers with their regular items, a year of orders), then:

- times recompute_bought_together() in a fresh process (stream, count, replace the table, fill
  the cache) and reports that process's peak RSS (goal: < 60 s, < 1 GB);
- times GET /api/products/{id} and GET /api/products/{id}/recommendations, both served warm,
  in process with Django's test client (goal: the recommendations cost < 1 ms on top);
- holds the last 20 % of orders out by time, learns from the rest and prints hit rate @5 of
  "often bought together" (the first product scanned predicts the rest of the basket) and of
  "your usual items" (a shopper's repeat purchases predict their next basket), each beside
  popularity's (the 5 best-sellers). Both must beat popularity.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grocery.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from catalog.demo import seed_catalog  # noqa: E402
from catalog.models import Product  # noqa: E402
from checkout.models import Order, OrderLine  # noqa: E402
from recommendations.demo import seed_pair_products, seed_purchase_history  # noqa: E402
from recommendations.selectors import rank_for_cart  # noqa: E402
from recommendations.services import recompute_bought_together, score_baskets  # noqa: E402

TOP = 5
HELD_OUT = 0.2


def seed(orders: int, shoppers: int) -> None:
    if Product.objects.count() < 10_000:
        seed_catalog(10_000)
    seed_pair_products()
    started = time.perf_counter()
    made = seed_purchase_history(orders=orders, shoppers=shoppers, days=365)
    if made:
        print(f"seeded {made:,} orders in {time.perf_counter() - started:.0f} s")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in (Order, OrderLine):
                    cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def recompute_in_fresh_process() -> dict:
    """The recompute alone, in a new interpreter: its peak RSS is the recompute's, not the seed's."""
    out = subprocess.run(
        [sys.executable, __file__, "--recompute-only"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def recompute_only() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    rows = recompute_bought_together()
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print(
        json.dumps(
            {"seconds": seconds, "rows": rows, "peak_mb": peak_kb / 1024, "start_mb": before / 1024}
        )
    )


def time_serving(runs: int = 2000) -> dict:
    """Median and p99 of the two GETs, warm (the product first, as the product screen asks)."""
    client = Client()
    ids = ["9000001", "9000005", "9000009", "9000011"]
    found = {}
    for label, path in (
        ("lookup", "/api/products/{}"),
        ("recommendations", "/api/products/{}/recommendations"),
    ):
        for product_id in ids:  # warm: the lists and every recommended product's payload
            assert client.get(path.format(product_id)).status_code == 200
        times = []
        for n in range(runs):
            started = time.perf_counter()
            client.get(path.format(ids[n % len(ids)]))
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        found[label] = (statistics.median(times), times[int(0.99 * len(times))])
    return found


def held_out_history() -> tuple[list[tuple], list[tuple]]:
    """(shopper or None, [codes in scan order]) per paid order, oldest first, split by time."""
    rows = (
        OrderLine.objects.filter(transaction__status__in=Order.PAID)
        .order_by("transaction__created_at", "transaction_id", "pk")
        .values_list("transaction_id", "transaction__user_id", "product__product_id")
        .iterator(chunk_size=20_000)
    )
    baskets, current, key = [], None, None
    for order, user, code in rows:
        if order != key:
            key, current = order, [user, []]
            baskets.append(current)
        current[1].append(code)
    cut = int(len(baskets) * (1 - HELD_OUT))
    return [tuple(b) for b in baskets[:cut]], [tuple(b) for b in baskets[cut:]]


def evaluate(train: list[tuple], test: list[tuple]) -> dict:
    """Hit rate @5: the share of held-out orders where a suggestion was bought.

    Under the cart: each held-out order's products but the last scanned are the cart, and the
    last one is to be found among the 5 suggested (ranked as served: selectors.rank_for_cart).
    On a product's screen: the first product scanned, and any of the others to be found.
    Your usual items: before the shopper scans anything, any product of the order to be found.
    Popularity suggests the 5 best-selling products of the training orders not in the cart.
    """
    together = score_baskets(
        (codes for _, codes in train),
        min_orders=settings.RECOMMENDATIONS_MIN_ORDERS,
        top=settings.RECOMMENDATIONS_KEPT,
    )
    lists = {
        code: [[t.product_id, t.lift, t.orders] for t in found] for code, found in together.items()
    }
    ranking = Counter(c for _, codes in train for c in set(codes)).most_common(50)
    best_sellers = [code for code, _ in ranking]

    def popular(exclude: set[str]) -> set[str]:
        return set([code for code in best_sellers if code not in exclude][:TOP])

    # Each shopper's repeat purchases: orders holding the product, then the latest order.
    bought: defaultdict[object, Counter] = defaultdict(Counter)
    last: dict[tuple, int] = {}
    for n, (user, codes) in enumerate(train):
        if user is not None:
            for code in set(codes):
                bought[user][code] += 1
                last[user, code] = n
    hits, asked = Counter(), Counter()
    for user, codes in test:
        distinct = list(dict.fromkeys(codes))
        if len(distinct) >= 2:
            cart, target = set(distinct[:-1]), distinct[-1]
            ranked = rank_for_cart(lists.get(code, []) for code in cart)
            shown = [code for code, _, _ in ranked if code not in cart][:TOP]
            asked["cart"] += 1
            asked["product"] += 1
            hits["cart"] += target in shown
            hits["cart_popular"] += target in popular(cart)

            first, rest = distinct[0], set(distinct[1:])
            shown = [code for code, _, _ in lists.get(first, [])][:TOP]
            hits["product"] += bool(rest & set(shown))
            hits["product_popular"] += bool(rest & popular({first}))
        if user in bought:
            repeats = [
                code
                for code, n in bought[user].items()
                if n >= settings.RECOMMENDATIONS_USUAL_MIN_ORDERS
            ]
            repeats.sort(key=lambda code: (-bought[user][code], -last[user, code], code))
            asked["usual"] += 1
            hits["usual"] += bool(set(distinct) & set(repeats[:TOP]))
            hits["usual_popular"] += bool(set(distinct) & popular(set()))
    keys = ("cart", "cart_popular", "product", "product_popular", "usual", "usual_popular")
    rate = {key: hits[key] / max(1, asked[key.split("_")[0]]) for key in keys}
    return {**rate, "cart_orders": asked["cart"], "usual_orders": asked["usual"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--shoppers", type=int, default=5_000)
    parser.add_argument("--recompute-only", action="store_true")
    args = parser.parse_args()
    if args.recompute_only:
        recompute_only()
        return
    seed(args.orders, args.shoppers)
    orders = Order.objects.filter(status__in=Order.PAID).count()
    lines = OrderLine.objects.filter(transaction__status__in=Order.PAID).count()
    print(
        f"history: {orders:,} paid orders, {lines:,} lines, {connection.vendor}, load {os.getloadavg()}"
    )

    recompute = recompute_in_fresh_process()
    print(
        f"recompute: {recompute['seconds']:.1f} s, {recompute['rows']:,} rows, peak RSS "
        f"{recompute['peak_mb']:.0f} MB (Django loaded: {recompute['start_mb']:.0f} MB)"
    )

    served = time_serving()
    extra = served["recommendations"][0]
    print(
        f"GET /api/products/{{id}} warm: median {served['lookup'][0]:.3f} ms, p99 {served['lookup'][1]:.3f} ms; "
        f"GET /api/products/{{id}}/recommendations warm: median {extra:.3f} ms, "
        f"p99 {served['recommendations'][1]:.3f} ms"
    )

    train, test = held_out_history()
    found = evaluate(train, test)
    print(f"offline, last {HELD_OUT:.0%} of orders held out by time ({len(train):,} learnt from):")
    print(
        f"  often bought together, under the cart: hit rate @{TOP} {found['cart']:.3f} vs "
        f"popularity {found['cart_popular']:.3f} ({found['cart_orders']:,} orders)"
    )
    print(
        f"  often bought together, on a product:   hit rate @{TOP} {found['product']:.3f} vs "
        f"popularity {found['product_popular']:.3f} (the same orders)"
    )
    print(
        f"  your usual items:                      hit rate @{TOP} {found['usual']:.3f} vs "
        f"popularity {found['usual_popular']:.3f} ({found['usual_orders']:,} orders of known "
        "shoppers)"
    )


if __name__ == "__main__":
    main()
