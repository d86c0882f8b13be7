"""What listing promotions adds to a product lookup (GET /api/products/{id}).

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/promotions_lookup.py [--calls 20000]

Needs a database with the demo loaded (manage.py seed_demo). Times promotions_for_product as the
product view calls it (memo trusted for PROMOTIONS_MEMO_SECONDS), the same with the version
token checked in the cache on every call, and one plain cache GET for scale.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grocery.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from catalog.selectors import get_product_payload  # noqa: E402
from grocery.cache import cache_get  # noqa: E402
from promotions.models import Promotion  # noqa: E402
from promotions.selectors import (  # noqa: E402
    product_json_with_promotions,
    promotions_for_product,
)


def timed(name: str, call, calls: int) -> float:
    call()
    samples = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    median = statistics.median(samples)
    print(f"{name:<58} median {median:7.1f} µs   p99 {samples[int(calls * 0.99) - 1]:7.1f} µs")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    calls = parser.parse_args().calls
    promotion = Promotion.objects.filter(code="dairy-10").first()
    if promotion is None:
        sys.exit("Load the demo first: manage.py seed_demo")
    product = promotion.categories.first().products.first()
    payload = get_product_payload(product.product_id)
    print(f"cache: {settings.CACHES['default']['BACKEND']}, {calls} calls, product {product}")
    timed(
        f"promotions_for_product, memo for {settings.PROMOTIONS_MEMO_SECONDS:g} s (the view's way)",
        lambda: promotions_for_product(payload),
        calls,
    )
    body = json.dumps(payload, separators=(",", ":")).encode()
    timed(
        "product_json_with_promotions (parse the cached bytes, splice)",
        lambda: product_json_with_promotions(body),
        calls,
    )
    settings.PROMOTIONS_MEMO_SECONDS = 0.0
    timed(
        "promotions_for_product, version checked on every call",
        lambda: promotions_for_product(payload),
        calls,
    )
    timed("one cache GET of the product payload (for scale)", lambda: cache_get("product:x"), calls)


if __name__ == "__main__":
    main()
