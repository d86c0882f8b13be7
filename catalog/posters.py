"""The store's entrance poster: an A4 page with the store's name, address, opening hours and a big
QR of its entrance URL (/s/{code}), which tells the app which store the phone is in. In the
active language (the manager's: the admin's language switch)."""

import io
from collections.abc import Iterable
from contextlib import nullcontext

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import override
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from catalog.models import Store, store_url
from grocery.pdf import fit_lines, fonts
from grocery.qr import draw_qr

BRAND = HexColor("#1b5e20")
INK = HexColor("#1d1d1d")
MUTED = HexColor("#444444")
MARGIN = 18 * mm
QR_SIZE = 110 * mm  # readable from two metres at the door


def _draw_poster(canvas: Canvas, store: Store) -> None:
    regular, bold = fonts()
    width, height = A4
    text_w = width - 2 * MARGIN
    canvas.setFillColor(BRAND)
    canvas.rect(0, height - 34 * mm, width, 34 * mm, stroke=0, fill=1)
    canvas.setFillColor(white)
    canvas.setFont(bold, 28)
    # The app's name, the same in every language.
    canvas.drawCentredString(width / 2, height - 22 * mm, "Scan & Go")

    y = height - 34 * mm - 20 * mm
    canvas.setFillColor(INK)
    lines, size = fit_lines(store.name, bold, 36, text_w, max_lines=2, min_size=22)
    canvas.setFont(bold, size)
    for line in lines:
        canvas.drawCentredString(width / 2, y, line)
        y -= size * 1.15
    canvas.setFillColor(MUTED)
    for text, size in ((store.address, 14), (store.opening_hours, 12)):
        for paragraph in filter(None, (p.strip() for p in text.splitlines())):
            lines, size = fit_lines(paragraph, regular, size, text_w, max_lines=2, min_size=9)
            canvas.setFont(regular, size)
            for line in lines:
                canvas.drawCentredString(width / 2, y, line)
                y -= size * 1.3
        y -= 3 * mm

    url = store_url(store.code)
    canvas.setFillColor(INK)
    draw_qr(canvas, url, (width - QR_SIZE) / 2, MARGIN + 22 * mm, QR_SIZE)
    canvas.setFont(bold, 16)
    canvas.drawCentredString(
        width / 2, MARGIN + 14 * mm, _("Scan to shop in this store with your phone")
    )
    canvas.setFont(regular, 11)
    canvas.drawCentredString(width / 2, MARGIN + 6 * mm, url)


def render_entrance_posters(stores: Iterable[Store], *, language: str | None = None) -> bytes:
    """One A4 poster per store, in `language` when given, else the active one."""
    with override(language) if language else nullcontext():
        buffer = io.BytesIO()
        canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
        canvas.setTitle(_("Store entrance posters"))
        canvas.setCreator(settings.PUBLIC_BASE_URL)
        printed = 0
        for store in stores:
            _draw_poster(canvas, store)
            canvas.showPage()
            printed += 1
        if not printed:
            raise ValueError("No stores to print.")
        canvas.save()
        return buffer.getvalue()
