"""The exit check beyond a plain "go": random audits (decided when paid, hidden from the
customer), missing items charged or written off, age-restricted goods, gates with device tokens."""

import random
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from catalog.models import StockMovement
from checkout.authentication import new_device_token
from checkout.models import AuditSettings, ExitAudit, ExitVerification, GateDevice, Order
from checkout.services.audits import AuditSignals, decide_audit
from tests.factories import make_category, make_product
from tests.fixtures.checkout import CHECKOUT_MAX_QUERIES, set_audit_rules, spec_body, stock_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

CALM = AuditSignals(
    total=Decimal("20.00"),
    weighed_lines=0,
    control_weight=Decimal(1),
    first_visit=False,
    earlier_discrepancy=False,
)


def share(rules, signals, n=10_000, seed=14) -> float:
    rng = random.Random(seed)
    return sum(decide_audit(rules, signals, rng=rng).audit for _ in range(n)) / n * 100


def test_ten_thousand_calm_baskets_are_audited_at_the_configured_rate():
    rules = AuditSettings()  # defaults: 3 %
    assert abs(share(rules, CALM) - 3.0) <= 0.5
    rules.audit_rate = Decimal("10")
    assert abs(share(rules, CALM) - 10.0) <= 0.5


def test_risky_baskets_are_audited_more_often_as_configured():
    rules = AuditSettings()
    calm = share(rules, CALM)
    for risky, factor in [
        (AuditSignals(**{**CALM.__dict__, "total": Decimal("150")}), 2),
        (AuditSignals(**{**CALM.__dict__, "weighed_lines": 7}), 2),
        (AuditSignals(**{**CALM.__dict__, "control_weight": Decimal(3)}), 3),
        (AuditSignals(**{**CALM.__dict__, "first_visit": True}), 1.5),
        (AuditSignals(**{**CALM.__dict__, "earlier_discrepancy": True}), 4),
    ]:
        seen = share(rules, risky)
        assert seen > calm + 1
        assert abs(seen - 3.0 * factor) <= 1.0, (risky, seen)


def pay(client, **changes) -> dict:
    response = client.post("/api/checkout", spec_body(**changes), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def verify(client, code, **extra):
    return client.post("/api/exit/verify", {"code": code}, format="json", **extra)


def test_forced_audits_cover_the_next_n_baskets_and_the_customer_never_sees_it(
    api_client, shop, staff_client
):
    set_audit_rules(audit_rate=0, force_next=0)
    plain = pay(api_client)  # audit_rate 0: never audited at random
    set_audit_rules(force_next=1)
    audited = pay(api_client)
    assert AuditSettings.objects.get().force_next == 0
    assert Order.objects.get(transaction_id=audited["transaction_id"]).audit_required
    assert "forced" in Order.objects.get(transaction_id=audited["transaction_id"]).audit_reasons
    # the customer's answers are alike in every way but their ids
    assert plain.keys() == audited.keys() and plain["receipt"].keys() == audited["receipt"].keys()
    receipt = api_client.get(f"/api/receipts/{audited['transaction_id']}").content.decode()
    assert "audit" not in receipt
    assert verify(staff_client, audited["receipt"]["exit_code"]).json()["decision"] == "audit"
    assert verify(staff_client, plain["receipt"]["exit_code"]).json()["decision"] == "go"


def audited_purchase(api_client) -> dict:
    set_audit_rules(force_next=1)
    return pay(api_client)


def test_an_audit_with_a_missing_item_charges_it_and_takes_it_from_stock(
    api_client, shop, staff_client
):
    code = audited_purchase(api_client)["receipt"]["exit_code"]
    assert verify(staff_client, code).json()["decision"] == "audit"
    # a repeated scan while the audit is pending still says audit: the code is not used up
    assert verify(staff_client, code).json()["decision"] == "audit"
    before = stock_of("23456")
    answer = staff_client.post(
        "/api/exit/audit",
        {"code": code, "missing": [{"product_id": "23456", "quantity": 2}], "extra": []},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["decision"] == "go"
    assert answer.json()["reason"] == "Audit done: 1.98 EUR charged."
    audit = ExitAudit.objects.get()
    assert audit.outcome == "charged" and audit.amount == Decimal("1.98")
    assert audit.gateway_payment_id.startswith("sim_succeeded_")
    assert stock_of("23456") == before - 2
    # done once: the same audit again is refused and charges nothing more
    again = staff_client.post(
        "/api/exit/audit",
        {"code": code, "missing": [{"product_id": "23456", "quantity": 2}]},
        format="json",
    )
    assert again.status_code == 409 and ExitAudit.objects.count() == 1
    assert verify(staff_client, code).json()["decision"] == "stop"


def test_missing_items_written_off_leave_stock_as_a_write_off(api_client, shop, staff_client):
    code = audited_purchase(api_client)["receipt"]["exit_code"]
    answer = staff_client.post(
        "/api/exit/audit",
        {
            "code": code,
            "missing": [{"product_id": "12345", "quantity": 1}],
            "extra": [{"product_id": "23456", "quantity": 1}],
            "missing_action": "write_off",
        },
        format="json",
    ).json()
    assert answer["decision"] == "go" and "written off" in answer["reason"]
    audit = ExitAudit.objects.get()
    assert audit.outcome == "written_off" and audit.gateway_payment_id == ""
    assert audit.extra[0]["product_id"] == "23456"
    assert StockMovement.objects.filter(reason="write_off", delta=-1).count() == 1


def test_bad_audits_change_nothing(api_client, shop, staff_client, no_random_audits):
    set_audit_rules(audit_rate=0)
    paid = pay(api_client)
    code = paid["receipt"]["exit_code"]
    for body, status in [
        ({"code": code, "missing": []}, 409),  # nothing to audit here
        ({"code": "forged", "missing": []}, 409),
        ({"code": code, "missing": [{"product_id": "12345", "quantity": -1}]}, 400),
    ]:
        assert staff_client.post("/api/exit/audit", body, format="json").status_code == status
    code = audited_purchase(api_client)["receipt"]["exit_code"]
    response = staff_client.post(
        "/api/exit/audit",
        {"code": code, "missing": [{"product_id": "nope", "quantity": 1}]},
        format="json",
    )
    assert response.status_code == 404
    assert api_client.post("/api/exit/audit", {"code": code}, format="json").status_code == 403
    assert not ExitAudit.objects.exists()


def test_with_stripe_the_missing_items_are_an_off_session_charge_on_the_card_that_paid(
    api_client, shop, staff_client, fake_stripe
):
    set_audit_rules(force_next=2)
    first = pay(api_client, payment_token="pm_card_visa")
    order = Order.objects.get(transaction_id=first["transaction_id"])
    fake_stripe.intents[order.gateway_payment_id]["customer"] = "cus_regular"
    body = {
        "code": first["receipt"]["exit_code"],
        "missing": [{"product_id": "12345", "quantity": 1}],
    }
    answer = staff_client.post("/api/exit/audit", body, format="json")
    assert answer.status_code == 200, answer.json()
    intent = fake_stripe.intents[ExitAudit.objects.get().gateway_payment_id]
    assert intent["amount"] == 199 and intent["customer"] == "cus_regular"
    assert intent["payment_method"] == "pm_card_visa"
    assert intent["metadata"]["purpose"] == "exit_audit"
    assert fake_stripe.calls("POST /v1/payment_intents") == 2

    # a guest's card was never attached to a Customer: Stripe refuses, staff are told what to do
    guest = pay(api_client, payment_token="pm_card_visa")
    body["code"] = guest["receipt"]["exit_code"]
    refused = staff_client.post("/api/exit/audit", body, format="json")
    assert refused.status_code == 402 and refused.json()["code"] == "audit_charge_failed"
    assert "write them off" in refused.json()["message"].lower()
    assert ExitAudit.objects.count() == 1  # nothing recorded, so the write-off can follow
    body["missing_action"] = "write_off"
    assert staff_client.post("/api/exit/audit", body, format="json").json()["decision"] == "go"


@pytest.fixture
def wine(db):
    drinks = make_category("Wine", min_age=18)
    return make_product(product_id="77777", name="Red wine", price=Decimal("6.50"), category=drinks)


def buy_wine(api_client) -> dict:
    cart = [{"product_id": "12345", "quantity": 1}, {"product_id": "77777", "quantity": 1}]
    return pay(api_client, cart=cart, total_amount=8.49)


def test_age_restricted_goods_ask_for_an_id_until_staff_approve(
    api_client, shop, wine, staff_client
):
    set_audit_rules(audit_rate=0)
    code = buy_wine(api_client)["receipt"]["exit_code"]
    answer = verify(staff_client, code).json()
    assert answer["decision"] == "id_check" and answer["min_age"] == 18
    assert "18+" in answer["reason"]
    assert [line["min_age"] for line in answer["lines"]] == [None, 18]
    approved = staff_client.post(
        "/api/exit/id-check", {"code": code, "approved": True}, format="json"
    ).json()
    assert approved["decision"] == "go" and approved["id_check"] == "approved"
    assert verify(staff_client, code).json()["decision"] == "stop"


def test_a_refused_id_refunds_the_restricted_lines_and_puts_them_back(
    api_client, shop, wine, staff_client
):
    set_audit_rules(audit_rate=0)
    bought = buy_wine(api_client)
    before = stock_of("77777")
    refused = staff_client.post(
        "/api/exit/id-check",
        {"code": bought["receipt"]["exit_code"], "approved": False},
        format="json",
    ).json()
    assert refused["decision"] == "go" and refused["reason"].startswith("ID refused")
    order = Order.objects.get(transaction_id=bought["transaction_id"])
    assert order.refunded_amount == Decimal("6.50") and order.status == "partially_refunded"
    assert stock_of("77777") == before + 1
    assert order.refunds.get().reason == "ID check refused at the exit"
    again = staff_client.post(
        "/api/exit/id-check",
        {"code": bought["receipt"]["exit_code"], "approved": False},
        format="json",
    )
    assert again.status_code == 409 and order.refunds.count() == 1


def test_product_and_cart_show_the_minimum_age(api_client, shop, wine):
    assert api_client.get("/api/products/77777").json()["min_age"] == 18
    api_client.post("/api/cart/lines", {"product_id": "77777", "quantity": 1}, format="json")
    lines = api_client.get("/api/cart").json()["lines"]
    assert [line["min_age"] for line in lines] == [18]


def test_a_gate_verifies_with_its_device_token_until_revoked(api_client, shop, no_random_audits):
    token, token_hash = new_device_token()
    gate = GateDevice.objects.create(name="Door A", token_hash=token_hash)
    code = pay(api_client)["receipt"]["exit_code"]
    client = APIClient()
    answer = verify(client, code, HTTP_AUTHORIZATION=f"Device {token}")
    assert answer.status_code == 200 and answer.json()["decision"] == "go"
    assert ExitVerification.objects.get().device == gate
    assert verify(client, code, HTTP_AUTHORIZATION="Device wrong").status_code == 401
    GateDevice.objects.update(revoked_at="2026-01-01T00:00:00Z")
    revoked = verify(client, code, HTTP_AUTHORIZATION=f"Device {token}")
    assert revoked.status_code == 401 and "lines" not in revoked.json()
    # a gate may verify, but not record audits or ID checks
    assert client.post(
        "/api/exit/audit", {"code": code}, format="json", HTTP_AUTHORIZATION=f"Device {token}"
    ).status_code in (401, 403)


def test_a_manager_creates_a_gate_and_sees_its_token_once(db):
    boss = get_user_model().objects.create_superuser("boss", password="pw-boss-123")
    admin = Client()
    admin.force_login(boss)
    page = admin.post("/admin/checkout/gatedevice/add/", {"name": "Door B"}, follow=True)
    text = page.content.decode()
    assert "not shown again" in text
    device = GateDevice.objects.get()
    token = text.split("<code>")[1].split("</code>")[0]
    from checkout.authentication import hash_device_token

    assert device.token_hash == hash_device_token(token) and token not in device.token_hash
    listing = admin.get("/admin/checkout/gatedevice/").content.decode()
    assert token not in listing
    admin.post(
        "/admin/checkout/gatedevice/",
        {"action": "revoke", "_selected_action": [device.pk]},
    )
    device.refresh_from_db()
    assert device.revoked_at is not None


def test_managers_see_audits_on_the_dashboard_and_the_order_page(
    api_client, shop, staff_client, manager_client
):
    code = audited_purchase(api_client)["receipt"]["exit_code"]
    staff_client.post(
        "/api/exit/audit",
        {"code": code, "missing": [{"product_id": "23456", "quantity": 1}]},
        format="json",
    )
    other = audited_purchase(api_client)["receipt"]["exit_code"]
    staff_client.post("/api/exit/audit", {"code": other}, format="json")
    page = manager_client.get("/admin/").content.decode()
    panel = page.split('id="exit-audits"')[1].split("</section>")[0]
    assert "2 audits" in panel and "50 % with a discrepancy" in panel
    assert "€0.99 charged" in panel and "€0.00 written off" in panel
    order = ExitAudit.objects.get(outcome="charged").transaction
    history = manager_client.get(f"/admin/checkout/order/{order.pk}/change/").content.decode()
    assert "exit audit (basket rescanned at the door)" in history.lower()
    assert "Audit done: 0.99 EUR charged." in history  # the go that followed, with its reason


def test_exit_verification_query_count_is_pinned(
    api_client, shop, staff_client, no_random_audits, django_assert_max_num_queries
):
    # a gate at 50 scans/s: lock the order, its first exit, record the scan, the basket; and
    # whether the clerk works at this door (catalog.selectors.works_in, one query)
    code = pay(api_client)["receipt"]["exit_code"]
    with django_assert_max_num_queries(7):
        assert verify(staff_client, code).json()["decision"] == "go"


def test_without_a_settings_row_the_defaults_decide_at_no_extra_cost(
    api_client, shop, django_assert_max_num_queries
):
    AuditSettings.objects.all().delete()
    with django_assert_max_num_queries(CHECKOUT_MAX_QUERIES):
        paid = pay(api_client)
    order = Order.objects.get(transaction_id=paid["transaction_id"])
    assert order.audit_reasons.endswith("(chance 4.5%)")  # 3 % x 1.5 for a first visit
    assert order.min_age is None
