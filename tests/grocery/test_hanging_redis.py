"""A Redis that accepts connections and never answers slows no request past a bound.

The "Redis" is a local socket that accepts and then says nothing, for the cache and for
Celery's broker at once, with the production timeouts.
"""

import logging
import socket
import threading
import time

import pytest

from checkout.tasks import delete_abandoned_carts_task
from grocery.celery import app as celery_app
from grocery.tasks import enqueue_on_commit
from tests.factories import make_product

pytestmark = pytest.mark.django_db
logger = logging.getLogger(__name__)  # the measured times, shown with -s or on failure


@pytest.fixture
def hanging_redis():
    """The port of a server that accepts every connection and never sends a byte."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


@pytest.fixture
def everything_on(hanging_redis, settings):
    url = f"redis://127.0.0.1:{hanging_redis}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            # production's defaults (the suite's own Redis gets more slack: tests/service_env.py)
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.1, "SOCKET_TIMEOUT": 0.2},
        }
    }
    saved = celery_app.conf.broker_url, celery_app.conf.broker_transport_options
    celery_app.conf.broker_url = url
    celery_app.conf.broker_transport_options = settings.REDIS_BROKER_TRANSPORT_OPTIONS
    celery_app._pool = None  # kombu keeps a pool per URL: look it up again
    celery_app.amqp._producer_pool = None
    yield
    celery_app.conf.broker_url, celery_app.conf.broker_transport_options = saved
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def timed(call):
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def test_readyz_answers_within_two_seconds(client, everything_on):
    response, seconds = timed(lambda: client.get("/readyz"))
    logger.warning(f"/readyz with a hanging Redis: {seconds:.2f} s")
    assert seconds < 2
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": "ok", "cache": "degraded", "broker": "down"},
    }


def test_a_product_lookup_costs_one_short_timeout(client, everything_on):
    make_product(product_id="12345")
    first, first_seconds = timed(lambda: client.get("/api/products/12345"))
    again, again_seconds = timed(lambda: client.get("/api/products/12345"))
    logger.warning(
        f"product lookups with a hanging Redis: {first_seconds:.2f} s, {again_seconds:.2f} s"
    )
    assert first.status_code == again.status_code == 200
    assert first_seconds < 1  # one read timeout (0.2 s), then the breaker skips the cache
    assert again_seconds < 0.5


def test_enqueueing_a_task_gives_up_quickly(
    everything_on, caplog, django_capture_on_commit_callbacks
):
    def enqueue():
        with django_capture_on_commit_callbacks(execute=True):
            enqueue_on_commit(delete_abandoned_carts_task.name)

    with caplog.at_level("ERROR"):
        _, seconds = timed(enqueue)
    logger.warning(f"enqueue_on_commit with a hanging broker: {seconds:.2f} s")
    assert seconds < 2
    assert "reconciliation will catch up" in caplog.text  # logged, not raised
