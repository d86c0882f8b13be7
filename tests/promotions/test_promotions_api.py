"""The promotions endpoints, product responses and the promotion QR, through HTTP."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
import zxingcpp
from django.utils import timezone
from PIL import Image

from catalog.models import Unit
from tests.factories import make_category, make_product, make_promotion

pytestmark = pytest.mark.django_db


def test_list_has_the_contract_fields_and_only_running_promotions(
    api_client, django_capture_on_commit_callbacks
):
    dairy = make_category("Dairy")
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        make_promotion(
            code="promo1",
            name="10% off dairy",
            description="10% off on all dairy products",
            categories=[dairy],
        )
        make_promotion(
            code="later", valid_from=now + timedelta(days=2), valid_until=now + timedelta(days=9)
        )
        make_promotion(
            code="over", valid_from=now - timedelta(days=9), valid_until=now - timedelta(days=2)
        )
        make_promotion(code="off", is_active=False)
    response = api_client.get("/api/promotions")
    assert response.status_code == 200
    promotions = response.json()["promotions"]
    assert [p["id"] for p in promotions] == ["promo1"]
    promo = promotions[0]
    assert promo["description"] == "10% off on all dairy products"
    assert promo["valid_until"] == timezone.localdate(now + timedelta(days=1)).isoformat()
    assert promo["url"] == "https://shop.example/promo/promo1"
    assert promo["qr_url"] == "https://shop.example/promo/promo1/qr.svg"
    assert promo["kind"] == "percentage" and promo["name"] == "10% off dairy"


def test_detail_lists_covered_products_paginated(api_client):
    fruit = make_category("Fruit")
    for n in range(55):
        make_product(product_id=f"f{n:03d}", category=fruit)
    make_product(product_id="grapes", category=fruit, unit=Unit.KG)  # no BOGOF by weight
    make_product(product_id="milk", category=make_category("Dairy"))
    make_promotion(
        code="bogof",
        kind="buy_x_get_y",
        percent=None,
        buy_quantity=1,
        free_quantity=1,
        categories=[fruit],
    )
    body = api_client.get("/api/promotions/bogof").json()
    assert body["status"] == "active" and body["message"].startswith("Running until")
    assert body["qr_url"] == "https://shop.example/promo/bogof/qr.svg"
    assert body["products"]["count"] == 55
    assert len(body["products"]["results"]) == 50
    assert body["products"]["results"][0]["product_id"] == "f000"
    second = api_client.get("/api/promotions/bogof?page=2").json()["products"]
    assert [p["product_id"] for p in second["results"]] == [f"f{n:03d}" for n in range(50, 55)]


def test_ended_and_upcoming_promotions_say_so_and_are_not_errors(api_client):
    now = timezone.now()
    make_promotion(
        code="over", valid_from=now - timedelta(days=9), valid_until=now - timedelta(days=2)
    )
    make_promotion(
        code="soon", valid_from=now + timedelta(days=2), valid_until=now + timedelta(days=9)
    )
    make_promotion(code="pulled", is_active=False)
    over = api_client.get("/api/promotions/over")
    assert over.status_code == 200
    assert over.json()["status"] == "ended"
    assert over.json()["message"].startswith("This promotion ended on")
    soon = api_client.get("/api/promotions/soon").json()
    assert soon["status"] == "upcoming" and "has not started yet" in soon["message"]
    pulled = api_client.get("/api/promotions/pulled").json()
    assert pulled["status"] == "ended" and pulled["message"] == "This promotion has been withdrawn."


def test_unknown_promotion_is_a_json_404(api_client):
    response = api_client.get("/api/promotions/nope")
    assert response.status_code == 404
    assert response.json()["code"] == "promotion_not_found"
    assert api_client.get("/promo/nope/qr.svg").status_code == 404


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_promotion_qr_encodes_its_public_url(api_client, fmt):
    make_promotion(code="promo7")
    response = api_client.get(f"/promo/promo7/qr.{fmt}")
    assert response.status_code == 200
    if fmt == "svg":
        assert response["Content-Type"] == "image/svg+xml"
        assert b"https://shop.example/promo/promo7" in response.content
    else:
        image = Image.open(io.BytesIO(response.content))
        assert [r.text for r in zxingcpp.read_barcodes(image)] == [
            "https://shop.example/promo/promo7"
        ]


def test_product_response_lists_the_promotions_on_it(
    api_client, django_capture_on_commit_callbacks
):
    fruit = make_category("Fruit")
    kiwi = make_product(product_id="kiwi", category=fruit)
    make_product(product_id="grapes", category=fruit, unit=Unit.KG)
    make_product(product_id="milk", category=make_category("Dairy"))
    assert api_client.get("/api/products/kiwi").json()["promotions"] == []
    with django_capture_on_commit_callbacks(execute=True):
        make_promotion(
            code="kiwi10", name="Kiwi deal", description="10% off kiwis", products=[kiwi]
        )
        make_promotion(
            code="bogof",
            kind="buy_x_get_y",
            percent=None,
            buy_quantity=1,
            free_quantity=1,
            categories=[fruit],
            priority=5,
        )
        make_promotion(
            code="spend", kind="threshold", percent=None, amount=Decimal(5), threshold=Decimal(50)
        )
    assert [p["id"] for p in api_client.get("/api/products/kiwi").json()["promotions"]] == [
        "bogof",
        "kiwi10",
    ]
    listed = api_client.get("/api/products/kiwi").json()["promotions"][1]
    assert listed == {
        "id": "kiwi10",
        "name": "Kiwi deal",
        "description": "10% off kiwis",
        "valid_until": listed["valid_until"],
        "url": "https://shop.example/promo/kiwi10",
    }
    # weighed grapes: a buy-one-get-one does not apply to them, so it is not shown
    assert api_client.get("/api/products/grapes").json()["promotions"] == []
    assert api_client.get("/api/products/milk").json()["promotions"] == []
    # the scan endpoint shows the same
    assert [p["id"] for p in api_client.get("/api/scan/kiwi").json()["product"]["promotions"]] == [
        "bogof",
        "kiwi10",
    ]
