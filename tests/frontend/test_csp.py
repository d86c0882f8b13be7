"""The Content-Security-Policy, Permissions-Policy and Subresource Integrity in real Chromium:
every screen runs without a single violation, and what an attacker would inject is refused."""

import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from playwright.sync_api import expect

from frontend.models import CspViolation
from tests.factories import make_product, make_promotion
from tests.fixtures.browser import PHONE, ConsoleWatch, qr_video
from tests.frontend.test_checkout_flow import add_to_cart

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]

# Runs before the page's own scripts, in every document: keeps what the browser reports.
WATCH_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.cspViolations.push(
  `${e.effectiveDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`));
"""


def violations(page) -> list[str]:
    return page.evaluate("() => window.cspViolations")


def watched(page):
    page.add_init_script(WATCH_VIOLATIONS)
    return ConsoleWatch(page)


def test_every_pwa_screen_runs_without_a_violation(live_server, page):
    product = make_product(name="Organic Apple", price=Decimal("1.99"))
    make_promotion(code="apples", name="Apple week", description="10% off", products=[product])
    console = watched(page)
    screens = {
        "/": "Scan, bag, pay. No queue.",
        "/promotions": "Offers",
        "/promo/apples": "Apple week",
        f"/p/{product.product_id}": "Organic Apple",
    }
    for path, heading in screens.items():
        page.goto(live_server.url + path)
        expect(page.locator("h1")).to_have_text(heading)
        assert violations(page) == [], path
    add_to_cart(page, live_server.url, product)
    page.get_by_role("link", name="Cart").click()
    expect(page.locator("#cart-total")).to_have_text("€1.79")
    page.get_by_role("link", name="Go to checkout").click()
    page.get_by_label("Succeeds", exact=True).check()
    page.get_by_role("button", name="Pay €1.79").click()
    expect(page.locator("h1")).to_have_text("Paid. Thank you!", timeout=15_000)
    page.wait_for_function("() => document.querySelector('#exit-qr').naturalWidth > 0")
    page.get_by_role("link", name="All receipts").click()
    expect(page.locator("h1")).to_have_text("Your receipts")
    # the service worker installed under the same policy (it precaches the shell)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    assert violations(page) == []
    assert console.errors == []
    assert not CspViolation.objects.exists()


def test_chromium_knows_every_feature_the_permissions_policy_names(live_server, page):
    response = page.goto(f"{live_server.url}/scan")
    named = {
        item.split("=")[0].strip() for item in response.headers["permissions-policy"].split(",")
    }
    known = set(page.evaluate("() => document.featurePolicy.features()"))
    assert "camera" in named and named <= known, named - known  # else a console warning per page


def test_the_scanner_runs_its_wasm_decoder_under_the_policy(live_server, camera_browser, tmp_path):
    product = make_product(name="Rye Bread", price=Decimal("2.49"))
    browser = camera_browser(qr_video(tmp_path, f"https://shop.example/p/{product.product_id}"))
    page = browser.new_page(**PHONE)
    console = watched(page)
    page.goto(f"{live_server.url}/scan")
    expect(page.locator("#product-name")).to_have_text("Rye Bread", timeout=20_000)
    assert violations(page) == []
    assert console.errors == []


def test_staff_pages_run_without_a_violation(live_server, page):
    get_user_model().objects.create_superuser("boss", password="pw-boss-123")
    console = watched(page)
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill("pw-boss-123")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Payment page integrity")).to_be_visible()
    page.goto(f"{live_server.url}/admin/catalog/product/add/")
    expect(page.locator("h1")).to_contain_text("Add product")
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .title").first).to_contain_text("Grocery", timeout=15_000)
    assert violations(page) == []
    assert [e for e in console.errors if "favicon.ico" not in e] == []  # the admin has none


def test_an_injected_script_is_blocked_and_reported(live_server, page):
    page.add_init_script(WATCH_VIOLATIONS)
    page.goto(f"{live_server.url}/checkout")
    expect(page.locator("h1")).to_have_text("Checkout")
    # an inline script without the page's nonce, and a skimmer from another origin
    page.evaluate(
        """() => {
        const inline = document.createElement("script");
        inline.textContent = "window.injected = true";
        document.body.append(inline);
        const skimmer = document.createElement("script");
        skimmer.src = "https://skimmer.example/card.js";
        document.body.append(skimmer);
    }"""
    )
    page.wait_for_function("() => window.cspViolations.length >= 2")
    assert page.evaluate("() => window.injected") is None
    found = violations(page)
    assert any(
        v.startswith("script-src-elem blocked https://skimmer.example/card.js") for v in found
    )
    assert any(v.startswith("script-src-elem blocked inline") for v in found)

    # the browser reports both to the shop, where managers see them
    deadline = time.monotonic() + 15
    while CspViolation.objects.count() < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    blocked = set(CspViolation.objects.values_list("blocked_uri", flat=True))
    assert blocked == {"https://skimmer.example/card.js", "inline"}
    assert set(CspViolation.objects.values_list("document_path", flat=True)) == {"/checkout"}


def test_a_tampered_app_script_does_not_run(live_server, page):
    page.route(
        "**/static/frontend/app.js",
        lambda route: route.fulfill(
            status=200,
            content_type="text/javascript",
            body='document.querySelector("h1").textContent = "Tampered";',
        ),
    )
    errors = ConsoleWatch(page).errors
    page.goto(f"{live_server.url}/")
    page.wait_for_timeout(500)
    expect(page.locator("h1")).to_have_text("Loading…")  # the app never started
    assert any("integrity" in e for e in errors)


def test_a_tampered_decoder_is_refused(live_server, camera_browser, tmp_path):
    product = make_product(name="Rye Bread", price=Decimal("2.49"))
    browser = camera_browser(qr_video(tmp_path, f"https://shop.example/p/{product.product_id}"))
    page = browser.new_page(**PHONE, service_workers="block")  # page.route sees every fetch
    # the real decoder plus a custom section: it would still decode, but it is not our file
    wasm = Path(finders.find("vendor/zxing_reader.wasm")).read_bytes() + b"\x00\x06\x01xevil"
    page.route(
        "**/static/vendor/zxing_reader.wasm",
        lambda route: route.fulfill(status=200, content_type="application/wasm", body=wasm),
    )
    page.goto(f"{live_server.url}/scan")
    expect(page.locator("#scan-status")).to_contain_text("could not start", timeout=20_000)
    assert page.url == f"{live_server.url}/scan"  # nothing was decoded with it


def test_headers_allow_the_camera_for_our_origin_only(live_server, page):
    response = page.goto(f"{live_server.url}/scan")
    policy = response.headers["permissions-policy"]
    assert "camera=(self)" in policy and "microphone=()" in policy and "geolocation=()" in policy
    csp = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp and "https://js.stripe.com" not in csp
    assert page.evaluate("() => document.featurePolicy.allowsFeature('camera')") is True
    assert page.evaluate("() => document.featurePolicy.allowsFeature('geolocation')") is False
