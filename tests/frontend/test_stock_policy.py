"""The product screen follows STOCK_POLICY: under record an item the records call sold out is in the
customer's hand and can be added; under reserve it cannot."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.factories import make_product

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]


def test_record_sells_an_item_recorded_as_sold_out(live_server, page, settings):
    settings.STOCK_POLICY = "record"
    make_product(product_id="jam", name="Jam", stock=Decimal(0))
    page.goto(f"{live_server.url}/p/jam")
    expect(page.locator(".stock")).to_have_text("Out of stock")
    expect(page.locator("#add")).to_have_text("Add to cart")
    page.locator("#add").click()
    page.goto(f"{live_server.url}/cart")
    expect(page.locator("#cart-total")).to_have_text("€1.99")


def test_reserve_refuses_it(live_server, page, settings):
    settings.STOCK_POLICY = "reserve"
    make_product(product_id="jam", name="Jam", stock=Decimal(0))
    page.goto(f"{live_server.url}/p/jam")
    expect(page.locator("#add")).to_have_text("Not available")
    expect(page.locator("#add")).to_be_disabled()
