"""The policies each kind of page gets (the Chromium tests in test_csp.py prove they hold)."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in policy.split("; ")}


def test_the_pwa_policy_is_strict_with_a_fresh_nonce_per_page():
    first, second = Client().get("/scan"), Client().get("/scan")
    csp = directives(first)
    assert csp["default-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["frame-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert "'wasm-unsafe-eval'" in csp["script-src"]  # the scanner's decoder
    assert not {"'unsafe-inline'", "'unsafe-eval'"} & set(csp["script-src"])
    nonce = next(s for s in csp["script-src"] if s.startswith("'nonce-"))
    assert nonce != next(s for s in directives(second)["script-src"] if s.startswith("'nonce-"))
    assert f'<script type="importmap" nonce="{nonce[7:-1]}">' in first.content.decode()
    assert csp["report-uri"] == ["/api/csp-reports"]
    assert "report-to" not in csp and "Reporting-Endpoints" not in first


def test_stripe_origins_only_when_that_gateway_is_on(settings):
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_JS_URL = "http://127.0.0.1:8339/v3/"  # a local stand-in: its origin is allowed
    response = Client().get("/checkout")
    csp = directives(response)
    assert {"http://127.0.0.1:8339", "https://*.js.stripe.com"} <= set(csp["script-src"])
    assert "https://api.stripe.com" in csp["connect-src"]
    assert set(csp["frame-src"]) == {
        "https://js.stripe.com",
        "https://*.js.stripe.com",
        "https://hooks.stripe.com",
    }
    assert 'payment=(self "http://127.0.0.1:8339")' in response["Permissions-Policy"]
    settings.PAYMENT_GATEWAY = "simulated"
    assert "stripe" not in Client().get("/checkout")["Content-Security-Policy"]


def test_admin_and_api_docs_alone_may_use_inline_styles():
    for path in ("/admin/login/", "/api/docs/"):
        csp = directives(Client().get(path))
        assert "'unsafe-inline'" in csp["style-src"], path
        assert "'unsafe-inline'" not in csp["script-src"], path
    assert "'unsafe-inline'" not in Client().get("/")["Content-Security-Policy"]


def test_the_reporting_api_endpoint_is_opt_in(settings):
    settings.CSP_REPORTING_API = True
    response = Client().get("/")
    assert directives(response)["report-to"] == ["csp"]
    assert response["Reporting-Endpoints"] == 'csp="http://testserver/api/csp-reports"'


def test_permissions_policy_allows_the_camera_for_our_origin_only():
    policy = Client().get("/api/products/x")["Permissions-Policy"]
    assert "camera=(self)" in policy
    for feature in ("microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy


def test_responses_without_a_nonce_get_the_same_policy_built_once(settings):
    page = directives(Client().get("/scan"))  # django-csp's general path, with a nonce
    page["script-src"] = [s for s in page["script-src"] if not s.startswith("'nonce-")]
    api = Client().get("/api/products/none")  # JSON: the shared, memoised path
    assert directives(api) == page
    settings.PAYMENT_GATEWAY = "stripe"  # a changed setting is seen at once
    assert "https://api.stripe.com" in directives(Client().get("/api/cart"))["connect-src"]
