"""Product reads come from the cache, every kind of change forgets them at once, and a Redis
outage is a cache miss: the database answers, the outage is logged once, and the circuit
breaker makes one connection attempt per CACHE_RETRY_SECONDS, not one per request."""

import json
import logging
import socket
import threading
import time
from decimal import Decimal

import pytest
from django.core.cache import cache, caches

from catalog.models import Product, StockMovement
from catalog.selectors import product_key
from catalog.services import StockLine, save_product, set_stock, take_stock
from grocery import local_cache
from grocery.cache import cache_add, reset_breaker
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_cache_at(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": False,
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
            },
        }
    }


@pytest.fixture
def apple():
    return make_product(product_id="12345", gtin="04006381333931", price=Decimal("1.99"))


@pytest.mark.redis
def test_the_cache_is_real_redis():
    assert type(caches["default"]).__module__.startswith("django_redis")


@pytest.mark.redis
def test_second_lookup_is_served_from_the_cache_without_a_query(
    apple, api_client, django_assert_num_queries
):
    first = api_client.get("/api/products/12345")
    # the cached body is the response less the promotions, which are added on every read
    body = {k: v for k, v in first.json().items() if k != "promotions"}
    assert json.loads(cache.get(product_key("12345", local_cache.current()._epoch))) == body
    with django_assert_num_queries(0):
        second = api_client.get("/api/products/12345")
    assert second.status_code == 200 and second.content == first.content
    assert second["Content-Type"] == "application/json"


@pytest.mark.redis
def test_unknown_product_costs_one_query(apple, api_client, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert api_client.get("/api/products/nope").status_code == 404


def price_seen(api_client) -> float:
    return api_client.get("/api/products/12345").json()["price"]


@pytest.mark.redis
def test_an_admin_style_save_is_seen_at_once(apple, api_client, django_capture_on_commit_callbacks):
    assert price_seen(api_client) == 1.99
    apple.price = Decimal("2.49")
    with django_capture_on_commit_callbacks(execute=True):
        save_product(product=apple)
    assert price_seen(api_client) == 2.49


@pytest.mark.redis
def test_renaming_the_shelf_code_forgets_the_old_one(
    apple, api_client, django_capture_on_commit_callbacks
):
    assert api_client.get("/api/products/12345").status_code == 200
    apple.product_id = "12399"
    with django_capture_on_commit_callbacks(execute=True):
        save_product(product=apple)
    assert api_client.get("/api/products/12345").status_code == 404
    assert api_client.get("/api/products/12399").status_code == 200


@pytest.mark.redis
def test_an_inventory_put_is_seen_at_once(
    apple, api_client, staff_client, django_capture_on_commit_callbacks
):
    assert api_client.get("/api/products/12345").json()["stock"] == 100
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.put(
            "/api/inventory/12345", {"product_id": "12345", "stock": 7}, format="json"
        )
    assert response.status_code == 200
    body = api_client.get("/api/products/12345").json()
    assert (body["stock"], body["stock_state"]) == (7, "low")


@pytest.mark.redis
def test_a_checkout_taking_stock_is_seen_at_once(
    apple, api_client, django_capture_on_commit_callbacks
):
    assert api_client.get("/api/products/gtin/4006381333931").json()["stock"] == 100
    with django_capture_on_commit_callbacks(execute=True):
        take_stock([StockLine(apple.pk, Decimal(3))], reference="T-1")
    assert api_client.get("/api/products/12345").json()["stock"] == 97
    assert api_client.get("/api/products/gtin/4006381333931").json()["stock"] == 97


@pytest.mark.redis
def test_a_stale_fill_racing_a_change_cannot_overwrite_it(
    apple, api_client, django_capture_on_commit_callbacks
):
    # A reader loads the row, a stock count commits, then the reader stores what it loaded.
    stale = api_client.get("/api/products/12345").content
    with django_capture_on_commit_callbacks(execute=True):
        set_stock(product=apple, stock=Decimal(5))
    cache_add(product_key("12345", local_cache.current()._epoch), stale)
    assert api_client.get("/api/products/12345").json()["stock"] == 5


@pytest.mark.redis
def test_the_cache_refills_once_the_change_has_settled(
    apple, api_client, settings, django_capture_on_commit_callbacks, django_assert_num_queries
):
    settings.CACHE_FORGET_SECONDS = 1
    with django_capture_on_commit_callbacks(execute=True):
        set_stock(product=apple, stock=Decimal(5))
    time.sleep(1.1)
    api_client.get("/api/products/12345")
    with django_assert_num_queries(0):
        assert api_client.get("/api/products/12345").json()["stock"] == 5


def test_with_redis_down_every_endpoint_answers_from_the_database(
    apple, api_client, staff_client, settings, caplog, django_capture_on_commit_callbacks
):
    settings.CACHES = redis_cache_at(closed_port())
    reset_breaker()
    caplog.set_level(logging.WARNING, logger="grocery.cache")
    for _ in range(3):
        assert api_client.get("/api/products/12345").json()["price"] == 1.99
        assert api_client.get("/api/products/4006381333931").json()["product_id"] == "12345"
        assert api_client.get("/api/products/gtin/4006381333931").status_code == 200
        assert api_client.get("/api/scan/4006381333931").status_code == 200
        assert api_client.get("/api/products/", {"q": "12345"}).json()["count"] == 1
        assert api_client.get("/api/products/nope").status_code == 404
        assert (
            api_client.get("/01/04006381333931", HTTP_ACCEPT="application/json").status_code == 200
        )
        assert api_client.get("/p/12345/qr.svg").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.put(
            "/api/inventory/12345", {"product_id": "12345", "stock": 42}, format="json"
        )
    assert response.status_code == 200
    assert StockMovement.objects.get().resulting_stock == 42
    assert api_client.get("/api/products/12345").json()["stock"] == 42
    outages = [r for r in caplog.records if r.name == "grocery.cache"]
    assert [r.getMessage().split(":")[0] for r in outages] == [
        "Cache unreachable, serving from the database"
    ]


class CountingServer:
    """Accepts TCP connections, counts them and hangs up: a Redis that never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def settle(self) -> int:
        time.sleep(0.05)
        return self.accepted


def test_the_breaker_tries_redis_once_per_retry_period(apple, api_client, settings):
    server = CountingServer()
    try:
        settings.LOCAL_CACHE = False  # its listener reconnects on its own schedule (its own tests)
        settings.CACHES = redis_cache_at(server.port)
        settings.CACHE_RETRY_SECONDS = 3  # roomy: a busy CI box must not reach it by accident
        reset_breaker()
        started = time.monotonic()
        for _ in range(10):
            assert api_client.get("/api/products/12345").status_code == 200
        assert server.settle() == 1
        time.sleep(max(0.0, started + 3.1 - time.monotonic()))
        for _ in range(10):
            assert api_client.get("/api/products/12345").status_code == 200
        assert server.settle() == 2
    finally:
        server.sock.close()


@pytest.mark.redis
def test_changes_made_during_an_outage_are_forgotten_when_redis_is_back(
    apple, api_client, settings, django_capture_on_commit_callbacks
):
    assert api_client.get("/api/products/12345").json()["stock"] == 100  # cached in Redis
    working = settings.CACHES
    settings.CACHES = redis_cache_at(closed_port())
    settings.CACHE_RETRY_SECONDS = 0.1
    reset_breaker()
    with django_capture_on_commit_callbacks(execute=True):
        set_stock(product=Product.objects.get(pk=apple.pk), stock=Decimal(3))
    settings.CACHES = working
    time.sleep(0.15)
    assert api_client.get("/api/products/12345").json()["stock"] == 3
