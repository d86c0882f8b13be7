"""The scanner in real Chromium: a fake camera shows a label, the product screen opens."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.factories import make_product
from tests.fixtures.browser import PHONE, ConsoleWatch, ean13_video, qr_video

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]


def test_scanning_a_shelf_label_qr_opens_the_product(live_server, camera_browser, tmp_path, shot):
    # given a product whose shelf label QR (the public product URL) is in front of the camera
    product = make_product(
        name="Organic Apple", price=Decimal("1.99"), description="Crisp and local"
    )
    browser = camera_browser(qr_video(tmp_path, f"https://shop.example/p/{product.product_id}"))
    page = browser.new_page(**PHONE)
    console = ConsoleWatch(page)

    # when the customer opens the scanner
    page.goto(f"{live_server.url}/scan")

    # then the product screen shows its name and price
    expect(page.locator("#product-name")).to_have_text("Organic Apple", timeout=20_000)
    expect(page.locator("#product-price")).to_have_text("€1.99")
    assert page.url == f"{live_server.url}/p/{product.product_id}"
    # the camera is released once the code is read
    page.wait_for_function("() => !document.querySelector('video')")
    scan_to_screen = page.evaluate(
        "performance.getEntriesByName('scan-to-screen').map(e => e.duration)[0]"
    )
    assert scan_to_screen is not None and scan_to_screen > 0
    shot(page, "product")
    assert console.errors == []


def test_scanning_a_pack_ean13_opens_the_product(live_server, camera_browser, tmp_path):
    # given a packed product whose manufacturer's EAN-13 is in front of the camera
    product = make_product(name="Rye Bread 500 g", price=Decimal("2.49"), gtin="04006381333931")
    browser = camera_browser(ean13_video(tmp_path, "400638133393"))
    page = browser.new_page(**PHONE)
    console = ConsoleWatch(page)

    page.goto(f"{live_server.url}/scan")

    expect(page.locator("#product-name")).to_have_text("Rye Bread 500 g", timeout=20_000)
    expect(page.locator("#product-price")).to_have_text("€2.49")
    assert page.url == f"{live_server.url}/p/{product.product_id}"
    assert console.errors == []


def test_refused_camera_explains_and_manual_entry_still_works(live_server, camera_browser, shot):
    # given a browser where the customer refused the camera
    product = make_product(name="Greek Yoghurt", price=Decimal("1.29"), gtin="04006381333931")
    browser = camera_browser(allow_camera=False)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    console = ConsoleWatch(page)

    page.goto(f"{live_server.url}/scan")

    # then the page says why there is no camera picture and offers the code field
    expect(page.locator("#scan-status")).to_contain_text("permission was refused", timeout=10_000)
    shot(page, "scanner-no-camera")
    # an unknown code is a clear message, not a dead end
    page.get_by_label("Type the code under the barcode").fill("99999")
    page.get_by_role("button", name="Find").click()
    expect(page.locator("#manual-error")).to_contain_text("No product with the code “99999”")
    # the digits under the barcode open the product
    page.get_by_label("Type the code under the barcode").fill("4006381333931")
    page.get_by_role("button", name="Find").click()
    expect(page.locator("#product-name")).to_have_text("Greek Yoghurt")
    assert page.url == f"{live_server.url}/p/{product.product_id}"
    # the 404 of the unknown code is the only console error (Chromium logs failed fetches)
    assert [e for e in console.errors if "404" not in e] == []
    assert len(console.errors) == 1


def test_typing_a_plu_opens_the_loose_produce_to_weigh(live_server, camera_browser, shot):
    # given loose bananas sold by the kilogram, with the PLU on their sticker as a further code
    from catalog.models import ProductCode, Unit
    from catalog.services import save_product_codes

    bananas = make_product(name="Bananas", unit=Unit.KG, price=Decimal("1.79"))
    save_product_codes(product=bananas, saved=[ProductCode(code="4011")])
    browser = camera_browser(allow_camera=False)
    page = browser.new_page(**PHONE)
    console = ConsoleWatch(page)
    page.goto(f"{live_server.url}/scan")

    # when the customer types the PLU
    page.get_by_label("or the PLU of loose produce").fill("4011")
    page.get_by_role("button", name="Find").click()

    # then the bananas open, asking for the weight
    expect(page.locator("#product-name")).to_have_text("Bananas")
    assert page.url == f"{live_server.url}/p/{bananas.product_id}"
    expect(page.get_by_label("Weight (kg)")).to_be_visible()
    shot(page, "product-by-plu")
    assert console.errors == []


def test_scanning_a_scale_label_fills_in_the_weight(live_server, camera_browser, tmp_path):
    # given loose cheese weighed at the counter: the scale's label is "28" + item 0042 + 1.234 kg
    from biip.checksums import gs1_price_weight_check_digit

    from catalog.demo import scale_gtin
    from catalog.models import Unit

    make_product(name="Gouda", unit=Unit.KG, gtin=scale_gtin(42), price=Decimal("12.50"))
    body = f"280042{gs1_price_weight_check_digit('01234')}01234"
    browser = camera_browser(ean13_video(tmp_path, body))
    page = browser.new_page(**PHONE)
    console = ConsoleWatch(page)

    page.goto(f"{live_server.url}/scan")

    # then the product opens with the weighed quantity ready to add
    expect(page.locator("#product-name")).to_have_text("Gouda", timeout=20_000)
    expect(page.get_by_label("Weight (kg)")).to_have_value("1.234")
    expect(page.locator("#estimate")).to_have_text("1.234 kg = €15.43")
    assert console.errors == []
