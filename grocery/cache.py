"""The shared cache, failing open.

Reads and writes go through these helpers so that a Redis outage is a miss, never an error:
the database answers instead. After one failure the cache is left alone for
CACHE_RETRY_SECONDS (a circuit breaker), so an outage costs one short timeout, not one per
request, and it is logged once when it starts and once when it ends. Deletes that failed
during an outage are retried when the cache comes back, before anything is read, so no stale
entry outlives it. (Each process holds back its own deletes; every entry also expires after
CACHE_TIMEOUT, which bounds what a process that died during an outage could leave behind.)
A held-back delete also tells the local cache (grocery.local_cache), which then trusts neither
memory nor Redis until it has set a new epoch, voiding everything Redis held before.
"""

import logging
import threading
import time

from django.conf import settings
from django.core.cache import cache

from grocery import local_cache

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_open_until = 0.0  # monotonic time until which the cache is bypassed
_unsent_deletes: set[str] = set()


def _available() -> bool:
    """Whether to use the cache now: yes unless the breaker is open.

    When a retry is due, the deletes that the outage held back go first, so that an entry
    changed meanwhile is not served stale by the very call that finds the cache back.
    """
    if _open_until == 0.0:
        return True
    if time.monotonic() < _open_until:
        return False
    with _lock:
        pending = list(_unsent_deletes)
    if pending:
        try:
            cache.delete_many(pending)
        except Exception as exc:  # noqa: BLE001
            _failed(exc)
            return False
        with _lock:
            _unsent_deletes.difference_update(pending)
    return True


def _failed(exc: Exception) -> None:
    global _open_until
    with _lock:
        if _open_until == 0.0:
            logger.warning("Cache unreachable, serving from the database: %s", exc)
        _open_until = time.monotonic() + settings.CACHE_RETRY_SECONDS


def _succeeded() -> None:
    global _open_until
    if _open_until == 0.0:
        return
    with _lock:
        _open_until = 0.0
    logger.warning("Cache reachable again")


def cache_get(key: str):
    if not _available():
        return None
    try:
        value = cache.get(key)
    except Exception as exc:  # noqa: BLE001 - any backend error is an outage
        _failed(exc)
        return None
    _succeeded()
    return value


def _write(method, key: str, value, timeout: int | None) -> None:
    if not _available():
        return
    try:
        method(key, value, timeout if timeout is not None else settings.CACHE_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - any backend error is an outage
        _failed(exc)
        return
    _succeeded()


def cache_set(key: str, value, timeout: int | None = None) -> None:
    _write(cache.set, key, value, timeout)


def cache_add(key: str, value, timeout: int | None = None) -> None:
    """Store only if the key is absent (so a fill never overwrites an invalidation marker)."""
    _write(cache.add, key, value, timeout)


def cache_set_many(values: dict, timeout: int) -> None:
    """Write several keys; if the cache is out, remember to delete them when it is back."""
    if not values:
        return
    if _available():
        try:
            cache.set_many(values, timeout)
        except Exception as exc:  # noqa: BLE001
            _failed(exc)
        else:
            _succeeded()
            return
    with _lock:
        _unsent_deletes.update(values)
    local_cache.invalidation_lost()


def cache_delete(*keys: str) -> None:
    if not keys:
        return
    if _available():
        try:
            cache.delete_many(keys)
        except Exception as exc:  # noqa: BLE001
            _failed(exc)
        else:
            _succeeded()
            return
    with _lock:
        _unsent_deletes.update(keys)
    local_cache.invalidation_lost()


def cache_count(key: str, timeout: int) -> int | None:
    """Add one to a counter that lives `timeout` seconds and return it; None while the cache is
    out (rate limits fail open)."""
    if not _available():
        return None
    try:
        cache.add(key, 0, timeout)
        try:
            count = cache.incr(key)
        except ValueError:  # it expired between the two calls: this is the window's first
            cache.set(key, 1, timeout)
            count = 1
    except Exception as exc:  # noqa: BLE001 - any backend error is an outage
        _failed(exc)
        return None
    _succeeded()
    return count


def cache_status() -> str:
    """'ok' or 'degraded', asking the backend now (for /readyz)."""
    try:
        cache.set("readyz", "1", 5)
    except Exception:  # noqa: BLE001
        return "degraded"
    return "ok"


def reset_breaker() -> None:
    """Forget a past outage (tests switch cache backends under a running process)."""
    global _open_until
    with _lock:
        _open_until = 0.0
        _unsent_deletes.clear()
