"""A5 posters for promotions: name, description, validity and a vector QR of the promotion's page.
The fixed words and dates are in the active language (the manager's: the admin's language
switch); the promotion's name and description are printed as the manager entered them. In a chain
of several open stores a poster is printed for one: it names the store and its QR carries
`?store=`, as shelf labels do (catalog.labels)."""

import io
from collections.abc import Iterable
from contextlib import nullcontext
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import override
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from catalog.models import Store
from catalog.selectors import is_chain
from grocery.pdf import fit_lines, fonts
from grocery.qr import draw_qr
from promotions.models import Promotion
from promotions.selectors import promotion_url

BRAND = HexColor("#b3261e")
INK = HexColor("#1d1d1d")
MARGIN = 12 * mm
QR_SIZE = 62 * mm


def validity_text(promotion: Promotion) -> str:
    """'Valid 1 Dec – 14 Dec 2026' in the shop's time zone and the active language; valid_until
    is exclusive."""
    first = timezone.localtime(promotion.valid_from)
    last = timezone.localtime(promotion.valid_until - timedelta(microseconds=1))
    if first.date() == last.date():
        return _("Valid on %(date)s") % {"date": date_format(first, "j M Y")}
    start = date_format(first, "j M" if first.year == last.year else "j M Y")
    return _("Valid %(start)s – %(end)s") % {"start": start, "end": date_format(last, "j M Y")}


def _draw_poster(canvas: Canvas, promotion: Promotion, store: Store | None) -> None:
    regular, bold = fonts()
    width, height = A5
    text_w = width - 2 * MARGIN
    canvas.setFillColor(BRAND)
    canvas.rect(0, height - 28 * mm, width, 28 * mm, stroke=0, fill=1)
    canvas.setFillColor(white)
    canvas.setFont(bold, 26)
    canvas.drawCentredString(width / 2, height - 18 * mm, _("PROMOTION"))

    y = height - 28 * mm - 16 * mm
    canvas.setFillColor(INK)
    lines, size = fit_lines(promotion.name, bold, 34, text_w, max_lines=2, min_size=20)
    canvas.setFont(bold, size)
    for line in lines:
        canvas.drawCentredString(width / 2, y, line)
        y -= size * 1.15
    y -= 2 * mm
    lines, size = fit_lines(promotion.description, regular, 15, text_w, max_lines=4, min_size=10)
    canvas.setFont(regular, size)
    for line in lines:
        canvas.drawCentredString(width / 2, y, line)
        y -= size * 1.3
    y -= 2 * mm
    canvas.setFillColor(BRAND)
    canvas.setFont(bold, 13)
    canvas.drawCentredString(width / 2, y, validity_text(promotion))

    url = promotion_url(promotion.code, store=store.code if store else None)
    canvas.setFillColor(INK)
    draw_qr(canvas, url, (width - QR_SIZE) / 2, MARGIN + 14 * mm, QR_SIZE)
    if store is not None:
        canvas.setFont(regular, 8)
        canvas.drawCentredString(width / 2, MARGIN - 3 * mm, store.name)
    canvas.setFont(regular, 10)
    canvas.drawCentredString(width / 2, MARGIN + 9 * mm, _("Scan for the details and the products"))
    canvas.setFont(bold, 9)
    canvas.drawCentredString(width / 2, MARGIN + 3 * mm, url)


def render_posters(
    promotions: Iterable[Promotion], *, store: Store | None = None, language: str | None = None
) -> bytes:
    """One A5 poster per promotion, for `store` (named on it in a chain of several open stores),
    in `language` when given, else the active one."""
    named = store if store is not None and is_chain() else None
    with override(language) if language else nullcontext():
        return _render_posters(promotions, named)


def _render_posters(promotions: Iterable[Promotion], store: Store | None) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A5, pageCompression=1)
    canvas.setTitle(_("Promotion posters"))
    canvas.setCreator(settings.PUBLIC_BASE_URL)
    printed = 0
    for promotion in promotions:
        _draw_poster(canvas, promotion, store)
        canvas.showPage()
        printed += 1
    if not printed:
        raise ValueError("No promotions to print.")
    canvas.save()
    return buffer.getvalue()
