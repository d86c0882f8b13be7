#!/usr/bin/env python
"""Benchmark: the local cache stays within LOCAL_CACHE_BYTES with 1,000,000 products looked up at
random.

    .venv/bin/python bench/local_cache_memory.py     # LOOKUPS=1000000 LOCAL_CACHE_BYTES=...

Goes through the real LocalCache.get (tracking up on REDIS_URL, default the shared Redis's db 11;
no key is written to Redis) with product bodies shaped and sized like the API's (about 560
bytes), and measures with tracemalloc what the process holds afterwards, against the bound.
"""

import os
import random
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PRODUCTS = 1_000_000
LOOKUPS = int(os.environ.get("LOOKUPS", "1000000"))


def body(product_id: int) -> bytes:
    return (
        f'{{"product_id":"{product_id}","name":"Green Valley Organic Apples 1 kg",'
        f'"price":1.99,"description":"Green Valley Organic Apples 1 kg from Green Valley. A fruit '
        f'favourite at our shop.","stock":{product_id % 500},"currency":"EUR","unit":"each",'
        f'"price_per_kg":null,"category":{{"slug":"fruit","name":"Fruit"}},'
        f'"gtin":"087{product_id:011d}","active":true,"stock_state":"in_stock","image_url":null,'
        f'"url":"https://shop.example/p/{product_id}",'
        f'"qr_url":"https://shop.example/p/{product_id}/qr.svg"}}'
    ).encode()


def main() -> None:
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/11")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "k" * 50)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="grocery.settings", LOCAL_CACHE="1", CACHE_KEY_PREFIX="bench-mem"
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache

    from catalog.selectors import product_key
    from grocery import local_cache

    local = local_cache.current()
    assert local.wait(lambda c: c.epoch() is not None), "no Redis tracking"
    epoch = local._epoch
    bound = settings.LOCAL_CACHE_BYTES
    ids = random.Random(17).choices(range(10_000, 10_000 + PRODUCTS), k=LOOKUPS)
    tracemalloc.start()
    started = time.perf_counter()
    misses = 0
    for n, product_id in enumerate(ids):
        key = product_key(str(product_id), epoch)
        if local.lru.get(cache.make_key(key)) is None:
            misses += 1
        local.get(key, lambda pid=product_id: body(pid))
        if n % 100_000 == 0:
            assert local.lru.nbytes <= bound
    seconds = time.perf_counter() - started
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    mib = 1024 * 1024
    print(f"load average (1 min): {os.getloadavg()[0]:.2f}")
    print(f"{LOOKUPS:,} lookups over {PRODUCTS:,} products at random in {seconds:.1f} s "
          f"(under tracemalloc); misses {misses:,}")  # fmt: skip
    print(f"entries held: {len(local.lru):,}; accounted bytes {local.lru.nbytes / mib:.1f} MiB; "
          f"bound LOCAL_CACHE_BYTES {bound / mib:.1f} MiB")  # fmt: skip
    print(f"memory the process holds afterwards (tracemalloc): {held / mib:.1f} MiB, peak "
          f"{peak / mib:.1f} MiB -> {'within' if held <= bound else 'OVER'} the bound")  # fmt: skip


if __name__ == "__main__":
    main()
