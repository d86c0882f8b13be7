"""Request ids in logs and tasks, the staff-only metrics page, and the replica router."""

import json
import logging

import pytest

from grocery import observability
from grocery.dbrouters import ReplicaReadsMiddleware, ReplicaRouter, _replica_allowed
from tests.fixtures.checkout import spec_body

pytestmark = pytest.mark.django_db


def test_a_request_id_is_answered_and_a_tame_given_one_is_kept(api_client):
    made = api_client.get("/healthz")
    assert len(made["X-Request-ID"]) == 32
    kept = api_client.get("/healthz", HTTP_X_REQUEST_ID="lb-0a1b:42")
    assert kept["X-Request-ID"] == "lb-0a1b:42"
    replaced = api_client.get("/healthz", HTTP_X_REQUEST_ID="<script>")
    assert replaced["X-Request-ID"] != "<script>"


def test_json_log_lines_carry_the_request_id():
    record = logging.LogRecord(
        "checkout", logging.WARNING, __file__, 1, "charge %s", ("tx1",), None
    )
    token = observability.request_id.set("abc123")
    try:
        observability.RequestIdFilter().filter(record)
    finally:
        observability.request_id.reset(token)
    line = json.loads(observability.JsonFormatter().format(record))
    assert line["request_id"] == "abc123" and line["message"] == "charge tx1"
    assert line["level"] == "WARNING" and line["time"].endswith("Z")


def test_a_task_sent_during_a_request_carries_its_id_and_the_worker_adopts_it():
    headers: dict = {}
    before = observability.request_id.get()
    token = observability.request_id.set("req-7")
    try:
        observability._carry_request_id(headers=headers)
    finally:
        observability.request_id.reset(token)
    assert headers == {"request_id": "req-7"}

    class Task:
        class request:  # noqa: N801 - Celery's attribute name
            get = staticmethod(lambda name: headers.get(name))

    observability._adopt_request_id(task_id="t1", task=Task)
    assert observability.request_id.get() == "req-7"
    observability._drop_request_id(task_id="t1")
    assert observability.request_id.get() == before


def test_metrics_are_for_staff_only(api_client, staff_client):
    assert api_client.get("/metrics").status_code in (401, 403)
    api_client.get("/api/products/nothing-here")
    body = staff_client.get("/metrics").content.decode()
    assert "grocery_http_requests_total" in body
    assert 'grocery_orders_open{status="pending"}' in body
    assert "grocery_stock_counts_due" in body


def test_checkouts_and_cache_lookups_are_counted(api_client, shop, staff_client):
    api_client.get("/api/products/12345")
    api_client.get("/api/products/12345")
    api_client.post("/api/checkout", spec_body(), format="json")
    body = staff_client.get("/metrics").content.decode()
    assert 'grocery_checkouts_total{status="success"}' in body
    assert 'grocery_product_cache_lookups_total{result="miss"}' in body


class Model:
    def __init__(self, app_label):
        self._meta = type("Meta", (), {"app_label": app_label})


@pytest.mark.parametrize(
    ("method", "headers", "app_label", "expected"),
    [
        ("GET", {}, "catalog", "replica"),
        ("GET", {}, "promotions", "replica"),
        ("GET", {}, "checkout", "default"),  # orders and carts: the primary
        ("POST", {}, "catalog", "default"),  # a checkout's product reads: the primary
        ("GET", {"HTTP_AUTHORIZATION": "Token x"}, "catalog", "default"),  # staff API
        ("GET", {"HTTP_COOKIE": "sessionid=s"}, "catalog", "default"),  # staff reading back
    ],
)
def test_only_customer_product_and_promotion_reads_may_use_the_replica(
    rf, method, headers, app_label, expected
):
    seen = {}

    def view(request):
        seen["db"] = ReplicaRouter().db_for_read(Model(app_label))
        return None

    ReplicaReadsMiddleware(view)(rf.generic(method, "/api/products/1", **headers))
    assert seen["db"] == expected
    assert ReplicaRouter().db_for_read(Model("catalog")) == "default"  # tasks, shell
    assert not _replica_allowed.get()
    assert ReplicaRouter().db_for_write(Model("catalog")) == "default"
