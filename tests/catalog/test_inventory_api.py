"""PUT /api/inventory/{product_id}: the SPEC contract, who may call it, and every bad input."""

import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.middleware.csrf import _get_new_csrf_string
from rest_framework.test import APIClient

from catalog.models import StockMovement
from tests.factories import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def apple():
    return make_product(product_id="12345", name="Organic Apple", stock=Decimal(120))


def put(client, product_id, body, **extra):
    return client.put(
        f"/api/inventory/{product_id}",
        body if isinstance(body, str) else json.dumps(body),
        content_type="application/json",
        **extra,
    )


def assert_unchanged(product):
    product.refresh_from_db()
    assert product.stock == Decimal(120)
    assert not StockMovement.objects.exists()


def test_staff_token_sets_the_stock_and_the_change_is_audited(apple, staff_user, staff_token):
    response = put(
        APIClient(),
        "12345",
        {"product_id": "12345", "stock": 150},
        HTTP_AUTHORIZATION=f"Token {staff_token}",
    )
    assert response.status_code == 200
    assert response.json() == {"product_id": "12345", "status": "updated", "new_stock": 150}
    apple.refresh_from_db()
    assert apple.stock == Decimal(150)
    movement = StockMovement.objects.get()
    assert (movement.product, movement.user, movement.delta, movement.resulting_stock) == (
        apple,
        staff_user,
        Decimal(30),
        Decimal(150),
    )
    assert movement.reason == StockMovement.Reason.COUNT


def test_stock_may_be_counted_down_to_zero(apple, staff_client):
    response = put(staff_client, "12345", {"product_id": "12345", "stock": 0})
    assert response.json()["new_stock"] == 0
    assert StockMovement.objects.get().delta == Decimal(-120)


def test_anonymous_is_refused_with_401(apple):
    response = put(APIClient(), "12345", {"product_id": "12345", "stock": 1})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "not_authenticated"
    assert_unchanged(apple)


def test_a_wrong_token_is_refused(apple):
    response = put(
        APIClient(), "12345", {"product_id": "12345", "stock": 1}, HTTP_AUTHORIZATION="Token nope"
    )
    assert response.status_code == 401
    assert_unchanged(apple)


@pytest.mark.parametrize("is_staff", [False, True], ids=["customer", "staff-without-permission"])
def test_signed_in_user_without_the_permission_gets_403(apple, is_staff):
    user = get_user_model().objects.create_user("someone", password="pw-123-abc", is_staff=is_staff)
    client = APIClient()
    client.force_authenticate(user)
    response = put(client, "12345", {"product_id": "12345", "stock": 1})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert_unchanged(apple)


def test_session_auth_works_and_needs_the_csrf_token(apple, staff_user):
    client = APIClient(enforce_csrf_checks=True)
    # django-axes counts logins per address, so it needs the request (any will do here).
    assert client.login(request=HttpRequest(), username="clerk", password="pw-clerk-123")
    refused = put(client, "12345", {"product_id": "12345", "stock": 7})
    assert refused.status_code == 403 and "CSRF" in refused.json()["message"]
    assert_unchanged(apple)
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    response = put(client, "12345", {"product_id": "12345", "stock": 7}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200 and response.json()["new_stock"] == 7
    assert StockMovement.objects.get().user == staff_user


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"product_id": "12345", "stock": "abc"}, "stock"),
        ({"product_id": "12345", "stock": "150"}, "stock"),  # a string, not a JSON integer
        ({"product_id": "12345", "stock": 1.5}, "stock"),
        ({"product_id": "12345", "stock": 150.0}, "stock"),
        ({"product_id": "12345", "stock": True}, "stock"),
        ({"product_id": "12345", "stock": None}, "stock"),
        ({"product_id": "12345", "stock": [150]}, "stock"),
        ({"product_id": "12345", "stock": -1}, "stock"),
        ({"product_id": "12345", "stock": 10**12}, "stock"),
        ({"product_id": "12345"}, "stock"),
        ({"stock": 150}, "product_id"),
        ({"product_id": None, "stock": 150}, "product_id"),
        ({"product_id": "23456", "stock": 150}, "product_id"),  # does not match the URL
        ({}, "product_id"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(apple, staff_client, body, field):
    response = put(staff_client, "12345", body)
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "invalid"
    assert field in error["detail"]
    assert error["message"].startswith(f"{field}: ")
    assert_unchanged(apple)


@pytest.mark.parametrize(
    "raw", ['{"product_id": "12345", "stock": ', "not json", "[1, 2]", '"150"', "null"]
)
def test_a_body_that_is_not_a_json_object_is_a_400(apple, staff_client, raw):
    response = put(staff_client, "12345", raw)
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "detail"}
    assert_unchanged(apple)


def test_a_body_that_is_not_json_at_all_is_a_415(apple, staff_client):
    response = staff_client.put(
        "/api/inventory/12345", "product_id=12345&stock=1", content_type="text/plain"
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert_unchanged(apple)


def test_unknown_product_is_a_json_404(apple, staff_client):
    response = put(staff_client, "99999", {"product_id": "99999", "stock": 5})
    assert response.status_code == 404
    assert response.json()["code"] == "product_not_found"
    assert_unchanged(apple)


def test_other_methods_are_refused(apple, staff_client):
    assert staff_client.get("/api/inventory/12345").status_code == 405
    assert staff_client.post("/api/inventory/12345", {}, format="json").status_code == 405
    assert_unchanged(apple)
