import io
from decimal import Decimal

import pytest
import zxingcpp
from django.core import signing
from PIL import Image
from rest_framework.test import APIClient

from checkout.models import Order
from tests.fixtures.checkout import spec_body

pytestmark = pytest.mark.django_db


def buy(client, **changes):
    response = client.post("/api/checkout", spec_body(**changes), format="json")
    return response.json()


def test_the_buyer_reads_the_receipt_by_cart_token(api_client, shop):
    body = buy(api_client)
    tx_id, token = body["transaction_id"], body["cart_token"]
    response = APIClient().get(f"/api/receipts/{tx_id}", HTTP_X_CART_TOKEN=token)
    assert response.status_code == 200
    receipt = response.json()
    assert receipt["total"] == 4.97 and receipt["items"] == body["receipt"]["items"]
    assert receipt["transaction_id"] == tx_id and receipt["status"] == "success"
    assert (
        receipt["subtotal"] == 4.97
        and receipt["discount_total"] == 0
        and receipt["currency"] == "EUR"
    )
    assert [line["product_id"] for line in receipt["lines"]] == ["12345", "23456"]
    assert receipt["exit_code"] and receipt["exit_qr_url"].startswith(
        "https://shop.example/api/receipts/exit/"
    )
    # the cookie the checkout set works as well
    assert api_client.get(f"/api/receipts/{tx_id}").status_code == 200


def test_others_get_a_404(api_client, shop, django_user_model):
    tx_id = buy(api_client)["transaction_id"]
    assert APIClient().get(f"/api/receipts/{tx_id}").status_code == 404
    assert (
        APIClient().get(f"/api/receipts/{tx_id}", HTTP_X_CART_TOKEN="someone-else").status_code
        == 404
    )
    intruder = APIClient()
    intruder.force_authenticate(
        django_user_model.objects.create_user("eve", password="pw-eve-12345")
    )
    response = intruder.get(f"/api/receipts/{tx_id}")
    assert response.status_code == 404 and response.json()["code"] == "transaction_not_found"
    assert APIClient().get("/api/receipts/tx-does-not-exist").status_code == 404
    assert intruder.get("/api/receipts").json() == {"receipts": []}


def test_a_signed_in_customer_reads_their_receipts_from_any_device(shop, django_user_model):
    ann = APIClient()
    ann.force_authenticate(django_user_model.objects.create_user("ann", password="pw-ann-12345"))
    first = buy(ann)["transaction_id"]
    second = buy(ann, cart=[{"product_id": "23456", "quantity": 1}], total_amount=0.99)[
        "transaction_id"
    ]
    other_device = APIClient()
    other_device.force_authenticate(django_user_model.objects.get(username="ann"))
    assert other_device.get(f"/api/receipts/{first}").status_code == 200
    listed = [r["transaction_id"] for r in other_device.get("/api/receipts").json()["receipts"]]
    assert listed == [second, first]  # newest first


def test_the_exit_qr_encodes_a_signed_code_staff_can_verify(api_client, shop, staff_client):
    body = buy(api_client)
    code = body["receipt"]["exit_code"]
    svg = api_client.get(f"/api/receipts/exit/{code}/qr.svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    png = api_client.get(f"/api/receipts/exit/{code}/qr.png")
    assert png.status_code == 404  # only the SVG route exists
    from grocery.qr import render_qr

    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(render_qr(code, "png"))))
    assert [r.text for r in decoded] == [code]

    verified = staff_client.post("/api/exit/verify", {"code": code}, format="json")
    assert verified.status_code == 200
    assert verified.json()["decision"] in ("go", "audit")
    assert verified.json()["transaction_id"] == body["transaction_id"]


def test_exit_verification_is_staff_only_and_refuses_forgeries(api_client, shop, staff_client):
    body = buy(api_client)
    code = body["receipt"]["exit_code"]
    assert api_client.post("/api/exit/verify", {"code": code}, format="json").status_code in (
        401,
        403,
    )
    forged = signing.Signer(salt="another-salt").sign(f"1.{body['transaction_id']}")
    response = staff_client.post("/api/exit/verify", {"code": forged}, format="json")
    assert response.status_code == 200 and response.json()["decision"] == "stop"
    assert response.json()["lines"] == []
    tampered = code[:-1] + ("A" if code[-1] != "A" else "B")
    answer = staff_client.post("/api/exit/verify", {"code": tampered}, format="json").json()
    assert answer["decision"] == "stop" and "Forged" in answer["reason"]


def test_unpaid_or_refunded_transactions_have_no_valid_exit_code(api_client, shop, staff_client):
    declined = buy(api_client, payment_token="tok_decline")
    assert declined["receipt"]["exit_code"] is None
    paid = buy(api_client)
    Order.objects.filter(transaction_id=paid["transaction_id"]).update(status="refunded")
    code = paid["receipt"]["exit_code"]
    answer = staff_client.post("/api/exit/verify", {"code": code}, format="json").json()
    assert answer["decision"] == "stop" and answer["reason"].startswith("Refunded")
    assert api_client.get(f"/api/receipts/exit/{code}/qr.svg").status_code == 404


def test_vat_included_is_shown_when_configured(api_client, shop, settings):
    settings.VAT_RATES = {**settings.VAT_RATES, "standard": Decimal(9)}
    receipt = buy(api_client)["receipt"]
    assert receipt["total"] == 4.97
    assert receipt["tax"] == 0.41  # 4.97 - 4.97 / 1.09 = 0.4103
    assert receipt["tax_rate"] == 0.09
    assert Order.objects.get().tax == Decimal("0.41")
