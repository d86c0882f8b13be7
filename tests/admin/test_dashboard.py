"""The admin index shows the manager dashboard with the shop's figures."""

from decimal import Decimal

import pytest

from tests.factories import make_product

pytestmark = pytest.mark.django_db


def test_dashboard_lists_stock_to_reorder(manager_client, shop_staff_client):
    make_product(product_id="D1", name="Oat Milk", stock=Decimal(0), reorder_level=Decimal(4))
    make_product(product_id="D2", name="Eggs", stock=Decimal(3), reorder_level=Decimal(6))
    make_product(product_id="D3", name="Rice", stock=Decimal(60), reorder_level=Decimal(6))
    for client in (manager_client, shop_staff_client):
        page = client.get("/admin/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "Stock to reorder" in html
        assert "1 out of stock" in html and "1 low" in html
        assert "D1 Oat Milk" in html and "D2 Eggs" in html and "Rice" not in html
