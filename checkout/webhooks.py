"""Stripe events: stored once per event id, processed by a task after the commit."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from checkout.errors import InvalidWebhookEvent
from checkout.gateway import StripeGateway
from checkout.models import Order, WebhookEvent
from checkout.services.payments import apply_reported_result
from grocery.tasks import enqueue_on_commit

logger = logging.getLogger(__name__)

HANDLED = {
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.requires_action",
}


# What a PaymentIntent in an event we handle must carry for us to read it.
INTENT_FIELDS = {"id": str, "status": str, "amount": int, "currency": str}


def check_event(event) -> None:
    """A signed body is still refused (not stored) unless it has the shape of a Stripe event: an
    id, a type and data.object; for the types we handle, a PaymentIntent we can read."""
    if not isinstance(event, dict):
        raise InvalidWebhookEvent(problem="not a JSON object")
    data = event.get("data")
    missing = [
        name
        for name, present in (
            ("id", isinstance(event.get("id"), str) and event["id"]),
            ("type", isinstance(event.get("type"), str) and event["type"]),
            ("data.object", isinstance(data, dict) and isinstance(data.get("object"), dict)),
        )
        if not present
    ]
    if missing:
        raise InvalidWebhookEvent(missing=missing)
    if event["type"] in HANDLED:
        intent = data["object"]
        wrong = [
            f"data.object.{name}"
            for name, kind in INTENT_FIELDS.items()
            if not isinstance(intent.get(name), kind) or isinstance(intent.get(name), bool)
        ]
        if not isinstance(intent.get("metadata") or {}, dict):
            wrong.append("data.object.metadata")
        if wrong:
            raise InvalidWebhookEvent(missing=wrong)


def receive_stripe_event(event) -> bool:
    """Record a verified event; True if it is new (and so queued for processing)."""
    check_event(event)
    try:
        with transaction.atomic():
            row = WebhookEvent.objects.create(
                event_id=event["id"], type=event.get("type", ""), payload=event
            )
            enqueue_on_commit("checkout.tasks.process_webhook_event_task", row.pk)
    except IntegrityError:
        return False  # Stripe delivers at least once: a redelivery is acknowledged and ignored
    return True


def list_unprocessed_event_ids() -> list[int]:
    """Events whose task never ran (broker down, worker lost), after a grace period."""
    cutoff = timezone.now() - timedelta(seconds=settings.RECONCILE_AFTER_SECONDS)
    return list(
        WebhookEvent.objects.filter(processed_at=None, received_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def process_webhook_event(*, pk: int) -> str:
    event = WebhookEvent.objects.get(pk=pk)
    if event.processed_at is not None:
        return "already processed"
    outcome = "ignored"
    if event.type in HANDLED:
        intent = event.payload["data"]["object"]
        reference = (intent.get("metadata") or {}).get("transaction_id", "")
        order = (
            Order.objects.filter(gateway_payment_id=intent["id"]).first()
            or Order.objects.filter(transaction_id=reference).first()
        )
        if order is None:
            logger.warning("Stripe event %s for unknown payment %s", event.event_id, intent["id"])
            outcome = "unknown payment"
        else:
            outcome = apply_reported_result(
                order, StripeGateway.result_of(intent), source=f"webhook {event.type}"
            )
    WebhookEvent.objects.filter(pk=pk, processed_at=None).update(processed_at=timezone.now())
    return outcome
