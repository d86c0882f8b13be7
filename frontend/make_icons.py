"""Draw the app icons (committed under static/frontend/icons/). Re-run after changing the design:
.venv/bin/python frontend/make_icons.py
"""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "frontend" / "icons"
GREEN = (11, 110, 79)
WHITE = (255, 255, 255)


def draw(size: int, *, maskable: bool) -> Image.Image:
    """A white scan frame around a shopping bag on green; maskable icons keep it in the safe zone."""
    scale = 4  # draw large, then downsample for smooth edges
    big = size * scale
    image = Image.new("RGB", (big, big), GREEN)
    if not maskable:
        image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
        ImageDraw.Draw(image).rounded_rectangle(
            [0, 0, big - 1, big - 1], radius=big // 5, fill=GREEN
        )
    d = ImageDraw.Draw(image)
    inset = big * (0.24 if maskable else 0.16)  # maskable: inside the 80 % safe circle
    a, b = inset, big - inset
    arm, width = (b - a) * 0.28, max(2, int(big * 0.045))
    for x, y, dx, dy in [(a, a, 1, 1), (b, a, -1, 1), (a, b, 1, -1), (b, b, -1, -1)]:
        d.line(
            [(x, y + dy * arm), (x, y), (x + dx * arm, y)], fill=WHITE, width=width, joint="curve"
        )
    # the bag
    bw, bh = (b - a) * 0.46, (b - a) * 0.42
    cx, cy = big / 2, big / 2 + (b - a) * 0.06
    d.rounded_rectangle(
        [cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], radius=int(bw * 0.12), fill=WHITE
    )
    hw = bw * 0.22
    d.arc(
        [cx - hw, cy - bh / 2 - hw * 1.4, cx + hw, cy - bh / 2 + hw * 0.6],
        180,
        360,
        fill=WHITE,
        width=width,
    )
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    draw(192, maskable=False).save(OUT / "icon-192.png", optimize=True)
    draw(512, maskable=False).save(OUT / "icon-512.png", optimize=True)
    draw(512, maskable=True).save(OUT / "maskable-512.png", optimize=True)
    draw(180, maskable=True).save(OUT / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
