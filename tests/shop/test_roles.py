"""The two roles from the data migration, checked through the admin pages themselves."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from catalog.models import Product, StockMovement
from shop.roles import STAFF, STORE_MANAGER
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def test_migration_creates_both_groups_with_their_permissions():
    staff = set(Group.objects.get(name=STAFF).permissions.values_list("codename", flat=True))
    assert {"view_product", "adjust_stock", "print_labels"} <= staff
    assert not staff & {"change_product", "add_product", "delete_product", "import_catalog"}
    manager = set(
        Group.objects.get(name=STORE_MANAGER).permissions.values_list("codename", flat=True)
    )
    assert {
        "add_product",
        "change_product",
        "delete_product",
        "adjust_stock",
        "print_labels",
        "import_catalog",
        "change_category",
        "view_user",
    } <= manager


def test_staff_can_view_adjust_and_print_but_not_edit(shop_staff_client, shop_staff):
    product = make_product(name="Rye Bread", stock=Decimal(12))
    assert shop_staff_client.get("/admin/catalog/product/").status_code == 200
    page = shop_staff_client.get(f"/admin/catalog/product/{product.pk}/change/")
    assert page.status_code == 200
    assert b'name="name"' not in page.content  # read-only view, no product fields to edit
    assert b"Adjust stock" in page.content

    edit = shop_staff_client.post(
        f"/admin/catalog/product/{product.pk}/change/", {"name": "Cheap bread", "price": "0.01"}
    )
    assert edit.status_code == 403
    assert shop_staff_client.get("/admin/catalog/product/add/").status_code == 403
    assert shop_staff_client.get("/admin/catalog/product/import/").status_code == 403
    assert shop_staff_client.get("/admin/catalog/category/add/").status_code == 403
    assert shop_staff_client.get("/admin/auth/user/").status_code == 403

    adjusted = shop_staff_client.post(
        f"/admin/catalog/product/{product.pk}/stock/",
        {"stock": "9", "reason": "count", "note": "shelf count"},
    )
    assert adjusted.status_code == 302
    product.refresh_from_db()
    assert product.stock == 9 and product.name == "Rye Bread"
    movement = StockMovement.objects.get(product=product)
    assert (movement.delta, movement.user, movement.note) == (-3, shop_staff, "shelf count")
    page = shop_staff_client.get(f"/admin/catalog/product/{product.pk}/stock/").content.decode()
    assert "Now in stock: <strong>9</strong>" in page and 'value="Save stock"' in page
    assert "› Adjust stock" in page and "<td>shelf count</td>" in page  # breadcrumbs, history

    labels = shop_staff_client.post(
        "/admin/catalog/product/",
        {"action": "print_shelf_labels", "_selected_action": [product.pk]},
    )
    assert labels.status_code == 200 and labels["Content-Type"] == "application/pdf"


def test_staff_without_group_sees_nothing(db):
    from django.test import Client

    nobody = get_user_model().objects.create_user("nobody", password="x-pw-123456", is_staff=True)
    client = Client()
    client.force_login(nobody)
    product = make_product()
    assert client.get("/admin/catalog/product/").status_code == 403
    assert (
        client.post(
            f"/admin/catalog/product/{product.pk}/stock/", {"stock": "1", "reason": "count"}
        ).status_code
        == 403
    )
    assert Product.objects.get(pk=product.pk).stock == 100


def test_manager_edits_products_and_stock_through_the_audited_service(manager_client, manager):
    product = make_product(name="Butter", stock=Decimal(5), price=Decimal("2.49"))
    response = manager_client.post(
        f"/admin/catalog/product/{product.pk}/change/",
        {
            "product_id": product.product_id,
            "name": "Butter 250 g",
            "category": product.category_id,
            "description": "",
            "is_active": "on",
            "price": "2.79",
            "unit": "each",
            "new_stock": "24",
            "stock_reason": "delivery",
            "stock_note": "Tuesday delivery",
            "reorder_level": "6",
            "gtin": "4006381333931",
            "movements-TOTAL_FORMS": "0",
            "movements-INITIAL_FORMS": "0",
            "codes-TOTAL_FORMS": "0",
            "codes-INITIAL_FORMS": "0",
            "translations-TOTAL_FORMS": "0",
            "translations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    product.refresh_from_db()
    assert (product.name, product.price, product.stock, product.gtin) == (
        "Butter 250 g",
        Decimal("2.79"),
        Decimal(24),
        "04006381333931",
    )
    movement = StockMovement.objects.get(product=product)
    assert (movement.delta, movement.reason, movement.user) == (19, "delivery", manager)


def test_manager_cannot_touch_superusers(manager_client):
    boss = get_user_model().objects.create_superuser("boss", "boss@shop.example", "pw-boss-123")
    assert manager_client.get(f"/admin/auth/user/{boss.pk}/password/").status_code == 403
    assert manager_client.get("/admin/auth/user/").status_code == 200
