"""Deep links, the installable PWA (manifest, icons, service worker) and offline product pages."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from catalog.models import Unit
from tests.factories import make_product
from tests.fixtures.browser import ConsoleWatch

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]


def test_deep_links_open_the_product_screen(live_server, page, shot):
    # given a product sold by weight, with a GTIN
    product = make_product(
        name="Organic Bananas",
        price=Decimal("2.19"),
        unit=Unit.KG,
        stock=Decimal("3.5"),
        reorder_level=Decimal(5),
        gtin="04006381333931",
    )
    console = ConsoleWatch(page)

    # when a label's URL is opened by the phone's own camera app
    page.goto(f"{live_server.url}/p/{product.product_id}")

    # then the product screen shows it, with a kilogram stepper and the stock state
    expect(page.locator("#product-name")).to_have_text("Organic Bananas")
    expect(page.locator("#product-price")).to_have_text("€2.19")
    expect(page.get_by_text("per kg")).to_be_visible()
    expect(page.get_by_text("Only a few left")).to_be_visible()
    expect(page.get_by_label("Weight (kg)")).to_have_value("0.500")
    page.get_by_role("button", name="More").click()
    expect(page.get_by_label("Weight (kg)")).to_have_value("0.600")
    expect(page.locator("#estimate")).to_have_text("0.600 kg = €1.31")
    shot(page, "product-weighed")

    # and a GS1 Digital Link (/01/{gtin}) lands on the same screen
    page.goto(f"{live_server.url}/01/4006381333931")
    expect(page.locator("#product-name")).to_have_text("Organic Bananas")
    assert page.url == f"{live_server.url}/p/{product.product_id}"
    assert console.errors == []


def test_unknown_product_link_says_so(live_server, page):
    response = page.goto(f"{live_server.url}/p/does-not-exist")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Not found")
    expect(page.locator(".notice")).to_contain_text("No product with that code")


def test_manifest_icons_and_service_worker_make_it_installable(live_server, page):
    console = ConsoleWatch(page)
    page.goto(f"{live_server.url}/scan")
    manifest_href = page.locator('link[rel="manifest"]').get_attribute("href")
    manifest = page.request.get(f"{live_server.url}{manifest_href}")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["display"] == "standalone" and body["start_url"].startswith("/")
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in body["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in body["icons"]:
        image = page.request.get(f"{live_server.url}{icon['src']}")
        assert image.ok and image.headers["content-type"] == "image/png"

    # the service worker registers at the root scope and takes control of the page
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == f"{live_server.url}/"
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    # and Chromium itself finds nothing that stops it from offering to install the app (but that
    # Playwright's contexts are incognito ones, where Chromium never offers it)
    cdp = page.context.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == []
    assert console.errors == []


def test_products_seen_before_open_offline(live_server, page, context, shot):
    # given two products the customer looked at: one by a deep link, one found in the app
    first = make_product(name="Sourdough Loaf", price=Decimal("3.20"))
    second = make_product(name="Whole Milk 1 l", price=Decimal("1.15"), gtin="04006381333931")
    console = ConsoleWatch(page)
    page.goto(f"{live_server.url}/p/{first.product_id}")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_function(
        f"() => caches.open('pages-v1').then(c => c.match('/p/{first.product_id}')).then(Boolean)"
    )
    page.goto(f"{live_server.url}/scan")
    page.get_by_label("Type the code under the barcode").fill("4006381333931")
    page.get_by_role("button", name="Find").click()
    expect(page.locator("#product-name")).to_have_text("Whole Milk 1 l")
    page.goto(f"{live_server.url}/p/{second.product_id}")  # fetched through the worker now
    expect(page.locator("#product-name")).to_have_text("Whole Milk 1 l")

    # when the shop's Wi-Fi drops and the page is reloaded
    context.set_offline(True)
    page.reload()

    # then the product is still there, and the app says it is offline
    expect(page.locator("#product-name")).to_have_text("Whole Milk 1 l")
    expect(page.locator("#product-price")).to_have_text("€1.15")
    expect(page.locator("#net-status")).to_be_visible()
    shot(page, "product-offline")
    page.goto(f"{live_server.url}/p/{first.product_id}")
    expect(page.locator("#product-name")).to_have_text("Sourdough Loaf")

    # a product never seen says it needs the network
    page.goto(f"{live_server.url}/p/99999")
    expect(page.locator("h1")).to_have_text("You are offline")
    # Chromium logs the requests that failed while offline (net::ERR_...); nothing else may be logged
    assert [e for e in console.errors if "net::ERR_" not in e] == []
