"""Prices per item, per kg and per 100 g: quantities of weighed goods are always kilograms, and the
quote, the checkout, the shelf label and the PWA all turn a price unit into a price per kg the same way."""

import math
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from catalog.labels import unit_price_text
from catalog.models import Product, StoreProduct, Unit, get_home_store
from catalog.selectors import product_payload
from checkout.models import Order
from checkout.pricing import RequestedLine, quote_cart
from grocery.money import round_money
from tests.factories import make_category, make_product
from tests.fixtures.checkout import spec_body, stock_of

pytestmark = pytest.mark.django_db


def quote(api_client, product_id: str, quantity) -> dict:
    body = {"cart": [{"product_id": product_id, "quantity": quantity}]}
    response = api_client.post("/api/checkout/quote", body, format="json")
    assert response.status_code == 200, response.json()
    return response.json()["lines"][0]


@pytest.mark.parametrize(
    ("unit", "price", "quantity", "line_total"),
    [
        (Unit.HUNDRED_G, "1.99", 0.5, 9.95),  # 19.90 a kg × 0.5 kg
        (Unit.HUNDRED_G, "0.89", 0.125, 1.11),  # 8.90 × 0.125 = 1.1125
        (Unit.KG, "2.49", 0.35, 0.87),  # 2.49 × 0.35 = 0.8715
        (Unit.KG, "12.90", 0.333, 4.30),  # 4.2957
        (Unit.EACH, "0.99", 3, 2.97),
    ],
)
def test_hand_priced_lines(api_client, unit, price, quantity, line_total):
    make_product(product_id="p1", unit=unit, price=Decimal(price), stock=Decimal(10))
    line = quote(api_client, "p1", quantity)
    assert line["line_total"] == line["total"] == line_total
    assert line["unit_price"] == float(price)  # the shelf price, in its own unit


def test_the_quote_names_the_price_per_kg_the_pwa_multiplies_by(api_client):
    make_product(product_id="cheddar", unit=Unit.HUNDRED_G, price=Decimal("1.99"))
    make_product(product_id="apple", unit=Unit.EACH, price=Decimal("0.50"))
    assert quote(api_client, "cheddar", 0.5)["price_per_kg"] == 19.90
    assert quote(api_client, "apple", 2)["price_per_kg"] is None
    product = api_client.get("/api/products/cheddar").json()
    assert (product["price"], product["unit"], product["price_per_kg"]) == (1.99, "100g", 19.90)
    assert api_client.get("/api/products/apple").json()["price_per_kg"] is None


def test_checkout_charges_and_takes_stock_in_kg_for_a_per_100g_price(api_client):
    make_product(product_id="cheddar", unit=Unit.HUNDRED_G, price=Decimal("1.99"), stock=5)
    cart = [{"product_id": "cheddar", "quantity": 0.5}]
    response = api_client.post(
        "/api/checkout", spec_body(cart=cart, total_amount=9.95), format="json"
    )
    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    assert order.total == Decimal("9.95")
    assert order.lines.get().line_total == Decimal("9.95")
    assert stock_of("cheddar") == Decimal("4.5")  # kilograms, whatever the price unit
    # The claim the old, ten-times-too-cheap quote produced is refused.
    too_cheap = spec_body(cart=cart, total_amount=1.00)
    assert api_client.post("/api/checkout", too_cheap, format="json").status_code == 409


def label_figure(price: Decimal, unit: str, quantity: Decimal) -> Decimal:
    """What a shopper works out from the shelf label: its comparison price × the quantity."""
    amount, per = unit_price_text(price, unit).removeprefix("€").split(" per ")
    assert per == ("item" if unit == Unit.EACH else "kg")
    return round_money(Decimal(amount) * quantity)


def pwa_figure(payload: dict, quantity: Decimal) -> Decimal:
    """static/frontend/app.js lineEstimate, step by step in doubles as the browser runs it
    (tests/frontend/test_weighed_prices.py checks the real script gives the same)."""
    per = payload["price_per_kg"] if payload["price_per_kg"] is not None else payload["price"]
    cents = math.floor((round(per * 100) * round(float(quantity) * 1000) + 500) / 1000)
    return Decimal(cents) / 100


prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2)


@st.composite
def unit_and_quantity(draw):
    unit = draw(st.sampled_from(Unit))
    if unit == Unit.EACH:
        return unit, Decimal(draw(st.integers(min_value=1, max_value=50)))
    return unit, draw(st.decimals(min_value=Decimal("0.001"), max_value=Decimal(25), places=3))


@hypothesis_settings(
    max_examples=200,
    deadline=None,
    # Each example overwrites the one product row; the test's transaction is rolled back at the end.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(price=prices, unit_quantity=unit_and_quantity())
def test_quote_label_and_pwa_agree_for_every_unit(price, unit_quantity):
    unit, quantity = unit_quantity
    product, _ = Product.objects.update_or_create(
        product_id="law",
        defaults={"price": price, "unit": unit, "stock": Decimal(100), "category": make_category()},
    )
    StoreProduct.objects.update_or_create(
        store=get_home_store(), product=product, defaults={"stock": product.stock}
    )
    line = quote_cart([RequestedLine("law", quantity)]).lines[0]
    assert line.gross == label_figure(price, unit, quantity)
    assert line.gross == pwa_figure(product_payload(product), quantity)
