"""Promotions on the product lookup cost no query once warm, and survive a cache outage."""

import json
from decimal import Decimal

import pytest

from grocery.cache import cache_status, reset_breaker
from promotions.engine import Line
from promotions.selectors import (
    discounts_for,
    forget_active_promotions,
    product_json_with_promotions,
)
from tests.factories import make_category, make_product, make_promotion

pytestmark = pytest.mark.django_db


@pytest.fixture
def kiwi_deal(django_capture_on_commit_callbacks):
    fruit = make_category("Fruit")
    kiwi = make_product(product_id="kiwi", category=fruit, price=Decimal("0.40"))
    with django_capture_on_commit_callbacks(execute=True):
        make_promotion(code="kiwi10", products=[kiwi])
    return kiwi


def test_a_warm_product_lookup_with_promotions_makes_no_query(
    kiwi_deal, api_client, django_assert_num_queries
):
    api_client.get("/api/products/kiwi")  # fills the product cache and the promotions memo
    with django_assert_num_queries(0):
        response = api_client.get("/api/products/kiwi")
    assert [p["id"] for p in response.json()["promotions"]] == ["kiwi10"]


def test_with_the_cache_down_promotions_come_from_the_database(kiwi_deal, api_client, settings):
    settings.CACHES = {  # nothing listens on this port (ours): every cache call fails fast
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:8499/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.1, "SOCKET_TIMEOUT": 0.1},
        }
    }
    reset_breaker()
    forget_active_promotions()
    assert cache_status() == "degraded"
    kiwis = [Line("kiwi", "fruit", Decimal("0.40"), Decimal(5), "Kiwi")]
    assert [d.amount for d in discounts_for(kiwis)] == [Decimal("0.20")]
    response = api_client.get("/api/products/kiwi")
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["promotions"]] == ["kiwi10"]


def test_promotions_are_added_to_cached_product_bytes(kiwi_deal):
    body = json.dumps(
        {"product_id": "kiwi", "category": {"slug": "fruit"}, "unit": "each"}
    ).encode()
    merged = json.loads(product_json_with_promotions(body))
    assert merged["product_id"] == "kiwi"
    assert [p["id"] for p in merged["promotions"]] == ["kiwi10"]


def test_a_remembered_body_still_shows_promotions_from_their_exact_start_to_their_end(
    django_capture_on_commit_callbacks,
):
    """The lookup remembers each body's promotions, but only until one of them starts or ends."""
    from datetime import timedelta

    from django.utils import timezone

    kiwi = make_product(product_id="kiwi", category=make_category("Fruit"))
    now = timezone.now()
    starts, ends = now + timedelta(hours=1), now + timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        make_promotion(code="kiwi-hour", products=[kiwi], valid_from=starts, valid_until=ends)
        make_promotion(code="fruit-week", categories=[kiwi.category])
    body = json.dumps({"product_id": "kiwi", "category": {"slug": "fruit"}}).encode()

    def shown(at):
        return [p["id"] for p in json.loads(product_json_with_promotions(body, at))["promotions"]]

    tick = timedelta(microseconds=1)
    assert shown(now) == ["fruit-week"]
    assert shown(starts - tick) == ["fruit-week"]
    assert shown(starts) == ["fruit-week", "kiwi-hour"]
    assert shown(ends - tick) == ["fruit-week", "kiwi-hour"]
    assert shown(ends) == ["fruit-week"]
    assert shown(now + timedelta(days=2)) == []  # the week's promotion ended too
