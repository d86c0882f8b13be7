#!/usr/bin/env python
"""Benchmark: a chain of 50 stores' product lookup against today's single store, side by side.

    make bench-chain           # or: .venv/bin/python bench/chain_lookup.py

Two gunicorn servers (bench/product_lookup.py's Server, wrk, turns and ratios), each with its
own database and cache key prefix, taking turns under the same load:
  A. `grocery_bench_10k`: one store, 10,000 products; requests name no store (today's lookup);
  B. `grocery_bench_chain50`: `seed_demo --stores 50`, the same 10,000 products in 50 stores
     (about 476,000 listed store-product rows: each store lists ~95 %, with its own stock and
     for ~30 % its own price); each request names a store at random among the 50 (the entrance
     QR's `store` cookie, as a customer's phone sends it; BENCH_STORE_VIA=header or query for
     X-Store or ?store=) with a product at random among those it lists.

1. Cached, wrk, 64 connections: req/s and p99 of both, ratios B/A.     goal: >= 1.0 (p99 <= 1.0)
2. The same two at a fixed 800 req/s (bench/openloop.py): p99, ratio B/A.  "no slower": <= 1.0
3. Cold (each target's Redis keys deleted before each of its turns, so every lookup reads
   PostgreSQL): wrk in "unique" mode, no line asked twice in the run; B walks its shuffled
   store-product pairs from where its previous turn stopped. Time per lookup B/A (A's req/s over
   B's).                                                                goal: <= 1.10
A ratio is the median of the turns' own ratios. Noise: the turns' ratios give a distribution-free
95 % interval for that median (order statistics; with 10 turns, the 2nd and 9th of them). A goal
is met when the median meets it, "within noise" when only the interval reaches it, missed when
the whole interval is on the wrong side.

What "cached" measures. Before part 1 every listed pair is written to Redis in bulk
(bench/warm.py: the keys and bytes a lookup's miss writes; about 3 minutes for B on a quiet
machine, skipped for what Redis still holds from a run within the hour, CACHE_TIMEOUT), then put
in each worker's memory (the local cache) until all of it is there or the bound is full. A's
10,000 bodies (~8 MiB) fit every worker's LOCAL_CACHE_BYTES (32 MiB by default): A is served
from process memory. B's ~476,000 (~390 MiB of accounted bytes) do not: each worker keeps a
random ~39,000 of them (~8 % of B's lookups answered from memory), the rest cost one Redis GET
each; Redis holds all of them (~340 MiB for B, from MEMORY USAGE). So by default the bench
compares memory (A) with mostly Redis (B), at the production settings. BENCH_LOCAL_CACHE_BYTES
(e.g. 536870912, for both servers) lets B's whole set fit each worker (about 1.5 GB of RAM with 3
workers, and a minute or two more of warming): the chain with its hot set in memory too. The
entries each worker holds, and the share of B's set that is, are printed either way.

Databases are created and seeded on the first run (the 50 stores: about 2 minutes) and reused.
The cold part runs on servers with cache prefixes of their own, so it leaves the warm set alone.
Every server it starts is stopped when it ends, also on Ctrl-C or a kill. Figures go to
bench/out/chain_lookup.json. Knobs as bench/product_lookup.py (BENCH_WORKERS, BENCH_PORT and the
next, BENCH_SECONDS, BENCH_TURNS, BENCH_COLD_SECONDS, BENCH_PG, REDIS_URL, BENCH_LOCAL_CACHE,
BENCH_COLD) plus BENCH_STORE_VIA (cookie) and BENCH_LOCAL_CACHE_BYTES (the app's default).
"""

import json
import math
import os
import random
import signal
import statistics
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import product_lookup as bench  # noqa: E402
from bench.product_lookup import (  # noqa: E402
    COLD,
    COLD_SECONDS,
    FIRST_ID,
    HEADERS,
    OUT,
    PORT,
    RATE,
    SECONDS,
    SLICE,
    SLICES,
    WORKERS,
    Server,
    alternate,
    combine_open_loop,
    combine_wrk,
    ensure_catalog,
    forget_cached_products,
    load_average,
    log,
    open_loop,
    show,
    warn_if_busy,
    write_ids,
    wrk,
)

STORES = 50
PRODUCTS = 10_000
VIA = os.environ.get("BENCH_STORE_VIA", "cookie")
if "BENCH_LOCAL_CACHE_BYTES" in os.environ:  # Server passes the environment on to gunicorn
    os.environ["LOCAL_CACHE_BYTES"] = os.environ["BENCH_LOCAL_CACHE_BYTES"]
# Cache key prefixes of A and B; the cold part has its own, so that a run within CACHE_TIMEOUT
# of the last one finds the warm set in Redis still (bench/warm.py fills only what is missing).
SINGLE, CHAIN = "chain-bench-1", "chain-bench-50"
COLD_SINGLE, COLD_CHAIN = "chain-bench-1-cold", "chain-bench-50-cold"
CONFIDENCE = 0.95
# Set on Ctrl-C or a kill: the warm-up's threads stop asking, so the servers stop soon.
stopping = threading.Event()


def median_interval(values: list[float]) -> tuple[float, float, float]:
    """The median's distribution-free interval from n paired turns: the k-th smallest and k-th
    largest, k the largest whose coverage 1 - 2 P(Binomial(n, 1/2) < k) is >= CONFIDENCE (the
    extremes when n is too small for that). Returns (low, high, coverage)."""
    ordered, n = sorted(values), len(values)

    def coverage(k: int) -> float:
        return 1 - 2 * sum(math.comb(n, i) for i in range(k)) / 2**n

    k = max([k for k in range(1, n // 2 + 1) if coverage(k) >= CONFIDENCE], default=1)
    return ordered[k - 1], ordered[n - k], coverage(k)


def verdict(turn_ratios: list[float], goal: float, *, at_least: bool) -> dict:
    median = statistics.median(turn_ratios)
    low, high, covered = median_interval(turn_ratios)
    if at_least:
        met, reaches = median >= goal, high >= goal
    else:
        met, reaches = median <= goal, low <= goal
    return {
        "median": round(median, 3),
        "interval": [round(low, 3), round(high, 3)],
        "interval_coverage": round(covered, 3),
        "turns": [round(r, 3) for r in turn_ratios],
        "goal": f"{'>=' if at_least else '<='} {goal}",
        "verdict": "met" if met else "within noise" if reaches else "missed",
    }


def all_answered(name: str, figures: dict) -> None:
    """A wrong store name answers 404 fast and would flatter B: any non-2xx voids the figures."""
    failed = {k: figures.get(k, 0) for k in ("non2xx", "timeouts", "connect_errors", "read_errors")}
    if any(failed.values()):
        log(f"  NOT VALID: {name} had failed requests {failed}")


def say(name: str, result: dict) -> None:
    low, high = result["interval"]
    log(
        f"  {name} = {result['median']:.2f} ({result['interval_coverage']:.0%} interval "
        f"{low:.2f}-{high:.2f}; turns {result['turns']})   goal {result['goal']}: "
        f"{result['verdict'].upper()}"
    )


def write_pairs(url: str) -> tuple[str, list[tuple[str, str]]]:
    """Every listed (product id, store code) of the chain, shuffled, one "id code" a line."""
    import psycopg

    with psycopg.connect(url) as conn:
        pairs = conn.execute(
            "SELECT p.product_id, s.code FROM catalog_storeproduct sp "
            "JOIN catalog_product p ON p.id = sp.product_id "
            "JOIN catalog_store s ON s.id = sp.store_id "
            "WHERE sp.is_listed AND s.is_active ORDER BY s.code, p.product_id"
        ).fetchall()
    random.Random(7).shuffle(pairs)
    path = OUT / "pairs-chain50.txt"
    path.write_text("".join(f"{pid} {code}\n" for pid, code in pairs))
    return str(path), pairs


def store_codes(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        return [c for (c,) in conn.execute("SELECT code FROM catalog_store WHERE is_active")]


def get_json(port: int, path: str, timeout: float = 60) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=HEADERS)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def warm(server: Server, stores: list[str]) -> dict:
    """Every listed pair into Redis, then into every worker's memory (bench/warm.py)."""
    started = time.perf_counter()

    def fill(code: str) -> tuple[int, int]:
        """(written now, held already) for the store's listed products."""
        written = 0
        while not (answer := get_json(server.port, f"/bench/fill?store={code}"))["done"]:
            if stopping.is_set():
                break
            written += answer["filled"]
        return written + answer["filled"], answer["held"] - written

    with ThreadPoolExecutor(WORKERS) as pool:
        answers = list(pool.map(fill, stores))
    filled = sum(written for written, _ in answers)
    keys = filled + sum(held for _, held in answers)
    fill_seconds = time.perf_counter() - started
    workers: dict[int, dict] = {}

    def until_every_worker_is_warm() -> None:
        # A sync worker takes one request at a time: WORKERS callers keep every worker busy
        # with its own warm-up, and a finished worker answers at once.
        while len([w for w in workers.values() if w["done"]]) < WORKERS and not stopping.is_set():
            answer = get_json(server.port, "/bench/warm")
            workers[answer["pid"]] = answer

    with ThreadPoolExecutor(WORKERS) as pool:
        for future in [pool.submit(until_every_worker_is_warm) for _ in range(WORKERS)]:
            future.result()
    return {
        "redis_keys": keys,
        "redis_keys_filled_now": filled,
        "redis_mib": round(redis_bytes(server.key_prefix, keys) / 2**20, 1),
        "fill_seconds": round(fill_seconds, 1),
        "memory_seconds": round(time.perf_counter() - started - fill_seconds, 1),
        "worker_entries": sorted(w.get("entries", 0) for w in workers.values()),
        "worker_mib": sorted(round(w.get("bytes", 0) / 2**20, 1) for w in workers.values()),
        "memory_share": round(min(w.get("entries", 0) for w in workers.values()) / keys, 3),
        "missing_in_redis": sum(w.get("missing", 0) for w in workers.values()),
    }


def redis_bytes(key_prefix: str, keys: int) -> int:
    """Redis's memory for the product keys: MEMORY USAGE of a sample times their count (the
    server's own total is shared with whatever else uses it)."""
    import redis

    client = redis.Redis.from_url(bench.REDIS_URL)
    sample = []
    for key in client.scan_iter(f"{key_prefix}:*product:*", count=1_000):
        sample.append(client.memory_usage(key) or 0)
        if len(sample) == 200:
            break
    return round(sum(sample) / max(len(sample), 1) * keys)


def store_request(pair: tuple[str, str]) -> tuple[str, dict[str, str]]:
    """The path and own headers of an open-loop request for (product id, store code), named
    as VIA says."""
    product_id, code = pair
    if VIA == "query":
        return f"/api/products/{product_id}?store={code}", {}
    if VIA == "header":
        return f"/api/products/{product_id}", {"X-Store": code}
    return f"/api/products/{product_id}", {"Cookie": f"store={code}"}


def stop(signum, frame) -> None:
    """Ctrl-C or a plain kill: unwind, so that the `with` blocks stop the servers."""
    stopping.set()
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    started = time.perf_counter()
    idle_load = load_average()
    url_single = ensure_catalog("grocery_bench_10k", PRODUCTS)
    url_chain = ensure_catalog("grocery_bench_chain50", PRODUCTS, STORES)
    ids_single = write_ids("10k", PRODUCTS)
    pairs_file, pairs = write_pairs(url_chain)
    stores = store_codes(url_chain)
    results: dict = {
        "workers": WORKERS,
        "seconds": SECONDS,
        "rate": RATE,
        "store_via": VIA,
        "local_cache": bench.LOCAL_CACHE == "1",
        "local_cache_bytes": os.environ.get("LOCAL_CACHE_BYTES", "default"),
        "chain_pairs": len(pairs),
        "chain_stores": len(stores),
        "load_average_before": idle_load,
    }
    log(
        f"\n== A: 1 store x {PRODUCTS:,} products, no store named; B: {len(stores)} stores, "
        f"{len(pairs):,} listed pairs, a random one per request (store named by {VIA}); "
        f"gunicorn, {WORKERS} sync workers each, local cache "
        f"{'on' if results['local_cache'] else 'off'}, LOCAL_CACHE_BYTES "
        f"{results['local_cache_bytes']}"
    )
    with (
        Server(url_single, SINGLE) as single,
        Server(url_chain, CHAIN, PORT + 1) as chain,
    ):
        results["warm_single"] = warm(single, store_codes(url_single))
        results["warm_chain"] = warm(chain, stores)
        for name, key in (("A (1 store)", "warm_single"), ("B (50 stores)", "warm_chain")):
            show(f"warmed {name}", results[key])
            if results[key]["missing_in_redis"]:
                log(f"  NOT VALID: {name} was not all in Redis after the fill (flushed meanwhile?)")

        def run_single(seconds: int = SLICE) -> dict:
            return wrk("/api/products/", ids_single, seconds=seconds, port=single.port)

        def run_chain(seconds: int = SLICE) -> dict:
            return wrk("/api/products/", pairs_file, seconds=seconds, port=chain.port, via=VIA)

        run_single(min(SLICE, 3)), run_chain(min(SLICE, 3))  # code paths and connections warm
        load_wrk = [load_average()]
        log(f"-- wrk, 64 connections, closed loop ({SLICES} x {SLICE}s each, taking turns)")
        single_runs, chain_runs = alternate(run_single, run_chain)
        for name, runs in (
            ("A: 1 store, cached", single_runs),
            ("B: 50 stores, cached", chain_runs),
        ):
            show(name, combine_wrk(runs))
            all_answered(name, combine_wrk(runs))
        load_wrk.append(load_average())
        results.update(
            wrk_single=combine_wrk(single_runs),
            wrk_chain=combine_wrk(chain_runs),
            throughput=verdict(
                [b["rps"] / a["rps"] for a, b in zip(single_runs, chain_runs, strict=True)],
                1.0,
                at_least=True,
            ),
            wrk_p99=verdict(
                [b["p99_ms"] / a["p99_ms"] for a, b in zip(single_runs, chain_runs, strict=True)],
                1.0,
                at_least=False,
            ),
            load_average_wrk=load_wrk,
        )
        say("req/s ratio B/A", results["throughput"])
        say("wrk p99 ratio B/A", results["wrk_p99"])
        log(f"  load average {load_wrk[0]} -> {load_wrk[1]}")
        warn_if_busy(idle_load)

        load_ol = [load_average()]
        log(f"-- open loop, {RATE} req/s ({SLICES} x {SLICE}s each, taking turns)")
        ids = [str(FIRST_ID + n) for n in range(PRODUCTS)]
        single_ol, chain_ol = alternate(
            lambda: open_loop(
                lambda: f"/api/products/{random.choice(ids)}", SLICE, port=single.port
            ),
            lambda: open_loop(lambda: store_request(random.choice(pairs)), SLICE, chain.port),
        )
        single_turns = [run.summary() for run in single_ol]
        chain_turns = [run.summary() for run in chain_ol]
        results.update(
            open_loop_single=combine_open_loop(single_ol),
            open_loop_chain=combine_open_loop(chain_ol),
            open_loop_p99=verdict(
                [b["p99_ms"] / a["p99_ms"] for a, b in zip(single_turns, chain_turns, strict=True)],
                1.0,
                at_least=False,
            ),
        )
        show("A: 1 store, cached", results["open_loop_single"])
        show("B: 50 stores, cached", results["open_loop_chain"])
        load_ol.append(load_average())
        say("p99 ratio B/A", results["open_loop_p99"])
        log(f"  load average {load_ol[0]} -> {load_ol[1]}")
        results["load_average_open_loop"] = load_ol
        warn_if_busy(idle_load)
        for name, run in (("A", results["open_loop_single"]), ("B", results["open_loop_chain"])):
            if run["ok"] < 0.99 * run["sent"] or run["sender_late_p99_ms"] > 5:
                log(
                    f"  NOT VALID: {name} did not carry {RATE} req/s cleanly (errors or a late sender)"
                )

    if COLD:
        cold(results, url_single, url_chain, ids_single, pairs_file)
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    (OUT / "chain_lookup.json").write_text(json.dumps(results, indent=2))
    log(f"\nfigures in {OUT / 'chain_lookup.json'}; took {results['total_seconds']} s")


def cold(results: dict, url_single: str, url_chain: str, ids_single: str, pairs_file: str):
    log(
        f"\n== cold cache: every lookup reads PostgreSQL (each target's keys deleted before its "
        f"turn, no line asked twice); {SLICES} x {COLD_SECONDS}s each, taking turns"
    )
    start = 0  # B's next line: its turns walk on through the shuffled pairs
    with (
        Server(url_single, COLD_SINGLE) as single,
        Server(url_chain, COLD_CHAIN, PORT + 1) as chain,
    ):

        def cold_single() -> dict:
            forget_cached_products(COLD_SINGLE)
            return wrk(
                "/api/products/", ids_single, mode="unique", seconds=COLD_SECONDS, port=single.port
            )

        def cold_chain() -> dict:
            nonlocal start
            forget_cached_products(COLD_CHAIN)
            figures = wrk(
                "/api/products/",
                pairs_file,
                mode="unique",
                seconds=COLD_SECONDS,
                port=chain.port,
                via=VIA,
                start=start,
            )
            # Two threads stride through the lines; the faster may run ahead of the count.
            start += 2 * figures["requests"] + 256
            return figures

        load_cold = [load_average()]
        single_runs, chain_runs = alternate(cold_single, cold_chain)
        load_cold.append(load_average())
    results.update(
        cold_single=combine_wrk(single_runs),
        cold_chain=combine_wrk(chain_runs),
        cold_chain_lines_walked=start,
        # time per lookup B/A = A's req/s over B's
        cold_time_per_lookup=verdict(
            [a["rps"] / b["rps"] for a, b in zip(single_runs, chain_runs, strict=True)],
            1.10,
            at_least=False,
        ),
        load_average_cold=load_cold,
    )
    for name, key in (("A: 1 store, cold", "cold_single"), ("B: 50 stores, cold", "cold_chain")):
        show(name, results[key])
        all_answered(name, results[key])
    say("time per cold lookup B/A", results["cold_time_per_lookup"])
    log(f"  load average {load_cold[0]} -> {load_cold[1]}")


if __name__ == "__main__":
    main()
