#!/usr/bin/env python
"""Benchmark: the cached product lookup against a bare Django view, on gunicorn + PostgreSQL + Redis.

    make bench-lookup          # or: .venv/bin/python bench/product_lookup.py

1. wrk, 64 connections, random product ids from 10,000: req/s, p50/p99 of the lookup and of
   the ceiling (a bare Django view returning a constant JSON body from the same server,
   settings and middleware: bench/urls.py), and their ratio.            goal: ratio >= 0.9
2. The same two at a fixed 800 req/s with an open-loop generator (bench/openloop.py):
   p50/p99/p99.9, errors, sender lateness, and the ratio of the p99s.   goal: <= 1.2
3. Cold cache (our Redis keys deleted, every id asked once): 1,000,000 products against
   10,000, both served from PostgreSQL.                                  goal: <= 10 % slower

Databases `grocery_bench_10k` and `grocery_bench_1m` are created and seeded on the first run
(about 2 minutes for the million) and reused afterwards. Every server it starts is stopped
when it ends, also on Ctrl-C. The lookup runs with the per-process cache (LOCAL_CACHE, on by
default with Redis; BENCH_LOCAL_CACHE=0 measures it off). Each section prints the load average
before and after it (its own load: about 3.5); a load above 1 before the run started means other
work shared the machine, and the ratios then say little. Knobs: BENCH_WORKERS (3), BENCH_PORT (8180; the 1M server takes
the next port), BENCH_SECONDS (30, split in BENCH_TURNS turns: 10), BENCH_COLD_SECONDS (5 a turn),
BENCH_PG (postgres://postgres@127.0.0.1:5432), REDIS_URL (redis://127.0.0.1:6379/11),
BENCH_LOCAL_CACHE (1), BENCH_COLD (1; 0 skips part 3).
"""

import asyncio
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.openloop import OpenLoopResult, run_open_loop  # noqa: E402

VENV_BIN = ROOT / ".venv" / "bin"
OUT = ROOT / "bench" / "out"
PORT = int(os.environ.get("BENCH_PORT", "8180"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "30"))
SLICES = int(os.environ.get("BENCH_TURNS", "10"))
SLICE = max(1, SECONDS // SLICES)
# short enough that "every id once" never wraps around the 10,000
COLD_SECONDS = int(os.environ.get("BENCH_COLD_SECONDS", "5"))
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11")
RATE = 800
FIRST_ID = 10_000  # catalog.demo numbers products from here
HEADERS = {"X-Forwarded-Proto": "https"}  # as behind the TLS proxy, so no SSL redirect
LOCAL_CACHE = os.environ.get("BENCH_LOCAL_CACHE", "1")
COLD = os.environ.get("BENCH_COLD", "1") == "1"  # 0: skip part 3 (and seeding the million)


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def warn_if_busy(before: float) -> None:
    """The load average while the benchmark runs is its own (workers, wrk: about 3.5 here); the
    one taken before it started says whether other work shared the machine."""
    if before > 1:
        log(
            f"  BUSY MACHINE: load average {before} before the benchmark started; other work "
            "competed with both targets, so this ratio is not a measurement of the code."
        )


def log(message: str) -> None:
    print(message, flush=True)


def manage(db_url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": REDIS_URL, "DEBUG": "1"}
    done = subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    return done.stdout


def ensure_catalog(name: str, products: int, stores: int = 1) -> str:
    """The database `name` migrated and seeded with the demo's products (and chain of stores)."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG}/{name}"
    manage(url, "migrate", "--no-input", "-v0")
    manage(url, "collectstatic", "--no-input", "-v0")  # as a deployment would
    with psycopg.connect(url) as conn:
        have = conn.execute("SELECT count(*) FROM catalog_product").fetchone()[0]
        have_stores = conn.execute("SELECT count(*) FROM catalog_store").fetchone()[0]
    if have < products or have_stores < stores:
        log(
            f"seeding {name} with {products:,} products in {stores} store(s) (once; reused by "
            "later runs)..."
        )
        started = time.perf_counter()
        manage(url, "seed_demo", "--products", str(products), "--stores", str(stores))
        log(f"  seeded in {time.perf_counter() - started:.1f} s")
    return url


class Server:
    """gunicorn with sync workers, production settings, no access log; stopped on exit."""

    def __init__(self, db_url: str, key_prefix: str, port: int = PORT):
        self.port = port
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": db_url,
            "REDIS_URL": REDIS_URL,
            "CACHE_KEY_PREFIX": key_prefix,
            "DEBUG": "0",
            "ALLOW_SIMULATED_PAYMENTS": "1",  # a measurement: no money moves
            "SECRET_KEY": "bench-only-" + "k" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "LOG_LEVEL": "WARNING",
            "LOCAL_CACHE": LOCAL_CACHE,
        }
        self.command = [
            str(VENV_BIN / "gunicorn"),
            "grocery.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--backlog",
            "2048",
            "--no-control-socket",
            "--log-level",
            "warning",
        ]
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=env, start_new_session=True)
        self.key_prefix = key_prefix
        try:
            self._wait_until_up()
        except BaseException:  # a Ctrl-C or kill while it starts: no `with` will stop it
            self.stop()
            raise

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if get("/healthz", self.port)[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def get(path: str, port: int = PORT) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=HEADERS)
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, response.read()


def forget_cached_products(key_prefix: str) -> int:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{key_prefix}:*", count=10_000))
    for i in range(0, len(keys), 10_000):
        client.delete(*keys[i : i + 10_000])
    return len(keys)


def wrk(
    path_prefix: str,
    ids_file: str,
    *,
    mode: str = "random",
    seconds: int,
    port: int = PORT,
    via: str = "cookie",
    start: int = 0,
) -> dict:
    """wrk through bench/products.lua; `via` names the store of an ids line that has one (cookie,
    header or query), `start` is the line a "unique" walk begins at."""
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            "-c64",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(ROOT / "bench/products.lua"),
            f"http://127.0.0.1:{port}",
            "--",
            ids_file,
            path_prefix,
            mode,
            "2",
            via,
            str(start),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for name, value in re.findall(
        r"\b(requests|non2xx|timeouts|connect_errors|read_errors)=(\d+)", out
    ):
        figures[name] = int(value)
    for name, value in re.findall(r"^(p[\d.]+)=([\d.]+)ms", out, re.M):
        figures[f"{name}_ms"] = float(value)
    return figures


def alternate(first, second, slices: int = SLICES) -> tuple[list, list]:
    """Run the two targets in turns (ABBA: each pair's order flips), so that a neighbour's burst
    or the shared machine's drift lands on both rather than on whichever ran at the time."""
    a, b = [], []
    for turn in range(slices):
        if turn % 2:
            b.append(second())
            a.append(first())
        else:
            a.append(first())
            b.append(second())
    return a, b


def median_ratio(tops: list[dict], bottoms: list[dict], key: str) -> float:
    """The median of the turns' own ratios: on this machine a whole turn's speed swings by a
    fifth from one to the next, and a ratio within a turn pair is what stays put."""
    return statistics.median(
        top[key] / bottom[key] for top, bottom in zip(tops, bottoms, strict=True)
    )


def combine_wrk(runs: list[dict]) -> dict:
    """Summed requests over summed time; the worst slice's percentiles (wrk gives no raw data)."""
    figures = {"rps": round(sum(r["rps"] for r in runs) / len(runs), 1)}
    for key in runs[0]:
        if key.startswith("p"):
            figures[key] = max(r[key] for r in runs)
        elif key != "rps":
            figures[key] = sum(r[key] for r in runs)
    return figures


def open_loop(next_path, seconds: float, port: int = PORT) -> OpenLoopResult:
    return asyncio.run(
        run_open_loop("127.0.0.1", port, next_path, rate=RATE, duration=seconds, headers=HEADERS)
    )


def combine_open_loop(runs: list) -> dict:
    total = runs[0]
    for run in runs[1:]:
        total.merge(run)
    return total.summary()


def show(label: str, figures: dict) -> None:
    log(f"  {label:<28} " + "  ".join(f"{k}={v}" for k, v in figures.items()))


def write_ids(name: str, count: int) -> str:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"ids-{name}.txt"
    if not path.exists() or sum(1 for _ in path.open()) != count:
        ids = [str(FIRST_ID + n) for n in range(count)]
        random.Random(7).shuffle(ids)  # "unique" mode walks them in this random order
        path.write_text("\n".join(ids) + "\n")
    return str(path)


def main() -> None:
    started = time.perf_counter()
    idle_load = load_average()
    results: dict = {
        "workers": WORKERS,
        "seconds": SECONDS,
        "rate": RATE,
        "local_cache": LOCAL_CACHE == "1",
    }
    url_10k = ensure_catalog("grocery_bench_10k", 10_000)
    ids_10k = write_ids("10k", 10_000)
    if COLD:
        url_1m = ensure_catalog("grocery_bench_1m", 1_000_000)
        ids_1m = write_ids("1m", 1_000_000)

    log(
        f"\n== gunicorn, {WORKERS} sync workers, PostgreSQL + Redis, 10,000 products, "
        f"local cache {'on' if LOCAL_CACHE == '1' else 'off'}"
    )
    with Server(url_10k, "bench-10k"):
        # Every product in Redis, and in every worker's memory as in a web process that has
        # served the shop a while: workers take requests at random, so with 3 workers each id
        # asked 12 times reaches a given worker with 1 - (2/3)^12 = 99 % odds. (With 4 passes, 1 id
        # in 5 was still a first read there, which cost the lookup 0.06 of the ratio.)
        passes = 4 * WORKERS if LOCAL_CACHE == "1" else 1
        with ThreadPoolExecutor(16) as pool:
            paths = [f"/api/products/{FIRST_ID + n}" for n in range(10_000)] * passes
            list(pool.map(get, paths))
        load_wrk = [load_average()]
        log(f"-- wrk, 64 connections, closed loop ({SLICES} x {SLICE}s each, taking turns)")
        ceiling_runs, lookup_runs = alternate(
            lambda: wrk("/bench/ceiling", "-", seconds=SLICE),
            lambda: wrk("/api/products/", ids_10k, seconds=SLICE),
        )
        ceiling, lookup = combine_wrk(ceiling_runs), combine_wrk(lookup_runs)
        show("ceiling (bare view)", ceiling)
        show("product lookup (cached)", lookup)
        turns = [
            round(b["rps"] / a["rps"], 2) for a, b in zip(ceiling_runs, lookup_runs, strict=True)
        ]
        ratio = median_ratio(lookup_runs, ceiling_runs, "rps")
        load_wrk.append(load_average())
        log(
            f"  throughput ratio lookup/ceiling = {ratio:.2f} (median of the turns: {turns})   "
            f"(goal >= 0.90)   load average {load_wrk[0]} -> {load_wrk[1]}"
        )
        warn_if_busy(idle_load)
        load_ol = [load_average()]
        log(f"-- open loop, {RATE} req/s ({SLICES} x {SLICE}s each, taking turns)")
        ids = [str(FIRST_ID + n) for n in range(10_000)]
        ceiling_runs, lookup_runs = alternate(
            lambda: open_loop(lambda: "/bench/ceiling", SLICE),
            lambda: open_loop(lambda: f"/api/products/{random.choice(ids)}", SLICE),
        )
        ceiling_turns = [run.summary() for run in ceiling_runs]
        lookup_turns = [run.summary() for run in lookup_runs]
        ceiling_ol, lookup_ol = combine_open_loop(ceiling_runs), combine_open_loop(lookup_runs)
        show("ceiling (bare view)", ceiling_ol)
        show("product lookup (cached)", lookup_ol)
        turns = [
            round(b["p99_ms"] / a["p99_ms"], 2)
            for a, b in zip(ceiling_turns, lookup_turns, strict=True)
        ]
        p99_ratio = median_ratio(lookup_turns, ceiling_turns, "p99_ms")
        load_ol.append(load_average())
        log(
            f"  p99 ratio lookup/ceiling = {p99_ratio:.2f} (median of the turns: {turns})   "
            f"(goal <= 1.20)   "
            f"load average {load_ol[0]} -> {load_ol[1]}"
        )
        warn_if_busy(idle_load)
        for name, run in (("ceiling", ceiling_ol), ("lookup", lookup_ol)):
            if run["ok"] < 0.99 * run["sent"] or run["sender_late_p99_ms"] > 5:
                log(
                    f"  NOT VALID: the {name} run did not carry {RATE} req/s cleanly (errors or "
                    "a late sender): this machine is too busy; its p99 says nothing."
                )

    cold_figures: dict = {}
    if COLD:
        log(
            "\n== cold cache: 1,000,000 products against 10,000, every id asked once (all from "
            f"PostgreSQL); two servers, {SLICES} x {COLD_SECONDS}s each, taking turns"
        )
        with Server(url_10k, "bench-10k") as small, Server(url_1m, "bench-1m", PORT + 1) as big:

            def cold(server: Server, ids_file: str) -> dict:
                forget_cached_products(server.key_prefix)
                return wrk(
                    "/api/products/",
                    ids_file,
                    mode="unique",
                    seconds=COLD_SECONDS,
                    port=server.port,
                )

            cold_10k, cold_1m = (
                combine_wrk(runs)
                for runs in alternate(lambda: cold(small, ids_10k), lambda: cold(big, ids_1m))
            )
        show("cold cache, 10k", cold_10k)
        show("cold cache, 1M", cold_1m)
        slower = 1 - cold_1m["rps"] / cold_10k["rps"]
        log(
            f"  1M cold is {slower:+.1%} slower than 10k cold in req/s (goal <= 10 %); "
            f"p50 {cold_1m['p50_ms']} vs {cold_10k['p50_ms']} ms"
        )
        cold_figures = dict(cold_10k=cold_10k, cold_1m=cold_1m, cold_1m_slower=round(slower, 3))
    results.update(
        load_average_before=idle_load,
        wrk_ceiling=ceiling,
        wrk_lookup=lookup,
        throughput_ratio=round(ratio, 3),
        load_average_wrk=load_wrk,
        load_average_open_loop=load_ol,
        open_loop_ceiling=ceiling_ol,
        open_loop_lookup=lookup_ol,
        p99_ratio=round(p99_ratio, 3),
        **cold_figures,
        total_seconds=round(time.perf_counter() - started, 1),
    )
    (OUT / "product_lookup.json").write_text(json.dumps(results, indent=2))
    log(f"\nfigures in {OUT / 'product_lookup.json'}; took {results['total_seconds']} s")


if __name__ == "__main__":
    main()
