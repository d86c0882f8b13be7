"""Orders in the manager portal, per role: managers refund through the gateway, staff don't."""

from decimal import Decimal

import pytest

from checkout.models import Order
from tests.checkout.conftest import shop, spec_body  # noqa: F401 - the shop fixture

pytestmark = pytest.mark.django_db


def paid_order(api_client) -> Order:
    body = api_client.post(
        "/api/checkout", spec_body(payment_token="tok_success"), format="json"
    ).json()
    return Order.objects.get(transaction_id=body["transaction_id"])


def test_store_manager_refunds_in_full_with_the_action(api_client, shop, manager_client):  # noqa: F811
    order = paid_order(api_client)
    assert order.status == "succeeded"
    listing = manager_client.get("/admin/checkout/order/?status__exact=succeeded")
    assert order.transaction_id in listing.content.decode()
    response = manager_client.post(
        "/admin/checkout/order/",
        {"action": "refund_in_full", "_selected_action": [order.pk]},
        follow=True,
    )
    assert f"{order.transaction_id}: refunded 4.97 eur" in response.content.decode().lower()
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == ("refunded", Decimal("4.97"))
    assert order.refunds.get().gateway_refund_id.startswith("sim_re_")


def test_staff_cannot_see_or_refund_orders(api_client, shop, shop_staff_client):  # noqa: F811
    order = paid_order(api_client)
    assert shop_staff_client.get("/admin/checkout/order/").status_code == 403
    refused = shop_staff_client.post(
        "/admin/checkout/order/",
        {"action": "refund_in_full", "_selected_action": [order.pk]},
    )
    assert refused.status_code == 403
    assert shop_staff_client.get(f"/admin/checkout/order/{order.pk}/refund/").status_code == 403
    order.refresh_from_db()
    assert order.status == "succeeded" and order.refunded_amount == 0

