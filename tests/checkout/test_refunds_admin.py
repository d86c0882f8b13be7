from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from checkout.models import Order
from tests.fixtures.checkout import GATEWAY_DOWN_URL, spec_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client, django_user_model, settings):
    user = django_user_model.objects.create_user(
        "manager", password="pw-manager-123", is_staff=True
    )
    user.user_permissions.add(
        Permission.objects.get(codename="view_order"),
        Permission.objects.get(codename="refund_order"),
    )
    client.force_login(user)
    return client


def paid_order(api_client, card="tok_success") -> Order:
    body = api_client.post("/api/checkout", spec_body(payment_token=card), format="json").json()
    return Order.objects.get(transaction_id=body["transaction_id"])


def test_transactions_are_listed_read_only_with_their_lines(api_client, shop, manager):
    order = paid_order(api_client)
    changelist = manager.get("/admin/checkout/order/?status__exact=succeeded")
    assert changelist.status_code == 200 and order.transaction_id in changelist.content.decode()
    page = manager.get(f"/admin/checkout/order/{order.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200 and "Organic Apple" in html and "Refund part or all" in html
    assert manager.get("/admin/checkout/order/add/").status_code == 403
    manager.post(f"/admin/checkout/order/{order.pk}/change/", {"status": "failed"})
    order.refresh_from_db()
    assert order.status == "succeeded"


def test_partial_then_full_refund_through_the_gateway(api_client, shop, manager):
    order = paid_order(api_client)
    url = f"/admin/checkout/order/{order.pk}/refund/"
    assert manager.post(url, {"amount": "1.99", "reason": "bruised apple"}).status_code == 302
    order.refresh_from_db()
    assert order.status == "partially_refunded" and order.refunded_amount == Decimal("1.99")
    assert order.refunds.get().gateway_refund_id.startswith("sim_re_")

    too_much = manager.post(url, {"amount": "3.00"})
    assert too_much.status_code == 200 and "between 0.01 and 2.98" in too_much.content.decode()

    manager.post(url, {"amount": "2.98", "reason": "rest"})
    order.refresh_from_db()
    assert order.status == "refunded" and order.refunded_amount == order.total
    assert [e.to_status for e in order.events.all()] == [
        "pending",
        "succeeded",
        "partially_refunded",
        "refunded",
    ]
    assert "refund of 1.99 EUR: bruised apple" in order.events.all()[2].reason


def test_refund_action_refunds_in_full_and_refuses_unpaid(api_client, shop, manager):
    paid, declined = paid_order(api_client), paid_order(api_client, "tok_decline")
    response = manager.post(
        "/admin/checkout/order/",
        {"action": "refund_in_full", "_selected_action": [paid.pk, declined.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert "refunded 4.97 EUR" in text and "failed order cannot be refunded" in text
    paid.refresh_from_db()
    declined.refresh_from_db()
    assert paid.status == "refunded" and declined.status == "failed"


def test_refund_needs_the_permission(api_client, shop, client, django_user_model, manager):
    order = paid_order(api_client)
    clerk = django_user_model.objects.create_user("clerk2", password="pw-clerk-123", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(clerk)  # replaces the manager's session
    assert (
        client.post(f"/admin/checkout/order/{order.pk}/refund/", {"amount": "1"}).status_code == 403
    )
    order.refresh_from_db()
    assert order.refunded_amount == 0


def test_stripe_refund_partial_and_gateway_down(api_client, shop, manager, fake_stripe, settings):
    order = paid_order(api_client, "pm_card_visa")
    url = f"/admin/checkout/order/{order.pk}/refund/"
    manager.post(url, {"amount": "0.99"})
    assert [r["amount"] for r in fake_stripe.refunds.values()] == [99]
    settings.STRIPE_API_BASE = GATEWAY_DOWN_URL
    response = manager.post(url, {"amount": "1.00"})
    assert "nothing was refunded" in response.content.decode()
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("0.99") and order.refunds.count() == 1
