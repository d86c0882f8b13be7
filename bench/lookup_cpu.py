#!/usr/bin/env python
"""Benchmark: CPU time of one product lookup in the web process, with the local cache on and off,
beside the bare view, in-process (Django's test client, bench.settings, the 10,000-product
database that bench/product_lookup.py seeds).

    .venv/bin/python bench/lookup_cpu.py      # CALLS=20000

CPU time (time.process_time) rather than wall time, so that a busy machine slows the figures less
than it slows a closed-loop run; the ratio ceiling/lookup is what the lookup costs on top of the
request cycle. It leaves out the Redis server's own CPU (which the off case uses on every request).
"""

import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CALLS = int(os.environ.get("CALLS", "20000"))
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")


def main() -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=f"{PG}/grocery_bench_10k",
        CACHE_KEY_PREFIX="bench-cpu",
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS="testserver",
        ALLOW_SIMULATED_PAYMENTS="1",
        LOG_LEVEL="WARNING",
    )
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/11")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "k" * 50)
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import override_settings

    from grocery import local_cache

    client = Client()
    ids = [str(10_000 + n) for n in range(1_000)]

    def per_call(path_for) -> float:
        for product_id in ids:  # warm: Redis, and memory when on
            client.get(path_for(product_id))
        paths = [path_for(random.choice(ids)) for _ in range(CALLS)]
        started = time.process_time()
        for path in paths:
            client.get(path)
        return (time.process_time() - started) / CALLS * 1e6

    print(f"load average (1 min): {os.getloadavg()[0]:.2f}; {CALLS} requests each, 1,000 products")
    ceiling = per_call(lambda _: "/bench/ceiling")
    results = {}
    for on in (True, False):
        with override_settings(LOCAL_CACHE=on):
            if on:
                assert local_cache.current().wait(lambda c: c.epoch() is not None)
            results[on] = per_call(lambda pid: f"/api/products/{pid}")
    print(f"bare view (ceiling):           {ceiling:7.1f} us CPU per request")
    for on, name in ((True, "lookup, local cache on"), (False, "lookup, local cache off")):
        print(f"{name + ':':<30} {results[on]:7.1f} us CPU per request, "
              f"ceiling/lookup = {ceiling / results[on]:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
