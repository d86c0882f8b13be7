"""Liveness and readiness probes for a load balancer or orchestrator."""

from django.db import DatabaseError, connection
from django.http import JsonResponse

from grocery.cache import cache_status
from grocery.celery import app as celery_app


def healthz(request):
    return JsonResponse({"status": "ok"})


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return "down"
    return "ok"


def _broker_status() -> str:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
    except Exception:  # noqa: BLE001 - any failure to reach the broker means "down"
        return "down"
    return "ok"


def readyz(request):
    """503 only when the database is down: without Redis or a broker the shop still sells."""
    checks = {"database": _database_status(), "cache": cache_status(), "broker": _broker_status()}
    ready = checks["database"] == "ok"
    overall = "ok" if all(v == "ok" for v in checks.values()) else ("degraded" if ready else "down")
    return JsonResponse({"status": overall, "checks": checks}, status=200 if ready else 503)
