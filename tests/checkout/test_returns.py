"""Returns by line: staff give back chosen units; the customer gets what they paid for them."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from catalog.models import StockMovement
from checkout.models import Order, Refund
from tests.factories import make_category, make_product, make_promotion, make_voucher_code
from tests.fixtures.checkout import stock_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def basket(db):
    food = make_category("Bakery")
    food.tax_class = "reduced"
    food.save()
    make_product(
        product_id="W12",
        name="Water crate",
        price=Decimal("5.99"),
        deposit=Decimal("3.30"),
        category=make_category("Drinks"),
        stock=Decimal(10),
    )
    b1 = make_product(
        product_id="B1", name="Rye bread", price=Decimal("2.49"), category=food, stock=Decimal(10)
    )
    # 3 loaves, a third off: 7.47 - 2.49 = 4.98 paid for the bread
    make_promotion(kind="multibuy", percent=None, bundle_quantity=3, pay_quantity=2, products=[b1])


@pytest.fixture
def refunder(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


def buy(client, card="pm_card_visa", vouchers=(), total=None):
    cart = [{"product_id": "W12", "quantity": 2}, {"product_id": "B1", "quantity": 3}]
    quote = client.post(
        "/api/checkout/quote", {"cart": cart, "vouchers": list(vouchers)}, format="json"
    ).json()
    body = {
        "cart": cart,
        "payment_method": "credit_card",
        "total_amount": quote["total"] if total is None else total,
        "payment_token": card,
        "vouchers": list(vouchers),
    }
    answer = client.post("/api/checkout", body, format="json").json()
    return Order.objects.get(transaction_id=answer["transaction_id"])


def line_ids(order):
    return {line.product_code: line.pk for line in order.lines.all()}


def give_back(client, order, lines, **headers):
    return client.post(
        f"/api/receipts/{order.transaction_id}/returns",
        {"lines": lines, "reason": "customer changed mind"},
        format="json",
        **headers,
    )


def test_a_return_refunds_what_was_paid_with_its_vat_and_restocks(
    api_client, basket, refunder, fake_stripe
):
    order = buy(api_client)
    ids = line_ids(order)
    response = give_back(
        refunder,
        order,
        [
            {"line_id": ids["W12"], "quantity": 1, "restock": True},
            {"line_id": ids["B1"], "quantity": 1, "restock": False},
        ],
    )
    assert response.status_code == 201, response.json()
    back = response.json()["return"]
    # one crate 5.99 + its deposit 3.30; one loaf of 4.98 paid for three: 1.66
    assert [(line["amount"], line["deposit"]) for line in back["lines"]] == [
        (5.99, 3.30),
        (1.66, 0),
    ]
    assert back["amount"] == 10.95
    assert back["taxes"] == [
        {"rate": 19.0, "net": 7.81, "tax": 1.48, "gross": 9.29},
        {"rate": 7.0, "net": 1.55, "tax": 0.11, "gross": 1.66},
    ]
    receipt = response.json()["receipt"]
    assert receipt["status"] == "success" and receipt["refunded_amount"] == 10.95
    assert receipt["returns"] == [back]
    returned = {line["product_id"]: line["returned_quantity"] for line in receipt["lines"]}
    assert returned == {"W12": 1, "B1": 1}
    assert stock_of("W12") == 9  # 10 - 2 sold + 1 back on the shelf
    assert stock_of("B1") == 7  # written off
    assert StockMovement.objects.filter(reason="refund").count() == 1
    assert sum(fake_stripe.refunds[r]["amount"] for r in fake_stripe.refunds) == 1095


def test_returning_every_unit_in_pieces_refunds_exactly_the_total(
    api_client, basket, refunder, fake_stripe
):
    order = buy(api_client, vouchers=[make_voucher_code("1.00")])
    ids = line_ids(order)
    for line_id, quantity in [(ids["B1"], 1), (ids["B1"], 1), (ids["W12"], 2), (ids["B1"], 1)]:
        response = give_back(
            refunder, order, [{"line_id": line_id, "quantity": quantity, "restock": True}]
        )
        assert response.status_code == 201, response.json()
    order.refresh_from_db()
    assert order.refunded_amount == order.total and order.status == "refunded"
    # the returns' VAT adds up to the sale's, rate by rate
    taxes = {}
    for refund in order.refunds.all():
        from checkout.selectors import return_taxes

        for entry in return_taxes(refund.lines.select_related("order_line")):
            taxes[entry.rate] = taxes.get(entry.rate, Decimal(0)) + entry.gross
    assert taxes == {t.rate: t.gross for t in order.taxes.all()}


def test_never_more_back_than_was_bought(api_client, basket, refunder, fake_stripe):
    order = buy(api_client)
    ids = line_ids(order)
    assert (
        give_back(
            refunder, order, [{"line_id": ids["B1"], "quantity": 2, "restock": True}]
        ).status_code
        == 201
    )
    again = give_back(refunder, order, [{"line_id": ids["B1"], "quantity": 2, "restock": True}])
    assert again.status_code == 409
    assert again.json()["code"] == "return_not_allowed"
    assert "Only 1 of Rye bread" in again.json()["message"]
    assert Refund.objects.count() == 1 and stock_of("B1") == 9


@pytest.mark.parametrize(
    ("lines", "status", "words"),
    [
        ([{"line_id": 999999, "quantity": 1, "restock": True}], 409, "is not on"),
        ([{"line_id": "B1", "quantity": 0.5, "restock": True}], 409, "whole number"),
        ([], 400, "lines"),
        ([{"line_id": "B1", "quantity": -1, "restock": True}], 400, "quantity"),
    ],
)
def test_bad_returns_are_named_and_change_nothing(
    api_client, basket, refunder, fake_stripe, lines, status, words
):
    order = buy(api_client)
    ids = line_ids(order)
    lines = [{**line, "line_id": ids.get(line["line_id"], line["line_id"])} for line in lines]
    response = give_back(refunder, order, lines)
    assert response.status_code == status
    assert words in response.json()["message"]
    assert Refund.objects.count() == 0 and stock_of("B1") == 7


def test_a_failed_order_cannot_be_returned(api_client, basket, refunder, fake_stripe):
    order = buy(api_client, card="pm_card_chargeDeclined")
    assert order.status == "failed"
    response = give_back(
        refunder, order, [{"line_id": line_ids(order)["B1"], "quantity": 1, "restock": True}]
    )
    assert (
        response.status_code == 409
        and "failed order cannot be refunded" in response.json()["message"]
    )
    assert Refund.objects.count() == 0


def test_a_retried_return_is_one_return_and_one_gateway_refund(
    api_client, basket, refunder, fake_stripe
):
    order = buy(api_client)
    lines = [{"line_id": line_ids(order)["W12"], "quantity": 1, "restock": True}]
    # The gateway did the refund but its answer was lost: the adapter asks again, same key.
    fake_stripe.fail("POST /v1/refunds", "hang_after", seconds=1)
    first = give_back(refunder, order, lines, HTTP_IDEMPOTENCY_KEY="ret-1")
    second = give_back(refunder, order, lines, HTTP_IDEMPOTENCY_KEY="ret-1")
    assert first.status_code == second.status_code == 201, first.json()
    assert first.json()["return"] == second.json()["return"]
    assert len(fake_stripe.refunds) == 1 and Refund.objects.count() == 1
    assert stock_of("W12") == 9


def test_a_refused_gateway_refund_undoes_the_return(api_client, basket, refunder, fake_stripe):
    order = buy(api_client)
    fake_stripe.fail("POST /v1/refunds", "400")
    response = give_back(
        refunder, order, [{"line_id": line_ids(order)["W12"], "quantity": 1, "restock": True}]
    )
    assert response.status_code == 409 and response.json()["code"] == "refund_not_allowed"
    assert Refund.objects.count() == 0 and stock_of("W12") == 8
    assert order.lines.get(product_code="W12").returned_quantity == 0


def test_only_staff_who_may_refund_return(api_client, basket, fake_stripe, shop_staff):
    order = buy(api_client)
    lines = [{"line_id": line_ids(order)["W12"], "quantity": 1, "restock": True}]
    assert give_back(api_client, order, lines).status_code in (401, 403)
    clerk = APIClient()
    clerk.force_authenticate(shop_staff)
    assert give_back(clerk, order, lines).status_code == 403


def test_a_manager_returns_lines_in_the_admin(api_client, basket, manager_client, fake_stripe):
    order = buy(api_client)
    ids = line_ids(order)
    url = f"/admin/checkout/order/{order.pk}/return/"
    page = manager_client.get(url)
    assert page.status_code == 200 and "Water crate (at most 2)" in page.content.decode()
    assert (
        "Return lines"
        in manager_client.get(f"/admin/checkout/order/{order.pk}/change/").content.decode()
    )
    too_many = manager_client.post(url, {f"quantity_{ids['B1']}": "4", "reason": "x"})
    assert too_many.status_code == 200 and Refund.objects.count() == 0
    done = manager_client.post(
        url, {f"quantity_{ids['W12']}": "1", f"restock_{ids['W12']}": "on", "reason": "leaking"}
    )
    assert done.status_code == 302
    refund = Refund.objects.get()
    assert refund.amount == Decimal("9.29") and refund.lines.get().restocked
    assert stock_of("W12") == 9
