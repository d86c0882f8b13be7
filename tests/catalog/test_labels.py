"""Shelf labels: the PDF from the admin action, rasterised by PDFium, every QR decoded back."""

from decimal import Decimal

import pytest

from catalog.labels import unit_price_text
from catalog.models import Unit
from tests.factories import make_product
from tests.fixtures.pdf import decode_page, page_count

pytestmark = pytest.mark.django_db


# PDFium comes as a wheel, so these tests need no poppler (or any other system program).
def test_every_label_qr_decodes_to_its_product_url(shop_staff_client, settings):
    products = [
        make_product(
            name=f"Label test {i} " + "very long name " * (i % 3),
            price=Decimal("1.09") * i,
            unit=[Unit.EACH, Unit.KG, Unit.HUNDRED_G][i % 3],
        )
        for i in range(1, 31)
    ]
    response = shop_staff_client.post(
        "/admin/catalog/product/",
        {"action": "print_shelf_labels", "_selected_action": [p.pk for p in products]},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    per_page = settings.LABEL_COLUMNS * settings.LABEL_ROWS
    assert per_page == 24 and page_count(pdf) == 2  # 30 labels: a full A4 sheet and 6 more

    decoded = decode_page(pdf, 1) + decode_page(pdf, 2)
    expected = sorted(f"https://shop.example/p/{p.product_id}" for p in products)
    assert sorted(decoded) == expected


def test_label_grid_follows_the_settings(shop_staff_client, settings):
    settings.LABEL_COLUMNS, settings.LABEL_ROWS = 2, 4
    products = [make_product() for _ in range(9)]
    response = shop_staff_client.post(
        "/admin/catalog/product/",
        {"action": "print_shelf_labels", "_selected_action": [p.pk for p in products]},
    )
    assert page_count(response.content) == 2
    assert len(decode_page(response.content, 1, dpi=150)) == 8


def test_unit_prices_compare_per_kg():
    assert unit_price_text(Decimal("1.29"), Unit.HUNDRED_G) == "€12.90 per kg"
    assert unit_price_text(Decimal("3.49"), Unit.KG) == "€3.49 per kg"
    assert unit_price_text(Decimal("0.99"), Unit.EACH) == "€0.99 per item"
