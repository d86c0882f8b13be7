"""Accounts, optional: sign-up, sign-in (the device's cart and receipts join the account),
sign-out, password reset by email; anonymous use stays as it was."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.middleware.csrf import _get_new_csrf_string
from rest_framework.test import APIClient

from checkout.models import Cart, Order
from customers.cards import has_valid_check_digit, looks_like_card_number
from customers.models import Customer
from tests.fixtures.checkout import spec_body

pytestmark = pytest.mark.django_db

PASSWORD = "plum-tomato-42"


def sign_up(client, email="ann@example.com", password=PASSWORD):
    return client.post("/api/account/signup", {"email": email, "password": password}, format="json")


def sign_in(client, email="ann@example.com", password=PASSWORD):
    return client.post("/api/account/signin", {"email": email, "password": password}, format="json")


def test_sign_up_signs_in_with_a_loyalty_card_and_a_session_for_a_phone(api_client, settings):
    response = sign_up(api_client, email=" Ann@Example.com ")
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ann@example.com" and body["points"] == 0
    assert looks_like_card_number(body["card_number"])
    assert has_valid_check_digit(body["card_number"])
    assert body["card_number"] != body["account_id"].zfill(13)
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["max-age"] == settings.CUSTOMER_SESSION_AGE and session["httponly"]
    assert api_client.get("/api/account").json()["card_number"] == body["card_number"]


def test_card_numbers_are_random_not_sequential(api_client):
    cards = {
        sign_up(APIClient(), email=f"c{i}@example.com").json()["card_number"] for i in range(5)
    }
    assert len(cards) == 5
    numbers = sorted(int(card[2:12]) for card in cards)
    assert any(b - a > 1000 for a, b in zip(numbers, numbers[1:], strict=False))


@pytest.mark.parametrize(
    "email, password, field",
    [
        ("ann@example.com", "short", "password"),
        ("ann@example.com", "12345678901", "password"),
        ("ann@example.com", "ann@example.com", "password"),
        ("not-an-email", PASSWORD, "email"),
    ],
)
def test_a_weak_password_or_a_bad_email_is_refused_and_creates_nothing(
    api_client, email, password, field
):
    response = sign_up(api_client, email=email, password=password)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and field in response.json()["detail"]
    assert not get_user_model().objects.exists()


def test_an_email_that_has_an_account_is_a_409(api_client):
    sign_up(api_client)
    again = sign_up(APIClient(), email="ANN@example.com")
    assert again.status_code == 409 and again.json()["code"] == "email_taken"
    assert Customer.objects.count() == 1


def test_sign_in_with_a_wrong_password_or_as_staff_says_the_same(api_client, manager):
    sign_up(APIClient())
    wrong = sign_in(api_client, password="wrong-password-1")
    staff = sign_in(api_client, email="mia@shop.example", password="pw-mia-123")
    # the manager's username is "mia": a staff account is not a customer account either way
    staff_by_name = sign_in(api_client, email="mia", password="pw-mia-123")
    assert wrong.status_code == staff.status_code == 400
    assert wrong.json()["code"] == staff.json()["code"] == "invalid_credentials"
    assert staff_by_name.status_code == 400
    assert api_client.get("/api/account").status_code == 403


def test_sign_in_moves_the_anonymous_cart_and_receipts_to_the_account(api_client, shop):
    sign_up(APIClient())  # the account exists, signed in on another phone
    phone = APIClient()
    phone.post("/api/cart/lines", {"product_id": "12345", "quantity": 2}, format="json")
    token = phone.cookies["cart_token"].value
    paid = phone.post("/api/checkout", spec_body(), format="json").json()["transaction_id"]
    phone.post("/api/cart/lines", {"product_id": "23456", "quantity": 1}, format="json")

    assert sign_in(phone).status_code == 200

    user = get_user_model().objects.get(email="ann@example.com")
    assert Order.objects.get(transaction_id=paid).user == user
    cart = Cart.objects.get(customer=user)
    assert cart.token == token
    assert [(line.product.product_id, line.quantity) for line in cart.lines.all()] == [
        ("23456", Decimal(1))
    ]
    # Another device (no cart token) signed in to the same account sees the receipt and the cart.
    other = APIClient()
    sign_in(other)
    assert [r["transaction_id"] for r in other.get("/api/receipts").json()["receipts"]] == [paid]
    assert [line["product_id"] for line in other.get("/api/cart").json()["lines"]] == ["23456"]


def test_sign_in_merges_into_the_cart_the_account_already_has(api_client, shop):
    first = APIClient()
    sign_up(first)
    first.post("/api/cart/lines", {"product_id": "12345", "quantity": 1}, format="json")
    phone = APIClient()
    phone.post("/api/cart/lines", {"product_id": "12345", "quantity": 2}, format="json")
    phone.post("/api/cart/lines", {"product_id": "23456", "quantity": 1}, format="json")
    anonymous_token = phone.cookies["cart_token"].value

    sign_in(phone)

    lines = {
        line["product_id"]: line["quantity"] for line in phone.get("/api/cart").json()["lines"]
    }
    assert lines == {"12345": 3, "23456": 1}
    assert not Cart.objects.filter(token=anonymous_token).exists()
    assert Cart.objects.count() == 1


def test_sign_out_ends_the_session_and_the_device_is_anonymous_again(api_client, shop):
    sign_up(api_client)
    assert api_client.post("/api/account/signout").status_code == 204
    assert api_client.get("/api/account").status_code == 403
    # anonymous checkout as always
    assert api_client.post("/api/checkout", spec_body(), format="json").status_code == 201


def test_signing_in_needs_the_csrf_token_like_every_write(db):
    sign_up(APIClient())
    browser = APIClient(enforce_csrf_checks=True)
    refused = sign_in(browser)
    assert refused.status_code == 403 and "CSRF" in refused.json()["message"]
    token = _get_new_csrf_string()
    browser.cookies["csrftoken"] = token
    signed = browser.post(
        "/api/account/signin",
        {"email": "ann@example.com", "password": PASSWORD},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert signed.status_code == 200
    assert "csrftoken" in signed.cookies  # rotated on sign-in: the PWA reads the new one
    assert browser.post("/api/account/signout").status_code == 403  # signed in: CSRF as always


def test_sign_in_is_throttled_per_address(api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "account": "3/min",
        },
    }
    answers = [sign_in(APIClient(), password=f"guess-{i}").status_code for i in range(4)]
    assert answers == [400, 400, 400, 429]


def test_password_reset_by_email_works_once(api_client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sign_up(APIClient())
    assert (
        api_client.post(
            "/api/account/password-reset", {"email": "ANN@example.com"}, format="json"
        ).status_code
        == 202
    )
    assert (
        api_client.post(
            "/api/account/password-reset", {"email": "nobody@example.com"}, format="json"
        ).status_code
        == 202
    )  # the same answer: nobody learns which emails have accounts
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ann@example.com"]
    uid, token = re.search(r"uid=([\w-]+)&token=([\w-]+)", mail.outbox[0].body).groups()
    new = {"uid": uid, "token": token, "password": "new-basil-leaf-7"}
    confirm = "/api/account/password-reset/confirm"
    weak = api_client.post(confirm, {**new, "password": "abc"}, format="json")
    assert weak.status_code == 400 and "password" in weak.json()["detail"]
    assert api_client.post(confirm, new, format="json").status_code == 204
    assert sign_in(APIClient(), password="new-basil-leaf-7").status_code == 200
    assert sign_in(APIClient()).status_code == 400
    again = api_client.post(confirm, {**new, "password": "another-pear-9"}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "invalid_reset_link"


@pytest.mark.parametrize("uid", ["", "!!", "MTIzNDU2Nzg5", "eA"])
def test_a_forged_reset_link_is_refused(api_client, uid):
    sign_up(APIClient())
    response = api_client.post(
        "/api/account/password-reset/confirm",
        {"uid": uid or "x", "token": "abc-123", "password": "new-basil-leaf-7"},
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_reset_link"


def test_five_wrong_passwords_lock_the_account_from_that_address(api_client):
    sign_up(APIClient())
    answers = [sign_in(APIClient(), password=f"guess-{i}-xyz").status_code for i in range(5)]
    assert answers == [400, 400, 400, 400, 429]
    locked = sign_in(APIClient())  # even the right password, for AXES_COOLOFF_HOURS
    assert locked.status_code == 429
    assert locked.json()["code"] == "account_locked", locked.json()
