"""The loyalty card as a QR (GET /api/account/card.svg): the signed-in customer's own card
number, readable by a QR decoder, never kept by a cache."""

import io

import pytest
import zxingcpp
from PIL import Image

from customers.cards import looks_like_card_number
from grocery.qr import render_qr
from tests.customers.test_accounts import sign_up

pytestmark = pytest.mark.django_db


def test_card_qr_encodes_the_card_number_and_is_not_cached(api_client):
    card_number = sign_up(api_client).json()["card_number"]

    response = api_client.get("/api/account/card.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Cache-Control"] == "private, no-store"
    assert f"<title>{card_number}</title>" in response.content.decode()
    # the same code as PNG decodes to the bare card number, which the checkout takes as customer_id
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(render_qr(card_number, "png"))))
    assert [code.text for code in decoded] == [card_number]
    assert looks_like_card_number(decoded[0].text)


def test_card_qr_needs_a_signed_in_customer(api_client):
    response = api_client.get("/api/account/card.svg")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
