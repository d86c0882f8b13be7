"""Migrating a single-shop database into a chain keeps every product, price, stock level, stock
history, transaction and receipt: the shop becomes the home store (code STORE_ID)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from catalog.models import (
    Product,
    StockAlert,
    StockCountRequest,
    StockMovement,
    Store,
    StoreProduct,
)
from checkout.models import Order
from checkout.selectors import get_order_for_receipt, receipt_payload

pytestmark = pytest.mark.django_db(transaction=True)


def before_stores(executor) -> list[tuple[str, str]]:
    """The last migrations of catalog and checkout before the chain12 ones (found by name,
    whatever number they carry once branches are merged)."""
    ours = [
        key
        for key in executor.loader.disk_migrations
        if key[0] in ("catalog", "checkout") and "_chain12_" in key[1]
    ]
    return [
        parent.key
        for key in ours
        for parent in executor.loader.graph.node_map[key].parents
        if parent.key[0] == key[0] and "_chain12_" not in parent.key[1]
    ]


def test_the_single_shop_becomes_the_home_store_and_keeps_everything(settings):
    settings.STORE_ID = "7"
    try:
        executor = MigrationExecutor(connection)
        before = before_stores(executor)
        assert {app for app, _ in before} == {"catalog", "checkout"}
        executor.migrate(before)
        old = executor.loader.project_state(before).apps
        category = old.get_model("catalog", "Category").objects.create(name="Fruit", slug="fruit")
        OldProduct = old.get_model("catalog", "Product")
        apple = OldProduct.objects.create(
            product_id="12345",
            name="Organic Apple",
            price=Decimal("1.99"),
            stock=Decimal(118),
            reorder_level=Decimal(10),
            category=category,
        )
        cheese = OldProduct.objects.create(
            product_id="777",
            name="Cheese",
            price=Decimal("12.90"),
            unit="kg",
            stock=Decimal("-0.250"),  # sold beyond the records under STOCK_POLICY=record
            category=category,
        )
        old.get_model("catalog", "StockMovement").objects.create(
            product=apple, delta=-2, resulting_stock=118, reason="sale", reference="tx1"
        )
        old.get_model("catalog", "StockCountRequest").objects.create(
            product=cheese, stock_before=Decimal("0.250"), sold=Decimal("0.5"), reference="tx1"
        )
        old.get_model("catalog", "StockAlert").objects.create(
            product=cheese,
            day="2026-12-01",
            stock=Decimal("-0.250"),
            batch="00000000-0000-0000-0000-000000000001",
        )
        order = old.get_model("checkout", "Order").objects.create(
            transaction_id="tx1",
            status="succeeded",
            currency="EUR",
            subtotal=Decimal("3.98"),
            discount_total=0,
            total=Decimal("3.98"),
            gateway="simulated",
            payment_method="credit_card",
        )
        old.get_model("checkout", "OrderLine").objects.create(
            transaction=order,
            product=apple,
            product_code="12345",
            name="Organic Apple",
            unit="each",
            quantity=2,
            unit_price=Decimal("1.99"),
            discount=0,
            line_total=Decimal("3.98"),
        )

        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

        home = Store.objects.get()
        assert (home.code, home.is_active) == ("7", True)
        rows = {
            row.product.product_id: (row.stock, row.price, row.reorder_level, row.is_listed)
            for row in StoreProduct.objects.select_related("product")
        }
        # Stock moved as it was; price and reorder level stay the catalogue's (no override).
        assert rows == {
            "12345": (Decimal(118), None, None, True),
            "777": (Decimal("-0.250"), None, None, True),
        }
        assert dict(Product.objects.values_list("product_id", "price")) == {
            "12345": Decimal("1.99"),
            "777": Decimal("12.90"),
        }
        assert dict(Product.objects.values_list("product_id", "stock")) == {
            "12345": Decimal(118),
            "777": Decimal("-0.250"),
        }
        for model in (StockMovement, StockCountRequest, StockAlert):
            assert list(model.objects.values_list("store", flat=True)) == [home.pk]
        migrated = Order.objects.get(transaction_id="tx1")
        assert migrated.store == home
        receipt = receipt_payload(get_order_for_receipt(migrated.pk))
        assert receipt["total"] == 3.98
        assert receipt["items"] == [{"name": "Organic Apple", "quantity": 2, "price": 1.99}]
        assert receipt["store"]["code"] == "7"
        assert receipt["exit_code"].startswith("7.tx1:")
    finally:  # a failure above must not leave the test database on the old schema
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
