"""Bench-only views (bench/urls.py) that warm a server's product cache far faster than lookups.

Warming 500,000 store-product payloads through the API would take a database read each (about
8 minutes on the quiet machine) and, for every worker's memory, a dozen passes (workers take
requests at random). Instead:
- `/bench/fill?store=<code>` writes the store's listed products that Redis lacks in bulk (3
  queries per 2,000 rows), under the keys and as the bytes a lookup's miss would
  (catalog.selectors: product_key, store_product_json), within one request's time budget: the
  caller repeats it until it says done;
- `/bench/warm` puts every listed (store, product) payload from Redis into the memory of the
  worker that answers, through LocalCache.get as a lookup would, within one request's time
  budget; it says how far it got, so the caller repeats it until every worker is done (or its
  LOCAL_CACHE_BYTES is full).
Each answer is JSON with the worker's pid and its local cache's entries and bytes.
"""

import json
import os
import random
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

from catalog.models import StoreProduct
from catalog.selectors import NO_EPOCH, get_product_json, product_key, store_product_json
from grocery import local_cache
from grocery.cache import cache_set_many

CHUNK = 2_000
WARM_BUDGET_SECONDS = 10  # well inside gunicorn's 30 s worker timeout

_pairs: list[tuple[str, str]] | None = None  # this worker's (store code, product id) to warm
_warmed = 0  # how many of them this worker has put in memory


def _json(**figures) -> HttpResponse:
    local = local_cache.current()
    if local is not None:
        figures.update(entries=len(local.lru), bytes=local.lru.nbytes, bound=local.lru.max_bytes)
    return HttpResponse(
        json.dumps({"pid": os.getpid(), **figures}), content_type="application/json"
    )


def _epoch() -> str:
    if not local_cache.enabled():
        return NO_EPOCH
    local = local_cache.current()
    if not local.wait(lambda c: c.epoch() is not None):
        raise RuntimeError("the local cache is not tracking Redis")
    return local.epoch()


def fill(request):
    """The store's listed products that Redis lacks (a run within CACHE_TIMEOUT of the last one,
    under the same epoch, finds them there)."""
    code = request.GET["store"]
    epoch = _epoch()
    listed = StoreProduct.objects.filter(store__code=code, store__is_active=True, is_listed=True)
    keys = {
        product_key(pid, epoch, store=code): pid
        for pid in listed.values_list("product__product_id", flat=True)
    }
    held = set()
    for i in range(0, len(keys), CHUNK):
        held.update(cache.get_many(list(keys)[i : i + CHUNK]))
    rows = (
        listed.select_related("product__category")
        .prefetch_related("product__codes", "product__translations")
        .exclude(product__product_id__in=[keys[key] for key in held])
        .order_by("pk")
    )
    deadline = time.monotonic() + WARM_BUDGET_SECONDS
    bodies, filled, done = {}, 0, True
    for row in rows.iterator(chunk_size=CHUNK):
        bodies[product_key(row.product.product_id, epoch, store=code)] = store_product_json(row)
        if len(bodies) == CHUNK:
            cache_set_many(bodies, timeout=settings.CACHE_TIMEOUT)
            filled, bodies = filled + len(bodies), {}
            if time.monotonic() > deadline:  # the caller asks again for the rest
                done = False
                break
    cache_set_many(bodies, timeout=settings.CACHE_TIMEOUT)
    return _json(store=code, filled=filled + len(bodies), held=len(held), done=done)


def warm(request):
    """Continue putting every listed pair in this worker's memory, in a random order (so that a
    bound smaller than the whole set keeps a random part of it, as the steady state would)."""
    global _pairs, _warmed
    local = local_cache.current()
    if local is None:
        return _json(done=True, warmed=0, total=0, missing=0)
    epoch = _epoch()
    if _pairs is None:
        _pairs = list(
            StoreProduct.objects.filter(store__is_active=True, is_listed=True).values_list(
                "store__code", "product__product_id"
            )
        )
        random.Random(os.getpid()).shuffle(_pairs)
    deadline = time.monotonic() + WARM_BUDGET_SECONDS
    missing = 0
    while not _done(local) and time.monotonic() < deadline:
        chunk = _pairs[_warmed : _warmed + CHUNK]
        keys = {product_key(pid, epoch, store=code): (code, pid) for code, pid in chunk}
        found = cache.get_many(list(keys))
        for key, (code, pid) in keys.items():
            if key in found:
                local.get(key, lambda body=found[key]: body)
            else:  # not filled: the lookup's own way (Redis, then the database)
                missing += 1
                get_product_json(pid, store=code)
        _warmed += len(chunk)
    return _json(done=_done(local), warmed=_warmed, total=len(_pairs), missing=missing)


FULL_SLACK = 8_192  # bytes: less than this left under the bound is a full cache


def _done(local) -> bool:
    """Every pair was read, or the bound is reached: the rest would only replace entries, and a
    random part of the set is held, as random lookups would keep."""
    return _warmed >= len(_pairs) or local.lru.nbytes > local.lru.max_bytes - FULL_SLACK
