from celery import shared_task

from catalog.alerts import send_stock_alerts
from catalog.imports.runner import run_catalog_import


@shared_task(acks_late=True)
def run_catalog_import_task(import_id: int) -> str:
    return run_catalog_import(import_id).status


@shared_task
def send_stock_alerts_task() -> int:
    return send_stock_alerts()
