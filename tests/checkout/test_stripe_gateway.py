"""The Stripe adapter against a local server that answers like Stripe's API."""

from decimal import Decimal

import pytest

from catalog.models import StockMovement
from checkout.models import Transaction
from tests.checkout.conftest import GATEWAY_DOWN_URL, snapshot, spec_body, stock_of

pytestmark = pytest.mark.django_db


def checkout(api_client, token, **headers):
    return api_client.post(
        "/api/checkout", spec_body(payment_token=token), format="json", **headers
    )


def test_a_card_payment_is_a_confirmed_payment_intent(api_client, shop, fake_stripe):
    response = checkout(api_client, "pm_card_visa")
    assert response.status_code == 201 and response.json()["status"] == "success"
    order = Transaction.objects.get()
    intent = fake_stripe.intents[order.gateway_payment_id]
    assert intent["amount"] == 497 and intent["currency"] == "eur"
    assert intent["metadata"] == {"transaction_id": order.transaction_id}
    assert order.gateway == "stripe" and order.status == "succeeded"


def test_a_decline_fails_the_transaction_and_returns_the_stock(api_client, shop, fake_stripe):
    response = checkout(api_client, "pm_card_chargeDeclined")
    assert response.status_code == 402
    body = response.json()
    assert body["status"] == "failed" and body["code"] == "payment_declined"
    assert "declined" in body["message"]
    assert stock_of("12345") == 120 and stock_of("23456") == 50
    assert Transaction.objects.get().gateway_payment_id.startswith("pi_fake")
    assert fake_stripe.calls("POST /v1/payment_intents") == 1  # a decline is an answer: no retry


def test_timeout_then_success_on_retry_charges_once(api_client, shop, fake_stripe):
    # Stripe did the work but the answer came too late; the retry carries the same key.
    fake_stripe.fail("POST /v1/payment_intents", "hang_after", seconds=1.0)
    response = checkout(api_client, "pm_card_visa")
    assert response.status_code == 201 and response.json()["status"] == "success"
    assert fake_stripe.calls("POST /v1/payment_intents") == 2
    assert fake_stripe.charges == 1  # the idempotency key made the retry a replay
    assert stock_of("12345") == 118


def test_5xx_then_success_on_retry(api_client, shop, fake_stripe):
    fake_stripe.fail("POST /v1/payment_intents", "500", times=2)
    response = checkout(api_client, "pm_card_visa")
    assert response.status_code == 201
    assert fake_stripe.calls("POST /v1/payment_intents") == 3 and fake_stripe.charges == 1


def test_dropped_connection_then_success(api_client, shop, fake_stripe):
    fake_stripe.fail("POST /v1/payment_intents", "drop")
    assert checkout(api_client, "pm_card_visa").status_code == 201
    assert fake_stripe.charges == 1


def test_gateway_down_is_a_clear_error_and_the_stock_comes_back(
    api_client, shop, fake_stripe, settings
):
    settings.STRIPE_API_BASE = GATEWAY_DOWN_URL
    before = snapshot()
    response = checkout(api_client, "pm_card_visa")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "payment_unavailable" and body["status"] == "failed"
    assert "nothing was charged" in body["message"]
    assert stock_of("12345") == 120 and stock_of("23456") == 50
    order = Transaction.objects.get()
    assert order.failure_code == "gateway_unavailable" and order.stock_released
    assert StockMovement.objects.filter(reason="release").count() == 2
    assert snapshot()[0] == before[0]


def test_gateway_that_keeps_failing_gives_up_after_bounded_retries(api_client, shop, fake_stripe):
    fake_stripe.fail("POST /v1/payment_intents", "500", times=10)
    response = checkout(api_client, "pm_card_visa")
    assert response.status_code == 503
    assert fake_stripe.calls("POST /v1/payment_intents") == 3  # 1 + STRIPE_MAX_RETRIES
    assert stock_of("12345") == 120


def test_requires_action_hands_the_client_secret_over_and_confirms_after(
    api_client, shop, fake_stripe
):
    response = checkout(api_client, "pm_card_authenticationRequired")
    assert response.status_code == 202
    body = response.json()
    order = Transaction.objects.get()
    assert body["status"] == "requires_action"
    assert body["client_secret"] == f"{order.gateway_payment_id}_secret_fake"
    assert body["next_action"] == {"type": "use_stripe_sdk"}
    # still waiting at Stripe: confirming answers "requires_action" again
    again = api_client.post(f"/api/checkout/{order.transaction_id}/confirm")
    assert again.json()["status"] == "requires_action"
    fake_stripe.set_status(order.gateway_payment_id, "succeeded")  # the customer passed 3-D Secure
    confirmed = api_client.post(f"/api/checkout/{order.transaction_id}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "success"
    assert stock_of("12345") == 118


def test_failed_authentication_returns_the_stock(api_client, shop, fake_stripe):
    checkout(api_client, "pm_card_authenticationRequired")
    order = Transaction.objects.get()
    fake_stripe.set_status(order.gateway_payment_id, "requires_payment_method")
    assert api_client.post(f"/api/checkout/{order.transaction_id}/confirm").status_code == 402
    assert stock_of("12345") == 120


def test_config_gives_the_publishable_key(api_client, fake_stripe):
    body = api_client.get("/api/checkout/config").json()
    assert body == {
        "gateway": "stripe",
        "currency": "EUR",
        "publishable_key": "pk_test_fake",
        "test_outcomes": [],
    }


def test_zero_total_is_not_sent_to_the_gateway(api_client, fake_stripe):
    from tests.factories import make_product

    make_product(product_id="free", price=Decimal("0.00"))
    cart = [{"product_id": "free", "quantity": 1}]
    response = api_client.post("/api/checkout", spec_body(cart=cart, total_amount=0), format="json")
    assert response.status_code == 201 and fake_stripe.charges == 0
