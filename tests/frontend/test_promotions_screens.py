"""The offers: listed on the start screen and the Offers tab, a promotion page lists what it covers."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.factories import make_category, make_product, make_promotion
from tests.fixtures.browser import PHONE, ConsoleWatch, qr_video

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dairy_offer():
    dairy = make_category("Dairy")
    milk = make_product(name="Whole Milk 1 l", price=Decimal("1.15"), category=dairy)
    make_product(name="Greek Yoghurt", price=Decimal("2.40"), category=dairy)
    make_product(name="Baguette", price=Decimal("1.10"), category=make_category("Bakery"))
    offer = make_promotion(
        code="dairy10", name="Dairy week", description="10% off all dairy", categories=[dairy]
    )
    return offer, milk


def test_offers_list_and_a_promotion_page_with_its_products(live_server, page, dairy_offer, shot):
    offer, milk = dairy_offer
    console = ConsoleWatch(page)

    page.goto(f"{live_server.url}/")
    expect(page.locator("#offers")).to_contain_text("Dairy week")
    shot(page, "home")

    page.get_by_role("link", name="Offers").click()
    expect(page.locator("h1")).to_have_text("Offers")
    shot(page, "promotions")
    page.get_by_role("link", name="Dairy week 10% off all dairy").click()

    expect(page.locator("h1")).to_have_text("Dairy week")
    assert page.url == f"{live_server.url}/promo/dairy10"
    expect(page.locator(".product-list li")).to_have_count(2)  # the dairy products, not the bread
    expect(page.locator(".product-list")).not_to_contain_text("Baguette")
    shot(page, "promotion")
    page.get_by_role("link", name="Whole Milk 1 l").click()
    expect(page.locator("#product-name")).to_have_text("Whole Milk 1 l")
    expect(page.get_by_role("link", name="Dairy week 10% off all dairy")).to_be_visible()
    assert console.errors == []


def test_scanning_a_promotion_poster_opens_the_promotion(
    live_server, camera_browser, tmp_path, dairy_offer
):
    browser = camera_browser(qr_video(tmp_path, "https://shop.example/promo/dairy10"))
    page = browser.new_page(**PHONE)
    console = ConsoleWatch(page)
    page.goto(f"{live_server.url}/scan")
    expect(page.locator("h1")).to_have_text("Dairy week", timeout=20_000)
    assert page.url == f"{live_server.url}/promo/dairy10"
    assert console.errors == []


def test_scanner_screen_with_a_camera(live_server, camera_browser, tmp_path, shot):
    """The live camera view (the fake camera shows a code that is not one of ours)."""
    browser = camera_browser(qr_video(tmp_path, "https://elsewhere.example/x"))
    page = browser.new_page(**PHONE)
    console = ConsoleWatch(page)
    page.goto(f"{live_server.url}/scan")
    expect(page.locator("#toast")).to_contain_text("not one of our shop's labels", timeout=20_000)
    expect(page.locator("video")).to_be_visible()
    assert page.url == f"{live_server.url}/scan"  # stays on the scanner, still scanning
    shot(page, "scanner")
    assert console.errors == []
