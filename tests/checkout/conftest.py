from decimal import Decimal

import pytest

from catalog.models import Product, StockMovement
from checkout.models import Order
from tests.factories import make_product


@pytest.fixture
def shop(db):
    """The SPEC's example shop: an apple at 1.99 and a banana at 0.99."""
    return {
        "apple": make_product(
            product_id="12345", name="Organic Apple", price=Decimal("1.99"), stock=Decimal(120)
        ),
        "banana": make_product(
            product_id="23456", name="Banana", price=Decimal("0.99"), stock=Decimal(50)
        ),
    }


def spec_body(**changes) -> dict:
    body = {
        "customer_id": "789",
        "cart": [{"product_id": "12345", "quantity": 2}, {"product_id": "23456", "quantity": 1}],
        "payment_method": "credit_card",
        "total_amount": 4.97,
    }
    body.update(changes)
    return body


def stock_of(product_id: str) -> Decimal:
    return Product.objects.get(product_id=product_id).stock


def snapshot() -> tuple:
    """Everything a refused checkout must leave as it was."""
    return (
        tuple(Product.objects.order_by("pk").values_list("stock", flat=True)),
        StockMovement.objects.count(),
        Order.objects.count(),
    )


FAKE_STRIPE_PORTS = range(8201, 8250)  # our band; several suites may run at once
GATEWAY_DOWN_URL = "http://127.0.0.1:8299"  # nothing ever listens here
WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture(scope="session")
def fake_stripe_server():
    from tests.checkout.fake_stripe import FakeStripe

    for port in FAKE_STRIPE_PORTS:
        try:
            server = FakeStripe(port).start()
            break
        except OSError:
            continue
    else:
        pytest.fail("no free port for the fake Stripe server")
    yield server
    server.stop()


@pytest.fixture
def fake_stripe(fake_stripe_server, settings):
    """The Stripe gateway, pointed at the local fake, with short timeouts and backoff."""
    fake_stripe_server.reset()
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_API_BASE = fake_stripe_server.url
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_TIMEOUT_SECONDS = 0.5
    settings.STRIPE_RETRY_BASE_SECONDS = 0.05
    settings.STRIPE_MAX_RETRIES = 2
    yield fake_stripe_server
    fake_stripe_server.reset()


@pytest.fixture
def celery_worker_factory(settings):
    """Start real `celery -A grocery worker` processes on a queue of their own, on the test
    database and this run's Redis; kill them (and what they left in Redis) afterwards."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from django.db import connection

    from grocery.celery import app

    queue = f"checkout-test-{os.getpid()}"
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    started: list[subprocess.Popen] = []
    logs: list[Path] = []

    def start(**env) -> subprocess.Popen:
        log = Path(settings.BASE_DIR) / "var" / f"{queue}-{len(started)}.log"
        log.parent.mkdir(exist_ok=True)
        db = connection.settings_dict
        child_env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            **{k: str(v) for k, v in env.items()},
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "grocery",
                "worker",
                "-Q",
                queue,
                "-c",
                "2",
                "-n",
                f"{queue}-{len(started)}@%h",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "INFO",
            ],
            env=child_env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed with its pool children
        )
        started.append(process)
        logs.append(log)
        deadline = time.monotonic() + 30
        while "ready." not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{log.read_text()}")
            time.sleep(0.2)
        return process

    def kill(process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    start.kill = kill
    start.logs = logs
    yield start
    for process in started:
        kill(process)
    app.conf.task_default_queue = previous_queue
    with app.connection_for_write() as conn:
        client = conn.default_channel.client
        client.delete(queue, "unacked", "unacked_index")  # only this run's Redis database
    for log in logs:
        log.unlink(missing_ok=True)
