"""Orders in the manager portal, per role: managers refund through the gateway, staff don't."""

from decimal import Decimal
from urllib.parse import parse_qs

import pytest

from checkout.models import Order
from tests.fixtures.checkout import spec_body

pytestmark = pytest.mark.django_db


def paid_order(api_client) -> Order:
    body = api_client.post(
        "/api/checkout", spec_body(payment_token="tok_success"), format="json"
    ).json()
    return Order.objects.get(transaction_id=body["transaction_id"])


def test_store_manager_refunds_in_full_with_the_action(api_client, shop, manager_client):
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


def test_staff_cannot_see_or_refund_orders(api_client, shop, shop_staff_client):
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


@pytest.mark.parametrize(
    "old, new",
    [
        ("", ""),
        ("?status__exact=pending", "?status__exact=pending"),
        ("{pk}/change/", "{pk}/change/"),
        ("{pk}/", "{pk}/"),
        ("{pk}/refund/", "{pk}/refund/"),
        ("{pk}/history/", "{pk}/history/"),
    ],
)
def test_old_transaction_admin_links_lead_to_the_order(
    api_client,
    shop,
    manager_client,
    old,
    new,
):
    order = paid_order(api_client)
    response = manager_client.get(f"/admin/checkout/transaction/{old.format(pk=order.pk)}")
    assert response.status_code == 301
    assert response["Location"] == f"/admin/checkout/order/{new.format(pk=order.pk)}"
    assert manager_client.get(response["Location"], follow=True).status_code == 200


def test_an_old_link_opened_signed_out_asks_to_sign_in_for_the_order(api_client, shop, client):
    order = paid_order(api_client)
    response = client.get(f"/admin/checkout/transaction/{order.pk}/change/", follow=True)
    assert response.redirect_chain[0] == (f"/admin/checkout/order/{order.pk}/change/", 301)
    assert response.request["PATH_INFO"] == "/admin/login/"
    assert parse_qs(response.request["QUERY_STRING"]) == {
        "next": [f"/admin/checkout/order/{order.pk}/change/"]
    }


def test_other_old_paths_are_not_redirected(manager_client):
    assert manager_client.get("/admin/checkout/transaction/add/").status_code == 404
    assert (
        manager_client.get("/admin/checkout/transaction/x/../../..//evil.example/").status_code
        == 404
    )
