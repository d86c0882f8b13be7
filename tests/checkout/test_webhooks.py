import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from checkout.models import Order, WebhookEvent
from checkout.tasks import reconcile_payments_task
from checkout.webhooks import process_webhook_event
from tests.fixtures.checkout import WEBHOOK_SECRET, spec_body, stock_of
from tests.fixtures.fake_stripe import sign_webhook

pytestmark = pytest.mark.django_db


def event_for(intent: dict, event_type: str, event_id: str = "evt_1") -> bytes:
    return json.dumps(
        {"id": event_id, "object": "event", "type": event_type, "data": {"object": intent}}
    ).encode()


def post_event(payload: bytes, signature: str | None):
    headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature is not None else {}
    return APIClient().post(
        "/api/checkout/webhooks/stripe", payload, content_type="application/json", **headers
    )


@pytest.fixture
def waiting_order(shop, fake_stripe, api_client):
    body = api_client.post(
        "/api/checkout", spec_body(payment_token="pm_card_authenticationRequired"), format="json"
    ).json()
    return Order.objects.get(transaction_id=body["transaction_id"])


@pytest.mark.parametrize("kind", ["missing", "empty", "garbage", "other_body", "wrong_secret"])
def test_unsigned_or_badly_signed_events_are_refused(waiting_order, fake_stripe, kind):
    payload = event_for(
        fake_stripe.intents[waiting_order.gateway_payment_id], "payment_intent.succeeded"
    )
    signature = {
        "missing": None,
        "empty": "",
        "garbage": "t=1,v1=deadbeef",
        "other_body": sign_webhook(b"another body", WEBHOOK_SECRET),
        "wrong_secret": sign_webhook(payload, "whsec_wrong"),
    }[kind]
    response = post_event(payload, signature)
    assert response.status_code == 400 and response.json()["code"] == "invalid_signature"
    assert WebhookEvent.objects.count() == 0


def test_a_replayed_old_signature_is_refused(waiting_order, fake_stripe):
    payload = event_for(
        fake_stripe.intents[waiting_order.gateway_payment_id], "payment_intent.succeeded"
    )
    old = sign_webhook(payload, WEBHOOK_SECRET, at=int(time.time()) - 3600)
    assert post_event(payload, old).status_code == 400


def test_events_are_stored_once_and_settle_the_transaction(
    waiting_order, fake_stripe, django_capture_on_commit_callbacks
):
    fake_stripe.set_status(waiting_order.gateway_payment_id, "requires_payment_method")
    payload = event_for(
        fake_stripe.intents[waiting_order.gateway_payment_id], "payment_intent.payment_failed"
    )
    with django_capture_on_commit_callbacks() as sent:
        first = post_event(payload, sign_webhook(payload, WEBHOOK_SECRET))
        second = post_event(payload, sign_webhook(payload, WEBHOOK_SECRET))
    assert first.json() == {"received": True, "duplicate": False}
    assert second.json() == {"received": True, "duplicate": True}
    assert len(sent) == 1  # one task for one event id
    event = WebhookEvent.objects.get()
    assert process_webhook_event(pk=event.pk) == "failed"
    assert process_webhook_event(pk=event.pk) == "already processed"
    waiting_order.refresh_from_db()
    assert waiting_order.status == "failed" and stock_of("12345") == 120
    assert waiting_order.events.filter(to_status="failed").count() == 1


def test_event_for_a_payment_we_do_not_know(shop, fake_stripe):
    intent = fake_stripe.add_intent(amount=500, status="succeeded")
    payload = event_for(intent, "payment_intent.succeeded", "evt_unknown")
    assert post_event(payload, sign_webhook(payload, WEBHOOK_SECRET)).status_code == 200
    assert process_webhook_event(pk=WebhookEvent.objects.get().pk) == "unknown payment"


def test_broker_down_the_webhook_is_still_acknowledged_and_kept(
    waiting_order, fake_stripe, caplog, django_capture_on_commit_callbacks
):
    from grocery.celery import app

    def use_broker(url):
        # kombu keeps one pool per broker URL; the app only needs to look its pool up again
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None

    good_url = app.conf.broker_url
    use_broker("redis://127.0.0.1:8298/0")  # nothing listens: the broker is down
    fake_stripe.set_status(waiting_order.gateway_payment_id, "succeeded")
    try:
        payload = event_for(
            fake_stripe.intents[waiting_order.gateway_payment_id], "payment_intent.succeeded"
        )
        with caplog.at_level("ERROR"), django_capture_on_commit_callbacks(execute=True):
            response = post_event(payload, sign_webhook(payload, WEBHOOK_SECRET))
    finally:
        use_broker(good_url)
    assert response.status_code == 200
    assert WebhookEvent.objects.get().processed_at is None  # kept for reconciliation to find
    assert "reconciliation will catch up" in caplog.text
    assert "Connection refused" in caplog.text or "Error 111" in caplog.text
    # the periodic run processes what the broker never delivered
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(minutes=10))
    assert reconcile_payments_task.apply().get()["webhooks"] == 1
    waiting_order.refresh_from_db()
    assert waiting_order.status == "succeeded"


@pytest.mark.parametrize(
    "payload",
    [
        b"[1]",
        b"123",
        b"null",
        b"{}",
        b'{"cart": [',
        b'{"id": "evt_2", "type": "payment_intent.succeeded"}',
        b'{"id": "evt_2", "type": "payment_intent.succeeded", "data": {"object": "pi_1"}}',
        b'{"type": "charge.refunded", "data": {"object": {}}}',
        b'{"id": "evt_2", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1"}}}',
    ],
)
def test_a_signed_but_malformed_event_is_a_400_and_not_stored(fake_stripe, payload):
    response = post_event(payload, sign_webhook(payload, WEBHOOK_SECRET))
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_event"
    assert WebhookEvent.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.parametrize(
    "payload",
    [
        # PostgreSQL's jsonb and text take no NUL: these were a 500 (and Stripe's retries for days).
        b'{"id": "evt_4", "type": "charge.refunded", "data": {"object": {"id": "ch\\u0000"}}}',
        b'{"id": "evt_4\\u0000", "type": "charge.refunded", "data": {"object": {"id": "ch_1"}}}',
        # Nested past the API's limit: json.loads recursed until it ran out of stack.
        b'{"id": "evt_5", "type": "charge.refunded", "data": {"object": {"x": '
        + b"[" * 50_000
        + b"]" * 50_000
        + b"}}}",
    ],
)
def test_a_signed_event_the_database_cannot_store_is_a_400(fake_stripe, payload):
    response = post_event(payload, sign_webhook(payload, WEBHOOK_SECRET))
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_event"
    assert WebhookEvent.objects.count() == 0


def test_an_event_we_do_not_handle_needs_no_payment_intent(fake_stripe):
    payload = b'{"id": "evt_3", "type": "charge.refunded", "data": {"object": {"id": "ch_1"}}}'
    assert post_event(payload, sign_webhook(payload, WEBHOOK_SECRET)).status_code == 200
    assert process_webhook_event(pk=WebhookEvent.objects.get().pk) == "ignored"


@pytest.mark.parametrize(
    "change",
    [
        {"id": "pi_someone_else"},
        {"amount": 1},
        {"currency": "usd"},
    ],
)
def test_an_event_that_does_not_match_the_order_is_flagged_not_applied(
    waiting_order, fake_stripe, change
):
    from checkout.models import GatewayDiscrepancy

    intent = {**fake_stripe.intents[waiting_order.gateway_payment_id], "status": "succeeded"}
    intent.update(change)  # still names our transaction in its metadata
    payload = event_for(intent, "payment_intent.succeeded", "evt_mismatch")
    assert post_event(payload, sign_webhook(payload, WEBHOOK_SECRET)).status_code == 200
    assert process_webhook_event(pk=WebhookEvent.objects.get().pk) == "discrepancy"
    waiting_order.refresh_from_db()
    assert waiting_order.status == "requires_action" and stock_of("12345") == 118
    flagged = GatewayDiscrepancy.objects.get()
    assert flagged.gateway_payment_id == intent["id"]
    assert flagged.reference == waiting_order.transaction_id
    assert waiting_order.transaction_id in flagged.note


def test_a_matching_event_still_settles_the_order(waiting_order, fake_stripe):
    fake_stripe.set_status(waiting_order.gateway_payment_id, "succeeded")
    payload = event_for(
        fake_stripe.intents[waiting_order.gateway_payment_id], "payment_intent.succeeded"
    )
    post_event(payload, sign_webhook(payload, WEBHOOK_SECRET))
    assert process_webhook_event(pk=WebhookEvent.objects.get().pk) == "succeeded"
