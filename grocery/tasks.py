"""Sending background work from services: by task name, once the transaction commits.

By name, through the Celery app, so that a service never imports an app's tasks.py (which
imports the services: the cycle this breaks). A broker outage is logged, not raised: the
request that queued the work has already committed, and a 500 would tell the customer it had not.
"""

import logging
from collections.abc import Callable

from django.db import transaction

from grocery.celery import app

logger = logging.getLogger(__name__)


def enqueue_on_commit(
    task_name: str,
    *args,
    when_not_sent: Callable[[], None] | None = None,
    countdown: float | None = None,
) -> None:
    """Send `task_name(*args)` once the transaction commits, trying the broker once. If it is
    down, the periodic reconciliation finds whatever the task would have done; a caller with no
    such safety net passes when_not_sent to record that the work will not happen."""

    def send():
        try:
            app.send_task(task_name, args=args, retry=False, countdown=countdown)
        except Exception:  # any broker/transport failure: kombu raises several kinds
            if when_not_sent is None:
                logger.exception(
                    "Could not enqueue %s%s; reconciliation will catch up", task_name, args
                )
            else:
                logger.exception("Could not enqueue %s%s", task_name, args)
                when_not_sent()

    transaction.on_commit(send)
