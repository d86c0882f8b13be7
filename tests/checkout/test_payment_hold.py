"""A customer who must authenticate (3-D Secure) holds stock for PAYMENT_HOLD_MINUTES at most."""

from datetime import timedelta

import pytest
from django.utils import timezone

from checkout.models import Order
from checkout.services import reconciliation
from tests.fixtures.checkout import spec_body, stock_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(api_client, shop, fake_stripe):
    body = spec_body(payment_token="pm_card_authenticationRequired")
    assert api_client.post("/api/checkout", body, format="json").status_code == 202
    assert stock_of("12345") == 118
    return Order.objects.get()


def age(order: Order, minutes: float) -> None:
    Order.objects.filter(pk=order.pk).update(updated_at=timezone.now() - timedelta(minutes=minutes))


def test_within_the_hold_the_order_waits(waiting, settings):
    settings.PAYMENT_HOLD_MINUTES = 10
    age(waiting, 9)
    assert waiting.pk in reconciliation.list_stale_order_ids()  # older than RECONCILE_AFTER
    assert reconciliation.reconcile_order(pk=waiting.pk) == "waiting"
    assert stock_of("12345") == 118


def test_past_the_hold_reconciliation_cancels_and_frees_the_stock(waiting, fake_stripe, settings):
    settings.PAYMENT_HOLD_MINUTES = 10
    age(waiting, 11)
    assert reconciliation.reconcile_order(pk=waiting.pk) == "failed"
    assert fake_stripe.intents[waiting.gateway_payment_id]["status"] == "canceled"
    assert stock_of("12345") == 120


def test_a_hold_shorter_than_the_reconcile_delay_is_still_honoured(waiting, settings):
    settings.RECONCILE_AFTER_SECONDS = 300
    settings.PAYMENT_HOLD_MINUTES = 2
    age(waiting, 3)
    assert reconciliation.list_stale_order_ids() == [waiting.pk]
    assert reconciliation.reconcile_order(pk=waiting.pk) == "failed"


def test_paid_just_as_the_hold_ran_out_is_paid(waiting, fake_stripe, settings):
    # Stripe refuses to cancel an intent that succeeded in between: we take what it is now.
    settings.PAYMENT_HOLD_MINUTES = 10
    age(waiting, 11)
    real_route = fake_stripe.route

    def succeed_first(method, path, form, query):
        if path.endswith("/cancel"):
            fake_stripe.intents[waiting.gateway_payment_id]["status"] = "succeeded"
        return real_route(method, path, form, query)

    fake_stripe.route = succeed_first
    try:
        assert reconciliation.reconcile_order(pk=waiting.pk) == "succeeded"
    finally:
        fake_stripe.route = real_route
    assert stock_of("12345") == 118


def test_a_gateway_refusal_during_reconciliation_is_logged_not_raised(
    waiting, fake_stripe, settings, caplog
):
    settings.PAYMENT_HOLD_MINUTES = 10
    age(waiting, 6)  # stale, but still within its hold
    fake_stripe.fail("GET /v1/payment_intents/", "401", times=5)
    assert reconciliation.reconcile_order(pk=waiting.pk) == "gateway error"
    assert "refused" in caplog.text
    waiting.refresh_from_db()
    assert waiting.status == "requires_action" and stock_of("12345") == 118


def test_past_the_hold_a_gateway_refusal_still_frees_the_stock(waiting, fake_stripe, settings):
    settings.PAYMENT_HOLD_MINUTES = 10
    age(waiting, 11)
    fake_stripe.fail("GET /v1/payment_intents/", "403", times=5)
    assert reconciliation.reconcile_order(pk=waiting.pk) == "failed"
    waiting.refresh_from_db()
    assert waiting.failure_code == "gateway_misconfigured" and stock_of("12345") == 120
