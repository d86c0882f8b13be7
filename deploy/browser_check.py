"""The PWA's camera scan through the stack's TLS load balancer, in Chromium that trusts the
stack's CA (an NSS database of its own, as a phone would after installing ca.crt), with a fake
camera showing a shelf label's QR code. Run by deploy/stack.sh browser-check."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, PHONE, qr_video  # noqa: E402

LB = os.environ["STACK_LB"]
CA = os.environ["STACK_CA"]


def main(product_id: str, name: str, screenshot: str | None) -> None:
    home = Path(tempfile.mkdtemp(prefix="stack-browser-"))
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", "grocery-stack", "-i", CA],
        check=True,
    )
    video = qr_video(home, f"{LB}/p/{product_id}")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
            env={**os.environ, "HOME": str(home)},
        )
        page = browser.new_page(**PHONE)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{LB}/scan")
        assert page.evaluate("isSecureContext"), "not a secure context: the CA is not trusted"
        expect(page.locator("#product-name")).to_have_text(name, timeout=30_000)
        if screenshot:
            page.screenshot(path=screenshot)
        browser.close()
    print(f"scanned {product_id} through {LB}: the product screen shows {name!r}; errors {errors}")
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
