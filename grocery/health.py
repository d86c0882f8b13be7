"""Liveness and readiness probes for a load balancer or orchestrator."""

from concurrent.futures import ThreadPoolExecutor, wait

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.views import APIView

from grocery.cache import cache_status
from grocery.celery import app as celery_app
from grocery.schema import documented_by


@require_GET
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
            conn.ensure_connection(max_retries=0, timeout=settings.READYZ_CHECK_SECONDS)
    except Exception:  # noqa: BLE001 - any failure to reach the broker means "down"
        return "down"
    return "ok"


# Cache and broker are asked side by side, each given READYZ_CHECK_SECONDS: a Redis that
# accepts connections and never answers makes a check late, not the probe. (Their socket
# timeouts end a late check's thread soon after; a few workers are enough for a probe.)
_checks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")


@require_GET
def readyz(request):
    """503 only when the database is down: without Redis or a broker the shop still sells."""
    cache, broker = _checks.submit(cache_status), _checks.submit(_broker_status)
    checks = {"database": _database_status()}
    wait([cache, broker], timeout=settings.READYZ_CHECK_SECONDS)
    checks["cache"] = cache.result() if cache.done() else "degraded"
    checks["broker"] = broker.result() if broker.done() else "down"
    ready = checks["database"] == "ok"
    overall = "ok" if all(v == "ok" for v in checks.values()) else ("degraded" if ready else "down")
    return JsonResponse({"status": overall, "checks": checks}, status=200 if ready else 503)


class HealthzApi(APIView):
    @extend_schema(
        operation_id="healthz",
        summary="Liveness: the process answers",
        responses=inline_serializer("Alive", {"status": serializers.CharField()}),
        tags=["health"],
    )
    def get(self, request):
        return healthz(request._request)


READINESS = inline_serializer(
    "Readiness",
    {
        "status": serializers.ChoiceField(choices=["ok", "degraded", "down"]),
        "checks": inline_serializer(
            "ReadinessChecks",
            {
                "database": serializers.ChoiceField(choices=["ok", "down"]),
                "cache": serializers.ChoiceField(choices=["ok", "degraded"]),
                "broker": serializers.ChoiceField(choices=["ok", "down"]),
            },
        ),
    },
)


class ReadyzApi(APIView):
    @extend_schema(
        operation_id="readyz",
        summary="Readiness: database, cache and broker (503 only without the database)",
        responses={
            200: OpenApiResponse(
                READINESS, description="Serving; status degraded without cache or broker."
            ),
            503: OpenApiResponse(READINESS, description="The database is unreachable."),
        },
        tags=["health"],
    )
    def get(self, request):
        return readyz(request._request)


documented_by(healthz, HealthzApi)
documented_by(readyz, ReadyzApi)
