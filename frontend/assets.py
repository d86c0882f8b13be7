"""The files of the app shell (precached by the service worker, so the app opens offline) and the
scripts our pages run, with the Subresource Integrity hashes the browser checks them against.

PAGE_SCRIPTS is the one inventory of those scripts: the shell's script tags, modulepreloads and
import map read it, SHELL_ASSETS takes the app's modules from it (APP_MODULES), and
`manage.py payment_page_scripts` writes it to docs/payment-page-scripts.md.
"""

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.templatetags.static import static


@dataclass(frozen=True)
class PageScript:
    name: str  # a static file name
    loaded_by: str
    why: str
    module: bool = True  # an ES module: the import map gives it an integrity hash


def _app_module(name: str, why: str, loaded_by: str = "app.js") -> PageScript:
    return PageScript(f"frontend/{name}", loaded_by, why)


APP_SCRIPT = "frontend/app.js"
DECODER_WASM = "vendor/zxing_reader.wasm"
# The app's own modules, entry first: every page loads all of them (static imports), so the shell
# preloads them all and the service worker precaches them. payment_page_scripts --check fails
# when a file in static/frontend/ is missing here.
APP_MODULES = [
    PageScript(
        APP_SCRIPT,
        "the shell (every page)",
        "The app's entry: the table of screens, and starting the router, the cart and the service "
        "worker. The only script tag of every PWA page (a module script tag and its "
        "modulepreload, both with integrity); it imports the modules below.",
    ),
    _app_module(
        "config.js",
        "The server's settings for the page, read from its JSON block.",
        "format.js, codes.js, screens",
    ),
    _app_module(
        "i18n.js",
        "The customer's language: its messages (sent in the config) and Intl locale.",
        "format.js, codes.js, app.js, screens",
    ),
    _app_module(
        "ui.js", "Escaped HTML templates and the toast.", "cart.js, router.js, codes.js, screens"
    ),
    _app_module(
        "storage.js",
        "The cart, checkout attempt and receipts kept on the phone.",
        "cart.js, checkout and receipts screens",
    ),
    _app_module(
        "format.js",
        "Money, quantities, units (the server's vocabulary) and the line price estimate.",
        "cart.js, screens",
    ),
    _app_module(
        "api.js",
        "The public API's client: CSRF and cart tokens, API and offline errors.",
        "cart.js, router.js, codes.js, screens",
    ),
    _app_module(
        "cart.js",
        "The cart on the phone and its sync with the server's cart.",
        "app.js, router.js, screens",
    ),
    _app_module(
        "router.js",
        "The router: paths to screens, links without page loads.",
        "app.js, codes.js, checkout screen",
    ),
    _app_module(
        "store.js",
        "Which store the app is in: the banner, the switch, the cart of another store.",
        "app.js, codes.js",
    ),
    _app_module(
        "codes.js",
        "Where a scanned or typed code leads (labels, entrance QRs, GS1 links, barcodes).",
        "home, scan and receipts screens",
    ),
    _app_module(
        "camera.js",
        "The camera on a screen: imports scanner.js when the screen shows, stops it when it goes.",
        "scan and staff screens",
    ),
    _app_module(
        "recommendations.js",
        "Often bought together and your usual items, on the product and cart screens.",
        "product and cart screens",
    ),
    _app_module("screens/home.js", "The start screen."),
    _app_module("screens/scan.js", "The scan screen: the camera and the typed code."),
    _app_module("screens/product.js", "A product and adding it to the cart."),
    _app_module(
        "screens/promotions.js", "The offers and one offer's products.", "app.js, home screen"
    ),
    _app_module("screens/cart.js", "The cart screen."),
    _app_module(
        "screens/checkout.js",
        "The payment screen: Stripe's Payment Element or the simulated gateway, 3-D Secure, "
        "one Idempotency-Key per attempt.",
    ),
    _app_module("screens/receipts.js", "Receipts and the exit code.", "app.js, checkout screen"),
    _app_module(
        "screens/account.js",
        "The account: sign-in and sign-up, the loyalty card's QR, points, sign-out.",
    ),
    _app_module(
        "screens/staff.js",
        "The staff screen at the exit: exit checks, audits and ID checks, with the camera.",
    ),
]
PAGE_SCRIPTS = [
    *APP_MODULES,
    PageScript(
        "frontend/scanner.js",
        "camera.js",
        "The camera scanner: imported by camera.js when the scan or staff screen opens, never on the "
        "checkout screen.",
    ),
    PageScript(
        "vendor/ponyfill.js",
        "scanner.js",
        "barcode-detector 3.2.2's ponyfill: the BarcodeDetector API for browsers without one "
        "(every Chromium on Linux). Imported by scanner.js.",
    ),
    PageScript(
        "vendor/zxing-exported.js",
        "ponyfill.js",
        "zxing-wasm 3.1.3's loader for the WebAssembly decoder. Imported by ponyfill.js.",
    ),
    PageScript(
        DECODER_WASM,
        "zxing-exported.js",
        "The zxing-cpp barcode decoder compiled to WebAssembly, fetched by zxing-exported.js "
        "from our static files (never its default CDN); compiling it is what the CSP's "
        "'wasm-unsafe-eval' allows. scanner.js fetches it with this hash as the fetch's "
        "integrity.",
        module=False,
    ),
]
SHELL_ASSETS = [
    "frontend/app.css",
    *(module.name for module in APP_MODULES),
    "frontend/icons/icon-192.png",
    "frontend/icons/placeholder.svg",
]
# Rendered by frontend.views.service_worker (its text carries the asset version); browsers take no
# integrity for a worker, so the inventory pins its template.
SERVICE_WORKER_TEMPLATE = "frontend/templates/frontend/sw.js"


def sri_hash(content: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode("ascii")


def _served_bytes(name: str) -> bytes:
    """The file as the server sends it: the collected, hashed copy in production (collectstatic
    may rewrite a file), else the source the development server sends."""
    if isinstance(staticfiles_storage, ManifestFilesMixin):
        try:
            stored = staticfiles_storage.stored_name(name)
        except ValueError:  # not collected (tests, a fresh checkout): the source it is
            stored = None
        if stored and staticfiles_storage.exists(stored):
            with staticfiles_storage.open(stored) as fh:
                return fh.read()
    path = finders.find(name)
    if path is None:
        raise FileNotFoundError(name)
    with open(path, "rb") as fh:
        return fh.read()


@lru_cache(maxsize=32)
def integrity(name: str) -> str:
    return sri_hash(_served_bytes(name))


def import_map_json() -> str:
    """An import map whose "integrity" section covers every module the pages import, under both
    its hashed URL and its plain one (ponyfill.js imports ./zxing-exported.js by its plain name).
    Its "imports" send the plain names the modules import each other by (./cart.js) to the
    served, hashed files: those the service worker precached. Escaped like json_script so it is
    safe inside a <script> element."""
    hashes = {}
    imports = {}
    for script in PAGE_SCRIPTS:
        if script.module:
            served, plain = static(script.name), settings.STATIC_URL + script.name
            hashes[served] = hashes[plain] = integrity(script.name)
            if served != plain:
                imports[plain] = served
    text = json.dumps({"imports": imports, "integrity": hashes}, sort_keys=True)
    return text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")


def app_modules() -> list[dict]:
    """The shell's modules as the page links them: URL and integrity (modulepreload)."""
    return [{"url": static(m.name), "integrity": integrity(m.name)} for m in APP_MODULES]


@lru_cache(maxsize=1)
def asset_version() -> str:
    """Changes whenever a shell file changes (hashed URLs in production, contents in development)."""
    digest = hashlib.sha256()
    for name in [*SHELL_ASSETS, "frontend/scanner.js"]:
        digest.update(static(name).encode())
        path = finders.find(name)
        if path:
            with open(path, "rb") as fh:
                digest.update(fh.read())
    return digest.hexdigest()[:12]
