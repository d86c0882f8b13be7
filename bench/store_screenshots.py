"""Screenshots of a chain's printing and dashboard for docs/screenshots/ (a running server with
a demo chain is needed):

DEBUG=1 .venv/bin/python manage.py seed_demo --products 300 --stores 3 --orders 600
(then spread the demo orders over the stores: their sales are the home store's)
DEBUG=1 .venv/bin/python manage.py runserver 127.0.0.1:8504 --noreload &
.venv/bin/python bench/store_screenshots.py --base http://127.0.0.1:8504 --store demo-002

Writes dashboard-chain.png (the Whole chain view), labels-store.png (page 1 of the store's label
sheet) and store-entrance-poster.png (the store's entrance poster), PDFs rendered by PDFium.
"""

import argparse
import sys
from pathlib import Path

import pypdfium2
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.admin_screenshots import signed_in_admin  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def save_first_page(pdf: bytes, name: str, dpi: int = 110) -> None:
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=dpi / 72).to_pil()
    image.save(OUT / name)


def post_action(page, base: str, changelist: str, action: str, count: int, **extra) -> bytes:
    """Post an admin action over the first `count` rows from the page's session, as the action
    bar would (Chromium would show an inline PDF in its viewer, not give the bytes)."""
    page.goto(f"{base}{changelist}")
    ids = page.locator("input.action-select").evaluate_all("els => els.map(e => e.value)")
    form = {
        "csrfmiddlewaretoken": page.input_value("input[name=csrfmiddlewaretoken]"),
        "action": action,
        "_selected_action": ids[:count],
        **extra,
    }
    body = "&".join(
        f"{key}={value}"
        for key, values in form.items()
        for value in (values if isinstance(values, list) else [values])
    )
    response = page.request.post(
        f"{base}{changelist}",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Referer": page.url},
    )
    assert response.headers["content-type"] == "application/pdf", response.headers
    return response.body()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8504")
    parser.add_argument("--user", default="manager")
    parser.add_argument("--password", default="scan-and-go")
    parser.add_argument("--store", default="demo-002")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        page = signed_in_admin(p, args.base, args.user, args.password)
        page.screenshot(path=OUT / "dashboard-chain.png", full_page=True)
        labels = post_action(
            page, args.base, "/admin/catalog/product/", "print_shelf_labels", 24, store=args.store
        )
        save_first_page(labels, "labels-store.png")
        poster = post_action(
            page, args.base, f"/admin/catalog/store/?q={args.store}", "print_entrance_posters", 1
        )
        save_first_page(poster, "store-entrance-poster.png", dpi=80)
        page.context.browser.close()


if __name__ == "__main__":
    main()
