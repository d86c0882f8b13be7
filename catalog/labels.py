"""Shelf labels: an A4 sheet of LABEL_COLUMNS x LABEL_ROWS labels, each with the product's name,
price, unit price, deposit, shelf code and a vector QR code of its public URL, in the active
language (the manager's: the admin's language switch).

Labels are printed for a store, at its price (catalog.selectors.in_store). In a chain of more
than one open store the label names the store in small print and its QR carries `?store=`, so a
phone that scans it shops in that store; a shop with one store prints what it always did."""

import io
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import override
from reportlab.lib.colors import HexColor, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from catalog.models import Product, Store, Unit, price_per_kg, product_url
from catalog.selectors import is_chain, sold_here, with_store_row
from grocery.pdf import fit_lines, fonts, money_text
from grocery.qr import draw_qr

PADDING = 3 * mm
QR_SIZE = 28 * mm  # with its 4-module quiet zone: about 0.85 mm a module, easy for phones
GUIDE = HexColor("#d0d0d0")  # cutting guide, for plain paper; faint on pre-cut sheets
MUTED = HexColor("#444444")
LABEL_FIELDS = ("product_id", "name", "price", "unit", "gtin", "deposit")


@dataclass
class LabelSheet:
    """The labels printed for a store (None: not one of the products is listed there), and the
    products skipped because the store does not list them."""

    pdf: bytes | None = None
    skipped: list[Product] = field(default_factory=list)


class NothingToPrint(ValueError):
    pass


def unit_price_text(price: Decimal, unit: str) -> str:
    """The comparison price shoppers look for: per kg for anything sold by weight. It is exactly
    what checkout multiplies a weight by, so weight × this figure is the till's line total."""
    per_kg = price_per_kg(price, unit)
    if per_kg is not None:
        return _("%(price)s per kg") % {"price": money_text(per_kg)}
    return _("%(price)s per item") % {"price": money_text(price)}


def _draw_label(
    canvas: Canvas, product: Product, store: Store | None, x: float, y: float, w: float, h: float
):
    regular, bold = fonts()
    canvas.setStrokeColor(GUIDE)
    canvas.setLineWidth(0.3)
    canvas.rect(x, y, w, h, stroke=1, fill=0)

    canvas.setFillColor(black)
    qr_x = x + w - QR_SIZE - PADDING / 2
    draw_qr(
        canvas,
        product_url(product.product_id, store=store.code if store else None),
        qr_x,
        y + (h - QR_SIZE) / 2,
        QR_SIZE,
    )
    if store is not None:  # under the QR, in its quiet zone's margin: which shelf it is for
        lines, size = fit_lines(store.name, regular, 6, QR_SIZE, max_lines=1, min_size=4.5)
        canvas.setFillColor(MUTED)
        canvas.setFont(regular, size)
        canvas.drawCentredString(qr_x + QR_SIZE / 2, y + PADDING / 2, lines[0])
        canvas.setFillColor(black)

    text_x = x + PADDING
    text_w = w - QR_SIZE - PADDING * 1.5
    top = y + h - PADDING
    lines, size = fit_lines(product.name, bold, 10, text_w, max_lines=2, min_size=7)
    canvas.setFont(bold, size)
    for i, line in enumerate(lines):
        canvas.drawString(text_x, top - size * (i + 1), line)

    price = money_text(product.price)
    price_size = 20
    while canvas.stringWidth(price, bold, price_size) > text_w and price_size > 10:
        price_size -= 1
    price_y = y + h / 2 - price_size * 0.55
    canvas.setFont(bold, price_size)
    canvas.drawString(text_x, price_y, price)
    canvas.setFont(regular, 7.5)
    canvas.drawString(text_x, price_y - 9, str(dict(Unit.choices).get(product.unit, product.unit)))
    if product.deposit:  # shown apart from the price, as the law on price display asks
        deposit = _("plus %(amount)s deposit") % {"amount": money_text(product.deposit)}
        canvas.drawString(text_x, price_y - 18, deposit)

    canvas.setFillColor(MUTED)
    canvas.setFont(regular, 6.5)
    canvas.drawString(text_x, y + PADDING + 8, unit_price_text(product.price, product.unit))
    canvas.setFont(bold, 6.5)
    canvas.drawString(text_x, y + PADDING, _("No. %(code)s") % {"code": product.product_id})


def render_labels(
    products: Iterable[Product], *, store: Store | None = None, language: str | None = None
) -> bytes:
    """One label per product, left to right and top to bottom, as many A4 pages as needed; in
    `language` when given, else the active one. The products carry the prices to print; a
    `store` is named on each label and in its QR."""
    with override(language) if language else nullcontext():
        return _render_labels(products, store)


def _render_labels(products: Iterable[Product], store: Store | None) -> bytes:
    columns, rows = settings.LABEL_COLUMNS, settings.LABEL_ROWS
    page_w, page_h = A4
    w, h = page_w / columns, page_h / rows
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(_("Shelf labels"))
    canvas.setCreator(settings.PUBLIC_BASE_URL)
    per_page = columns * rows
    count = 0
    for count, product in enumerate(products, start=1):
        slot = (count - 1) % per_page
        if slot == 0 and count > 1:
            canvas.showPage()
        row, col = divmod(slot, columns)
        _draw_label(canvas, product, store, col * w, page_h - (row + 1) * h, w, h)
    if count == 0:
        raise NothingToPrint("No products to print.")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def render_labels_for(queryset, *, store: Store, language: str | None = None) -> LabelSheet:
    """The queryset's products as the store sells them, in one streamed query; those the store
    does not list get no label and are named in the sheet's `skipped`."""
    products = with_store_row(queryset.select_related(None), store)
    products = products.only(*LABEL_FIELDS).order_by("product_id")
    sheet = LabelSheet()

    def listed():
        for product in products.iterator(2000):
            if sold_here(product):
                yield product
            else:
                sheet.skipped.append(product)

    named = store if is_chain() else None
    try:
        sheet.pdf = render_labels(listed(), store=named, language=language)
    except NothingToPrint:
        sheet.pdf = None
    return sheet
