"""Reconciliation and webhooks on a real Celery worker (Redis broker) against the fake Stripe."""

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import StockMovement
from checkout.models import GatewayDiscrepancy, Order, WebhookEvent
from checkout.services import reconciliation
from checkout.tasks import reconcile_payments_task
from tests.fixtures.checkout import WEBHOOK_SECRET, spec_body, stock_of
from tests.fixtures.fake_stripe import sign_webhook

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def worker_env(fake, **extra):
    return {
        "PAYMENT_GATEWAY": "stripe",
        "STRIPE_API_BASE": fake.url,
        "STRIPE_SECRET_KEY": "sk_test_fake",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_fake",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_TIMEOUT_SECONDS": 60,
        "STRIPE_RETRY_BASE_SECONDS": 0.05,
        "RECONCILE_AFTER_SECONDS": 60,
        "PAYMENT_HOLD_MINUTES": 30,
        **extra,
    }


def awaiting_authentication(n: int) -> list[Order]:
    """Checkouts whose customers went to authenticate and never came back to confirm."""
    orders = []
    for _ in range(n):
        body = spec_body(
            payment_token="pm_card_authenticationRequired",
            cart=[{"product_id": "12345", "quantity": 1}],
            total_amount=1.99,
        )
        response = APIClient().post("/api/checkout", body, format="json")
        assert response.json()["status"] == "requires_action"
        orders.append(Order.objects.get(transaction_id=response.json()["transaction_id"]))
    stale = timezone.now() - timedelta(minutes=10)
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(updated_at=stale)
    return orders


def settled(order: Order) -> str:
    order.refresh_from_db()
    return order.status


def settle_events(order: Order) -> int:
    return order.events.exclude(to_status__in=Order.OPEN).count()


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def test_reconciliation_settles_what_the_gateway_decided(shop, fake_stripe, celery_worker_factory):
    paid, refused, abandoned, fresh = awaiting_authentication(4)  # all ten minutes old
    # just created: not stale yet, reconciliation leaves it alone
    (newest,) = awaiting_authentication(1)
    Order.objects.filter(pk=newest.pk).update(updated_at=timezone.now())
    Order.objects.filter(pk=abandoned.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    fake_stripe.set_status(paid.gateway_payment_id, "succeeded")  # authenticated, phone died
    fake_stripe.set_status(
        refused.gateway_payment_id, "requires_payment_method"
    )  # failed 3-D Secure
    orphan = fake_stripe.add_intent(amount=1234, status="succeeded")  # no transaction of ours
    assert stock_of("12345") == 115

    celery_worker_factory(**worker_env(fake_stripe))
    counts = reconcile_payments_task.delay().get(timeout=60)

    assert counts == {"succeeded": 1, "failed": 2, "waiting": 1, "webhooks": 0, "flagged": 1}
    assert [settled(o) for o in (paid, refused, abandoned, fresh)] == [
        "succeeded",
        "failed",
        "failed",
        "requires_action",
    ]
    assert fake_stripe.intents[abandoned.gateway_payment_id]["status"] == "canceled"
    assert settled(newest) == "requires_action"
    assert stock_of("12345") == 117  # two units back, once each
    assert GatewayDiscrepancy.objects.get().gateway_payment_id == orphan["id"]
    assert "reconciliation" in paid.events.last().reason

    # a second run finds nothing more to do
    again = reconcile_payments_task.delay().get(timeout=60)
    assert again == {"waiting": 1, "webhooks": 0, "flagged": 0}
    assert GatewayDiscrepancy.objects.count() == 1


def test_worker_killed_mid_run_the_next_run_finishes_and_nothing_settles_twice(
    shop, fake_stripe, celery_worker_factory
):
    first, second, third = awaiting_authentication(3)
    for order in (first, second, third):
        fake_stripe.set_status(order.gateway_payment_id, "requires_payment_method")
    # Stripe stalls on the second transaction; the worker is killed while it waits.
    fake_stripe.delay(f"GET /v1/payment_intents/{second.gateway_payment_id}", 30)
    worker = celery_worker_factory(**worker_env(fake_stripe))
    reconcile_payments_task.delay()
    wait_for(lambda: fake_stripe.calls(f"GET /v1/payment_intents/{second.gateway_payment_id}") == 1)
    celery_worker_factory.kill(worker)
    assert [settled(o) for o in (first, second, third)] == [
        "failed",
        "requires_action",
        "requires_action",
    ]

    fake_stripe.delays.clear()
    celery_worker_factory(**worker_env(fake_stripe))
    counts = reconcile_payments_task.delay().get(timeout=60)
    assert counts == {"failed": 2, "webhooks": 0, "flagged": 0}
    assert [settled(o) for o in (first, second, third)] == ["failed", "failed", "failed"]
    assert [settle_events(o) for o in (first, second, third)] == [1, 1, 1]
    assert StockMovement.objects.filter(reason="release").count() == 3
    assert stock_of("12345") == 120


def test_two_reconciliations_at_once_settle_each_transaction_once(
    shop, fake_stripe, celery_worker_factory
):
    orders = awaiting_authentication(6)
    for order in orders:
        fake_stripe.set_status(order.gateway_payment_id, "requires_payment_method")
    fake_stripe.delay("GET /v1/payment_intents/", 0.2)  # make the two runs overlap
    celery_worker_factory(**worker_env(fake_stripe))  # two processes in its pool
    results = [reconcile_payments_task.delay(), reconcile_payments_task.delay()]
    counts = [r.get(timeout=60) for r in results]
    assert (
        sum(c.get("failed", 0) for c in counts) == 6
    )  # each one counted by the run that settled it
    assert [settle_events(o) for o in orders] == [1] * 6
    assert StockMovement.objects.filter(reason="release").count() == 6
    assert stock_of("12345") == 120


def test_signed_webhook_is_processed_by_the_worker_once(shop, fake_stripe, celery_worker_factory):
    (order,) = awaiting_authentication(1)
    fake_stripe.set_status(order.gateway_payment_id, "succeeded")
    event = {
        "id": "evt_test_1",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {"object": fake_stripe.intents[order.gateway_payment_id]},
    }
    payload = json.dumps(event).encode()
    celery_worker_factory(**worker_env(fake_stripe))
    client = APIClient()
    for _ in range(2):  # Stripe redelivers
        response = client.post(
            "/api/checkout/webhooks/stripe",
            payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign_webhook(payload, WEBHOOK_SECRET),
        )
        assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": True}
    wait_for(lambda: WebhookEvent.objects.filter(processed_at__isnull=False).exists())
    assert settled(order) == "succeeded"
    assert settle_events(order) == 1
    assert WebhookEvent.objects.count() == 1


def test_reconcile_service_directly_is_idempotent(shop, fake_stripe):
    (order,) = awaiting_authentication(1)
    fake_stripe.set_status(order.gateway_payment_id, "succeeded")
    assert reconciliation.reconcile_order(pk=order.pk) == "succeeded"
    assert reconciliation.reconcile_order(pk=order.pk) == "already settled"
    assert settle_events(order) == 1
