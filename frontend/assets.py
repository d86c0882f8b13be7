"""The files of the app shell (precached by the service worker, so the app opens offline) and the
scripts our pages run, with the Subresource Integrity hashes the browser checks them against.

PAGE_SCRIPTS is the one inventory of those scripts: the shell's script tags and import map read
it, and `manage.py payment_page_scripts` writes it to docs/payment-page-scripts.md.
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

SHELL_ASSETS = [
    "frontend/app.css",
    "frontend/app.js",
    "frontend/icons/icon-192.png",
    "frontend/icons/placeholder.svg",
]


@dataclass(frozen=True)
class PageScript:
    name: str  # a static file name
    why: str
    module: bool = True  # an ES module: the import map gives it an integrity hash


APP_SCRIPT = "frontend/app.js"
DECODER_WASM = "vendor/zxing_reader.wasm"
PAGE_SCRIPTS = [
    PageScript(
        APP_SCRIPT,
        "The app itself: router, cart, checkout and payment screens. The only script every PWA "
        "page loads (a module script tag and its modulepreload, both with integrity).",
    ),
    PageScript(
        "frontend/scanner.js",
        "The camera scanner: imported by app.js when the scan screen opens, never on the "
        "checkout screen.",
    ),
    PageScript(
        "vendor/ponyfill.js",
        "barcode-detector 3.2.2's ponyfill: the BarcodeDetector API for browsers without one "
        "(every Chromium on Linux). Imported by scanner.js.",
    ),
    PageScript(
        "vendor/zxing-exported.js",
        "zxing-wasm 3.1.3's loader for the WebAssembly decoder. Imported by ponyfill.js.",
    ),
    PageScript(
        DECODER_WASM,
        "The zxing-cpp barcode decoder compiled to WebAssembly, fetched by zxing-exported.js "
        "from our static files (never its default CDN); compiling it is what the CSP's "
        "'wasm-unsafe-eval' allows. scanner.js fetches it with this hash as the fetch's "
        "integrity.",
        module=False,
    ),
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
    Escaped like json_script so it is safe inside a <script> element."""
    hashes = {}
    for script in PAGE_SCRIPTS:
        if script.module:
            hashes[static(script.name)] = integrity(script.name)
            hashes[settings.STATIC_URL + script.name] = integrity(script.name)
    text = json.dumps({"integrity": hashes}, sort_keys=True)
    return text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")


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
