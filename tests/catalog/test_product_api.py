from decimal import Decimal

import pytest
from biip.checksums import gs1_price_weight_check_digit, gs1_standard_check_digit

from catalog.demo import scale_gtin
from catalog.gtin import normalize_gtin
from catalog.models import Unit
from tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db


def test_product_detail_has_the_contract_fields(api_client):
    make_product(
        product_id="12345",
        name="Organic Apple",
        price=Decimal("1.99"),
        description="Fresh organic apple from local farms",
        stock=Decimal(120),
    )
    response = api_client.get("/api/products/12345")
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("product_id", "name", "price", "description", "stock")} == {
        "product_id": "12345",
        "name": "Organic Apple",
        "price": 1.99,
        "description": "Fresh organic apple from local farms",
        "stock": 120,
    }
    assert isinstance(body["stock"], int)
    assert body["currency"] == "EUR"
    assert body["url"] == "https://shop.example/p/12345"
    assert body["qr_url"] == "https://shop.example/p/12345/qr.svg"


def test_unknown_product_is_a_json_404(api_client):
    response = api_client.get("/api/products/nope")
    assert response.status_code == 404
    assert response.json()["code"] == "product_not_found"


def test_weighed_stock_keeps_its_decimals(api_client):
    make_product(product_id="777", unit=Unit.KG, stock=Decimal("12.345"))
    assert api_client.get("/api/products/777").json()["stock"] == 12.345


def test_product_found_by_any_gtin_form(api_client):
    make_product(product_id="500", gtin=normalize_gtin("4006381333931"))
    for code in ("4006381333931", "04006381333931"):
        assert api_client.get(f"/api/products/gtin/{code}").json()["product_id"] == "500"
    # a scanned EAN typed into the product endpoint also resolves
    assert api_client.get("/api/products/4006381333931").json()["product_id"] == "500"


def test_gtin_with_wrong_check_digit_is_refused(api_client):
    response = api_client.get("/api/products/gtin/4006381333932")
    assert response.status_code == 400
    assert "check digit" in response.json()["message"]


@pytest.mark.parametrize("gtin", ["96385074", "036000291452", "4006381333931", "04006381333931"])
def test_gtin_lengths_normalize_to_14_digits(gtin):
    assert len(normalize_gtin(gtin)) == 14


def test_digital_link_redirects_people_and_answers_json(api_client):
    make_product(product_id="501", gtin=normalize_gtin("96385074"))
    response = api_client.get("/01/00000096385074")
    assert response.status_code == 302 and response["Location"] == "/p/501"
    response = api_client.get("/01/96385074", HTTP_ACCEPT="application/json")
    assert response.json()["product_id"] == "501"
    assert api_client.get("/01/4006381333932").status_code == 400
    assert api_client.get("/01/4006381333931").status_code == 404


def test_scale_label_resolves_with_its_weight(api_client):
    # German rules: "28" + item 0042, weight 1.234 kg; the product holds the zeroed code
    make_product(product_id="600", unit=Unit.KG, gtin=scale_gtin(42), price=Decimal("4.99"))
    body = f"280042{gs1_price_weight_check_digit('01234')}01234"
    code = body + str(gs1_standard_check_digit(body))
    response = api_client.get(f"/api/scan/{code}")
    assert response.status_code == 200
    assert response.json()["product"]["product_id"] == "600"
    assert response.json()["weight"] == 1.234


def test_product_list_is_paginated_and_searchable(api_client):
    dairy = make_product(name="Greek Yoghurt").category
    make_product(name="Sourdough Loaf", category=make_category("Bakery"))
    make_product(name="Old yoghurt", is_active=False)
    body = api_client.get("/api/products/", {"q": "yoghurt"}).json()
    assert body["count"] == 1 and body["results"][0]["name"] == "Greek Yoghurt"
    body = api_client.get("/api/products/", {"category": "bakery"}).json()
    assert [r["name"] for r in body["results"]] == ["Sourdough Loaf"]
    assert dairy.slug == "dairy"


def test_product_qr_encodes_the_product_page(api_client):
    import io

    import zxingcpp
    from PIL import Image

    make_product(product_id="12345")
    response = api_client.get("/p/12345/qr.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "max-age=86400" in response["Cache-Control"]
    texts = {r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))}
    assert texts == {"https://shop.example/p/12345"}
    svg = api_client.get("/p/12345/qr.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    assert api_client.get("/p/99999/qr.svg").status_code == 404


@pytest.mark.parametrize("page", ["", "last", "x", "1.0", "²"])
def test_product_list_refuses_a_page_that_is_not_a_number(api_client, page):
    make_product()
    response = api_client.get("/api/products/", {"page": page})
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_product_list_page_past_the_end_is_a_json_404(api_client):
    make_product()
    response = api_client.get("/api/products/", {"page": 2})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_search_with_a_nul_byte_is_a_clear_400(api_client):
    response = api_client.get("/api/products/", {"q": "milk\x00"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
