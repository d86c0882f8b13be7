"""The PWA in a chain of stores, in real Chromium: the fake camera scans a store's entrance QR and
the app moves there (the banner names it, prices are its own); the banner's switch moves back,
asking first because the cart belongs to the other store; a reload keeps the store; axe-core finds
no WCAG 2.1 AA violation in English or German. With one store there is no banner at all."""

import time
from decimal import Decimal

import pytest
from django.conf import settings
from playwright.sync_api import expect

from catalog.models import Store, StoreProduct, get_home_store
from catalog.services import set_stock
from checkout.models import Cart
from tests.factories import make_product
from tests.fixtures.browser import PHONE, ConsoleWatch, axe_violations, qr_video

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]

PHONE_390 = {**PHONE, "viewport": {"width": 390, "height": 844}}


@pytest.fixture
def chain():
    """The apple costs 1.99 in the market square store (the home store) and 2.49 at the station."""
    apple = make_product(product_id="A1", name="Apple", price=Decimal("1.99"), stock=Decimal(50))
    home = get_home_store()
    Store.objects.filter(pk=home.pk).update(
        name="Market Square", address="2 Market Square", opening_hours="Mon-Sat 7-21"
    )
    station = Store.objects.create(
        code="station", name="Station Store", address="Platform 1", opening_hours="Daily 6-23"
    )
    StoreProduct.objects.create(store=station, product=apple, price=Decimal("2.49"))
    set_stock(product=apple, stock=Decimal(9), store=station)
    return {"apple": apple, "home": home, "station": station}


def test_an_entrance_qr_moves_the_app_to_its_store_and_the_banner_switches_back(
    live_server, camera_browser, tmp_path, shot, chain
):
    # given the station's entrance QR in front of the camera
    entrance = f"{settings.PUBLIC_BASE_URL}/s/station"
    browser = camera_browser(qr_video(tmp_path, entrance))
    page = browser.new_page(**PHONE_390)
    console = ConsoleWatch(page)

    # when the customer scans it
    page.goto(f"{live_server.url}/scan")

    # then the banner names the station, and its prices are the station's
    expect(page.locator("#store-name")).to_have_text("Station Store", timeout=20_000)
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/p/A1")
    expect(page.locator("#product-price")).to_have_text("€2.49")
    expect(page.locator("#store-name")).to_have_text("Station Store")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge")).to_have_text("1")
    page.wait_for_function("() => !JSON.parse(localStorage.getItem('scango.cart.v1')).dirty")
    assert Cart.objects.get().store == chain["station"]
    assert axe_violations(page) == []
    shot(page, "store-banner")

    # when the customer changes to the market square store with the banner's switch
    change = page.get_by_role("button", name="Change store")
    change.click()
    expect(change).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#store-list button")).to_have_count(2)
    assert axe_violations(page) == []
    page.get_by_role("button", name="Market Square").click()

    # then the app says what happens to the cart, and nothing changes until the customer agrees
    ask = page.locator("#store-ask-text")
    expect(ask).to_have_text(
        "Your cart holds 1 item from Station Store. Empty it to shop in Market Square."
    )
    expect(ask).to_be_focused()
    assert axe_violations(page) == []
    shot(page, "store-switch")
    expect(page.locator("#product-price")).to_have_text("€2.49")
    page.get_by_role("button", name="Empty the cart and shop in Market Square").click()

    # and then the market square's price, a new cart, the old one gone
    expect(page.locator("#store-name")).to_have_text("Market Square")
    expect(page.locator("#product-price")).to_have_text("€1.99")
    expect(page.locator("#cart-badge")).to_be_hidden()
    assert not Cart.objects.exists()

    # a reload keeps the store
    page.reload()
    expect(page.locator("#store-name")).to_have_text("Market Square")
    expect(page.locator("#product-price")).to_have_text("€1.99")

    # and in German
    page.get_by_label("Language").select_option("de")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator(".store-now")).to_contain_text("Ihr Markt: Market Square")
    page.get_by_role("button", name="Markt wechseln").click()
    expect(page.locator("#store-list")).to_be_visible()
    assert axe_violations(page) == []

    # the one refused change is the 409 the app turned into its question
    refused = [e for e in console.errors if "status of 409" in e]
    assert len(refused) == 1 and len(console.errors) == 1, console.errors


def test_a_stores_product_label_scanned_in_the_app_moves_there_first(
    live_server, camera_browser, tmp_path, chain
):
    browser = camera_browser(qr_video(tmp_path, f"{settings.PUBLIC_BASE_URL}/p/A1?store=station"))
    page = browser.new_page(**PHONE_390)
    page.goto(f"{live_server.url}/scan")
    expect(page.locator("#product-price")).to_have_text("€2.49", timeout=20_000)
    expect(page.locator("#store-name")).to_have_text("Station Store")
    page.reload()  # remembered
    expect(page.locator("#product-price")).to_have_text("€2.49")


def test_with_one_store_there_is_no_banner(live_server, page):
    make_product(product_id="A1", name="Apple", price=Decimal("1.99"))
    console = ConsoleWatch(page)
    page.goto(f"{live_server.url}/p/A1")
    expect(page.locator("#product-price")).to_have_text("€1.99")
    page.wait_for_load_state("networkidle")
    banner = page.locator("#store-banner")
    expect(banner).to_be_hidden()
    expect(banner).to_be_empty()
    assert axe_violations(page) == []
    assert console.errors == []


def kept_offline(page, path: str) -> bool:
    """Does the service worker keep the page at `path` for offline use?"""
    return page.evaluate(
        "path => caches.open('pages-v1').then(c => c.match(path)).then(Boolean)", path
    )


def eventually(check, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_offline_copies_of_one_store_are_never_shown_in_another(live_server, page, context, chain):
    # given the apple seen at the market square's price, kept by the service worker
    page.goto(f"{live_server.url}/p/A1")
    expect(page.locator("#product-price")).to_have_text("€1.99")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.reload()  # through the worker now: the page and its product are kept
    assert eventually(lambda: kept_offline(page, "/p/A1"))

    # when the phone is taken to the station (its entrance QR opened by the camera app)
    page.goto(f"{live_server.url}/s/station")
    expect(page.locator("#store-name")).to_have_text("Station Store")
    assert eventually(lambda: not kept_offline(page, "/p/A1"))

    # then offline, the market square's copy of the apple is not passed off as the station's
    context.set_offline(True)
    page.goto(f"{live_server.url}/p/A1")
    expect(page.locator("h1")).to_have_text("You are offline")
    expect(page.get_by_text("€1.99")).to_have_count(0)
