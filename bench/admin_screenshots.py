"""Screenshots of the manager portal for docs/screenshots/ (a running server is needed).

DEBUG=1 .venv/bin/python manage.py runserver 127.0.0.1:8500 --noreload &
.venv/bin/python bench/admin_screenshots.py --base http://127.0.0.1:8500 --password scan-and-go
"""

import argparse
import subprocess
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def signed_in_admin(playwright, base: str, user: str, password: str):
    """A Chromium page of the manager portal, signed in, on the dashboard."""
    browser = playwright.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    )
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", user)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    return page


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8500")
    parser.add_argument("--user", default="manager")
    parser.add_argument("--password", default="scan-and-go")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        page = signed_in_admin(p, args.base, args.user, args.password)
        page.screenshot(path=OUT / "admin-dashboard.png", full_page=True)
        page.goto(f"{args.base}/admin/catalog/product/")
        page.screenshot(path=OUT / "admin-product-list.png")
        first = page.locator("#result_list tbody tr").first
        first.locator("a").first.click()
        page.wait_for_load_state()
        page.screenshot(path=OUT / "admin-product-change.png", full_page=True)
        # a rejected CSV import: every problem by line number, nothing imported
        page.goto(f"{args.base}/admin/catalog/product/import/")
        bad = (
            "product_id;name;category;price;stock\n10000;Apples;Fruit;2,49;40\n"
            "10001;Carrots;Veg;1.10;12\n10002;Kefir;Dairy;abc;9\n10003;Baguette;Bakery;1.20;2.5\n"
        )
        page.set_input_files(
            "input[type=file]",
            files=[{"name": "weekly-prices.csv", "mimeType": "text/csv", "buffer": bad.encode()}],
        )
        page.click("input[type=submit]")
        page.wait_for_load_state()
        page.screenshot(path=OUT / "admin-import-rejected.png")
        # the label sheet as the "Print shelf labels" action returns it, first page as PNG
        page.goto(f"{args.base}/admin/catalog/product/")
        # (posted from the page's session: Chromium would show an inline PDF in its viewer)
        ids = page.locator("input.action-select").evaluate_all("els => els.map(e => e.value)")
        form = [
            ("csrfmiddlewaretoken", page.input_value("input[name=csrfmiddlewaretoken]")),
            ("action", "print_shelf_labels"),
            ("index", "0"),
        ]
        form += [("_selected_action", pk) for pk in ids[:24]]  # one A4 sheet
        response = page.request.post(
            f"{args.base}/admin/catalog/product/",
            data=urlencode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"{args.base}/admin/catalog/product/",
            },
        )
        pdf = response.body()
        assert pdf.startswith(b"%PDF"), pdf[:200]
        page.context.browser.close()
    png = subprocess.run(
        ["pdftoppm", "-r", "100", "-png", "-f", "1", "-l", "1", "-singlefile", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout
    (OUT / "label-sheet-page1.png").write_bytes(png)
    print("written:", *sorted(p.name for p in OUT.glob("*.png")))


if __name__ == "__main__":
    main()
