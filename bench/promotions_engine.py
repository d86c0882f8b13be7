"""Engine time for a 50-line cart with 5 promotions (goal: < 2 ms per cart).

    .venv/bin/python bench/promotions_engine.py [--runs 2000]

Three scenarios: the demo shop's five promotions (one of each kind, one stacking); a worst
case where all five are non-stacking and target the whole basket, so every combination of
them has to be tried; and the same five all stacking, so every subset of them is tried (a
stacking promotion can cost a later one more than it gives). Pure Python: no database, no cache.
"""

import argparse
import random
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from promotions.engine import Kind, Line, Rule, apply_promotions  # noqa: E402

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
WINDOW = {"valid_from": NOW - timedelta(days=1), "valid_until": NOW + timedelta(days=30)}
CATEGORIES = ["fruit", "dairy", "snacks", "bakery", "drinks", "pantry"]


def cart(rng: random.Random) -> list[Line]:
    lines = []
    for n in range(50):
        category = CATEGORIES[n % len(CATEGORIES)]
        weighed = category == "fruit" and n % 4 == 0
        lines.append(
            Line(
                product_id=str(10_000 + n),
                category=category,
                unit_price=Decimal(rng.randrange(49, 1999)) / 100,
                quantity=Decimal(rng.randrange(100, 2500)) / 1000
                if weighed
                else Decimal(rng.randrange(1, 6)),
                name=f"Product {n}",
                sold_by_weight=weighed,
            )
        )
    return lines


DEMO = [
    Rule(
        "dairy-10",
        "10% off dairy",
        Kind.PERCENTAGE,
        categories=frozenset({"dairy"}),
        percent=Decimal(10),
        **WINDOW,
    ),
    Rule(
        "fruit-bogof",
        "Buy 1 get 1 free",
        Kind.BUY_X_GET_Y,
        product_ids=frozenset(str(10_000 + n) for n in range(0, 50, 6)),
        buy_quantity=1,
        free_quantity=1,
        priority=10,
        **WINDOW,
    ),
    Rule(
        "snacks-3for2",
        "3 for 2",
        Kind.MULTIBUY,
        categories=frozenset({"snacks"}),
        bundle_quantity=3,
        pay_quantity=2,
        **WINDOW,
    ),
    Rule(
        "bakery-50c",
        "0.50 off bakery",
        Kind.FIXED_OFF,
        categories=frozenset({"bakery"}),
        amount=Decimal("0.50"),
        **WINDOW,
    ),
    Rule(
        "spend-50",
        "5.00 off 50.00",
        Kind.THRESHOLD,
        whole_basket=True,
        amount=Decimal("5.00"),
        threshold=Decimal("50.00"),
        stackable=True,
        **WINDOW,
    ),
]
CLASHING = [
    Rule("all-10", "10% off", Kind.PERCENTAGE, whole_basket=True, percent=Decimal(10), **WINDOW),
    Rule(
        "all-bogof",
        "BOGOF",
        Kind.BUY_X_GET_Y,
        whole_basket=True,
        buy_quantity=1,
        free_quantity=1,
        **WINDOW,
    ),
    Rule(
        "all-3for2",
        "3 for 2",
        Kind.MULTIBUY,
        whole_basket=True,
        bundle_quantity=3,
        pay_quantity=2,
        **WINDOW,
    ),
    Rule(
        "all-2for5",
        "2 for 5.00",
        Kind.MULTIBUY,
        whole_basket=True,
        bundle_quantity=2,
        bundle_price=Decimal("5.00"),
        **WINDOW,
    ),
    Rule(
        "spend-50",
        "5.00 off 50.00",
        Kind.THRESHOLD,
        whole_basket=True,
        amount=Decimal("5.00"),
        threshold=Decimal("50.00"),
        **WINDOW,
    ),
]


def measure(name: str, rules: list[Rule], runs: int) -> None:
    rng = random.Random(7)
    carts = [cart(rng) for _ in range(50)]
    for basket in carts[:5]:
        apply_promotions(basket, rules, NOW)  # warm up
    timings = []
    for i in range(runs):
        basket = carts[i % len(carts)]
        start = time.perf_counter_ns()
        found = apply_promotions(basket, rules, NOW)
        timings.append((time.perf_counter_ns() - start) / 1e6)
    timings.sort()
    print(
        f"{name:<48} median {statistics.median(timings):.3f} ms   "
        f"p99 {timings[int(len(timings) * 0.99) - 1]:.3f} ms   "
        f"max {timings[-1]:.3f} ms   ({len(found)} discounts on the last cart)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    runs = parser.parse_args().runs
    print(f"Python {sys.version.split()[0]}, {runs} carts of 50 lines each (goal < 2 ms)")
    measure("demo shop: 5 promotions, one of each kind", DEMO, runs)
    measure("worst case: 5 non-stacking on the whole basket", CLASHING, runs)
    stacking = [replace(rule, stackable=True) for rule in CLASHING]
    measure("worst case: 5 stacking on the whole basket", stacking, runs)


if __name__ == "__main__":
    main()
