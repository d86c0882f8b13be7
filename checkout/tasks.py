"""Background work of the checkout: thin shells over services, each safe to run twice."""

import logging

from celery import shared_task
from django.conf import settings

from checkout.gateway import GatewayUnavailable
from checkout.services import carts, reconciliation
from checkout.webhooks import list_unprocessed_event_ids, process_webhook_event

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(GatewayUnavailable,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=6,
)
def reconcile_payments_task() -> dict:
    """Settle orders left open too long, then flag gateway payments we cannot account for."""
    counts: dict[str, int] = {}
    for pk in reconciliation.list_stale_order_ids():
        outcome = reconciliation.reconcile_order(pk=pk)
        counts[outcome] = counts.get(outcome, 0) + 1
    counts["webhooks"] = sum(
        process_webhook_event(pk=pk) != "already processed" for pk in list_unprocessed_event_ids()
    )
    counts["flagged"] = reconciliation.flag_unmatched_payments(
        since_seconds=settings.RECONCILE_LOOKBACK_SECONDS
    )
    logger.info("Reconciliation: %s", counts)
    return counts


@shared_task(
    autoretry_for=(GatewayUnavailable,), retry_backoff=True, retry_backoff_max=300, max_retries=6
)
def reconcile_order_task(order_pk: int) -> str:
    """Settle one order the charge left without an answer, as soon as the gateway can say."""
    return reconciliation.reconcile_order(pk=order_pk)


@shared_task(
    autoretry_for=(GatewayUnavailable,), retry_backoff=True, retry_backoff_max=300, max_retries=6
)
def process_webhook_event_task(event_pk: int) -> str:
    return process_webhook_event(pk=event_pk)


@shared_task
def delete_abandoned_carts_task() -> int:
    return carts.delete_abandoned_carts()
