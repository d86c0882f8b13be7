#!/usr/bin/env python
"""Benchmark: how long after a stock change commits does every process serve the new value?

    .venv/bin/python bench/staleness.py        # CHANGES=1000 READERS=3

A writer (this process) sets one product's stock to 1, 2, ... CHANGES through the stock service,
noting when each call returned (commit and invalidation done). READERS processes, forked from it
as gunicorn forks its workers, poll the product through the same lookup as the API view
(catalog.selectors.get_product_json, so process memory -> Redis -> PostgreSQL) and note when each
read began and what it saw. A read that began after change k had returned but saw a value below k
is stale, late by the time since the first change it missed. Halfway, Redis is restarted from its
RDB file (the old entries come back) while the writer keeps writing: changes whose invalidation
cannot reach Redis.

Prints the largest lateness over all changes and processes, and the stale reads later than
5 ms (the goal: none), for the whole run and for the changes around the restart.
It runs its own redis-server (free port, its own folder) and the database grocery_bench_staleness.
"""

import contextlib
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHANGES = int(os.environ.get("CHANGES", "1000"))
READERS = int(os.environ.get("READERS", "3"))
INTERVAL = float(os.environ.get("INTERVAL", "0.01"))  # between changes
POLL = 0.0002  # between a reader's reads (a busy loop would starve the writer on 2 cores)
GOAL_MS = 5.0
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
PRODUCT = "10000"


def log(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, folder: str):
        self.port = free_port()
        self.folder = folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.folder],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        for _ in range(500):
            try:
                redis.Redis(port=self.port).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        import redis

        with contextlib.suppress(redis.ConnectionError):
            redis.Redis(port=self.port).shutdown(save=True)  # the RDB brings old entries back
        self.process.wait(10)


def prepare_database() -> str:
    import psycopg

    name = "grocery_bench_staleness"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG}/{name}"
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
    env.pop("REDIS_URL", None)
    for args in (("migrate", "--no-input", "-v0"), ("seed_demo", "--products", "100")):
        subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
            capture_output=True, timeout=600,
        )  # fmt: skip
    return url


def reader(ready, stop, results) -> None:
    """One process: poll the product until told to stop; send back (began, stock) per read."""
    import json

    from django.db import connections

    from catalog.selectors import get_product_json
    from grocery import local_cache

    connections.close_all()  # the writer's connection is not ours
    local_cache.current()  # a new listener: this is a forked child
    began, seen, errors = array("d"), array("l"), 0
    get_product_json(PRODUCT)
    ready.set()
    while not stop.is_set():
        start = time.monotonic()
        try:
            value = json.loads(get_product_json(PRODUCT))["stock"]
        except Exception:  # noqa: BLE001 - counted, shown
            errors += 1
            continue
        began.append(start)
        seen.append(int(value))
        time.sleep(POLL)
    local = local_cache.current()
    results.put((os.getpid(), began.tobytes(), seen.tobytes(), errors, local.hits))


def main() -> None:
    if shutil.which("redis-server") is None:
        sys.exit("redis-server is needed")
    folder = tempfile.mkdtemp(prefix="staleness-")
    server = RedisServer(folder)
    try:
        run(server)
    finally:
        if server.process.poll() is None:
            server.process.terminate()
            server.process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def run(server: RedisServer) -> None:
    os.environ.update(
        DATABASE_URL=prepare_database(),
        REDIS_URL=server.url,
        CACHE_KEY_PREFIX="staleness",
        DJANGO_SETTINGS_MODULE="grocery.settings",
        LOCAL_CACHE="1",
        LOG_LEVEL="ERROR",
        DEBUG="0",  # DEBUG would keep every query in memory
    )
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "k" * 50)
    import django

    django.setup()
    from decimal import Decimal

    from django.db import connections

    from catalog.models import Product
    from catalog.services import set_stock
    from grocery import local_cache

    product = Product.objects.get(product_id=PRODUCT)
    set_stock(product=product, stock=Decimal(0))
    local_cache.current()  # the parent tracks too: each child must start its own after fork
    connections.close_all()
    load_before = os.getloadavg()
    context = multiprocessing.get_context("fork")
    stop, results = context.Event(), context.Queue()
    readies = [context.Event() for _ in range(READERS)]
    procs = [context.Process(target=reader, args=(r, stop, results)) for r in readies]
    for proc in procs:
        proc.start()
    for ready in readies:
        ready.wait(60)

    restart_at = CHANGES // 2
    restart = {"down": 0.0, "up": 0.0}

    def restart_redis():
        restart["down"] = time.monotonic()
        server.stop()
        time.sleep(0.3)  # the writer keeps writing meanwhile
        server.start()
        restart["up"] = time.monotonic()

    done = array("d")  # done[k - 1]: when set_stock(k) returned
    restarter = None
    log(f"{READERS} reader processes, {CHANGES} changes every {INTERVAL * 1000:g} ms; "
        f"Redis restarted from its RDB file at change {restart_at}")  # fmt: skip
    for k in range(1, CHANGES + 1):
        if k == restart_at:
            restarter = threading.Thread(target=restart_redis)
            restarter.start()
        set_stock(product=product, stock=Decimal(k))
        done.append(time.monotonic())
        time.sleep(INTERVAL)
    restarter.join()
    time.sleep(0.5)
    stop.set()
    reads = [results.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(10)
    load_after = os.getloadavg()

    def lateness(began: float, value: int) -> float:
        """How late a read was: 0 if fresh, else the time since the first change it missed."""
        missed = value + 1
        if missed > CHANGES or done[missed - 1] > began:
            return 0.0
        return began - done[missed - 1]

    around = (restart["down"] - 0.05, restart["up"] + 1.0)  # reads near the restart
    worst, worst_restart, stale, stale_restart, total, errors = 0.0, 0.0, 0, 0, 0, 0
    per_process = []
    delays: list[float] = []  # per change and process: how long it kept serving the old value
    hits = 0
    for pid, began_bytes, seen_bytes, errs, hits_here in reads:
        hits += hits_here
        began, seen = array("d"), array("l")
        began.frombytes(began_bytes)
        seen.frombytes(seen_bytes)
        errors += errs
        total += len(began)
        late_here = 0.0
        last_stale: dict[int, float] = {}  # per change missed: the latest stale read's lateness
        for t, v in zip(began, seen, strict=True):
            late = lateness(t, v)
            if late:
                last_stale[v + 1] = late
            late_here = max(late_here, late)
            near = around[0] <= t <= around[1]
            if near:
                worst_restart = max(worst_restart, late)
            else:
                worst = max(worst, late)
            if late * 1000 > GOAL_MS:
                stale += 1
                stale_restart += near
        delays += [last_stale.get(k, 0.0) for k in range(1, CHANGES + 1)]
        per_process.append(f"{pid}: {len(began)} reads, {late_here * 1000:.2f} ms")
    fresh_after = sum(1 for t in done if t > restart["up"])
    log(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min)")
    log(f"reads: {total} in {READERS} processes ({'; '.join(per_process)}); errors: {errors}; "
        f"{hits / max(total, 1):.0%} from process memory")  # fmt: skip
    log(f"changes: {len(done)}; Redis down {restart['up'] - restart['down']:.2f} s, "
        f"{fresh_after} changes after it came back")  # fmt: skip
    log(f"largest delay, change committed -> every process serves it: {worst * 1000:.2f} ms "
        f"(outside the restart), {worst_restart * 1000:.2f} ms (around it)   goal <= {GOAL_MS} ms")  # fmt: skip
    delays.sort()
    log("per change and process, ms: "
        + ", ".join(f"p{q:g} {delays[min(len(delays) - 1, int(len(delays) * q / 100))] * 1000:.2f}"
                    for q in (50, 90, 99, 99.9)))  # fmt: skip
    log(f"stale reads later than {GOAL_MS} ms: {stale} ({stale_restart} around the restart)   "
        "goal 0")  # fmt: skip


if __name__ == "__main__":
    main()
