"""The cached active set: exact at the boundary second, forgotten on every change."""

import os
import subprocess
import sys
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from promotions.engine import Line
from promotions.selectors import discounts_for, list_live_promotions
from tests.factories import make_category, make_product, make_promotion

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 1, 0, 0, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
END = datetime(2026, 12, 31, 0, 0, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
TICK = timedelta(microseconds=1)
MILK = [Line("milk", "dairy", Decimal("2.00"), Decimal(1), "Milk")]


class Clock:
    """timezone.now, set by the test: the cache and the API read the same clock."""

    def __init__(self, monkeypatch, at: datetime):
        self.at = at
        monkeypatch.setattr(timezone, "now", lambda: self.at)


@pytest.fixture
def dairy_promotion(django_capture_on_commit_callbacks, monkeypatch):
    Clock(monkeypatch, START - timedelta(days=1))  # created the day before it starts
    dairy = make_category("Dairy")
    make_product(product_id="milk", category=dairy, price=Decimal("2.00"))
    with django_capture_on_commit_callbacks(execute=True):
        return make_promotion(code="dairy10", categories=[dairy], valid_from=START, valid_until=END)


def test_a_promotion_starts_and_ends_at_its_exact_second_from_the_cache(
    dairy_promotion, monkeypatch, django_assert_num_queries, api_client
):
    clock = Clock(monkeypatch, START - timedelta(hours=1))
    assert discounts_for(MILK) == []  # loads the set (with the upcoming promotion) into the cache
    with django_assert_num_queries(0):  # from here on, no database: the cached set answers
        clock.at = START - TICK
        assert discounts_for(MILK) == []
        clock.at = START
        assert [d.amount for d in discounts_for(MILK)] == [Decimal("0.20")]
        clock.at = END - TICK
        assert [d.amount for d in discounts_for(MILK)] == [Decimal("0.20")]
        clock.at = END
        assert discounts_for(MILK) == []
    # the product response and the list agree, at the boundary second
    clock.at = END - timedelta(seconds=1)
    assert [p["id"] for p in api_client.get("/api/products/milk").json()["promotions"]] == [
        "dairy10"
    ]
    assert [p["id"] for p in api_client.get("/api/promotions").json()["promotions"]] == ["dairy10"]
    clock.at = END
    assert api_client.get("/api/products/milk").json()["promotions"] == []
    assert api_client.get("/api/promotions").json()["promotions"] == []
    assert api_client.get("/api/promotions/dairy10").json()["status"] == "ended"


def test_a_moment_before_the_set_was_loaded_is_still_priced_exactly(dairy_promotion, monkeypatch):
    Clock(monkeypatch, END + timedelta(days=1))
    assert discounts_for(MILK) == []  # loaded after the end: the set no longer holds it
    assert [d.amount for d in discounts_for(MILK, END - TICK)] == [Decimal("0.20")]


def test_any_change_is_seen_at_the_next_quote(
    dairy_promotion, monkeypatch, django_capture_on_commit_callbacks
):
    Clock(monkeypatch, START + timedelta(days=1))
    assert [d.amount for d in discounts_for(MILK)] == [Decimal("0.20")]
    from promotions.services import save_promotion

    with django_capture_on_commit_callbacks(execute=True):
        dairy_promotion.percent = Decimal(25)
        save_promotion(promotion=dairy_promotion)
    assert [d.amount for d in discounts_for(MILK)] == [Decimal("0.50")]
    with django_capture_on_commit_callbacks(execute=True):
        dairy_promotion.categories.clear()
    assert discounts_for(MILK) == []
    with django_capture_on_commit_callbacks(execute=True):
        dairy_promotion.delete()
    assert list_live_promotions() == []


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_change_made_by_another_process_reaches_this_one(settings):
    """Two real processes share PostgreSQL and Redis: an edit in one reprices in the other."""
    settings.PROMOTIONS_MEMO_SECONDS = 0.0
    dairy = make_category("Dairy")
    make_product(product_id="milk", category=dairy, price=Decimal("2.00"))
    promotion = make_promotion(code="dairy10", categories=[dairy])
    assert [d.amount for d in discounts_for(MILK)] == [Decimal("0.20")]
    payload = {"product_id": "milk", "category": {"slug": "dairy"}, "unit": "each"}
    from promotions.selectors import promotions_for_product

    assert [p["id"] for p in promotions_for_product(payload)] == ["dairy10"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "grocery.settings"}
    env["DATABASE_URL"] = (
        f"postgres://{connection.settings_dict['USER']}@{connection.settings_dict['HOST']}:"
        f"{connection.settings_dict['PORT'] or 5432}/{connection.settings_dict['NAME']}"
    )
    script = (
        "import django; django.setup()\n"
        "from decimal import Decimal\n"
        "from promotions.models import Promotion\n"
        "from promotions.services import save_promotion\n"
        f"p = Promotion.objects.get(pk={promotion.pk}); p.percent = Decimal(30)\n"
        "save_promotion(promotion=p)\n"
    )
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60)
    assert [d.amount for d in discounts_for(MILK)] == [Decimal("0.60")]
    assert [p["id"] for p in promotions_for_product(payload)] == ["dairy10"]


def test_renaming_a_category_slug_reprices_at_once(
    dairy_promotion, monkeypatch, django_capture_on_commit_callbacks
):
    Clock(monkeypatch, START + timedelta(days=1))
    assert discounts_for(MILK) != []
    with django_capture_on_commit_callbacks(execute=True):
        dairy = dairy_promotion.categories.get()
        dairy.slug = "milk-and-cheese"
        dairy.save(update_fields=["slug"])
    assert discounts_for(MILK) == []  # the old slug no longer names the category
    renamed = [Line("milk", "milk-and-cheese", Decimal("2.00"), Decimal(1), "Milk")]
    assert [d.amount for d in discounts_for(renamed)] == [Decimal("0.20")]
