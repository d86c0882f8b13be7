"""make stack-check: a shop day through the TLS load balancer while faults run, then the books.

200 simulated customers (asyncio + httpx, one keep-alive TLS connection and cookie jar each)
scan (80 %), change their carts (15 %) and pay (5 %: a quote, then the checkout with an
Idempotency-Key, retried once with the same key after a failure; a "pending" answer is followed
by polling the receipt). Meanwhile the fault schedule runs through deploy/stack.sh fault NAME.
Printed: availability (successful customer requests / all), p50/p99 per request type (all, and
outside the fault windows), errors by kind, then the books from the database and the gateway.

Run by deploy/stack.sh check [--short] (the stack's environment is set); exit 1 if the books do
not balance or availability is below --min-availability (default 99.9).
"""

import argparse
import asyncio
import os
import random
import ssl
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grocery.settings")

LB = os.environ["STACK_LB"]
STRIPE = os.environ["STACK_STRIPE"]
OK = {"scan": {200}, "cart": {200, 201}, "quote": {200}, "checkout": {201, 202}, "receipt": {200}}

# (seconds from the start, fault, seconds the window lasts at least). Gateway faults end with
# gateway-ok; a window is also widened to the time its command took (a rolling restart).
FULL = [
    (60, "kill-web1", 15),
    (120, "rolling-restart", 10),
    (200, "restart-redis", 15),
    (260, "stop-replica", 30),
    (290, "start-replica", 10),
    (340, "restart-primary", 15),
    (400, "gateway-slow", 40),
    (440, "gateway-5xx", 40),
    (480, "gateway-timeout", 40),
    (505, "kill-worker", 15),  # mid-task: reconciliations of the unanswered charges are running
    (520, "gateway-ok", 20),
]
SHORT = [
    (10, "kill-web1", 10),
    (22, "rolling-restart", 5),
    (45, "restart-redis", 10),
    (58, "stop-replica", 10),
    (68, "start-replica", 5),
    (78, "restart-primary", 10),
    (92, "gateway-slow", 8),
    (100, "gateway-5xx", 8),
    (108, "gateway-timeout", 12),
    (116, "kill-worker", 5),
    (120, "gateway-ok", 10),
]


@dataclass
class Run:
    started: float = field(default_factory=time.monotonic)
    samples: list = field(default_factory=list)  # (kind, start, seconds, error or "")
    windows: list = field(default_factory=list)  # (fault, start, end)

    def record(self, kind, start, error=""):
        self.samples.append((kind, start - self.started, time.monotonic() - start, error))


def ssl_context():
    return ssl.create_default_context(cafile=os.environ["STACK_CA"])


async def call(run, client, kind, method, path, **kwargs):
    start = time.monotonic()
    try:
        response = await client.request(method, path, **kwargs)
    except httpx.TimeoutException:
        run.record(kind, start, "timeout")
        return None
    except httpx.HTTPError as exc:
        run.record(kind, start, type(exc).__name__)
        return None
    error = "" if response.status_code in OK[kind] else f"http {response.status_code}"
    run.record(kind, start, error)
    return response


async def customer(run, products, each_products, stop_at, think):
    cart: dict[str, int] = {}
    async with httpx.AsyncClient(
        base_url=LB,
        verify=ssl_context(),
        timeout=httpx.Timeout(40.0, connect=5.0),
        limits=httpx.Limits(max_connections=2, max_keepalive_connections=1),
    ) as client:
        # As the PWA does on opening: the cart token it gets is who this customer is (its
        # rate limits are its own, not the shop Wi-Fi address's).
        await call(run, client, "cart", "GET", "/api/cart")
        while time.monotonic() < stop_at:
            await asyncio.sleep(random.expovariate(1 / think))
            roll = random.random()
            if roll < 0.80:
                await call(run, client, "scan", "GET", f"/api/products/{random.choice(products)}")
            elif roll < 0.95 or not cart:
                await change_cart(run, client, cart, each_products)
            else:
                await checkout(run, client, cart)


async def change_cart(run, client, cart, each_products):
    if cart and random.random() < 0.3:
        product = random.choice(list(cart))
        if random.random() < 0.5:
            cart[product] = random.randint(1, 3)
            body = {"quantity": cart[product]}
            await call(run, client, "cart", "PUT", f"/api/cart/lines/{product}", json=body)
        else:
            del cart[product]
            await call(run, client, "cart", "DELETE", f"/api/cart/lines/{product}")
        return
    product = random.choice(each_products)
    response = await call(
        run, client, "cart", "POST", "/api/cart/lines", json={"product_id": product, "quantity": 1}
    )
    if response is not None and response.status_code in OK["cart"]:
        cart[product] = cart.get(product, 0) + 1


async def checkout(run, client, cart):
    lines = [{"product_id": p, "quantity": q} for p, q in sorted(cart.items())]
    quote = await call(run, client, "quote", "POST", "/api/checkout/quote", json={"cart": lines})
    if quote is None or quote.status_code != 200:
        return
    body = {
        "customer_id": "stack-check",
        "cart": lines,
        "payment_method": "credit_card",
        "total_amount": quote.json()["total"],
        "payment_token": "pm_card_visa",
    }
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    for _attempt in range(2):  # a failed request is retried once, with the same key
        response = await call(
            run, client, "checkout", "POST", "/api/checkout", json=body, headers=headers
        )
        if response is not None and response.status_code in OK["checkout"]:
            break
        await asyncio.sleep(1)
    else:
        return
    answer = response.json()
    for _poll in range(3):
        if answer.get("status") != "pending":
            break
        await asyncio.sleep(float(response.headers.get("Retry-After", 2)))
        response = await call(
            run, client, "receipt", "GET", f"/api/receipts/{answer['transaction_id']}"
        )
        if response is None or response.status_code != 200:
            break
        answer = response.json()
    cart.clear()  # paid, or pending and settled later: either way this basket is done


async def faults(run, schedule, stop_at):
    for offset, fault, lasts in schedule:
        await asyncio.sleep(max(0, run.started + offset - time.monotonic()))
        if time.monotonic() >= stop_at:
            return
        began = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            str(ROOT / "deploy" / "stack.sh"), "fault", fault, stdout=subprocess.DEVNULL
        )
        code = await process.wait()
        ended = max(time.monotonic(), began + lasts)
        run.windows.append((fault, began - run.started, ended - run.started))
        print(f"  t={began - run.started:6.1f}s fault {fault} (exit {code})", flush=True)


async def shop_day(run, products, each_products, seconds, customers, think, schedule):
    stop_at = run.started + seconds
    tasks = [
        asyncio.create_task(customer(run, products, each_products, stop_at, think))
        for _ in range(customers)
    ]
    tasks.append(asyncio.create_task(faults(run, schedule, stop_at)))
    await asyncio.gather(*tasks)


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def windows_of(run, sample) -> list[str]:
    """The faults a request met: those whose window (plus 5 s) overlaps the request's own time,
    so one in flight when a database restarts counts with that restart, not as a calm failure."""
    _, began, seconds, _ = sample
    return [
        name for name, start, end in run.windows if began <= end + 5 and began + seconds >= start
    ]


def report(run, seconds):
    total = len(run.samples)
    failed = [s for s in run.samples if s[3]]
    availability = 100.0 * (total - len(failed)) / max(total, 1)
    print(f"\nrequests: {total} in {seconds:.0f} s = {total / seconds:.1f}/s")
    print(f"availability: {availability:.3f} % ({len(failed)} failed)")
    print(f"{'type':9} {'count':>7} {'p50 ms':>8} {'p99 ms':>8} {'p99 calm':>9} {'errors':>7}")
    by_kind = defaultdict(list)
    for sample in run.samples:
        by_kind[sample[0]].append(sample)
    for kind in ("scan", "cart", "quote", "checkout", "receipt"):
        rows = by_kind.get(kind, [])
        latencies = [s[2] * 1000 for s in rows if not s[3]]
        calm = [s[2] * 1000 for s in rows if not s[3] and not windows_of(run, s)]
        errors = sum(1 for s in rows if s[3])
        print(
            f"{kind:9} {len(rows):7} {percentile(latencies, 0.5):8.1f} "
            f"{percentile(latencies, 0.99):8.1f} {percentile(calm, 0.99):9.1f} {errors:7}"
        )
    kinds = Counter((s[0], s[3], "+".join(windows_of(run, s)) or "no fault") for s in failed)
    if kinds:
        print("errors by kind (type, error, fault window):")
        for (kind, error, window), count in kinds.most_common():
            print(f"  {count:5} {kind} {error} during {window}")
    rolling = [w for w in run.windows if w[0] == "rolling-restart"]
    for _, start, end in rolling:
        during = sum(1 for s in failed if "rolling-restart" in windows_of(run, s))
        print(f"rolling restart {start:.0f}-{end:.0f} s: {during} failed requests")
    return availability


def snapshot():
    from catalog.models import Product

    return dict(Product.objects.values_list("pk", "stock"))


def settle(wait_seconds):
    """Reconciliation runs by itself (its own task per unanswered charge, beat's pass): wait for it."""
    from django.db import connections

    from checkout.models import Order

    connections.close_all()  # the primary restarted under the one taken for the snapshot
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if not Order.objects.filter(status__in=Order.OPEN).exists():
            return True
        time.sleep(2)
    return False


def books(initial, since):
    from django.db.models import Count, Q, Sum

    from checkout.models import Order, OrderEvent, OrderLine

    problems = []
    sold = dict(
        OrderLine.objects.filter(transaction__status__in=(*Order.PAID, *Order.OPEN))
        .filter(transaction__created_at__gte=since)
        .values_list("product_id")
        .annotate(q=Sum("quantity"))
    )
    now = snapshot()
    for pk, stock in initial.items():
        if stock - now.get(pk, Decimal(0)) != sold.get(pk, Decimal(0)):
            problems.append(f"product {pk}: {stock} - {now.get(pk)} != sold {sold.get(pk, 0)}")
    orders = Order.objects.filter(created_at__gte=since)
    statuses = Counter(orders.values_list("status", flat=True))
    open_left = orders.filter(status__in=Order.OPEN).count()
    if open_left:
        problems.append(f"{open_left} orders still open after reconciliation")
    twice = (
        OrderEvent.objects.filter(transaction__in=orders)
        .exclude(to_status__in=Order.OPEN)
        .values("transaction")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    if twice:
        problems.append(f"{twice} orders settled more than once")
    auth = {"Authorization": "Bearer sk_test_fake"}
    intents = httpx.get(f"{STRIPE}/v1/payment_intents", headers=auth, timeout=30).json()["data"]
    captured = Counter(
        i["metadata"].get("transaction_id") for i in intents if i["status"] == "succeeded"
    )
    paid = dict(
        orders.filter(status__in=Order.PAID).values_list("transaction_id", "gateway_payment_id")
    )
    for tx in paid:
        if captured.get(tx) != 1:
            problems.append(f"paid order {tx} has {captured.get(tx, 0)} captured payments")
    refunded = set(orders.filter(status="refunded").values_list("transaction_id", flat=True))
    for tx, count in captured.items():
        if tx not in paid and tx not in refunded:
            problems.append(f"captured payment for {tx} has no paid order")
        if count > 1:
            problems.append(f"{tx} charged {count} times")
    unanswered = OrderEvent.objects.filter(
        transaction__in=orders, reason__startswith="charge: no answer"
    )
    settled_paid = orders.filter(Q(pk__in=unanswered.values("transaction")), status__in=Order.PAID)
    print(
        f"\nbooks: orders {dict(statuses)}; captured payments {sum(captured.values())}; "
        f"charges left unanswered {unanswered.count()} (settled paid by reconciliation: "
        f"{settled_paid.count()}); products checked {len(initial)}"
    )
    for problem in problems[:20]:
        print("  PROBLEM:", problem)
    print("books balance" if not problems else f"books DO NOT balance ({len(problems)} problems)")
    return not problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--short", action="store_true", help="about 2.5 minutes, for CI")
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between actions")
    parser.add_argument("--min-availability", type=float, default=99.9)
    args = parser.parse_args()
    import logging

    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    from django.utils import timezone

    from catalog.models import Product

    seconds, schedule = (140, SHORT) if args.short else (600, FULL)
    products = list(Product.objects.values_list("product_id", flat=True))
    each = list(Product.objects.filter(unit="each").values_list("product_id", flat=True))
    since = timezone.now()
    initial = snapshot()
    load = os.getloadavg()
    print(
        f"shop day: {args.customers} customers for {seconds} s through {LB}; "
        f"load average before {load[0]:.2f} ({os.cpu_count()} cores)",
        flush=True,
    )
    run = Run()
    asyncio.run(shop_day(run, products, each, seconds, args.customers, args.think, schedule))
    elapsed = time.monotonic() - run.started
    print(f"load average after {os.getloadavg()[0]:.2f}")
    availability = report(run, elapsed)
    settled = settle(90 if args.short else 180)
    print(f"\nreconciliation settled every open order: {settled}")
    balanced = books(initial, since)
    sys.exit(0 if balanced and availability >= args.min_availability else 1)


if __name__ == "__main__":
    main()
