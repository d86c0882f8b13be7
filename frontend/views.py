"""The PWA: one app shell for every screen, its manifest and its service worker.

The screens talk to the public API only; the shell just carries the hashed asset URLs and, on a
product page, the product itself so a deep link (a label scanned with the phone's own camera app)
renders without a second round trip.
"""

import contextlib

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from catalog.errors import ProductNotFound, UnknownStore
from catalog.models import PRICE_UNITS_PER_KG, Unit
from catalog.selectors import get_product_payload
from catalog.services import refuses_beyond_stock
from catalog.stores import STORE_PARAM, get_store, remember_store, store_code_of
from frontend.assets import (
    APP_SCRIPT,
    DECODER_WASM,
    SHELL_ASSETS,
    app_modules,
    asset_version,
    import_map_json,
    integrity,
)
from frontend.i18n import client_language
from grocery.errors import error_body
from promotions.selectors import with_promotions

THEME_COLOR = "#0b6e4f"


def _client_config() -> dict:
    """What the JavaScript needs to know about this server (read from a JSON script tag)."""
    return {
        "publicBaseUrl": settings.PUBLIC_BASE_URL,
        "currency": settings.CURRENCY,
        "scannerModule": static("frontend/scanner.js"),
        "decoderModule": static("vendor/ponyfill.js"),
        "decoderWasm": static(DECODER_WASM),
        "decoderWasmIntegrity": integrity(DECODER_WASM),
        "placeholderImage": static("frontend/icons/placeholder.svg"),
        "stripeJs": settings.STRIPE_JS_URL,
        # Deposit-return vouchers are recognised on the phone by their prefix digits.
        "voucherPrefix": settings.VOUCHER_PREFIX,
        "voucherLayout": settings.VOUCHER_LAYOUT,
        # STOCK_POLICY=record sells what the customer holds, even when the records say none left.
        "refusesBeyondStock": refuses_beyond_stock(),
        # The one unit vocabulary: the screens show these labels and weigh these units.
        "units": {
            unit.value: {"label": str(unit.label), "weighed": unit in PRICE_UNITS_PER_KG}
            for unit in Unit
        },
        **client_language(),
    }


def _render_shell(request, *, product=None, title="Scan & Go", status=200):
    context = {
        "config": _client_config(),
        "product": product,
        "title": title,
        "theme_color": THEME_COLOR,
        "app_script": {"url": static(APP_SCRIPT), "integrity": integrity(APP_SCRIPT)},
        "app_modules": app_modules(),
        "import_map": import_map_json(),
    }
    return render(request, "frontend/app.html", context, status=status)


@require_GET
@ensure_csrf_cookie
@cache_control(no_cache=True, private=True)
def shell(request, **_route):
    response = _render_shell(request)
    _remember_named_store(request, response)
    return response


def _remember_named_store(request, response) -> None:
    """A printed link of a store (a label's /p/..., a poster's /promo/...?store=) opened by the
    phone's camera app: the phone remembers that store as the entrance QR would have. A store
    that is closed or unknown is not remembered (the page then shows the remembered one's)."""
    if named := request.GET.get(STORE_PARAM):
        with contextlib.suppress(UnknownStore):
            remember_store(response, get_store(named))


@require_GET
@cache_control(no_cache=True, private=True)
def store_entrance(request, store: str):
    """The store's entrance QR: remember the store on this phone (the API reads the cookie when a
    request names no store), then open the app."""
    try:
        found = get_store(store)
    except UnknownStore as exc:
        return JsonResponse(error_body(exc.code, exc.message, exc.detail), status=404)
    response = HttpResponseRedirect("/")
    remember_store(response, found)
    return response


@require_GET
@ensure_csrf_cookie
@cache_control(no_cache=True, private=True)
def product_page(request, product_id: str):
    """A shelf label's link; a store's label carries the store (?store=), which the phone then
    remembers as the entrance QR would have."""
    try:
        store = store_code_of(request)
        product = with_promotions(get_product_payload(product_id, store=store), store=store)
    except (ProductNotFound, UnknownStore):
        return _render_shell(request, title="Product not found", status=404)
    response = _render_shell(request, product=product, title=f"{product['name']} · Scan & Go")
    _remember_named_store(request, response)
    return response


@require_GET
@cache_control(max_age=3600)
def manifest(request):
    body = {
        "id": "/",
        "name": "Scan & Go",
        "short_name": "Scan & Go",
        "description": "Scan products, see prices and offers, and pay from your phone.",
        "start_url": "/?source=pwa",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "categories": ["shopping", "food"],
        "icons": [
            {"src": static("frontend/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("frontend/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("frontend/icons/maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
        "shortcuts": [
            {
                "name": "Scan",
                "url": "/scan",
                "icons": [{"src": static("frontend/icons/icon-192.png"), "sizes": "192x192"}],
            },
            {
                "name": "Cart",
                "url": "/cart",
                "icons": [{"src": static("frontend/icons/icon-192.png"), "sizes": "192x192"}],
            },
        ],
    }
    return JsonResponse(body, content_type="application/manifest+json")


@require_GET
@cache_control(no_cache=True)
def service_worker(request):
    """Served from the root so its scope is the whole app; its text changes with every asset hash,
    which is what makes browsers install the new version."""
    response = render(
        request,
        "frontend/sw.js",
        {"version": asset_version(), "shell_assets": [static(a) for a in SHELL_ASSETS]},
        content_type="text/javascript",
    )
    response["Service-Worker-Allowed"] = "/"
    return response
