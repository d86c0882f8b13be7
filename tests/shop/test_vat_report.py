"""VAT per rate for the accountant: the dashboard panel and the CSV of sales per rate per day."""

import csv
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def sold(api_client, manager, fake_stripe):
    """A crate of water (19 %, deposit 3.30) and two loaves (7 %) bought; one loaf returned."""
    food = make_category("Bakery")
    food.tax_class = "reduced"
    food.save()
    make_product(product_id="W12", price=Decimal("5.99"), deposit=Decimal("3.30"))
    make_product(product_id="B1", price=Decimal("2.49"), category=food)
    cart = [{"product_id": "W12", "quantity": 1}, {"product_id": "B1", "quantity": 2}]
    body = {
        "cart": cart,
        "payment_method": "credit_card",
        "total_amount": 14.27,
        "payment_token": "pm_card_visa",
    }
    receipt = api_client.post("/api/checkout", body, format="json").json()["receipt"]
    bread = next(line for line in receipt["lines"] if line["product_id"] == "B1")
    staff = APIClient()
    staff.force_authenticate(manager)
    answer = staff.post(
        f"/api/receipts/{receipt['transaction_id']}/returns",
        {"lines": [{"line_id": bread["line_id"], "quantity": 1, "restock": True}]},
        format="json",
    )
    assert answer.status_code == 201, answer.json()


def test_the_csv_gives_sales_and_returns_per_rate_per_day(sold, manager_client):
    response = manager_client.get("/admin/reports/vat.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    today = timezone.localdate().isoformat()
    assert rows == [
        {
            "date": today,
            "vat_rate_percent": "19",
            "net": "7.81",
            "vat": "1.48",
            "gross": "9.29",
            "returned_net": "0.00",
            "returned_vat": "0.00",
            "returned_gross": "0.00",
        },
        {
            "date": today,
            "vat_rate_percent": "7",
            "net": "4.65",
            "vat": "0.33",
            "gross": "4.98",
            "returned_net": "2.33",
            "returned_vat": "0.16",
            "returned_gross": "2.49",
        },
    ]


def test_the_dashboard_shows_vat_per_rate(sold, manager_client):
    html = manager_client.get("/admin/").content.decode()
    assert "VAT per rate (30 days)" in html
    section = html[html.index('id="vat"') :][:1500]
    assert "19 %" in html and "7 %" in html and "/admin/reports/vat.csv" in html, section


def test_only_staff_who_see_orders_get_the_csv(sold, client, shop_staff_client):
    assert client.get("/admin/reports/vat.csv").status_code == 302  # to the login
    assert shop_staff_client.get("/admin/reports/vat.csv").status_code == 403
