"""A charge that got no answer: the gateway may have taken the money, so the order stays pending
with its stock held, and reconciliation settles it from what the gateway recorded."""

import pytest

from catalog.models import StockMovement
from checkout.models import Order
from checkout.services import reconciliation
from checkout.tasks import reconcile_order_task
from tests.fixtures.checkout import spec_body, stock_of

pytestmark = pytest.mark.django_db

TIMED_OUT = 1.0  # longer than the fixture's STRIPE_TIMEOUT_SECONDS (0.5)


def checkout(api_client):
    return api_client.post("/api/checkout", spec_body(payment_token="pm_card_visa"), format="json")


def test_stripe_charged_but_every_answer_timed_out_the_order_ends_paid(
    api_client, shop, fake_stripe, django_capture_on_commit_callbacks
):
    # given: Stripe takes the money on the first call; that answer and both retries' are lost
    fake_stripe.fail("POST /v1/payment_intents", "hang_after", times=3, seconds=TIMED_OUT)
    # when
    with django_capture_on_commit_callbacks() as sent:
        response = checkout(api_client)
    # then: the customer is told to wait, never "not charged"
    assert response.status_code == 202 and response.json()["status"] == "pending"
    assert "not charged" not in response.json()["message"]
    assert fake_stripe.charges == 1
    order = Order.objects.get()
    assert order.status == "pending" and not order.stock_released
    assert stock_of("12345") == 118 and stock_of("23456") == 49
    # its own reconciliation is queued (the periodic pass is the net)
    assert any(callback.__qualname__.startswith("enqueue_on_commit") for callback in sent)
    # and reconciliation asks Stripe, which says captured: paid, stock stays sold
    assert reconciliation.reconcile_order(pk=order.pk) == "succeeded"
    order.refresh_from_db()
    assert order.status == "succeeded" and order.gateway_payment_id in fake_stripe.intents
    assert stock_of("12345") == 118
    assert not StockMovement.objects.filter(reason="release").exists()
    assert fake_stripe.charges == 1 and fake_stripe.calls("POST /v1/refunds") == 0
    # a replay of the request answers the settled order
    receipt = api_client.get(f"/api/receipts/{order.transaction_id}")
    assert receipt.status_code == 200 and receipt.json()["status"] == "success"


def test_stripe_timed_out_before_charging_reconciliation_fails_it_and_frees_the_stock(
    api_client, shop, fake_stripe
):
    fake_stripe.fail("POST /v1/payment_intents", "hang_before", times=3, seconds=TIMED_OUT)
    response = checkout(api_client)
    assert response.status_code == 202 and response.json()["status"] == "pending"
    assert fake_stripe.charges == 0 and stock_of("12345") == 118
    order = Order.objects.get()
    assert reconcile_order_task.apply(args=[order.pk]).get() == "failed"
    order.refresh_from_db()
    assert order.status == "failed" and order.failure_code == "not_charged"
    assert order.stock_released and stock_of("12345") == 120 and stock_of("23456") == 50


def test_reconciling_while_the_gateway_is_still_down_keeps_the_stock_held(
    api_client, shop, fake_stripe
):
    fake_stripe.fail("POST /v1/payment_intents", "hang_after", times=3, seconds=TIMED_OUT)
    checkout(api_client)
    order = Order.objects.get()
    fake_stripe.fail("GET /v1/payment_intents/search", "500", times=10)
    with pytest.raises(Exception, match="search"):  # GatewayUnavailable: the task retries
        reconciliation.reconcile_order(pk=order.pk)
    order.refresh_from_db()
    assert order.status == "pending" and stock_of("12345") == 118
