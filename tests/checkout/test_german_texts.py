"""What a German customer reads from the API, and what a German shop prints: deposit, voucher and
discount texts in the request's language (German numbers in the reasons too), a receipt's
reasons written again in the reader's language, shelf labels and posters in a chosen language."""

from decimal import Decimal

import pypdfium2
import pytest
from django.utils import translation

from catalog.labels import render_labels
from catalog.models import Unit
from checkout.models import Order, OrderLine
from promotions.posters import render_posters
from tests.checkout.test_taxes_and_deposits import CART, checkout, drinks, quote  # noqa: F401
from tests.factories import make_promotion, make_voucher_code

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}


def pdf_text(pdf: bytes) -> str:
    return pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range()


@pytest.fixture
def offers(drinks):  # noqa: F811 - the fixture imported above
    make_promotion(
        code="brot", name="Brotzeit", percent=Decimal("12.5"), products=[drinks["bread"]]
    )
    make_promotion(
        code="kasten",
        name="Kastenpreis",
        kind="threshold",
        percent=None,
        amount=Decimal("1.50"),
        threshold=Decimal("5.00"),
        products=[drinks["water"]],
    )
    return drinks


def german_quote(client, body: dict):
    return client.post("/api/checkout/quote", body, format="json", **GERMAN)


def reasons(body: dict, product_id: str) -> list[str]:
    line = next(line for line in body["lines"] if line["product_id"] == product_id)
    return [d["reason"] for d in line["discounts"]]


def test_a_quote_speaks_the_customers_language(api_client, offers):
    english = quote(api_client, CART).json()
    german = german_quote(api_client, {"cart": CART}).json()

    assert english["deposits"][0]["name"] == "Deposit: Mineral water, crate of 12"
    assert german["deposits"][0]["name"] == "Pfand: Mineral water, crate of 12"
    assert reasons(english, "B1") == ["Brotzeit: 12.5% off"]
    assert reasons(german, "B1") == ["Brotzeit: 12,5 % Rabatt"]
    assert reasons(english, "W12") == ["Kastenpreis: share of 1.50 off a spend of 5.00"]
    assert reasons(german, "W12") == ["Kastenpreis: Anteil an 1,50 Rabatt ab 5,00 Einkaufswert"]
    assert german["total"] == english["total"]  # only the words change


def test_a_receipt_writes_its_reasons_in_the_readers_language(api_client, offers):
    total = quote(api_client, CART).json()["total"]
    paid = checkout(api_client, CART, total)
    assert paid.status_code == 201, paid.content
    transaction_id = paid.json()["transaction_id"]
    stored = OrderLine.objects.get(product_code="B1").discounts[0]
    assert stored["reason"] == "Brotzeit: 12.5% off"  # the English text stays readable as is
    assert stored["values"] == {"name": "Brotzeit", "percent": "12.5"}

    german = api_client.get(f"/api/receipts/{transaction_id}", **GERMAN).json()
    assert reasons(german, "B1")[0] == "Brotzeit: 12,5 % Rabatt"
    assert german["deposits"][0]["name"] == "Pfand: Mineral water, crate of 12"
    english = api_client.get(f"/api/receipts/{transaction_id}").json()
    assert reasons(english, "B1")[0] == "Brotzeit: 12.5% off"

    # a receipt written before reasons kept their template reads as it was written
    OrderLine.objects.filter(product_code="B1").update(
        discounts=[{"promotion_id": "brot", "amount": "0.62", "reason": "Brotzeit: 12.5% off"}]
    )
    older = api_client.get(f"/api/receipts/{transaction_id}", **GERMAN).json()
    assert reasons(older, "B1") == ["Brotzeit: 12.5% off"]
    assert Order.objects.count() == 1


def test_voucher_problems_are_explained_in_german(api_client, drinks):  # noqa: F811
    wrong_digit = german_quote(api_client, {"cart": CART, "vouchers": ["2901000100105"]})
    assert wrong_digit.json()["message"] == "Pfandbon 2901000100105: Die Prüfziffer stimmt nicht."

    code = make_voucher_code("1.00")
    assert checkout(api_client, CART, 13.27, [code]).status_code == 201
    again = german_quote(api_client, {"cart": CART, "vouchers": [code]})
    assert again.status_code == 409
    assert again.json()["message"] == f"Pfandbon {code} wurde bereits eingelöst."


def test_shelf_labels_print_in_the_chosen_language(drinks):  # noqa: F811
    water = drinks["water"]
    water.unit = Unit.EACH
    before = translation.get_language()
    german = pdf_text(render_labels([water], language="de"))
    assert "5,99 €" in german and "je Stück" in german
    assert "zzgl. 3,30 € Pfand" in german and "Nr. W12" in german
    english = pdf_text(render_labels([water], language="en-gb"))
    assert "€5.99" in english and "plus €3.30 deposit" in english and "No. W12" in english
    assert translation.get_language() == before  # printing in German changed nothing else


def test_posters_print_in_the_chosen_language():
    promotion = make_promotion(code="kaese", name="Käsetheke", description="Zehn Prozent")
    german = pdf_text(render_posters([promotion], language="de"))
    assert "AKTION" in german and "Gültig" in german
    assert "Scannen für Details und alle Produkte" in german
    english = pdf_text(render_posters([promotion], language="en-gb"))
    assert "PROMOTION" in english and "Valid" in english


def test_a_refused_cart_is_explained_in_german(api_client, drinks):  # noqa: F811
    half = german_quote(api_client, {"cart": [{"product_id": "B1", "quantity": 1.5}]})
    assert half.json()["message"] == "Die Menge für B1 muss bei Stückware eine ganze Zahl sein."
    unknown = german_quote(api_client, {"cart": [{"product_id": "NOPE", "quantity": 1}]})
    assert unknown.json()["message"] == "Unbekanntes Produkt: NOPE."
    english = quote(api_client, [{"product_id": "B1", "quantity": 1.5}]).json()
    assert english["message"] == "Quantity for B1 must be a whole number for items sold each."
