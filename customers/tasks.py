"""Background work of the loyalty scheme: thin shells over services, each safe to run twice."""

from celery import shared_task

from customers.services import loyalty


@shared_task
def expire_points_task() -> int:
    return loyalty.expire_points()
