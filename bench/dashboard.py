"""Time the manager dashboard with many orders (100,000 by default, seeded once).

    DATABASE_URL=... .venv/bin/python bench/dashboard.py [--transactions 100000] [--runs 5]
Seeds paid, pending, failed and refunded orders over the last 90 days with one to four lines
each (a third with a promotion discount), then times each figure and the whole admin index page.
"""

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grocery.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django  # noqa: E402

django.setup()

from decimal import Decimal  # noqa: E402

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from catalog.demo import seed_catalog  # noqa: E402
from catalog.models import Product  # noqa: E402
from checkout.models import Order, OrderLine  # noqa: E402
from shop import dashboard  # noqa: E402

PREFIX = "bench"


def seed(count: int) -> None:
    have = Order.objects.filter(transaction_id__startswith=PREFIX).count()
    if have >= count:
        return
    if Product.objects.count() < 1000:
        seed_catalog(1000)
    products = list(Product.objects.values_list("pk", "product_id", "name", "unit", "price")[:1000])
    rng = random.Random(7)
    now = timezone.now()
    statuses = ["succeeded"] * 90 + ["pending"] * 3 + ["failed"] * 5 + ["refunded"] * 2
    for start in range(have, count, 5000):
        orders, lines = [], []
        for n in range(start, min(start + 5000, count)):
            picked = rng.sample(products, rng.randint(1, 4))
            total = sum((p[4] for p in picked), Decimal(0))
            status = rng.choice(statuses)
            orders.append(
                Order(
                    transaction_id=f"{PREFIX}{n:08d}",
                    status=status,
                    payment_method="card",
                    gateway="simulated",
                    currency="EUR",
                    subtotal=total,
                    discount_total=Decimal(0),
                    total=total,
                    refunded_amount=total if status == "refunded" else Decimal(0),
                )
            )
            lines.append(picked)
        Order.objects.bulk_create(orders)
        # bulk_create sets auto_now_add to now: spread the sales over 90 days afterwards
        for order in orders:
            order.created_at = now - timedelta(seconds=rng.randint(0, 90 * 86_400))
        Order.objects.bulk_update(orders, ["created_at"], batch_size=5000)
        rows = []
        for order, picked in zip(orders, lines, strict=True):
            for pk, code, name, unit, price in picked:
                promo = rng.random() < 0.33
                rows.append(
                    OrderLine(
                        transaction=order,
                        product_id=pk,
                        product_code=code,
                        name=name,
                        unit=unit,
                        quantity=Decimal(1),
                        unit_price=price,
                        discount=Decimal(0),
                        line_total=price,
                        discounts=[
                            {
                                "promotion_id": f"promo{rng.randint(1, 5)}",
                                "amount": "0.50",
                                "reason": "bench",
                            }
                        ]
                        if promo
                        else [],
                    )
                )
        OrderLine.objects.bulk_create(rows, batch_size=5000)
        print(f"seeded {min(start + 5000, count)} orders", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timed(label: str, fn, runs: int) -> None:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(f"{label:<28} median={times[len(times) // 2]:8.1f} ms  best={times[0]:8.1f} ms")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    seed(args.transactions)
    total = Order.objects.count()
    lines = OrderLine.objects.count()
    print(f"orders={total} lines={lines} db={connection.vendor}")
    today = timezone.localdate()
    timed("sales figures", lambda: dashboard.get_sales_figures(today), args.runs)
    timed("daily sales (30 days)", lambda: dashboard.get_daily_sales(today), args.runs)
    timed("top products", lambda: dashboard.list_top_products(today), args.runs)
    timed("payment status counts", lambda: dashboard.get_payment_status_counts(today), args.runs)
    timed("promotion uptake", lambda: dashboard.list_promotion_uptake(today), args.runs)
    timed("stock problems", dashboard.list_stock_problems, args.runs)
    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    assert client.get("/admin/").status_code == 200
    timed("admin index page (HTTP)", lambda: client.get("/admin/"), args.runs)


if __name__ == "__main__":
    main()
