"""The exit gate: every scan of an exit code is recorded, and a second scan says when and by whom
the code was first let through (a screenshot passed on to a friend shows up at once)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from checkout.models import ExitVerification, Order
from tests.fixtures.checkout import spec_body

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def paid_code(api_client) -> tuple[str, str]:
    body = api_client.post("/api/checkout", spec_body(), format="json").json()
    return body["transaction_id"], body["receipt"]["exit_code"]


def verify(client, code):
    return client.post("/api/receipts/exit/verify", {"code": code}, format="json")


def test_a_second_scan_says_the_code_was_already_used_and_by_whom(api_client, shop, staff_client):
    tx_id, code = paid_code(api_client)
    first = verify(staff_client, code)
    assert first.status_code == 200
    body = first.json()
    assert body["valid"] is True and body["already_used"] is False
    assert body["transaction_id"] == tx_id and body["first_verified_by"] == "clerk"

    other_gate = APIClient()
    other_gate.force_authenticate(
        get_user_model().objects.create_user("door2", password="pw-door-123", is_staff=True)
    )
    second = verify(other_gate, code)
    assert second.status_code == 200
    again = second.json()
    assert again["valid"] is True and again["already_used"] is True
    # the FIRST scan's time and person, not this one's
    assert again["first_verified_at"] == body["first_verified_at"]
    assert again["first_verified_by"] == "clerk"

    rows = ExitVerification.objects.filter(transaction__transaction_id=tx_id)
    assert [v.verified_by.username for v in rows] == ["clerk", "door2"]


def test_refused_codes_are_not_recorded(api_client, shop, staff_client):
    tx_id, code = paid_code(api_client)
    Order.objects.filter(transaction_id=tx_id).update(status="refunded")
    assert verify(staff_client, code).status_code == 404
    assert verify(api_client, code).status_code in (401, 403)
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
    assert sorted(a["already_used"] for a in answers) == [False] + [True] * 7
    assert len({a["first_verified_at"] for a in answers}) == 1
    assert ExitVerification.objects.count() == 8
