"""Loaded with `-p` before Django: choose the services the suite runs against.

PostgreSQL and Redis are used when they answer on their usual local ports (or where DATABASE_URL /
REDIS_URL say); otherwise the suite runs on SQLite and the local-memory cache, and tests marked
`postgres` / `redis` are skipped with the reason, or fail when REQUIRE_SERVICES=1.
"""

import os
import shutil
import socket
from urllib.parse import urlsplit

POSTGRES_DEFAULT = "postgres://postgres@127.0.0.1:5432/grocery"
REDIS_DEFAULT = "redis://127.0.0.1:6379/9"


def answers(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or default_port), timeout=0.5):
            return True
    except OSError:
        return False


def detect_services() -> dict[str, bool]:
    if os.environ.get("TEST_SERVICES") == "embedded":
        # Mutation runs fork many children at once: each needs its own in-memory SQLite and cache.
        os.environ["DATABASE_URL"] = "sqlite://:memory:"
        os.environ.pop("REDIS_URL", None)
        return {"postgres": False, "redis": False, "chromium": False}
    db_url = os.environ.get("DATABASE_URL") or POSTGRES_DEFAULT
    postgres = db_url.startswith("postgres") and answers(db_url, 5432)
    if postgres:
        os.environ["DATABASE_URL"] = db_url
    elif not os.environ.get("DATABASE_URL", "").startswith("sqlite"):
        os.environ.pop("DATABASE_URL", None)
    redis_url = os.environ.get("REDIS_URL") or REDIS_DEFAULT
    redis = answers(redis_url, 6379)
    if redis:
        os.environ["REDIS_URL"] = redis_url
        os.environ.setdefault("CACHE_KEY_PREFIX", f"grocery-test-{os.getpid()}")
        # Production's 0.2 s read timeout is for failing open fast; a busy CI box needs slack.
        os.environ.setdefault("REDIS_SOCKET_TIMEOUT", "2")
    else:
        os.environ.pop("REDIS_URL", None)
    return {"postgres": postgres, "redis": redis, "chromium": bool(shutil.which("chromium"))}


def configure() -> dict[str, bool]:
    available = detect_services()
    os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")  # the test client speaks plain HTTP
    os.environ.setdefault("PUBLIC_BASE_URL", "https://shop.example")
    # Servers and workers the suite starts run with DEBUG off on the simulated gateway.
    os.environ.setdefault("ALLOW_SIMULATED_PAYMENTS", "1")
    # Tests call the API far faster than a customer; the rate-limit tests set low rates themselves.
    for scope in ("CART", "QUOTE", "CHECKOUT", "ADDRESS"):
        os.environ.setdefault(f"THROTTLE_{scope}_RATE", "1000000/min")
    return available


AVAILABLE = configure()
