"""Real Chromium (Debian's) against a live server, with a fake camera playing a QR or barcode video."""

import os
from pathlib import Path

import pytest
from PIL import Image

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a
# thread with a running loop unless told it is safe (it is: nothing here is async).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 1,
    "is_mobile": True,
    "has_touch": True,
}
SCREENSHOTS = os.environ.get("SCREENSHOTS_DIR")  # e.g. docs/screenshots: save each screen there


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, **PHONE}


def video_from_image(image: Path) -> Path:
    """A one-frame 640x480 .y4m that Chromium's fake camera loops (path must be absolute, no '..').

    Written here rather than by ffmpeg so the tests need no system program besides Chromium:
    Y4M is a text header, then per frame the Y plane and the quarter-size Cb and Cr planes."""
    picture = Image.open(image).convert("RGB")
    picture.thumbnail((600, 480))  # shrink only, like ffmpeg's scale='min(600,iw)':-1
    frame = Image.new("RGB", (640, 480), "white")
    frame.paste(picture, ((640 - picture.width) // 2, (480 - picture.height) // 2))
    luma, blue, red = frame.convert("YCbCr").split()
    chroma = [plane.resize((320, 240), Image.Resampling.BILINEAR) for plane in (blue, red)]
    video = image.with_suffix(".y4m").resolve()
    video.write_bytes(
        b"YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\nFRAME\n"
        + luma.tobytes()
        + b"".join(plane.tobytes() for plane in chroma)
    )
    return video


def qr_video(tmp_path: Path, text: str) -> Path:
    import segno

    image = tmp_path / "qr.png"
    segno.make_qr(text, error="m").save(str(image), scale=8, border=4)
    return video_from_image(image)


def ean13_video(tmp_path: Path, digits12: str) -> Path:
    import barcode
    from barcode.writer import ImageWriter

    stem = tmp_path / "ean"
    barcode.get("ean13", digits12, writer=ImageWriter()).save(
        str(stem), options={"module_width": 0.4, "quiet_zone": 6, "dpi": 200}
    )
    return video_from_image(stem.with_suffix(".png"))


@pytest.fixture
def camera_browser(playwright):
    """launch(video) -> a Chromium whose camera shows that video (one video per browser)."""
    browsers = []

    def launch(video: Path | None = None, *, allow_camera: bool = True):
        args = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream"]
        if allow_camera:
            args.append("--use-fake-ui-for-media-stream")
        if video:
            args.append(f"--use-file-for-fake-video-capture={video}")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        browsers.append(browser)
        return browser

    yield launch
    for browser in browsers:
        browser.close()


class ConsoleWatch:
    """Collects console errors and uncaught exceptions of a page; tests assert it stays empty."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on(
            "console",
            lambda m: m.type == "error" and self.errors.append(f"{m.text} @ {m.location}"),
        )
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))


@pytest.fixture
def shot():
    """shot(page, name): a 360 px wide screenshot into $SCREENSHOTS_DIR, when set."""

    def take(page, name: str) -> None:
        if SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            # A full-page capture draws fixed bars mid-page: lay them out in the flow instead,
            # and leave out the transient toast.
            # A constructed style sheet, not a <style> element: the page's CSP refuses those.
            long_page = page.evaluate("document.documentElement.scrollHeight > innerHeight")
            css = ".toast{display:none!important}" + (
                ".topbar,.tabbar{position:static}body{padding-bottom:0}" if long_page else ""
            )
            page.evaluate(
                "css => { const s = new CSSStyleSheet(); s.replaceSync(css);"
                " document.adoptedStyleSheets = [...document.adoptedStyleSheets, s]; }",
                css,
            )
            page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)
            page.evaluate("document.adoptedStyleSheets = document.adoptedStyleSheets.slice(0, -1)")

    return take


@pytest.fixture(autouse=True)
def _unhashed_static_names(settings):
    """The live server serves static files from the app folders (no collectstatic in tests), which
    know only the plain names; the hashed production names are exercised by bench/lighthouse.sh."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
