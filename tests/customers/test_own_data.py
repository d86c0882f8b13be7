"""A customer's own data: they download everything the shop holds about them, and they can
delete the account (the password asked again): points forfeited with a ledger entry, receipts
kept for the books with nothing that leads back to them, coupon uses still counted."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from checkout.models import Cart, CouponRedemption, Order
from checkout.services.refunds import refund_order
from customers.models import Customer, PointsEntry
from customers.selectors import points_balance
from customers.services.loyalty import adjust_points
from tests.customers.test_accounts import PASSWORD, sign_in, sign_up
from tests.factories import make_promotion
from tests.fixtures.checkout import spec_body

pytestmark = pytest.mark.django_db

WITH_COUPON = 4.57  # tests/checkout/test_coupons.py: 10 % off the apples of the SPEC's basket


@pytest.fixture(autouse=True)
def ten_points_per_euro(settings):
    settings.LOYALTY_POINTS_PER_UNIT = Decimal(10)


def member(email="ann@example.com"):
    client = APIClient()
    assert sign_up(client, email=email).status_code == 201
    return client, Customer.objects.get(user__email=email)


def checkout(client, **changes):
    response = client.post("/api/checkout", spec_body(**changes), format="json")
    assert response.status_code == 201, response.json()
    return response.json()["transaction_id"]


def delete(client, password=PASSWORD):
    return client.delete("/api/account", {"password": password}, format="json")


def test_the_export_holds_the_customers_orders_and_ledger_and_nobody_elses(shop):
    client, ann = member()
    mine = checkout(client)
    bob_client, bob = member("bob@example.com")
    theirs = checkout(bob_client)
    adjust_points(customer=ann, points=5, reason="welcome gift", user=None)

    response = client.get("/api/account/export")

    assert response.status_code == 200
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="grocery-account-{today}.json"'
    )
    export = response.json()
    assert export["account"]["email"] == "ann@example.com"
    assert export["account"]["card_number"] == ann.card_number
    assert [o["transaction_id"] for o in export["orders"]] == [mine]
    order = export["orders"][0]
    assert order["total"] == 4.97 and order["status"] == "success"
    assert [line["name"] for line in order["lines"]] == ["Organic Apple", "Banana"]
    assert order["taxes"]  # the VAT per rate, as the receipt printed it
    assert export["points"]["balance"] == 54
    assert sorted((e["kind"], e["points"]) for e in export["points"]["entries"]) == [
        ("adjust", 5),
        ("earn", 49),
    ]
    text = response.content.decode()
    assert theirs not in text and "bob@example.com" not in text and bob.card_number not in text


def test_the_export_lists_a_coupon_used_and_the_cart_held(shop):
    make_promotion(products=[shop["apple"]], name="Apples 10 %", coupon_code="save10")
    client, _ = member()
    checkout(client, coupons=["SAVE10"], total_amount=WITH_COUPON)
    client.post("/api/cart/lines", {"product_id": "23456", "quantity": 1}, format="json")

    export = client.get("/api/account/export").json()

    assert [c["code"] for c in export["coupon_redemptions"]] == ["SAVE10"]
    assert [line["product_id"] for cart in export["carts"] for line in cart["lines"]] == ["23456"]


@pytest.mark.parametrize("method", ["get", "delete"])
def test_anonymous_and_staff_get_a_403(api_client, staff_client, method):
    for client in (api_client, staff_client):
        path = "/api/account/export" if method == "get" else "/api/account"
        response = getattr(client, method)(path, {"password": "x"}, format="json")
        assert response.status_code == 403
        assert "message" in response.json()


def test_a_wrong_password_deletes_nothing(shop):
    client, ann = member()
    checkout(client)

    response = delete(client, password="not-" + PASSWORD)

    assert response.status_code == 400 and response.json()["code"] == "wrong_password"
    ann.refresh_from_db()
    assert ann.deleted_at is None and ann.user.is_active and ann.user.email == "ann@example.com"
    assert points_balance(ann) == 49
    assert Order.objects.get().user_id == ann.user_id
    assert client.get("/api/account").status_code == 200  # still signed in


def test_the_wrong_password_is_named_in_german_too(shop):
    client, _ = member()
    response = client.delete(
        "/api/account", {"password": "nope"}, format="json", HTTP_ACCEPT_LANGUAGE="de"
    )
    assert response.json()["message"] == (
        "Das Passwort ist falsch: Das Konto wurde nicht gelöscht."
    )


def test_a_delete_without_a_password_is_a_400(shop):
    client, ann = member()
    response = client.delete("/api/account", {}, format="json")
    assert response.status_code == 400 and "password" in response.json()["detail"]
    ann.refresh_from_db()
    assert ann.deleted_at is None


def test_deleting_forfeits_the_points_keeps_the_receipts_and_signs_out(shop):
    client, ann = member()
    mine = checkout(client)
    card = ann.card_number

    response = delete(client)

    assert response.status_code == 204
    ann.refresh_from_db()
    assert ann.deleted_at is not None and ann.card_number != card
    forfeit = PointsEntry.objects.get(customer=ann, kind="forfeit")
    assert forfeit.points == -49 and "account deleted" in forfeit.reason
    assert points_balance(ann) == 0
    order = Order.objects.get(transaction_id=mine)
    assert order.user is None and order.customer_id == "" and order.cart_token == ""
    assert order.anonymised_at is not None
    assert order.total == Decimal("4.97") and order.lines.count() == 2 and order.taxes.exists()
    user = ann.user
    assert not user.is_active and not user.has_usable_password()
    assert user.email == "" and "ann" not in user.username
    assert not Cart.objects.filter(customer=user).exists()
    # Signed out: the same client is anonymous now, and a second delete is refused.
    assert client.get("/api/account/export").status_code == 403
    assert delete(client).status_code == 403
    assert sign_in(APIClient()).status_code == 400


def test_an_anonymous_checkout_that_named_the_card_is_anonymised_too(api_client, shop):
    client, ann = member()
    named = checkout(api_client, customer_id=ann.card_number)

    assert delete(client).status_code == 204

    order = Order.objects.get(transaction_id=named)
    assert order.customer_id == "" and order.anonymised_at is not None
    assert points_balance(ann) == 0


def test_the_email_can_sign_up_again_as_a_new_account(shop):
    client, ann = member()
    checkout(client)
    delete(client)

    again = APIClient()
    response = sign_up(again)

    assert response.status_code == 201
    body = response.json()
    assert body["points"] == 0 and body["card_number"] != ann.card_number
    assert again.get("/api/account/export").json()["orders"] == []
    assert get_user_model().objects.filter(email="ann@example.com").count() == 1


def test_a_negative_balance_is_written_off_so_the_ledger_sums_to_zero(shop):
    client, ann = member()
    checkout(client)
    PointsEntry.objects.create(customer=ann, kind="redeem", points=-49, reason="spent")
    refund_order(order=Order.objects.get(), amount=Decimal("4.97"))  # takes the 49 earned back: -49

    assert points_balance(ann) == -49
    assert delete(client).status_code == 204
    assert PointsEntry.objects.get(customer=ann, kind="forfeit").points == 49
    assert points_balance(ann) == 0


def test_a_refund_after_deleting_moves_no_points(shop):
    client, ann = member()
    checkout(client)
    delete(client)

    refund_order(order=Order.objects.get(), amount=Decimal("4.97"))

    assert points_balance(ann) == 0
    assert not PointsEntry.objects.filter(customer=ann, kind="reverse").exists()


def test_a_deleted_customers_coupon_use_still_counts_against_the_limit(api_client, shop):
    make_promotion(products=[shop["apple"]], name="Apples 10 %", coupon_code="save10", uses_limit=1)
    client, ann = member()
    checkout(client, coupons=["SAVE10"], total_amount=WITH_COUPON)

    assert delete(client).status_code == 204

    assert CouponRedemption.objects.get().customer == ann  # the emptied row, nothing personal
    response = api_client.post(
        "/api/checkout", spec_body(coupons=["SAVE10"], total_amount=WITH_COUPON), format="json"
    )
    assert response.status_code == 422
    assert response.json()["detail"]["coupons"][0]["reason"] == "used_up"


def test_deleting_needs_the_csrf_token_like_every_write(shop):
    sign_up(APIClient())
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(Customer.objects.get().user)

    assert delete(browser).status_code == 403
    assert Customer.objects.get().deleted_at is None


def test_managers_see_a_deleted_customers_order_as_a_deleted_customer(shop, manager_client):
    client, _ = member()
    checkout(client)
    delete(client)
    order = Order.objects.get()

    listing = manager_client.get("/admin/checkout/order/")
    detail = manager_client.get(f"/admin/checkout/order/{order.pk}/change/")

    assert listing.status_code == 200 and "deleted customer" in listing.content.decode()
    assert detail.status_code == 200 and "deleted customer" in detail.content.decode()
