"""A checkout the server refuses because the cart went stale (stock sold meanwhile) leaves the PWA
showing the server's cart and its problem, not the stale total that can only be refused again."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from catalog.models import Product, StoreProduct
from checkout.models import Order
from tests.factories import make_product
from tests.frontend.test_checkout_flow import add_to_cart

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]


def test_a_stock_refusal_shows_the_servers_cart(live_server, page, settings):
    settings.STOCK_POLICY = (
        "reserve"  # refuse beyond recorded stock (the other policy sells anyway)
    )
    honey = make_product(name="Forest Honey", price=Decimal("6.00"), stock=Decimal(5))
    add_to_cart(page, live_server.url, honey, quantity=3)
    page.get_by_role("link", name="Cart").click()
    expect(page.locator("#cart-total")).to_have_text("€18.00")
    expect(page.locator("#discount-total")).to_have_count(0)  # no "Discounts −€0.00" row
    page.get_by_role("link", name="Go to checkout").click()
    expect(page.locator("#pay-total")).to_have_text("€18.00")

    # another shopper buys all but one jar while this customer looks at the checkout
    Product.objects.filter(pk=honey.pk).update(stock=Decimal(1))
    StoreProduct.objects.filter(product=honey).update(stock=Decimal(1))  # the store's stock
    page.get_by_label("Succeeds", exact=True).check()
    page.get_by_role("button", name="Pay €18.00").click()

    # the PWA re-reads the cart and shows the server's view of it, problem included
    expect(page).to_have_url(f"{live_server.url}/cart", timeout=10_000)
    expect(page.locator("#toast")).to_contain_text("Nothing was charged")
    expect(page.locator(".notice.error")).to_contain_text("Only 1 of Forest Honey left.")
    assert not Order.objects.filter(status=Order.Status.SUCCEEDED).exists()
