"""Background work of the recommendations: a thin shell over the service, safe to run twice."""

from celery import shared_task

from recommendations import services


@shared_task
def recompute_bought_together_task() -> int:
    return services.recompute_bought_together()
