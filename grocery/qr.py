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
