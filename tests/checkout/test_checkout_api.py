from decimal import Decimal

import pytest

from catalog.models import Product, StockMovement
from checkout.models import Cart, CartLine, Order
from tests.factories import make_product
from tests.fixtures.checkout import CHECKOUT_MAX_QUERIES, snapshot, spec_body, stock_of

pytestmark = pytest.mark.django_db


def test_checkout_answers_the_spec_field_for_field(api_client, shop):
    response = api_client.post("/api/checkout", spec_body(), format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "success" and body["message"] == "Checkout completed"
    assert body["receipt"]["total"] == 4.97
    assert body["receipt"]["items"] == [
        {"name": "Organic Apple", "quantity": 2, "price": 1.99},
        {"name": "Banana", "quantity": 1, "price": 0.99},
    ]
    order = Order.objects.get(transaction_id=body["transaction_id"])
    assert order.status == "succeeded" and order.total == Decimal("4.97")
    assert order.customer_id == "789" and order.gateway == "simulated"
    assert [(e.from_status, e.to_status) for e in order.events.all()] == [
        ("", "pending"),
        ("pending", "succeeded"),
    ]
    assert stock_of("12345") == 118 and stock_of("23456") == 49
    assert body["receipt_url"].endswith(f"/api/receipts/{order.transaction_id}")


def test_lines_snapshot_what_was_sold(api_client, shop):
    body = api_client.post("/api/checkout", spec_body(), format="json").json()
    Product.objects.filter(product_id="12345").update(price=Decimal("9.99"), name="Renamed")
    line = Order.objects.get(transaction_id=body["transaction_id"]).lines.get(product_code="12345")
    assert (line.name, line.unit_price, line.quantity, line.discount, line.line_total) == (
        "Organic Apple",
        Decimal("1.99"),
        Decimal(2),
        Decimal("0.00"),
        Decimal("3.98"),
    )


def test_total_within_half_a_cent_is_accepted(api_client, shop):
    assert (
        api_client.post("/api/checkout", spec_body(total_amount=4.974), format="json").status_code
        == 201
    )


@pytest.mark.parametrize("claimed", [4.96, 4.9751, 5.97, 0])
def test_wrong_total_is_a_409_with_the_servers_total(api_client, shop, claimed):
    before = snapshot()
    response = api_client.post("/api/checkout", spec_body(total_amount=claimed), format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "total_mismatch" and body["detail"]["total"] == 4.97
    assert "4.97" in body["message"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("changes", "status", "code", "named"),
    [
        ({"cart": [{"product_id": "nope", "quantity": 1}]}, 404, "unknown_product", "nope"),
        ({"cart": [{"product_id": "12345", "quantity": 0}]}, 400, "invalid", "quantity"),
        ({"cart": [{"product_id": "12345", "quantity": -2}]}, 400, "invalid", "quantity"),
        ({"cart": [{"product_id": "12345", "quantity": 1.5}]}, 400, "invalid_quantity", "12345"),
        ({"cart": [{"product_id": "12345", "quantity": "two"}]}, 400, "invalid", "quantity"),
        (
            {"cart": [{"product_id": "12345", "quantity": 51}], "total_amount": 101.49},
            400,
            "invalid_quantity",
            "12345",
        ),
        ({"cart": []}, 400, "invalid", "empty"),
        ({"cart": "12345"}, 400, "invalid", "cart"),
        ({"payment_method": "bitcoin"}, 400, "invalid", "payment_method"),
        ({"payment_method": None}, 400, "invalid", "payment_method"),
        ({"total_amount": "lots"}, 400, "invalid", "total_amount"),
        ({"total_amount": -1}, 400, "invalid", "total_amount"),
    ],
)
def test_every_bad_input_is_a_clear_4xx_and_changes_nothing(
    api_client, shop, changes, status, code, named
):
    before = snapshot()
    response = api_client.post("/api/checkout", spec_body(**changes), format="json")
    assert response.status_code == status, response.json()
    body = response.json()
    assert body["code"] == code
    assert named in body["message"].lower() or named in str(body["detail"]).lower()
    assert snapshot() == before


def test_missing_fields_and_malformed_json(api_client, shop):
    before = snapshot()
    for missing in ("cart", "payment_method", "total_amount"):
        body = spec_body()
        del body[missing]
        response = api_client.post("/api/checkout", body, format="json")
        assert response.status_code == 400 and missing in response.json()["message"]
    response = api_client.post("/api/checkout", '{"cart": [', content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"
    assert snapshot() == before


def test_inactive_product_is_refused(api_client, shop):
    Product.objects.filter(product_id="23456").update(is_active=False)
    before = snapshot()
    response = api_client.post("/api/checkout", spec_body(), format="json")
    assert response.status_code == 409 and response.json()["code"] == "product_inactive"
    assert snapshot() == before


def test_same_product_twice_is_one_line(api_client, shop):
    cart = [{"product_id": "12345", "quantity": 1}, {"product_id": "12345", "quantity": 1}]
    body = api_client.post(
        "/api/checkout", spec_body(cart=cart, total_amount=3.98), format="json"
    ).json()
    assert body["receipt"]["items"] == [{"name": "Organic Apple", "quantity": 2, "price": 1.99}]
    assert stock_of("12345") == 118


def test_weighed_goods_are_charged_by_the_gram(api_client):
    make_product(
        product_id="777", name="Cheese", unit="kg", price=Decimal("12.90"), stock=Decimal("5")
    )
    cart = [{"product_id": "777", "quantity": 0.333}]
    response = api_client.post(
        "/api/checkout", spec_body(cart=cart, total_amount=4.30), format="json"
    )
    assert response.status_code == 201  # 12.90 × 0.333 = 4.2957 → 4.30
    assert stock_of("777") == Decimal("4.667")


def test_replay_with_the_same_key_answers_the_same_and_charges_once(api_client, shop):
    first = api_client.post("/api/checkout", spec_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api_client.post("/api/checkout", spec_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Order.objects.count() == 1
    assert stock_of("12345") == 118
    assert StockMovement.objects.filter(reason="sale").count() == 2  # two products, once each


def test_same_key_with_another_body_is_a_422(api_client, shop):
    api_client.post("/api/checkout", spec_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    before = snapshot()
    other = spec_body(cart=[{"product_id": "12345", "quantity": 1}], total_amount=1.99)
    response = api_client.post("/api/checkout", other, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 422 and response.json()["code"] == "idempotency_key_reused"
    assert response.json()["detail"] == {}  # names no other transaction
    assert snapshot() == before


def test_without_a_key_each_request_is_its_own_checkout(api_client, shop):
    api_client.post("/api/checkout", spec_body(), format="json")
    api_client.post("/api/checkout", spec_body(), format="json")
    assert Order.objects.count() == 2 and stock_of("12345") == 116


def test_a_declined_card_gives_the_stock_back_once(api_client, shop):
    response = api_client.post(
        "/api/checkout", spec_body(payment_token="tok_decline"), format="json"
    )
    assert response.status_code == 402
    body = response.json()
    assert body["status"] == "failed" and body["code"] == "payment_declined"
    assert "declined" in body["message"].lower()
    assert stock_of("12345") == 120 and stock_of("23456") == 50
    assert StockMovement.objects.filter(reason="release").count() == 2
    order = Order.objects.get()
    assert order.status == "failed" and order.stock_released
    assert body["receipt"]["exit_code"] is None


def test_authentication_then_confirmation(api_client, shop):
    response = api_client.post(
        "/api/checkout", spec_body(payment_token="tok_requires_action"), format="json"
    )
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "requires_action" and body["client_secret"]
    assert stock_of("12345") == 118  # held while the customer authenticates
    confirmed = api_client.post(f"/api/checkout/{body['transaction_id']}/confirm")
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "success"
    assert Order.objects.get().status == "succeeded"
    # a second confirmation answers the same and changes nothing
    assert (
        api_client.post(f"/api/checkout/{body['transaction_id']}/confirm").json()["status"]
        == "success"
    )
    assert Order.objects.get().events.count() == 3


def test_confirming_someone_elses_transaction_is_a_404(api_client, shop):
    body = api_client.post(
        "/api/checkout", spec_body(payment_token="tok_requires_action"), format="json"
    ).json()
    stranger = type(api_client)()
    assert stranger.post(f"/api/checkout/{body['transaction_id']}/confirm").status_code == 404


def test_a_paid_cart_is_emptied_of_what_was_bought(api_client, shop):
    make_product(product_id="555", price=Decimal("1.00"))
    token = api_client.get("/api/cart").json()["token"]
    for pid in ("12345", "555"):
        api_client.post("/api/cart/lines", {"product_id": pid, "quantity": 1}, format="json")
    cart = [{"product_id": "12345", "quantity": 1}]
    api_client.post("/api/checkout", spec_body(cart=cart, total_amount=1.99), format="json")
    assert list(
        CartLine.objects.filter(cart__token=token).values_list("product__product_id", flat=True)
    ) == ["555"]
    assert Cart.objects.count() == 1


def test_quote_prices_like_checkout(api_client, shop):
    response = api_client.post(
        "/api/checkout/quote", {"customer_id": "789", "cart": spec_body()["cart"]}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 4.97 and body["subtotal"] == 4.97 and body["discount_total"] == 0
    assert [(line["product_id"], line["line_total"]) for line in body["lines"]] == [
        ("12345", 3.98),
        ("23456", 0.99),
    ]
    bad = api_client.post(
        "/api/checkout/quote", {"cart": [{"product_id": "x", "quantity": 1}]}, format="json"
    )
    assert bad.status_code == 404 and bad.json()["code"] == "unknown_product"
    assert Order.objects.count() == 0


def test_config_lists_the_simulated_outcomes(api_client):
    body = api_client.get("/api/checkout/config").json()
    assert body["gateway"] == "simulated" and body["currency"] == "EUR"
    assert {o["token"] for o in body["test_outcomes"]} == {
        "tok_success",
        "tok_decline",
        "tok_requires_action",
        "tok_slow",
    }


def test_checkout_query_count_is_pinned(api_client, shop, django_assert_max_num_queries):
    with django_assert_max_num_queries(CHECKOUT_MAX_QUERIES):
        assert api_client.post("/api/checkout", spec_body(), format="json").status_code == 201


def test_a_basket_that_rounds_to_nothing_is_a_422(api_client):
    # 0.1 kg at 0.01/kg is 0.001: nothing to pay, so nothing to check out.
    make_product(product_id="888", name="Herbs", unit="kg", price=Decimal("0.01"), stock=Decimal(5))
    before = snapshot()
    cart = [{"product_id": "888", "quantity": 0.1}]
    response = api_client.post("/api/checkout", spec_body(cart=cart, total_amount=0), format="json")
    assert response.status_code == 422, response.json()
    body = response.json()
    assert body["code"] == "nothing_to_pay" and set(body) == {"code", "message", "detail"}
    assert snapshot() == before


# --- Idempotency keys belong to their caller ------------------------------------------------


def keyed_checkout(client, key: str, **changes):
    return client.post(
        "/api/checkout", spec_body(**changes), format="json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_another_client_with_the_same_key_gets_its_own_checkout(api_client, shop):
    first = keyed_checkout(api_client, "shared-key").json()
    stranger = type(api_client)()  # another device: another cart token
    response = keyed_checkout(stranger, "shared-key")
    assert response.status_code == 201
    theirs = response.json()
    assert theirs["transaction_id"] != first["transaction_id"]
    assert theirs["cart_token"] != first["cart_token"]
    assert theirs["receipt"]["exit_code"] != first["receipt"]["exit_code"]
    assert Order.objects.count() == 2 and stock_of("12345") == 116
    # and a different body from the stranger is its own checkout too, not a 422 naming ours
    other = keyed_checkout(
        stranger, "key-2", cart=[{"product_id": "12345", "quantity": 1}], total_amount=1.99
    )
    assert keyed_checkout(api_client, "key-2").status_code == 201
    assert other.status_code == 201


def test_a_signed_in_customer_replays_from_any_device(shop, staff_user):
    from rest_framework.test import APIClient

    phone, tablet = APIClient(), APIClient()
    phone.force_authenticate(staff_user)
    tablet.force_authenticate(staff_user)
    first = keyed_checkout(phone, "k-user")
    again = keyed_checkout(tablet, "k-user")
    assert first.status_code == again.status_code == 201
    assert first.json()["transaction_id"] == again.json()["transaction_id"]
    assert Order.objects.get().idempotency_scope == f"user:{staff_user.pk}"


def test_a_replay_of_a_checkout_in_flight_answers_at_once(api_client, shop):
    import time

    first = keyed_checkout(api_client, "k-flight").json()
    # As if the first request were still waiting for the bank.
    Order.objects.update(status="pending")
    started = time.monotonic()
    response = keyed_checkout(api_client, "k-flight")
    assert time.monotonic() - started < 1
    assert response.status_code == 202 and response["Retry-After"] == "2"
    body = response.json()
    assert body["status"] == "pending" and body["transaction_id"] == first["transaction_id"]
    assert Order.objects.count() == 1
