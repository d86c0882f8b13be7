"""Recommendations in the PWA, in real Chromium: "often bought together" on a product's screen,
"your usual items" and "often bought together" under the cart, each with its running offer;
axe-core checks them (WCAG 2.1 AA)."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from recommendations.services import recompute_bought_together
from tests.factories import make_paid_order, make_product, make_promotion
from tests.fixtures.browser import ConsoleWatch, axe_violations, sign_in

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def history(settings):
    settings.RECOMMENDATIONS_MIN_ORDERS = 2
    crisps = make_product(product_id="CRISPS", name="Sea Salt Crisps")
    dip = make_product(product_id="DIP", name="Sour Cream Dip")
    bread = make_product(product_id="BREAD", name="Sourdough Loaf")
    ann = get_user_model().objects.create_user("ann@example.com", password="pw-ann-123")
    for _ in range(3):
        make_paid_order(crisps, dip)
    make_paid_order(bread, user=ann, days_ago=9)
    make_paid_order(bread, user=ann, days_ago=2)
    recompute_bought_together()
    make_promotion(products=[dip], code="dip-deal", name="Dip deal")
    return ann


def test_product_and_cart_show_recommendations_with_their_offers(live_server, page, history):
    console = ConsoleWatch(page)
    sign_in(page.context, live_server.url, history)

    page.goto(f"{live_server.url}/p/CRISPS")
    together = page.get_by_role("region", name="Often bought together")
    expect(together).to_contain_text("Sour Cream Dip")
    expect(together).to_contain_text("Offer: Dip deal")
    assert axe_violations(page) == []

    page.get_by_role("button", name="Add to cart").click()
    page.goto(f"{live_server.url}/cart")
    usual = page.get_by_role("region", name="Your usual items")
    expect(usual).to_contain_text("Sourdough Loaf")
    expect(page.locator("#recs-cart-together")).to_contain_text("Sour Cream Dip")
    expect(page.locator("#recs-cart-together")).not_to_contain_text("Sea Salt Crisps")  # in it
    assert axe_violations(page) == []

    page.locator("#recs-cart-together").get_by_role("link", name="Sour Cream Dip").click()
    expect(page.locator("#product-name")).to_have_text("Sour Cream Dip")
    assert console.errors == []
