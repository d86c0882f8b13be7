"""The staff-only Prometheus page: the processes' counters plus figures read when scraped (open
payments, stock counts due, queue lengths, replica lag) for the alerts in docs/operations.md."""

import os

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from rest_framework.permissions import IsAdminUser
from rest_framework.views import APIView

from catalog.models import StockCountRequest
from checkout.models import Order
from grocery.celery import app as celery_app


class ShopCollector:
    def collect(self):
        open_orders = GaugeMetricFamily(
            "grocery_orders_open", "Orders waiting for the gateway, by status", labels=["status"]
        )
        counts = dict(
            Order.objects.filter(status__in=Order.OPEN)
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        for status in Order.OPEN:
            open_orders.add_metric([status], counts.get(status, 0))
        yield open_orders
        yield GaugeMetricFamily(
            "grocery_stock_counts_due",
            "Products staff are asked to count",
            value=StockCountRequest.objects.filter(closed_at__isnull=True).count(),
        )
        yield from _queue_lengths()
        yield from _replica_lag()


def _queue_lengths():
    if not settings.CELERY_BROKER_URL.startswith(("redis", "rediss")):
        return
    queues = GaugeMetricFamily(
        "grocery_celery_queue_length", "Tasks waiting in a queue", labels=["queue"]
    )
    try:
        with celery_app.connection_for_read() as conn:
            client = conn.default_channel.client
            for name in {"celery", settings.PAYMENTS_QUEUE} - {""}:
                queues.add_metric([name], client.llen(name))
    except Exception:  # noqa: BLE001 - a broker outage leaves the gauge out; /readyz says why
        return
    yield queues


def _replica_lag():
    if "replica" not in settings.DATABASES:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), -1),"
            " count(*) FROM pg_stat_replication"
        )
        lag_bytes, replicas = cursor.fetchone()
    yield GaugeMetricFamily(
        "grocery_replica_lag_bytes", "WAL the replica has not replayed (-1: none)", value=lag_bytes
    )
    yield GaugeMetricFamily("grocery_replicas_streaming", "Streaming replicas", value=replicas)


class MetricsApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(exclude=True)
    def get(self, request):
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # sum every gunicorn worker's files
            counters = CollectorRegistry()
            multiprocess.MultiProcessCollector(counters)
        else:
            counters = REGISTRY
        read_now = CollectorRegistry()
        read_now.register(ShopCollector())
        body = generate_latest(counters) + generate_latest(read_now)
        return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
