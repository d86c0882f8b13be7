"""The server side of the PWA: one shell for every screen, the manifest and the service worker."""

from decimal import Decimal

import pytest
from django.test import Client

from tests.factories import make_product

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["/", "/scan", "/promotions", "/promo/7", "/cart", "/checkout", "/receipts", "/receipts/abc"],
)
def test_every_screen_is_the_app_shell(path):
    response = Client().get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<script type="module" src="/static/frontend/app.js" integrity="sha384-' in html
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert response["Cache-Control"] == "no-cache, private"
    assert "csrftoken" in response.cookies  # the app sends it back on writes


def test_product_page_carries_the_product_for_an_instant_first_screen():
    product = make_product(name="Brie <de Meaux>", price=Decimal("4.50"))
    response = Client().get(f"/p/{product.product_id}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Brie &lt;de Meaux&gt; · Scan &amp; Go</title>" in html
    # JSON in a script tag, escaped so that a name cannot close the tag
    assert '"name": "Brie \\u003Cde Meaux\\u003E"' in html


def test_unknown_product_page_is_a_404_shell():
    response = Client().get("/p/nope")
    assert response.status_code == 404
    assert b"frontend/app.js" in response.content


def test_catalog_routes_under_p_are_not_shadowed():
    product = make_product()
    response = Client().get(f"/p/{product.product_id}/qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")


def test_manifest_describes_an_installable_app():
    response = Client().get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    body = response.json()
    assert body["display"] == "standalone"
    assert body["scope"] == "/"
    assert any(icon.get("purpose") == "maskable" for icon in body["icons"])


def test_service_worker_is_served_from_the_root_and_never_caches_writes_or_the_cart():
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    script = response.content.decode()
    assert 'if (request.method !== "GET") return;' in script
    assert "/static/frontend/app.js" in script
    assert "cart" not in script.split("const CACHED_API =")[1].split("\n")[0]
