"""The PWA's price figures are the till's: the real format.js against the server's prices."""

import random
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from catalog.models import Product, Unit
from catalog.selectors import product_payload
from tests.factories import make_category, make_product
from tests.fixtures.browser import ConsoleWatch

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]


def test_per_100g_product_shows_the_price_checkout_charges(live_server, page):
    make_product(product_id="cheddar", name="Cheddar", unit=Unit.HUNDRED_G, price=Decimal("1.99"))
    console = ConsoleWatch(page)
    page.goto(f"{live_server.url}/p/cheddar")
    expect(page.locator("#product-price")).to_have_text("€1.99")
    expect(page.get_by_label("Weight (kg)")).to_have_value("0.500")
    expect(page.locator("#estimate")).to_have_text("0.500 kg = €9.95")
    page.get_by_role("button", name="Add to cart").click()
    page.goto(f"{live_server.url}/cart")
    expect(page.locator("#cart-total")).to_have_text("€9.95")  # the server's quote
    expect(page.locator(".cart-line .line-total")).to_have_text("€9.95")
    # the receipt says what the price is for: 0.5 kg × €1.99 alone would read as €1.00
    page.get_by_role("link", name="Go to checkout").click()
    page.get_by_label("Succeeds", exact=True).check()
    page.get_by_role("button", name="Pay €9.95").click()
    expect(page.locator("h1")).to_have_text("Paid. Thank you!", timeout=15_000)
    expect(page.locator(".receipt-lines li .muted")).to_have_text("0.500 kg × €1.99 per 100 g")
    assert console.errors == []


def test_app_line_estimate_matches_the_server_for_random_prices(live_server, page):
    """format.js's lineEstimate, run in Chromium, on product payloads the server built."""
    rng = random.Random(10)
    category = make_category()
    cases, expected = [], []
    for _ in range(600):
        unit = rng.choice(list(Unit))
        price = Decimal(rng.randint(1, 99_999)) / 100
        if unit == Unit.EACH:
            quantity = Decimal(rng.randint(1, 50))
        else:
            quantity = Decimal(rng.randint(1, 25_000)) / 1000
        product = Product(product_id="x", price=price, unit=unit, category=category)
        cases.append({"item": product_payload(product), "q": float(quantity)})
        expected.append(float(product.price_for(quantity)))
    page.goto(f"{live_server.url}/scan")
    shown = page.evaluate(
        """async (cases) => {
            const format = await import("/static/frontend/format.js");
            return cases.map((c) => format.lineEstimate(c.item, c.q));
        }""",
        cases,
    )
    assert shown == expected
