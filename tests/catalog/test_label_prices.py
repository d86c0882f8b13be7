"""What a printed shelf label states, read back from the PDF: weight × its price per kg is the till's figure."""

from decimal import Decimal

import pypdfium2
import pytest

from catalog.labels import render_labels
from catalog.models import Unit
from checkout.pricing import RequestedLine, quote_cart
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def label_text(pdf: bytes) -> str:
    page = pypdfium2.PdfDocument(pdf)[0]
    return page.get_textpage().get_text_range()


def test_a_per_100g_label_states_the_per_kg_price_checkout_charges():
    cheddar = make_product(name="Cheddar", unit=Unit.HUNDRED_G, price=Decimal("1.99"))
    text = label_text(render_labels([cheddar]))
    assert "€1.99" in text and "per 100 g" in text
    assert "€19.90 per kg" in text  # 0.5 kg at 19.90 a kg: 9.95
    line = quote_cart([RequestedLine(cheddar.product_id, Decimal("0.5"))]).lines[0]
    assert line.gross == Decimal("19.90") * Decimal("0.5") == Decimal("9.95")
