"""The real web server (Procfile's gunicorn with grocery/gunicorn.conf.py) on the test database:
one slow payment does not hold up the shop, even on a single worker."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.fixtures.checkout import spec_body

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def web_server(shop, tmp_path):
    port = free_port()
    log = tmp_path / "gunicorn.log"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",  # one worker: only its threads can serve two requests at once
        "SIMULATED_SLOW_SECONDS": "3",
        "PAYMENT_GATEWAY": "simulated",
        "ALLOW_SIMULATED_PAYMENTS": "1",
        "SECURE_SSL_REDIRECT": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "grocery.wsgi", "--config", "grocery/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2).read()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                raise RuntimeError(f"gunicorn did not start:\n{log.read_text()}") from None
            time.sleep(0.2)
    yield url
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def test_a_slow_payment_does_not_block_another_request(web_server):
    answers = {}

    def slow_checkout():
        request = urllib.request.Request(
            f"{web_server}/api/checkout",
            data=json.dumps(spec_body(payment_token="tok_slow")).encode(),
            headers={"Content-Type": "application/json"},
        )
        started = time.monotonic()
        with urllib.request.urlopen(request, timeout=30) as response:
            answers["checkout"] = (response.status, time.monotonic() - started)

    paying = threading.Thread(target=slow_checkout)
    paying.start()
    time.sleep(0.5)  # the checkout is now at the (simulated) bank for three seconds
    started = time.monotonic()
    with urllib.request.urlopen(f"{web_server}/api/products/12345", timeout=30) as response:
        assert response.status == 200
    lookup_seconds = time.monotonic() - started
    still_paying = paying.is_alive()
    paying.join(30)
    assert lookup_seconds < 1.5, f"the product lookup waited {lookup_seconds:.2f}s"
    assert still_paying, "the checkout finished before the lookup: the test proves nothing"
    status, checkout_seconds = answers["checkout"]
    assert status == 201 and checkout_seconds >= 3
