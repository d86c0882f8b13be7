"""STOCK_POLICY: record sells what the customer holds and asks for a count; reserve refuses beyond
stock. MAX_LINE_QUANTITY / MAX_LINE_KG bound a line under either policy."""

import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.conf import settings as django_settings

from catalog.models import Product, StockCountRequest, StockMovement, Unit
from tests.factories import make_product
from tests.fixtures.checkout import snapshot, spec_body, stock_of

pytestmark = pytest.mark.django_db


def checkout(api_client, quantity, total, product_id="12345"):
    cart = [{"product_id": product_id, "quantity": quantity}]
    return api_client.post("/api/checkout", spec_body(cart=cart, total_amount=total), format="json")


@pytest.fixture
def apple():
    return make_product(product_id="12345", name="Apple", price=Decimal("1.00"), stock=Decimal(1))


def test_record_is_the_default_and_sells_what_the_customer_holds(api_client, apple):
    assert django_settings.STOCK_POLICY == "record"
    response = checkout(api_client, 3, 3.00)
    assert response.status_code == 201, response.json()
    assert stock_of("12345") == Decimal(-2)  # the records were wrong: stock goes below zero
    sale = StockMovement.objects.get(reason="sale")
    assert (sale.delta, sale.resulting_stock) == (Decimal(-3), Decimal(-2))
    request = StockCountRequest.objects.get()
    assert request.is_open and request.product == apple
    assert (request.stock_before, request.sold) == (Decimal(1), Decimal(3))
    assert request.reference == response.json()["transaction_id"]


def test_one_open_count_request_per_product_closed_by_a_count(api_client, apple, staff_client):
    checkout(api_client, 3, 3.00)
    checkout(api_client, 2, 2.00)  # stock still short: no second request
    assert StockCountRequest.objects.filter(closed_at=None).count() == 1

    body = {"product_id": "12345", "stock": 7}
    assert staff_client.put("/api/inventory/12345", body, format="json").status_code == 200
    request = StockCountRequest.objects.get()
    assert not request.is_open and request.counted_stock == Decimal(7)
    assert request.closed_by.username == "clerk"

    checkout(api_client, 8, 8.00)  # short again: a new request
    assert StockCountRequest.objects.filter(closed_at=None).count() == 1
    assert StockCountRequest.objects.count() == 2


def test_a_sale_within_stock_asks_for_no_count(api_client, apple):
    assert checkout(api_client, 1, 1.00).status_code == 201
    assert stock_of("12345") == 0
    assert not StockCountRequest.objects.exists()


def test_record_lets_the_cart_and_quote_hold_more_than_recorded(api_client, apple):
    cart = api_client.post("/api/cart/lines", {"product_id": "12345", "quantity": 4}, format="json")
    assert cart.status_code == 200, cart.json()
    assert cart.json()["problems"] == [] and cart.json()["lines"][0]["available"] is True
    body = {"cart": [{"product_id": "12345", "quantity": 4}]}
    assert api_client.post("/api/checkout/quote", body, format="json").json()["total"] == 4.00


def test_reserve_refuses_beyond_stock_with_a_409_and_changes_nothing(api_client, apple, settings):
    settings.STOCK_POLICY = "reserve"
    before = snapshot()
    response = checkout(api_client, 3, 3.00)
    assert response.status_code == 409 and response.json()["code"] == "out_of_stock"
    assert response.json()["detail"]["lines"][0]["available"] == 1
    assert snapshot() == before and not StockCountRequest.objects.exists()
    cart = api_client.post("/api/cart/lines", {"product_id": "12345", "quantity": 2}, format="json")
    assert cart.status_code == 409


@pytest.mark.parametrize("policy", ["record", "reserve"])
@pytest.mark.parametrize(
    ("unit", "too_many", "most", "limit_text"),
    [(Unit.EACH, 51, 50, "at most 50 on one line"), (Unit.KG, 25.001, 25, "at most 25 kg")],
)
def test_more_than_a_person_carries_is_a_400(
    api_client, settings, policy, unit, too_many, most, limit_text
):
    settings.STOCK_POLICY = policy
    make_product(product_id="p", unit=unit, price=Decimal("1.00"), stock=Decimal(1000))
    quote = api_client.post(
        "/api/checkout/quote", {"cart": [{"product_id": "p", "quantity": too_many}]}, format="json"
    )
    assert quote.status_code == 400
    body = quote.json()
    assert body["code"] == "invalid_quantity" and limit_text in body["message"]
    assert limit_text in body["detail"]["lines"]["p"]  # the line is named
    before = snapshot()
    assert checkout(api_client, too_many, float(too_many), product_id="p").status_code == 400
    assert snapshot() == before

    lines = "/api/cart/lines"
    full = api_client.post(lines, {"product_id": "p", "quantity": most}, format="json")
    assert full.status_code == 200
    added = api_client.post(lines, {"product_id": "p", "quantity": 1}, format="json")
    assert added.status_code == 400 and added.json()["detail"]["product_id"] == "p"
    assert limit_text in added.json()["message"]


def test_the_line_limits_come_from_the_settings(api_client, settings):
    settings.MAX_LINE_QUANTITY = 3
    make_product(product_id="p", price=Decimal("1.00"))
    body = {"cart": [{"product_id": "p", "quantity": 4}]}
    response = api_client.post("/api/checkout/quote", body, format="json")
    assert response.status_code == 400 and "at most 3" in response.json()["message"]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"STOCK_POLICY": "oversell"}, "STOCK_POLICY must be one of record, reserve"),
        ({"MAX_LINE_KG": "0"}, "must be positive"),
    ],
)
def test_a_bad_setting_stops_the_start(variables, message):
    env = {**os.environ, "SECRET_KEY": "x", "DJANGO_SETTINGS_MODULE": "grocery.settings"}
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, **variables},
        capture_output=True,
        text=True,
        check=False,
    )
    assert started.returncode != 0 and message in started.stderr


def test_the_database_allows_stock_below_zero():
    """record may drive stock negative, so the old CheckConstraint is gone (migration 0004)."""
    product = make_product(stock=Decimal(1))
    Product.objects.filter(pk=product.pk).update(stock=Decimal(-1))
    product.refresh_from_db()
    assert product.stock == Decimal(-1)
