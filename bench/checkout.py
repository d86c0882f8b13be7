"""Checkout throughput and latency with the simulated gateway, on PostgreSQL behind gunicorn.

    make bench-checkout            (or: .venv/bin/python bench/checkout.py)

Creates a throw-away database, seeds a shop, serves it with gunicorn (sync workers), then:
  1. wrk at 20 and at 50 concurrent clients, each request a real checkout of 1-3 random products
     (server-side pricing, stock taken under row locks, a simulated charge, the receipt);
  2. the contention run: 200 buyers at once for a product with 50 recorded units (STOCK_POLICY=record
     sells all 200 and leaves exactly -150; STOCK_POLICY=reserve sells exactly 50).
Prints checkouts/s, p50/p99 and the stock check, then stops the server and drops the database.
Goals: >= 100 checkouts/s on 2 cores, p99 < 300 ms at 20 clients, no lost stock update.
"""

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORTS = range(8210, 8240)
DURATION = int(os.environ.get("BENCH_SECONDS", "20"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
BASE_DB = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/grocery_checkout")
DB_NAME = f"grocery_bench_checkout_{os.getpid()}"
DB_URL = BASE_DB.rsplit("/", 1)[0] + f"/{DB_NAME}"
PRODUCTS = 200

LUA = r"""
local products = {}
local counter = 0
function init(args)
  for line in io.lines(args[1]) do
    local id, cents = line:match("([^,]+),(%d+)")
    products[#products + 1] = {id = id, cents = tonumber(cents)}
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end
function request()
  local n = math.random(3)
  local items, total, seen = {}, 0, {}
  while #items < n do
    local p = products[math.random(#products)]
    if not seen[p.id] then
      seen[p.id] = true
      items[#items + 1] = string.format('{"product_id":"%s","quantity":1}', p.id)
      total = total + p.cents
    end
  end
  local body = string.format(
    '{"customer_id":"bench","cart":[%s],"payment_method":"credit_card","total_amount":%d.%02d}',
    table.concat(items, ","), math.floor(total / 100), total % 100)
  return wrk.format("POST", "/api/checkout", {["Content-Type"] = "application/json"}, body)
end
function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d non2xx=%d errors=%d seconds=%.2f p50=%.1f p99=%.1f max=%.1f\n",
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
"""


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise SystemExit("no free port in 8210-8239")


def admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(BASE_DB.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(sql)


def server_env(port: int) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": DB_URL,
        "DEBUG": "0",
        "ALLOW_SIMULATED_PAYMENTS": "1",  # a measurement: no money moves
        "SECRET_KEY": "bench-only-" + "k" * 50,
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PAYMENT_GATEWAY": "simulated",
        "LOG_LEVEL": "WARNING",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    env.setdefault("CACHE_KEY_PREFIX", f"bench-checkout-{os.getpid()}")
    # Every request comes from one address without a cart token: to the rate limits it is one
    # customer. The bench measures checkout, so it lifts them (they are still counted).
    env.setdefault("THROTTLE_CHECKOUT_RATE", "1000000/min")
    env.setdefault("THROTTLE_ADDRESS_RATE", "1000000/min")
    return env


def setup_django(env: dict) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grocery.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed() -> list[tuple[str, int]]:
    from catalog.models import Category, Product

    category = Category.objects.create(name="Bench", slug="bench")
    rng = random.Random(7)
    products = [
        Product(
            product_id=f"B{i:04d}",
            name=f"Bench product {i}",
            category=category,
            price=Decimal(rng.randrange(49, 999)) / 100,
            stock=Decimal(1_000_000),
        )
        for i in range(PRODUCTS)
    ]
    products.append(
        Product(
            product_id="SCARCE", name="Last 50", category=category, price=Decimal("2.50"), stock=50
        )
    )
    Product.objects.bulk_create(products)
    return [(p.product_id, int(p.price * 100)) for p in products[:PRODUCTS]]


def wait_until_up(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited")
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/checkout/config")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer")


def cpu_seconds(pids) -> float:
    """User + system CPU of these processes so far (Linux /proc; the machine is shared, so CPU
    spent per checkout is the figure the other tenants do not distort)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def serving_pids(
    server: subprocess.Popen, db_url: str = DB_URL, db_name: str = DB_NAME
) -> list[int]:
    """The gunicorn master and workers, and the PostgreSQL backends serving the bench database."""
    import psycopg

    pids = [server.pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == server.pid:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [db_name],
        ).fetchall()
    return pids + [row[0] for row in rows]


def run_wrk(port: int, clients: int, script: Path, products_file: Path, seconds: int) -> dict:
    out = subprocess.run(
        [
            "wrk",
            f"-t{min(clients, 2)}",
            f"-c{clients}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
            "--",
            str(products_file),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next((line for line in out.stdout.splitlines() if line.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result:\n{out.stdout}\n{out.stderr}")
    figures = dict(part.split("=") for part in line.split()[1:])
    return {k: float(v) for k, v in figures.items()}


def contention(port: int, buyers: int = 200) -> dict:
    """Every buyer sends at once (a barrier), each on its own connection."""
    body = json.dumps(
        {
            "customer_id": "race",
            "cart": [{"product_id": "SCARCE", "quantity": 1}],
            "payment_method": "credit_card",
            "total_amount": 2.50,
        }
    )
    barrier = threading.Barrier(buyers)
    statuses: list[int] = []
    lock = threading.Lock()

    def buy():
        conn = HTTPConnection("127.0.0.1", port, timeout=60)
        conn.connect()
        barrier.wait()
        conn.request("POST", "/api/checkout", body, {"Content-Type": "application/json"})
        status = conn.getresponse().status
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=buy) for _ in range(buyers)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    from catalog.models import Product, StockMovement
    from checkout.models import Order

    scarce = Product.objects.get(product_id="SCARCE")
    return {
        "201": statuses.count(201),
        "409": statuses.count(409),
        "other": len(statuses) - statuses.count(201) - statuses.count(409),
        "stock_left": scarce.stock,
        "sale_movements": StockMovement.objects.filter(product=scarce, reason="sale").count(),
        "paid_transactions": Order.objects.filter(
            status="succeeded", lines__product=scarce
        ).count(),
        "seconds": elapsed,
    }


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed")
    port = free_port()
    env = server_env(port)
    admin_sql(f'CREATE DATABASE "{DB_NAME}"')
    server = None
    workdir = Path(tempfile.mkdtemp(prefix="bench-checkout-"))
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        setup_django(env)
        products = seed()
        products_file = workdir / "products.csv"
        products_file.write_text("".join(f"{pid},{cents}\n" for pid, cents in products))
        script = workdir / "checkout.lua"
        script.write_text(LUA)
        server_log = workdir / "server.log"  # 409s of the contention run are logged as warnings
        server = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "grocery.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(WORKERS),
                "--no-control-socket",
                "--log-level",
                "warning",
                "--backlog",
                "2048",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=server_log.open("w"),
        )
        wait_until_up(port, server)
        load = os.getloadavg()
        print(
            f"checkout bench: gunicorn {WORKERS} sync workers, PostgreSQL, simulated gateway, "
            f"{os.cpu_count()} cores, load average before {load[0]:.1f}"
        )
        run_wrk(port, 10, script, products_file, 3)  # warm up connections and code paths
        for clients in (20, 50):
            pids = serving_pids(server)
            cpu_before = cpu_seconds(pids)
            r = run_wrk(port, clients, script, products_file, DURATION)
            cpu_ms = (cpu_seconds(pids) - cpu_before) * 1000
            ok = r["requests"] - r["non2xx"]
            print(
                f"{clients:>3} clients: {ok / r['seconds']:7.1f} checkouts/s   p50 {r['p50']:6.1f} ms"
                f"   p99 {r['p99']:6.1f} ms   max {r['max']:6.1f} ms   non-2xx {int(r['non2xx'])}"
                f"   socket errors {int(r['errors'])}   ({int(ok)} checkouts in {r['seconds']:.0f} s)"
            )
            per = cpu_ms / max(ok, 1)
            print(
                f"             CPU per checkout {per:.1f} ms (gunicorn + PostgreSQL backends)"
                f" -> {2000 / per:.0f} checkouts/s if 2 cores were ours alone;"
                f" load average now {os.getloadavg()[0]:.1f}"
            )
        c = contention(port)
        # reserve sells exactly the 50 recorded units; record (the default) sells what all 200
        # hold and loses no decrement: 50 - 200.
        policy = env.get("STOCK_POLICY", "record")
        sold = 50 if policy == "reserve" else 200
        verdict = (
            "OK"
            if c["201"] == sold and c["stock_left"] == 50 - sold and c["paid_transactions"] == sold
            else "FAIL"
        )
        print(
            f"contention (STOCK_POLICY={policy}): 200 buyers for 50 units -> {c['201']} sold (201), "
            f"{c['409']} refused (409), "
            f"{c['other']} other; stock left {c['stock_left']}, sale movements {c['sale_movements']}, "
            f"paid transactions {c['paid_transactions']}  [{verdict}] in {c['seconds']:.1f} s"
        )
        errors = [line for line in server_log.read_text().splitlines() if " ERROR " in line]
        print(f"server errors logged: {len(errors)}", *errors[:5], sep="\n")
    finally:
        if server is not None:
            server.terminate()
            server.wait(15)
        from django.db import connections

        connections.close_all()
        admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
