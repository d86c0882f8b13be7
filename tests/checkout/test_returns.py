"""Returns by line: staff give back chosen units; the customer gets what they paid for them."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from catalog.models import Product, StockMovement, Store, StoreProduct, get_home_store
from catalog.services import set_stock
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


def test_a_refused_return_says_why_and_names_the_line(api_client, basket, refunder, fake_stripe):
    """Each refusal names the line(s) at fault, so the manager's screen can point at them."""
    order = buy(api_client)
    other = buy(api_client)
    ids = line_ids(order)
    bread, tid = ids["B1"], order.transaction_id
    refusals = [
        (
            [(999998, 1), (999999, 1)],
            f"Line 999998, 999999 is not on {tid}.",
            {"line_ids": [999998, 999999]},
        ),
        # A line of another order, even one of the same customer, is not on this receipt.
        (
            [(line_ids(other)["B1"], 1)],
            f"Line {line_ids(other)['B1']} is not on {tid}.",
            {"line_ids": [line_ids(other)["B1"]]},
        ),
        ([(bread, 1), (bread, 1)], "A line is named twice.", {"line_ids": [bread, bread]}),
        (
            [(bread, 0.5)],
            "Quantity for Rye bread must be a positive whole number of items, or kg.",
            {"line_id": bread},
        ),
        ([(bread, 4)], "Only 3 of Rye bread can still be returned.", {"line_id": bread}),
    ]
    for lines, message, detail in refusals:
        response = give_back(
            refunder,
            order,
            [{"line_id": line_id, "quantity": qty, "restock": True} for line_id, qty in lines],
        )
        assert response.status_code == 409, message
        body = response.json()
        assert (body["code"], body["message"]) == ("return_not_allowed", message)
        assert {key: body["detail"][key] for key in detail} == detail
    too_many = give_back(refunder, order, [{"line_id": bread, "quantity": 4, "restock": True}])
    assert Decimal(str(too_many.json()["detail"]["returnable"])) == 3
    assert Refund.objects.count() == 0 and order.lines.get(pk=bread).returned_quantity == 0


def test_the_service_refuses_no_lines_and_a_quantity_of_zero(api_client, basket, fake_stripe):
    """The API's and the admin's forms keep these out; the service says no to them itself."""
    from checkout.errors import ReturnNotAllowed
    from checkout.services.returns import ReturnedLine, return_lines

    order = buy(api_client)
    bread = line_ids(order)["B1"]
    with pytest.raises(ReturnNotAllowed, match=r"^Name at least one line to return\.$"):
        return_lines(order=order, lines=[], reason="x")
    with pytest.raises(ReturnNotAllowed) as zero:
        return_lines(
            order=order,
            lines=[ReturnedLine(line_id=bread, quantity=Decimal(0), restock=True)],
            reason="x",
        )
    assert zero.value.message.startswith("Quantity for Rye bread must be a positive")
    assert zero.value.detail == {"line_id": bread}
    assert Refund.objects.count() == 0


def test_a_manager_who_chooses_nothing_is_told_so(api_client, basket, manager_client, fake_stripe):
    order = buy(api_client)
    page = manager_client.post(f"/admin/checkout/order/{order.pk}/return/", {"reason": "x"})
    assert page.status_code == 200 and "Name at least one line to return." in page.content.decode()
    assert Refund.objects.count() == 0


def test_a_return_of_cents_is_paid_and_a_free_item_is_not(api_client, refunder, fake_stripe):
    """A roll at 0.30 with 0.20 off each: 0.10 paid per roll, and a return of one gives back
    0.10. A sample at 0.20 with 0.50 off (never more than the item) was free: returning it
    gives back nothing, so it is refused."""
    bakery = make_category("Bakery")
    roll = make_product(product_id="R1", name="Roll", price=Decimal("0.30"), category=bakery)
    sample = make_product(product_id="S1", name="Sample", price=Decimal("0.20"), category=bakery)
    make_promotion(kind="fixed_off", percent=None, amount=Decimal("0.20"), products=[roll])
    make_promotion(kind="fixed_off", percent=None, amount=Decimal("0.50"), products=[sample])
    cart = [{"product_id": "R1", "quantity": 2}, {"product_id": "S1", "quantity": 1}]
    body = {
        "cart": cart,
        "payment_method": "credit_card",
        "total_amount": 0.20,
        "payment_token": "pm_card_visa",
    }
    answer = api_client.post("/api/checkout", body, format="json")
    assert answer.status_code == 201, answer.json()
    order = Order.objects.get(transaction_id=answer.json()["transaction_id"])
    ids = line_ids(order)
    free = give_back(refunder, order, [{"line_id": ids["S1"], "quantity": 1, "restock": True}])
    assert free.status_code == 409
    assert free.json()["message"] == "Nothing was paid for these units."
    cents = give_back(refunder, order, [{"line_id": ids["R1"], "quantity": 1, "restock": True}])
    assert cents.status_code == 201, cents.json()
    assert cents.json()["return"]["amount"] == 0.10
    assert fake_stripe.refunds and sum(r["amount"] for r in fake_stripe.refunds.values()) == 10


def test_a_return_never_passes_what_is_left_after_a_refund_by_amount(
    api_client, basket, refunder, manager, fake_stripe
):
    """2 crates 11.98 + deposits 6.60 + bread 4.98 = 23.56 paid; 20.00 given back by amount
    leaves 3.56, less than a crate with its deposit (5.99 + 3.30 = 9.29)."""
    from checkout.services.refunds import refund_order

    order = buy(api_client)
    assert order.total == Decimal("23.56")
    refund_order(order=order, amount=Decimal("20.00"), user=manager, reason="damaged")
    response = give_back(
        refunder, order, [{"line_id": line_ids(order)["W12"], "quantity": 1, "restock": True}]
    )
    assert response.status_code == 409
    assert response.json()["message"] == "These units cost 9.29; only 3.56 is left to refund."
    assert Decimal(str(response.json()["detail"]["refundable"])) == Decimal("3.56")
    assert Refund.objects.count() == 1


def test_a_retried_return_of_the_last_units_answers_the_first_return(
    api_client, basket, refunder, manager, fake_stripe
):
    """After the first return took every loaf, the retry (same key) is not "only 0 left": it is
    the first return again, recorded with the manager who made it."""
    order = buy(api_client)
    lines = [{"line_id": line_ids(order)["B1"], "quantity": 3, "restock": True}]
    first = give_back(refunder, order, lines, HTTP_IDEMPOTENCY_KEY="ret-all")
    second = give_back(refunder, order, lines, HTTP_IDEMPOTENCY_KEY="ret-all")
    assert first.status_code == second.status_code == 201, second.json()
    assert first.json()["return"] == second.json()["return"]
    refund = Refund.objects.get()
    assert (refund.amount, refund.user) == (Decimal("4.98"), manager)


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


def test_a_return_is_recorded_with_its_reason_or_as_a_return(api_client, basket, fake_stripe):
    """The refund row and the order's history say why money went back: the reason given, or
    "return" when none was."""
    from checkout.services.returns import ReturnedLine, return_lines

    order = buy(api_client)
    ids = line_ids(order)
    # one crate 5.99 + deposit 3.30 = 9.29; one loaf of the three for 4.98 = 1.66
    for line_id, reason, amount, why in [
        (ids["W12"], "leaking", "9.29", "leaking"),
        (ids["B1"], "", "1.66", "return"),
    ]:
        refund = return_lines(
            order=order, lines=[ReturnedLine(line_id, Decimal(1), True)], reason=reason
        )
        assert (refund.amount, refund.reason) == (Decimal(amount), why)
        assert order.events.latest("pk").reason == f"refund of {amount} EUR: {why}"


def test_a_return_in_a_chain_store_restocks_that_store_and_no_other(
    api_client, basket, refunder, manager, fake_stripe
):
    city = Store.objects.create(code="city", name="City Store")
    for product_id in ("W12", "B1"):
        product = Product.objects.get(product_id=product_id)
        StoreProduct.objects.create(store=city, product=product)
        set_stock(product=product, stock=Decimal(10), store=city)
    city.staff.add(manager)  # the refunder works in the city store
    api_client.credentials(HTTP_X_STORE="city")
    order = buy(api_client)
    home = get_home_store()

    def crates() -> tuple[Decimal, Decimal]:
        rows = StoreProduct.objects.filter(product__product_id="W12")
        return rows.get(store=city).stock, rows.get(store=home).stock

    sold = crates()
    answer = give_back(
        refunder, order, [{"line_id": line_ids(order)["W12"], "quantity": 1, "restock": True}]
    )
    assert answer.status_code == 201, answer.json()
    assert crates() == (sold[0] + 1, sold[1])  # back on the city shelf; the home store untouched
