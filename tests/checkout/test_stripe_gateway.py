"""The Stripe adapter against a local server that answers like Stripe's API."""

from decimal import Decimal

import pytest

from catalog.models import StockMovement
from checkout.models import Order
from checkout.services import reconciliation
from tests.fixtures.checkout import GATEWAY_DOWN_URL, snapshot, spec_body, stock_of

pytestmark = pytest.mark.django_db


def checkout(api_client, token, **headers):
    return api_client.post(
        "/api/checkout", spec_body(payment_token=token), format="json", **headers
    )


def test_a_card_payment_is_a_confirmed_payment_intent(api_client, shop, fake_stripe):
    response = checkout(api_client, "pm_card_visa")
    assert response.status_code == 201 and response.json()["status"] == "success"
    order = Order.objects.get()
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
    assert Order.objects.get().gateway_payment_id.startswith("pi_fake")
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


def test_gateway_down_leaves_the_order_pending_until_reconciliation_frees_the_stock(
    api_client, shop, fake_stripe, settings
):
    settings.STRIPE_API_BASE = GATEWAY_DOWN_URL
    response = checkout(api_client, "pm_card_visa")
    assert response.status_code == 202 and response["Retry-After"]
    assert response.json()["status"] == "pending"
    assert stock_of("12345") == 118  # held: nobody knows yet whether the card was charged
    settings.STRIPE_API_BASE = fake_stripe.url  # back: it has no payment for our reference
    order = Order.objects.get()
    assert reconciliation.reconcile_order(pk=order.pk) == "failed"
    order.refresh_from_db()
    assert order.failure_code == "not_charged" and order.stock_released
    assert stock_of("12345") == 120 and stock_of("23456") == 50
    assert StockMovement.objects.filter(reason="release").count() == 2


def test_gateway_that_keeps_failing_gives_up_after_bounded_retries(api_client, shop, fake_stripe):
    fake_stripe.fail("POST /v1/payment_intents", "500", times=10)
    response = checkout(api_client, "pm_card_visa")
    assert response.status_code == 202 and response.json()["status"] == "pending"
    assert fake_stripe.calls("POST /v1/payment_intents") == 3  # 1 + STRIPE_MAX_RETRIES
    assert stock_of("12345") == 118


def test_requires_action_hands_the_client_secret_over_and_confirms_after(
    api_client, shop, fake_stripe
):
    response = checkout(api_client, "pm_card_authenticationRequired")
    assert response.status_code == 202
    body = response.json()
    order = Order.objects.get()
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
    order = Order.objects.get()
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


def test_zero_total_is_refused_before_anything_is_reserved(api_client, fake_stripe):
    # It used to be a paid order, with an exit code, that no gateway ever saw.
    from tests.factories import make_product

    make_product(product_id="free", price=Decimal("0.00"))
    cart = [{"product_id": "free", "quantity": 1}]
    before = snapshot()
    response = api_client.post("/api/checkout", spec_body(cart=cart, total_amount=0), format="json")
    assert response.status_code == 422 and response.json()["code"] == "nothing_to_pay"
    assert fake_stripe.charges == 0 and snapshot() == before


# --- Every Stripe error is a clear answer, and a failed payment never holds stock ----------


def assert_failed_and_stock_back(failure_code: str) -> None:
    order = Order.objects.get()
    assert order.status == "failed" and order.failure_code == failure_code
    assert order.stock_released
    assert stock_of("12345") == 120 and stock_of("23456") == 50
    assert StockMovement.objects.filter(reason="release").count() == 2


def test_an_unknown_payment_method_is_a_422_and_the_stock_comes_back(api_client, shop, fake_stripe):
    response = checkout(api_client, "pm_does_not_exist")
    assert response.status_code == 422, response.json()
    body = response.json()
    assert body["code"] == "payment_rejected" and body["status"] == "failed"
    assert "not accepted" in body["message"] and "nothing was charged" in body["message"]
    assert body["detail"] == {"transaction_id": body["transaction_id"]}
    assert_failed_and_stock_back("payment_rejected")
    assert fake_stripe.calls("POST /v1/payment_intents") == 1  # an answer: no retry


@pytest.mark.parametrize(
    ("fault", "status", "code", "failure_code"),
    [
        ("400", 422, "payment_rejected", "payment_rejected"),
        ("404", 422, "payment_rejected", "payment_rejected"),
        ("401", 503, "payment_unavailable", "gateway_misconfigured"),
        ("403", 503, "payment_unavailable", "gateway_misconfigured"),
    ],
)
def test_every_gateway_refusal_is_a_clear_answer_and_frees_the_stock(
    api_client, shop, fake_stripe, fault, status, code, failure_code
):
    fake_stripe.fail("POST /v1/payment_intents", fault)
    response = checkout(api_client, "pm_card_visa")
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code and body["status"] == "failed"
    assert "nothing was charged" in body["message"]
    assert_failed_and_stock_back(failure_code)
    assert fake_stripe.calls("POST /v1/payment_intents") == 1  # an answer: no retry


@pytest.mark.parametrize(
    ("fault", "attempts"),
    [
        # another request with our key is still running: worth retrying, then no answer
        ("409", 3),
        ("429", 3),
        ("500", 3),
        # an answer nobody can read says nothing about the payment: retried, then no answer
        ("garbage", 3),
        ("incomplete", 1),
    ],
)
def test_no_answer_keeps_the_order_pending_and_reconciliation_settles_it(
    api_client, shop, fake_stripe, fault, attempts
):
    fake_stripe.fail("POST /v1/payment_intents", fault, times=10)
    response = checkout(api_client, "pm_card_visa")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending"
    assert fake_stripe.calls("POST /v1/payment_intents") == attempts
    assert stock_of("12345") == 118
    fake_stripe.faults.clear()
    # None of these faults let the fake do the work: the gateway has no payment for us.
    assert reconciliation.reconcile_order(pk=Order.objects.get().pk) == "failed"
    assert_failed_and_stock_back("not_charged")


def test_a_rotated_secret_key_is_a_503_not_a_500(api_client, shop, fake_stripe, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_rotated"
    response = checkout(api_client, "pm_card_visa")
    assert response.status_code == 503 and response.json()["code"] == "payment_unavailable"
    assert_failed_and_stock_back("gateway_misconfigured")


@pytest.mark.parametrize("fault", ["401", "404", "500"])
def test_confirming_when_the_gateway_errs_is_a_503_and_keeps_the_order(
    api_client, shop, fake_stripe, fault
):
    checkout(api_client, "pm_card_authenticationRequired")
    order = Order.objects.get()
    fake_stripe.fail(f"GET /v1/payment_intents/{order.gateway_payment_id}", fault, times=10)
    response = api_client.post(f"/api/checkout/{order.transaction_id}/confirm")
    assert response.status_code == 503 and response.json()["code"] == "payment_unavailable"
    order.refresh_from_db()
    assert order.status == "requires_action"  # reconciliation decides once the hold runs out


def paid_order(api_client) -> Order:
    assert checkout(api_client, "pm_card_visa").status_code == 201
    return Order.objects.get()


@pytest.mark.parametrize(
    ("fault", "error"), [("400", "refund_not_allowed"), ("403", "payment_unavailable")]
)
def test_a_refused_refund_changes_nothing(api_client, shop, fake_stripe, fault, error):
    from checkout.models import Refund
    from checkout.services.refunds import refund_order
    from grocery.errors import DomainError

    order = paid_order(api_client)
    fake_stripe.fail("POST /v1/refunds", fault)
    with pytest.raises(DomainError) as raised:
        refund_order(order=order, amount=Decimal("1.00"))
    assert raised.value.code == error
    order.refresh_from_db()
    assert order.refunded_amount == 0 and order.status == "succeeded"
    assert Refund.objects.count() == 0


@pytest.mark.parametrize(
    ("call", "fault", "error"),
    [
        ("search", "403", "GatewayMisconfigured"),
        ("search", "400", "PaymentRejected"),
        ("list", "401", "GatewayMisconfigured"),
        ("cancel", "404", "PaymentRejected"),
        ("retrieve", "429", "GatewayUnavailable"),
    ],
)
def test_no_stripe_call_lets_a_stripe_exception_through(fake_stripe, call, fault, error):
    from datetime import UTC, datetime

    from checkout import gateway

    intent = fake_stripe.add_intent(amount=100, status="requires_action")
    calls = {
        "search": ("GET /v1/payment_intents/search", lambda g: g.find_payment("tx1")),
        "list": ("GET /v1/payment_intents", lambda g: g.list_payments(datetime.now(UTC))),
        "cancel": ("POST /v1/payment_intents/", lambda g: g.cancel(intent["id"])),
        "retrieve": ("GET /v1/payment_intents/", lambda g: g.retrieve(intent["id"])),
    }
    path, make_call = calls[call]
    fake_stripe.fail(path, fault, times=10)
    with pytest.raises(gateway.GatewayError) as raised:
        make_call(gateway.get_gateway())
    assert type(raised.value).__name__ == error
