"""Staff create and change promotions through the API; the limit answers 409, nothing saved."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.test import APIClient

from promotions.models import Promotion
from tests.factories import make_category, make_product, make_promotion

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client():
    user = get_user_model().objects.create_user("marketing", password="pw-mkt-123", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_promotion", "change_promotion"])
    )
    client = APIClient()
    client.force_authenticate(user)
    return client


def body(**fields) -> dict:
    now = timezone.now()
    data = {
        "name": "Kiwi week",
        "description": "Buy 2 get 1 free on kiwis",
        "kind": "buy_x_get_y",
        "applies_to": "products",
        "products": ["kiwi"],
        "buy_quantity": 2,
        "free_quantity": 1,
        "valid_from": now.isoformat(),
        "valid_until": (now + timedelta(days=7)).isoformat(),
    }
    data.update(fields)
    return data


def test_staff_create_a_promotion_that_then_runs(manager_client, api_client):
    make_product(product_id="kiwi", category=make_category("Fruit"))
    response = manager_client.post("/api/promotions", body(code="kiwi-week"), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["id"] == "kiwi-week"
    assert Promotion.objects.get(code="kiwi-week").products.get().product_id == "kiwi"
    detail = api_client.get("/api/promotions/kiwi-week").json()
    assert detail["status"] == "active"
    assert [p["product_id"] for p in detail["products"]["results"]] == ["kiwi"]


def test_the_sixth_promotion_is_a_409_naming_the_limit(manager_client):
    make_product(product_id="kiwi", category=make_category("Fruit"))
    for n in range(5):
        make_promotion(code=f"p{n}")
    response = manager_client.post("/api/promotions", body(code="kiwi-week"), format="json")
    assert response.status_code == 409
    error = response.json()
    assert error["code"] == "too_many_active_promotions"
    assert "at most 5 promotions at the same moment" in error["message"]
    assert error["detail"]["limit"] == 5
    assert not Promotion.objects.filter(code="kiwi-week").exists()


def test_reactivating_over_the_limit_is_a_409_and_changes_nothing(manager_client):
    for n in range(5):
        make_promotion(code=f"p{n}")
    make_promotion(code="paused", is_active=False)
    response = manager_client.patch("/api/promotions/paused", {"is_active": True}, format="json")
    assert response.status_code == 409
    assert Promotion.objects.get(code="paused").is_active is False
    response = manager_client.patch("/api/promotions/p0", {"is_active": False}, format="json")
    assert response.status_code == 200
    assert (
        manager_client.patch(
            "/api/promotions/paused", {"is_active": True}, format="json"
        ).status_code
        == 200
    )


def test_bad_input_is_a_400_naming_the_problem(manager_client):
    response = manager_client.post("/api/promotions", body(products=["nope"]), format="json")
    assert response.status_code == 400
    assert response.json()["message"] == "products: Unknown products: nope."
    make_product(product_id="kiwi")
    multibuy = body(kind="multibuy", bundle_quantity=3)
    del multibuy["buy_quantity"], multibuy["free_quantity"]
    response = manager_client.post("/api/promotions", multibuy, format="json")
    assert response.status_code == 400
    assert response.json()["message"].startswith("pay_quantity: A multibuy needs either")
    assert response.json()["code"] == "invalid"
    assert Promotion.objects.count() == 0


def test_customers_cannot_write_promotions(api_client, staff_client):
    assert api_client.post("/api/promotions", body(), format="json").status_code in (401, 403)
    assert staff_client.post("/api/promotions", body(), format="json").status_code == 403


def test_a_product_promotion_needs_products(manager_client):
    response = manager_client.post("/api/promotions", body(products=[]), format="json")
    assert response.status_code == 400
    assert response.json()["message"] == "products: Name at least one."


def test_staff_make_a_coupon_whose_code_is_not_published(manager_client, api_client):
    make_product(product_id="kiwi", name="Kiwi")
    given = body(coupon_code="kiwi-3", uses_limit=50, uses_per_customer=1, members_only=True)
    response = manager_client.post("/api/promotions", given, format="json")
    assert response.status_code == 201, response.json()
    promotion = Promotion.objects.get()
    assert (promotion.coupon_code, promotion.uses_limit, promotion.uses_per_customer) == (
        "KIWI-3",
        50,
        1,
    )
    assert promotion.members_only
    detail = api_client.get(f"/api/promotions/{promotion.code}").json()
    assert "KIWI-3" not in str(detail)
    refused = manager_client.post("/api/promotions", body(uses_limit=5), format="json")
    assert refused.status_code == 400 and "coupon_code" in refused.json()["detail"]
