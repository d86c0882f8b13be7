"""Shelf labels: the PDF from the admin action, rasterised by poppler, every QR decoded back."""

import io
import subprocess
from decimal import Decimal

import pytest
import zxingcpp
from PIL import Image

from catalog.labels import unit_price_text
from catalog.models import Unit
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def page_count(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout
    return int(
        next(line.split()[-1] for line in info.decode().splitlines() if line.startswith("Pages:"))
    )


def decode_page(pdf: bytes, page: int, dpi: int = 300) -> list[str]:
    png = subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-f", str(page), "-l", str(page), "-singlefile", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout
    image = Image.open(io.BytesIO(png))
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


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
