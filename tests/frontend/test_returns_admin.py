"""The manager's side of issue 13 in real Chromium: the dashboard's VAT panel and the Return lines
page (axe-core, WCAG 2.1 AA), and a return made there."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from checkout.models import Order
from tests.factories import make_category, make_product
from tests.fixtures.browser import axe_violations

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def paid_order():
    bakery = make_category("Bakery")
    bakery.tax_class = "reduced"
    bakery.save()
    make_product(
        product_id="W12",
        name="Mineral water crate",
        price=Decimal("5.99"),
        deposit=Decimal("3.30"),
        category=make_category("Drinks"),
    )
    make_product(product_id="B1", name="Rye bread", price=Decimal("2.49"), category=bakery)
    body = {
        "cart": [{"product_id": "W12", "quantity": 2}, {"product_id": "B1", "quantity": 1}],
        "payment_method": "credit_card",
        "total_amount": 21.07,  # 2 × (5.99 + deposit 3.30) + 2.49
    }
    answer = APIClient().post("/api/checkout", body, format="json")
    assert answer.status_code == 201, answer.json()
    return Order.objects.get()


def test_a_manager_returns_a_crate_from_the_admin(live_server, page, paid_order, manager, shot):
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill("pw-mia-123")
    page.get_by_role("button", name="Log in").click()
    panel = page.locator("#vat")
    expect(panel.get_by_role("heading", name="VAT per rate (30 days)")).to_be_visible()
    expect(panel.get_by_role("row")).to_have_count(3)
    assert axe_violations(page, "#vat") == []

    page.goto(f"{live_server.url}/admin/checkout/order/{paid_order.pk}/change/")
    page.get_by_role("link", name="Return lines…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Return lines of")
    assert axe_violations(page, "#content") == []
    shot(page, "admin-return-lines")
    page.get_by_label("Mineral water crate (at most 2)").fill("1")
    page.get_by_label("Reason").fill("bottle broken")
    page.get_by_role("button", name="Return and refund").click()
    expect(page.locator(".messagelist")).to_contain_text("refunded 9.29 EUR")

    paid_order.refresh_from_db()
    assert paid_order.status == "partially_refunded" and paid_order.refunded_amount == Decimal(
        "9.29"
    )
    assert paid_order.lines.get(product_code="W12").returned_quantity == 1
