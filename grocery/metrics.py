"""Prometheus metrics of the web and worker processes (the /metrics page is shop.metrics).

Counters live in each process; with PROMETHEUS_MULTIPROC_DIR set (several gunicorn workers, as
in deploy/), prometheus-client writes them to files there and the page sums every process's.
"""

import time

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "grocery_http_requests_total", "HTTP requests answered", ["route", "method", "status"]
)
LATENCY = Histogram(
    "grocery_http_request_seconds",
    "Time to answer a request, by route",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CHECKOUTS = Counter("grocery_checkouts_total", "Checkout answers by status", ["status"])
CHARGES = Counter(
    "grocery_payment_charges_total",
    "Charges sent to the gateway, by what came back (answered, no_answer, refused)",
    ["outcome"],
)
CACHE_LOOKUPS = Counter(
    "grocery_product_cache_lookups_total", "Product cache lookups (hit or miss)", ["result"]
)


def count_cache_lookup(*, hit: bool) -> None:
    CACHE_LOOKUPS.labels(result="hit" if hit else "miss").inc()


class MetricsMiddleware:
    """Counts and times every request by its URL pattern's name (never the raw path: ids would
    make a series per product)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = (match.view_name if match else "") or "unmatched"
        LATENCY.labels(route=route).observe(time.perf_counter() - started)
        REQUESTS.labels(route=route, method=request.method, status=response.status_code).inc()
        return response
