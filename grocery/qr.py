"""QR codes (segno) for anything with a public URL: shelf labels, posters, receipts."""

import io

import segno
from django.http import HttpResponse
from django.utils.cache import patch_cache_control

CONTENT_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


def render_qr(data: str, fmt: str, *, scale: int = 8) -> bytes:
    qr = segno.make_qr(data, error="m")
    buffer = io.BytesIO()
    if fmt == "svg":
        qr.save(buffer, kind="svg", scale=scale, border=4, xmldecl=False, title=data)
    else:
        qr.save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def qr_response(data: str, fmt: str) -> HttpResponse:
    response = HttpResponse(render_qr(data, fmt), content_type=CONTENT_TYPES[fmt])
    # The URL a QR encodes never changes for a given path, so browsers and proxies may keep it.
    patch_cache_control(response, public=True, max_age=86_400)
    return response


def draw_qr(canvas, data: str, x: float, y: float, size: float, *, border: int = 4) -> None:
    """Draw a QR code as vector shapes on a reportlab canvas, (x, y) its bottom-left corner.

    The quiet zone of `border` modules is part of `size` and left blank. Adjacent dark modules
    in a row are merged into one rectangle: fewer path operations, smaller and faster PDFs.
    """
    matrix = segno.make_qr(data, error="m").matrix
    module = size / (len(matrix) + 2 * border)
    path = canvas.beginPath()
    for r, row in enumerate(matrix):
        top = y + size - (r + border + 1) * module
        col = 0
        while col < len(row):
            if not row[col]:
                col += 1
                continue
            start = col
            while col < len(row) and row[col]:
                col += 1
            path.rect(x + (start + border) * module, top, (col - start) * module, module)
    canvas.drawPath(path, stroke=0, fill=1)
