"""Category and product writes in the admin go through catalog.services, so the cached product
payloads (real Redis) never outlive what they show: a renamed category, a deleted product."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from catalog.models import Category, Product
from tests.factories import make_category, make_product

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

GTIN = "04006381333931"


@pytest.fixture
def apple():
    return make_product(product_id="12345", gtin=GTIN, category=make_category("Fruit"))


def test_renaming_a_category_shows_in_the_product_at_once(
    apple, manager_client, api_client, django_capture_on_commit_callbacks
):
    assert api_client.get("/api/products/12345").json()["category"]["name"] == "Fruit"  # cached
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            f"/admin/catalog/category/{apple.category.pk}/change/",
            {"name": "Fresh fruit", "slug": "fresh-fruit", "tax_class": "reduced"},
        )
    assert response.status_code == 302
    category = api_client.get("/api/products/12345").json()["category"]
    assert category == {"slug": "fresh-fruit", "name": "Fresh fruit"}


def test_deleting_a_product_forgets_its_payload_and_gtin_lookup(
    apple, manager_client, api_client, django_capture_on_commit_callbacks
):
    assert api_client.get("/api/products/12345").status_code == 200
    assert api_client.get(f"/api/scan/{GTIN}").status_code == 200
    assert cache.get(f"code:{GTIN}") == "12345"
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            f"/admin/catalog/product/{apple.pk}/delete/", {"post": "yes"}
        )
    assert response.status_code == 302 and not Product.objects.exists()
    assert api_client.get("/api/products/12345").status_code == 404
    assert cache.get(f"code:{GTIN}") is None
    assert api_client.get(f"/api/scan/{GTIN}").status_code == 404


def test_the_bulk_delete_action_forgets_every_deleted_product(
    apple, manager_client, api_client, django_capture_on_commit_callbacks
):
    pear = make_product(product_id="22222", price=Decimal("0.89"))
    kept = make_product(product_id="33333")
    for product_id in ("12345", "22222", "33333"):
        assert api_client.get(f"/api/products/{product_id}").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            "/admin/catalog/product/",
            {"action": "delete_selected", "_selected_action": [apple.pk, pear.pk], "post": "yes"},
        )
    assert response.status_code == 302
    assert list(Product.objects.all()) == [kept]
    assert api_client.get("/api/products/12345").status_code == 404
    assert api_client.get("/api/products/22222").status_code == 404
    assert api_client.get("/api/products/33333").status_code == 200


def test_categories_are_deleted_one_or_in_bulk_but_not_from_under_products(apple, manager_client):
    empty, spare = make_category("Empty"), make_category("Spare")
    response = manager_client.post(f"/admin/catalog/category/{empty.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    response = manager_client.post(
        "/admin/catalog/category/",
        {"action": "delete_selected", "_selected_action": [spare.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert list(Category.objects.all()) == [apple.category]
    # A category with products is protected: the admin explains instead of deleting.
    page = manager_client.post(
        f"/admin/catalog/category/{apple.category.pk}/delete/", {"post": "yes"}
    )
    assert page.status_code == 200 and Category.objects.filter(pk=apple.category.pk).exists()
