"""The exit gate: every scan of an exit code is recorded; the code is single-use, and a second scan
says when and by whom it was first let through (a screenshot passed on shows up at once)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import Store
from checkout.models import ExitVerification, Order
from checkout.selectors import exit_code
from tests.fixtures.checkout import spec_body

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db,
    pytest.mark.usefixtures("no_random_audits"),
]


def paid_code(api_client) -> tuple[str, str]:
    body = api_client.post("/api/checkout", spec_body(), format="json").json()
    return body["transaction_id"], body["receipt"]["exit_code"]


def verify(client, code):
    return client.post("/api/exit/verify", {"code": code}, format="json")


def test_a_second_scan_says_the_code_was_already_used_and_by_whom(api_client, shop, staff_client):
    tx_id, code = paid_code(api_client)
    first = verify(staff_client, code)
    assert first.status_code == 200
    body = first.json()
    assert body["decision"] == "go" and body["transaction_id"] == tx_id
    assert body["total"] == 4.97 and [line["product_id"] for line in body["lines"]] == [
        "12345",
        "23456",
    ]

    other_gate = APIClient()
    other_gate.force_authenticate(
        get_user_model().objects.create_user("door2", password="pw-door-123", is_staff=True)
    )
    again = verify(other_gate, code).json()
    assert again["decision"] == "stop"
    first_at = timezone.localtime(ExitVerification.objects.earliest("verified_at").verified_at)
    # the FIRST scan's time and person, not this one's
    assert again["reason"] == f"Already used at {first_at:%H:%M} by clerk."

    rows = ExitVerification.objects.filter(transaction__transaction_id=tx_id)
    assert [(v.verified_by.username, v.decision) for v in rows] == [
        ("clerk", "go"),
        ("door2", "stop"),
    ]


def test_refunded_unpaid_forged_and_foreign_codes_stop(api_client, shop, staff_client):
    tx_id, code = paid_code(api_client)
    Order.objects.filter(transaction_id=tx_id).update(status="refunded")
    assert verify(staff_client, code).json()["decision"] == "stop"
    Order.objects.filter(transaction_id=tx_id).update(status="pending")
    assert verify(staff_client, code).json()["reason"] == "Not paid."
    for bad in (code[:-3], code + "x", "hello", code.replace(tx_id, "tx0000")):
        answer = verify(staff_client, bad).json()
        assert answer == {
            "decision": "stop",
            "reason": answer["reason"],
            "lines": [],
            "total": None,
        }
    # A code signed in another store (since closed: the clerk still works at this door alone).
    order = Order.objects.get(transaction_id=tx_id)
    order.store = Store.objects.create(code="2", name="Elsewhere", is_active=False)
    foreign = verify(staff_client, exit_code(order)).json()
    assert foreign["decision"] == "stop" and "Another store" in foreign["reason"]
    assert foreign["lines"] == []
    # every scan of a real order of ours is history; forged ones name no order
    assert list(ExitVerification.objects.values_list("decision", flat=True)) == ["stop", "stop"]


def test_customers_cannot_call_the_exit_check(api_client, shop):
    _, code = paid_code(api_client)
    answer = verify(api_client, code)
    assert answer.status_code in (401, 403)
    assert "lines" not in answer.json() and "12345" not in answer.content.decode()
    assert not ExitVerification.objects.exists()


def test_the_exit_qr_is_never_kept_by_shared_caches(api_client, shop):
    _, code = paid_code(api_client)
    response = api_client.get(f"/api/receipts/exit/{code}/qr.svg")
    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives and "public" not in directives


def test_the_transaction_page_lists_its_door_scans(api_client, shop, staff_client, settings):
    tx_id, code = paid_code(api_client)
    verify(staff_client, code)
    boss = get_user_model().objects.create_superuser("boss", password="pw-boss-123")
    admin = Client()
    admin.force_login(boss)
    order = Order.objects.get(transaction_id=tx_id)
    page = admin.get(f"/admin/checkout/order/{order.pk}/change/").content.decode()
    assert "exit verifications (scans at the door)" in page.lower()
    assert "clerk" in page


@pytest.mark.django_db(transaction=True)
def test_two_gates_scanning_at_once_agree_on_which_scan_was_first(shop, staff_user):
    """Eight simultaneous scans of one screenshot: exactly one is told it was first."""
    _, code = paid_code(APIClient())
    barrier = threading.Barrier(8)

    def scan(_):
        try:
            gate = APIClient()
            gate.force_authenticate(staff_user)
            barrier.wait(timeout=30)
            return verify(gate, code).json()
        finally:
            connection.close()  # every thread opened its own connection

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(scan, range(8)))
    assert sorted(a["decision"] for a in answers) == ["go"] + ["stop"] * 7
    assert len({a["reason"] for a in answers if a["decision"] == "stop"}) == 1
    assert ExitVerification.objects.count() == 8
