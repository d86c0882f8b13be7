"""Staff API tokens expire after TOKEN_TTL_HOURS and can be revoked in the admin."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import make_product

pytestmark = pytest.mark.django_db


def set_stock(token: str):
    return APIClient().put(
        "/api/inventory/12345",
        {"product_id": "12345", "stock": 7},
        format="json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )


@pytest.fixture(autouse=True)
def apple():
    return make_product(product_id="12345", stock=Decimal(120))


def test_a_token_works_until_its_time_is_up_then_is_deleted(staff_token, settings):
    assert set_stock(staff_token).status_code == 200
    Token.objects.filter(key=staff_token).update(
        created=timezone.now() - timedelta(hours=settings.TOKEN_TTL_HOURS, minutes=1)
    )
    response = set_stock(staff_token)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert "expired" in response.json()["message"]
    assert response["WWW-Authenticate"] == "Token"
    assert not Token.objects.filter(key=staff_token).exists()


def test_a_manager_revokes_a_token_in_the_admin(staff_token, manager_client):
    manager = manager_client
    assert manager.get("/admin/authtoken/tokenproxy/").status_code == 200  # listed for managers
    owner = Token.objects.get(key=staff_token).user_id  # the token admin addresses them by user
    response = manager.post(f"/admin/authtoken/tokenproxy/{owner}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Token.objects.exists()
    assert set_stock(staff_token).status_code == 401
