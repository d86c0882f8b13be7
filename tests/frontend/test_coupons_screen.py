"""A coupon code typed into the cart, or scanned from a printed coupon, in real Chromium: a code
that does not apply says why (in a role=alert region), one that applies is a discount line, and the
checkout charges the coupon's price; axe-core checks the cart (WCAG 2.1 AA)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from checkout.models import CouponRedemption, Order
from promotions.selectors import coupon_url
from tests.factories import make_product, make_promotion
from tests.fixtures.browser import PHONE, ConsoleWatch, axe_violations, qr_video
from tests.frontend.test_deposits_and_vat import add

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]


def test_a_coupon_in_the_cart_says_why_it_does_not_apply_or_takes_its_discount(
    live_server, page, shot
):
    apple = make_product(product_id="A1", name="Apple", price=Decimal("1.99"))
    make_promotion(products=[apple], name="Apples 10 %", coupon_code="SAVE10", uses_limit=10)
    make_promotion(products=[apple], coupon_code="BIG", min_basket=Decimal("10.00"))
    console = ConsoleWatch(page)
    add(page, live_server.url, apple)
    page.goto(f"{live_server.url}/cart")
    expect(page.locator("#cart-total")).to_have_text("€1.99")

    field = page.get_by_label("Coupon code")
    field.fill("nope")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("alert")).to_have_text("NOPE is not a coupon code of this shop.")
    field = page.get_by_label("Coupon code")
    field.fill("big")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("alert")).to_have_text("Coupon BIG needs a basket of at least 10.00.")
    expect(page.locator("#cart-total")).to_have_text("€1.99")

    page.get_by_label("Coupon code").fill("save10")
    page.get_by_role("button", name="Apply").click()
    # 10 % of 1.99 = 0.199, rounded once: 0.20 off, 1.79 to pay
    expect(page.locator(".coupon-line")).to_contain_text("Coupon SAVE10")
    expect(page.locator(".coupon-line")).to_contain_text("−€0.20")
    expect(page.locator("#cart-total")).to_have_text("€1.79")
    expect(page.get_by_role("alert")).to_have_text("")
    assert axe_violations(page) == []
    shot(page, "cart-coupon")

    page.get_by_role("link", name="Go to checkout").click()
    expect(page.locator("#pay-total")).to_have_text("€1.79")
    page.get_by_label("Succeeds", exact=True).check()
    page.get_by_role("button", name="Pay €1.79").click()
    expect(page.locator("h1")).to_have_text("Paid. Thank you!", timeout=15_000)
    order = Order.objects.get()
    assert order.total == Decimal("1.79") and order.status == "succeeded"
    assert CouponRedemption.objects.get().code == "SAVE10"
    # The browser logs each refused quote (the two 422s above); nothing else went wrong.
    refused = [e for e in console.errors if "status of 422" in e and "/api/checkout/quote" in e]
    assert len(refused) == 2 and len(console.errors) == 2


def test_scanning_a_printed_coupon_puts_its_code_on_the_cart(
    live_server, camera_browser, tmp_path, shot
):
    # given an apple in the cart and a printed coupon whose QR is the coupon's link
    apple = make_product(product_id="A1", name="Apple", price=Decimal("1.99"))
    make_promotion(products=[apple], name="Apples 10 %", coupon_code="SAVE10")
    browser = camera_browser(qr_video(tmp_path, coupon_url("SAVE10")))
    page = browser.new_page(**PHONE)
    console = ConsoleWatch(page)
    add(page, live_server.url, apple)

    # when the customer scans the coupon
    page.goto(f"{live_server.url}/scan")

    # then the cart opens with the coupon's discount on it
    expect(page.locator(".coupon-line")).to_contain_text("Coupon SAVE10", timeout=20_000)
    expect(page.locator("#cart-total")).to_have_text("€1.79")
    assert page.url == f"{live_server.url}/cart"  # a reload does not add it twice
    shot(page, "cart-scanned-coupon")
    assert axe_violations(page) == []
    assert console.errors == []


def test_a_coupon_link_opened_before_shopping_waits_for_the_basket(live_server, page):
    # the phone's camera app opened the coupon's link with an empty cart
    apple = make_product(product_id="A1", name="Apple", price=Decimal("1.99"))
    make_promotion(products=[apple], coupon_code="SAVE10")
    page.goto(f"{live_server.url}/c/save10")
    expect(page).to_have_url(f"{live_server.url}/cart")
    # the apple added later is priced with it
    add(page, live_server.url, apple)
    page.goto(f"{live_server.url}/cart")
    expect(page.locator(".coupon-line")).to_contain_text("Coupon SAVE10")
    expect(page.locator("#cart-total")).to_have_text("€1.79")
