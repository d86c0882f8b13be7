"""The per-process product cache in front of Redis (grocery.local_cache): a change reaches every
process through Redis's tracking messages, a read that raced a change is never kept, and when
tracking is in doubt (a dropped connection, a restart, a write Redis never heard of) neither
memory nor Redis is trusted until a new epoch voids what they held.

Each test runs its own redis-server (on a free port, in its own folder, saving an RDB file on
shutdown so that a restart brings the old entries back: the hard case), never the shared one.
"""

import contextlib
import os
import pickle
import shutil
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from django.db import connection

from catalog.models import Product
from catalog.selectors import get_product_json, get_product_payload, product_key
from catalog.services import set_stock
from grocery import local_cache
from grocery.cache import cache_add, reset_breaker
from grocery.local_cache import LRU
from tests.factories import make_product

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "lc-test"

needs_redis_server = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed"
)


# A product read from PostgreSQL: its row (with the category), its further codes, its translations.
LOAD_QUERIES = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A private redis-server that can be stopped and started again on the same port and data."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None
        self.start()

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2)

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder), "--dbfilename", "dump.rdb"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        """Shut down saving its data, as a restart would."""
        with contextlib.suppress(redis.ConnectionError):
            self.client().shutdown(save=True)
        self.process.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def redis_server(tmp_path, settings):
    server = RedisServer(tmp_path)
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": PREFIX,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 2},
        }
    }
    settings.LOCAL_CACHE = True
    settings.CACHE_RETRY_SECONDS = 0.05
    reset_breaker()
    yield server
    local_cache.reset()
    if server.process.poll() is None:
        server.process.terminate()
        server.process.wait(10)


@pytest.fixture
def apple():
    return make_product(product_id="12345", stock=Decimal(100))


@pytest.fixture
def hooks():
    """Test hooks set by a test are removed after it."""
    yield local_cache
    local_cache.after_remote_read = None
    local_cache.before_reconnect = None


def tracking() -> local_cache.LocalCache:
    local = local_cache.current()
    assert local.wait(lambda c: c.epoch() is not None), "tracking did not come up"
    return local


def redis_commands(server: RedisServer, call) -> int:
    """How many commands Redis ran while call() did (which must return true)."""
    client = server.client()

    def count() -> int:
        return client.info("stats")["total_commands_processed"]

    baseline = -count() + count()  # what the asking itself costs
    before = count()
    assert call()
    return count() - before - baseline


def stock(product_id: str = "12345") -> float:
    return get_product_payload(product_id)["stock"]


def held(local: local_cache.LocalCache, product_id: str = "12345") -> bytes | None:
    from django.core.cache import cache

    epoch = local._epoch
    return None if epoch is None else local.lru.get(cache.make_key(product_key(product_id, epoch)))


def warm(local: local_cache.LocalCache) -> None:
    """Read the product into memory: the first read fills Redis, whose message about that fill
    must be handled before a read from Redis is kept."""
    stock()
    assert local.wait(lambda c: not c._pending())
    assert stock() == 100
    assert held(local) is not None


def test_the_byte_bound_holds_whatever_is_put_in():
    lru = LRU(max_bytes=50_000)
    for n in range(10_000):
        lru.put(f"product:{n}", b"x" * (n % 700))
        assert lru.nbytes <= 50_000
    assert 0 < len(lru) < 10_000
    lru.put("huge", b"x" * 60_000)  # larger than the bound: not kept, nothing evicted for it
    assert lru.get("huge") is None and lru.nbytes <= 50_000


@pytest.mark.django_db
@needs_redis_server
def test_a_hit_costs_no_query_and_no_redis_call(redis_server, apple, django_assert_num_queries):
    local = tracking()
    warm(local)
    with django_assert_num_queries(0):
        assert redis_commands(redis_server, lambda: stock() == 100) == 0


@pytest.mark.django_db(transaction=True)
@needs_redis_server
def test_a_change_made_in_another_process_reaches_this_one(redis_server, apple):
    local = tracking()
    warm(local)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "grocery.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "REDIS_URL": redis_server.url,
        "CACHE_KEY_PREFIX": PREFIX,
    }
    writer = (
        "import django; django.setup()\n"
        "from decimal import Decimal\n"
        "from catalog.models import Product\n"
        "from catalog.services import set_stock\n"
        "set_stock(product=Product.objects.get(product_id='12345'), stock=Decimal(7))\n"
    )
    subprocess.run([sys.executable, "-c", writer], cwd=ROOT, env=env, check=True, timeout=60)
    # the writer has returned: its invalidation is in Redis; the message is on its way here
    assert local.wait(lambda c: held(c) is None)
    assert stock() == 7


@pytest.mark.django_db
@needs_redis_server
def test_a_read_that_raced_a_change_is_served_but_not_kept(redis_server, apple, hooks):
    local = tracking()
    warm(local)
    key = product_key("12345", local._epoch)
    from django.core.cache import cache

    full = cache.make_key(key)
    local.invalidate([key])
    changed = threading.Event()

    def change_while_in_flight(read_key):
        # the read has its (old) answer; now the key changes in Redis, from another connection,
        # and this thread waits until the listener has spoiled the read in flight
        if read_key != key or changed.is_set():
            return
        changed.set()
        redis_server.client().set(full, b"")
        assert local.wait(lambda c: all(t.spoiled for t in c._inflight.get(full, [])))

    hooks.after_remote_read = change_while_in_flight
    assert stock() == 100  # the answer read before the change
    assert changed.is_set()
    assert held(local) is None  # ... but not kept: the next read goes back to Redis


@pytest.mark.django_db
@needs_redis_server
def test_a_dropped_tracking_connection_empties_memory_and_reads_the_database(
    redis_server, apple, hooks, django_assert_num_queries
):
    local = tracking()
    warm(local)
    first_epoch = local._epoch
    may_reconnect = threading.Event()
    hooks.before_reconnect = lambda: may_reconnect.wait(10)
    local.kill_connection()
    assert local.wait(lambda c: c._epoch is None)
    assert len(local.lru) == 0
    # while tracking is down: PostgreSQL answers, Redis is neither read nor filled
    with django_assert_num_queries(2 * LOAD_QUERIES):
        assert redis_commands(redis_server, lambda: stock() == stock() == 100) == 0
    assert len(local.lru) == 0
    may_reconnect.set()
    assert local.wait(lambda c: c.epoch() is not None)
    assert local._epoch != first_epoch  # a reconnect voids what Redis held before it
    assert stock() == 100


@pytest.mark.django_db
@needs_redis_server
@pytest.mark.parametrize("run", range(5))
def test_a_change_made_while_redis_restarts_is_never_served_stale(redis_server, apple, run):
    """The hard case: Redis comes back from its RDB file with the old body in it, and the write's
    invalidation never reached it. Repeated, as a race would show only some of the time."""
    from django.core.cache import cache

    local = tracking()
    warm(local)
    old_epoch = local._epoch
    old_body = get_product_json("12345")
    assert cache.get(product_key("12345", old_epoch)) == old_body  # saved in the RDB file
    redis_server.stop()
    assert local.wait(lambda c: c._epoch is None)
    set_stock(product=Product.objects.get(product_id="12345"), stock=Decimal(run))
    assert stock() == run  # Redis down: PostgreSQL answers
    redis_server.start()
    saved = redis_server.client().get(cache.make_key(product_key("12345", old_epoch)))
    assert pickle.loads(saved) == old_body  # noqa: S301 - our own test data
    local = tracking()
    assert stock() == run
    assert local._epoch != old_epoch
    # a reader that loaded the old row before the change and stores it only now, in the epoch
    # it started under, is not read either
    cache_add(product_key("12345", old_epoch), old_body)
    assert stock() == run and stock() == run


@pytest.mark.django_db
@needs_redis_server
def test_a_write_redis_never_heard_of_makes_every_process_distrust_it(redis_server, apple):
    """Redis answers the others but not this writer: until it has set a new epoch, this process
    trusts neither memory nor Redis; once it has, no process reads the old entries."""
    local = tracking()
    warm(local)
    old_epoch = local._epoch
    local.invalidation_lost()
    assert local.epoch() is None and len(local.lru) == 0
    assert local.wait(lambda c: c.epoch() not in (None, old_epoch))
    assert stock() == 100


@pytest.mark.django_db
@needs_redis_server
def test_with_redis_down_lookups_answer_from_the_database(redis_server, apple, api_client):
    redis_server.stop()
    local_cache.reset()  # a process starting while Redis is away
    for stock_now in (100, 5):
        if stock_now != 100:
            set_stock(product=Product.objects.get(product_id="12345"), stock=Decimal(stock_now))
        response = api_client.get("/api/products/12345")
        assert response.status_code == 200 and response.json()["stock"] == stock_now
    assert api_client.get("/api/products/nope").status_code == 404
    assert local_cache.epoch() is None


@pytest.mark.django_db
@needs_redis_server
def test_a_promotion_change_reaches_product_lookups_when_redis_says_so(redis_server, settings):
    """The lookup reads the promotions version token from memory: no memo period, no round trip;
    what makes another process's change show is Redis's message about the token."""
    from django.core.cache import cache

    from promotions.selectors import VERSION_KEY, promotions_for_product
    from tests.factories import make_category, make_promotion

    settings.PROMOTIONS_MEMO_SECONDS = 3600  # no time-based expiry could explain what follows
    fruit = make_category("Fruit")
    kiwi = make_product(product_id="kiwi", category=fruit)
    payload = get_product_payload("kiwi")
    local = tracking()
    assert promotions_for_product(payload) == []
    promotions_for_product(payload)  # the token is now held in memory
    assert local.lru.get(cache.make_key(VERSION_KEY)) is not None
    make_promotion(code="kiwi10", products=[kiwi])  # its on-commit forget does not run here
    assert promotions_for_product(payload) == []  # memory still holds the old token
    redis_server.client().delete(cache.make_key(VERSION_KEY))  # another process's forget
    assert local.wait(lambda c: c.lru.get(cache.make_key(VERSION_KEY)) is None)
    assert [p["id"] for p in promotions_for_product(payload)] == ["kiwi10"]
