"""The files of the app shell: precached by the service worker, so the app opens offline."""

import hashlib
from functools import lru_cache

from django.contrib.staticfiles import finders
from django.templatetags.static import static

SHELL_ASSETS = [
    "frontend/app.css",
    "frontend/app.js",
    "frontend/icons/icon-192.png",
    "frontend/icons/placeholder.svg",
]


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
