"""grocery/gunicorn.conf.py: how many web processes, for the cache the settings choose."""

import runpy
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[2] / "grocery" / "gunicorn.conf.py"


def workers(monkeypatch, **env) -> int:
    for name in ("REDIS_URL", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))["workers"]


def test_without_redis_one_process_holds_the_cache_and_the_rate_limits(monkeypatch):
    # Found on a live server (SQLite, no Redis, 3 workers): after PUT /api/inventory each
    # worker's local-memory cache kept serving the old stock for CACHE_TIMEOUT, and every
    # worker counted its own throttle window (400 quotes in a row from one cart token, no 429).
    assert workers(monkeypatch) == 1


def test_with_redis_the_cache_is_shared_so_several_processes_serve(monkeypatch):
    assert workers(monkeypatch, REDIS_URL="redis://127.0.0.1:6379/0") == 3


@pytest.mark.parametrize("redis", ["", "redis://127.0.0.1:6379/0"])
def test_an_explicit_web_concurrency_wins(monkeypatch, redis):
    assert workers(monkeypatch, REDIS_URL=redis, WEB_CONCURRENCY="5") == 5
