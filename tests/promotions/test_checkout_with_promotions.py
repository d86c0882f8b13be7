"""A checkout prices through the promotions engine exactly as the quote said, and explains it."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from checkout.models import Order
from tests.factories import make_category, make_product, make_promotion

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop_with_promotions(django_capture_on_commit_callbacks):
    dairy, fruit, meat = make_category("Dairy"), make_category("Fruit"), make_category("Meat")
    make_product(product_id="milk", name="Milk", category=dairy, price=Decimal("1.50"))
    banana = make_product(product_id="banana", name="Banana", category=fruit, price=Decimal("0.99"))
    make_product(product_id="steak", name="Steak", category=meat, price=Decimal("15.00"))
    make_product(
        product_id="grapes", name="Grapes", category=fruit, price=Decimal("4.00"), unit="kg"
    )
    with django_capture_on_commit_callbacks(execute=True):
        make_promotion(code="dairy-10", name="10% off dairy", categories=[dairy])
        # two non-stacking fruit deals compete for the bananas: the better one wins
        make_promotion(code="fruit-5", name="5% off fruit", percent=Decimal(5), categories=[fruit])
        make_promotion(
            code="banana-bogof",
            name="Buy 1 get 1 free",
            kind="buy_x_get_y",
            percent=None,
            buy_quantity=1,
            free_quantity=1,
            products=[banana],
        )
        make_promotion(  # stacks on top of everything
            code="spend-20",
            name="5.00 off 20.00",
            kind="threshold",
            percent=None,
            amount=Decimal("5.00"),
            threshold=Decimal("20.00"),
            stackable=True,
        )


CART = [
    {"product_id": "milk", "quantity": 2},  # 3.00, 10% off: 0.30
    {"product_id": "banana", "quantity": 3},  # 2.97, one free: 0.99 (5% would be 0.15)
    {"product_id": "steak", "quantity": 1},  # 15.00
    {"product_id": "grapes", "quantity": 0.5},  # 2.00 by weight: no BOGOF, 5% off fruit: 0.10
]


def test_checkout_total_includes_stacked_and_non_stacked_discounts_as_quoted(
    shop_with_promotions,
):
    client = APIClient()
    quote = client.post(
        "/api/checkout/quote", {"customer_id": "789", "cart": CART}, format="json"
    ).json()
    # subtotal 22.97; item deals 0.30 + 0.99 + 0.10; the spend is 22.97 >= 20: 5.00 more.
    # On the bananas the buy-one-get-one (0.99) beats the 5% (0.15): a line gets one of them.
    assert quote["subtotal"] == 22.97
    assert quote["discount_total"] == 6.39
    assert quote["total"] == 16.58
    by_line = {line["product_id"]: line for line in quote["lines"]}
    banana_deals = {d["promotion_id"]: d for d in by_line["banana"]["discounts"]}
    assert set(banana_deals) == {"banana-bogof", "spend-20"}  # not 5% as well: it does not stack
    assert banana_deals["banana-bogof"]["amount"] == 0.99
    assert banana_deals["banana-bogof"]["reason"] == "Buy 1 get 1 free: 1 × Banana free"
    grape_deals = {d["promotion_id"] for d in by_line["grapes"]["discounts"]}
    assert grape_deals == {"fruit-5", "spend-20"}  # the 5% still applies where BOGOF cannot
    spend_shares = [
        d["amount"]
        for line in quote["lines"]
        for d in line["discounts"]
        if d["promotion_id"] == "spend-20"
    ]
    assert round(sum(spend_shares), 2) == 5.00

    response = client.post(
        "/api/checkout",
        {
            "customer_id": "789",
            "cart": CART,
            "payment_method": "credit_card",
            "total_amount": quote["total"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "success" and body["receipt"]["total"] == 16.58
    order = Order.objects.get(transaction_id=body["transaction_id"])
    assert order.total == Decimal("16.58") and order.discount_total == Decimal("6.39")

    receipt = client.get(
        f"/api/receipts/{body['transaction_id']}", HTTP_X_CART_TOKEN=body["cart_token"]
    ).json()
    assert receipt["total"] == 16.58 and receipt["discount_total"] == 6.39
    assert [line["discounts"] for line in receipt["lines"]] == [
        line["discounts"] for line in quote["lines"]
    ]


def test_the_old_total_is_refused_once_a_promotion_starts(shop_with_promotions):
    client = APIClient()
    claimed_without_deals = 22.97
    response = client.post(
        "/api/checkout",
        {
            "customer_id": "789",
            "cart": CART,
            "payment_method": "credit_card",
            "total_amount": claimed_without_deals,
        },
        format="json",
    )
    assert response.status_code == 409
    assert Order.objects.count() == 0
