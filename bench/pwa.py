"""Measure the PWA as a customer's phone gets it: production settings, hashed and compressed assets.

1. collectstatic, then gunicorn with DEBUG=0 on 127.0.0.1:$PORT (default 8320);
2. Lighthouse (npm `lighthouse`, mobile emulation) on a product page: performance, accessibility,
   best practices, and the JavaScript the first load transfers;
3. scan-to-screen: Chromium's fake camera shows the product's shelf-label QR; the page measures
   from the camera frame that carried the code (requestVideoFrameCallback's presentationTime) to
   the product screen rendered (`performance.measure("scan-to-screen")`), RUNS times.

Usage (the database must hold the demo shop: `manage.py seed_demo`):
    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/pwa.py [--runs 20] [--skip-lighthouse]
Needs `npm ci` once for Lighthouse (a dev dependency in package.json).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
CHROMIUM = "/usr/bin/chromium"


def serve(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "0",
        "ALLOW_SIMULATED_PAYMENTS": "1",  # a measurement: no money moves
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-not-secret-" + "x" * 40),
        "SECURE_SSL_REDIRECT": "0",  # plain http on loopback for the measurement
        "SECURE_HSTS_SECONDS": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    py = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run(
        [py, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
    )
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "grocery.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--no-control-socket",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    sys.exit("gunicorn did not come up")


def first_product(base: str) -> str:
    with urllib.request.urlopen(f"{base}/api/products/?page=1", timeout=5) as response:
        return json.load(response)["results"][0]["product_id"]


def lighthouse(url: str, name: str = "product") -> dict:
    OUT.mkdir(parents=True, exist_ok=True)
    report = OUT / f"lighthouse-{name}.json"
    subprocess.run(
        [
            str(ROOT / "node_modules" / ".bin" / "lighthouse"),
            url,
            "--quiet",
            "--only-categories=performance,accessibility,best-practices",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage",
            "--output=json",
            f"--output-path={report}",
        ],
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        check=True,
    )
    data = json.loads(report.read_text())
    scores = {k: round(v["score"] * 100) for k, v in data["categories"].items()}
    metrics = {
        k: data["audits"][k]["displayValue"]
        for k in (
            "first-contentful-paint",
            "largest-contentful-paint",
            "total-blocking-time",
            "cumulative-layout-shift",
            "speed-index",
        )
    }
    scripts = [
        r
        for r in data["audits"]["network-requests"]["details"]["items"]
        if r.get("resourceType") == "Script"
    ]
    return {
        "scores": scores,
        "metrics": metrics,
        "script_transfer_bytes": sum(r.get("transferSize", 0) for r in scripts),
        "script_resource_bytes": sum(r.get("resourceSize", 0) for r in scripts),
        "scripts": [r["url"].rsplit("/", 1)[-1] for r in scripts],
    }


def scan_to_screen(base: str, product_id: str, runs: int) -> list[float]:
    import segno
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        png, video = Path(tmp) / "qr.png", Path(tmp) / "qr.y4m"
        segno.make_qr(f"{base}/p/{product_id}", error="m").save(str(png), scale=8, border=4)
        subprocess.run(
            [
                "ffmpeg",
                "-y",
                "-loglevel",
                "error",
                "-i",
                str(png),
                "-vf",
                "pad=640:480:(ow-iw)/2:(oh-ih)/2:color=white,format=yuv420p",
                "-frames:v",
                "1",
                str(video),
            ],
            check=True,
        )
        times = []
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--use-fake-ui-for-media-stream",
                    "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-video-capture={video}",
                ],
            )
            for _ in range(runs):
                page = browser.new_page(viewport={"width": 360, "height": 740})
                page.goto(f"{base}/scan")
                page.wait_for_function(
                    "performance.getEntriesByName('scan-to-screen').length > 0", timeout=20_000
                )
                times.append(
                    page.evaluate("performance.getEntriesByName('scan-to-screen')[0].duration")
                )
                page.close()
            browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8320)))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--skip-lighthouse", action="store_true")
    parser.add_argument(
        "--also", nargs="*", default=[], help="more paths for Lighthouse, e.g. / /cart"
    )
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    server = serve(args.port)
    try:
        product_id = first_product(base)
        if not args.skip_lighthouse:
            result = lighthouse(f"{base}/p/{product_id}")
            print(f"lighthouse {base}/p/{product_id} (mobile emulation)")
            print("  scores:", ", ".join(f"{k}={v}" for k, v in result["scores"].items()))
            print("  metrics:", ", ".join(f"{k}={v}" for k, v in result["metrics"].items()))
            print(
                f"  first-load JavaScript: {result['script_transfer_bytes']} B transferred, "
                f"{result['script_resource_bytes']} B uncompressed ({', '.join(result['scripts'])})"
            )
        for path in args.also:
            scores = lighthouse(f"{base}{path}", path.strip("/").replace("/", "-") or "home")[
                "scores"
            ]
            print(f"lighthouse {path}:", ", ".join(f"{k}={v}" for k, v in scores.items()))
        times = sorted(scan_to_screen(base, product_id, args.runs))
        print(
            f"scan-to-screen over {len(times)} scans (ms): min={times[0]:.0f} "
            f"median={statistics.median(times):.0f} p90={times[int(0.9 * (len(times) - 1))]:.0f} "
            f"max={times[-1]:.0f}"
        )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
