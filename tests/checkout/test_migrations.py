"""Data migrations of the checkout keep what is there: Idempotency-Keys scoped to their caller, and
every order row and permission grant through the rename of Transaction to Order."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from checkout.models import ExitVerification, Order, OrderEvent, Refund

pytestmark = pytest.mark.django_db(transaction=True)


def migration_named(executor, suffix: str) -> tuple[str, str]:
    # Found by name, whatever number it carries once branches are merged.
    return next(
        key
        for key in executor.loader.disk_migrations
        if key[0] == "checkout" and key[1].endswith(suffix)
    )


def test_existing_keys_are_scoped_to_their_customer_or_cart(django_user_model):
    executor = MigrationExecutor(connection)
    target = migration_named(executor, "_idempotency_key_per_caller")
    before = executor.loader.graph.node_map[target].parents
    before = [parent.key for parent in before if parent.key[0] == "checkout"]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Transaction = old.get_model("checkout", "Transaction")
    user = django_user_model.objects.create(username="shopper")
    common = {"currency": "EUR", "subtotal": 1, "discount_total": 0, "total": 1, "gateway": "x"}
    Transaction.objects.create(
        transaction_id="tx1", idempotency_key="k1", user_id=user.pk, **common
    )
    Transaction.objects.create(transaction_id="tx2", idempotency_key="k2", cart_token="c", **common)
    Transaction.objects.create(transaction_id="tx3", cart_token="c", **common)

    executor = MigrationExecutor(connection)
    executor.migrate([target])
    Transaction = executor.loader.project_state([target]).apps.get_model("checkout", "Transaction")
    scopes = dict(Transaction.objects.values_list("transaction_id", "idempotency_scope"))
    assert scopes == {"tx1": f"user:{user.pk}", "tx2": "cart:c", "tx3": ""}

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to today's schema


def test_renaming_transaction_to_order_keeps_rows_and_grants(django_user_model):
    try:
        executor = MigrationExecutor(connection)
        target = migration_named(executor, "_rename_transaction_to_order")
        before = [
            p.key for p in executor.loader.graph.node_map[target].parents if p.key[0] == "checkout"
        ]
        executor.migrate(before)
        old = executor.loader.project_state(before).apps
        OldPermission = old.get_model("auth", "Permission")
        clerk = old.get_model(django_user_model._meta.label).objects.create(username="clerk")
        clerk.user_permissions.add(
            OldPermission.objects.get(
                content_type__app_label="checkout", codename="view_transaction"
            ),
            OldPermission.objects.get(
                content_type__app_label="checkout", codename="refund_transaction"
            ),
        )
        manager_grants = set(
            old.get_model("auth", "Group")
            .objects.get(name="Store manager")
            .permissions.filter(content_type__app_label="checkout")
            .values_list("codename", flat=True)
        )
        assert {
            "view_transaction",
            "view_transactionline",
            "change_transactionevent",
        } <= manager_grants
        common = {"currency": "EUR", "subtotal": 5, "discount_total": 0, "total": 5, "gateway": "x"}
        sale = old.get_model("checkout", "Transaction").objects.create(
            transaction_id="tx1", **common
        )
        old.get_model("checkout", "TransactionEvent").objects.create(
            transaction=sale, to_status="pending", reason="checkout started"
        )
        old.get_model("checkout", "Refund").objects.create(transaction=sale, amount=2)
        old.get_model("checkout", "ExitVerification").objects.create(transaction=sale)

        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

        order = Order.objects.get(transaction_id="tx1")
        assert order.pk == sale.pk and order.total == 5
        assert OrderEvent.objects.get().transaction_id == order.pk
        assert Refund.objects.get().transaction_id == order.pk
        assert ExitVerification.objects.get().transaction_id == order.pk
        clerk = django_user_model.objects.get(username="clerk")
        assert clerk.has_perm("checkout.view_order") and clerk.has_perm("checkout.refund_order")
        assert not clerk.has_perm("checkout.change_order")
        renamed = {codename.replace("transaction", "order") for codename in manager_grants}
        manager = Group.objects.get(name="Store manager")
        assert renamed <= set(manager.permissions.values_list("codename", flat=True))
        checkout_perms = Permission.objects.filter(content_type__app_label="checkout")
        assert not checkout_perms.filter(codename__contains="transaction").exists()
        assert checkout_perms.get(codename="view_orderline").name == "Can view order line"
        assert checkout_perms.get(codename="refund_order").name == "Can refund orders"
    finally:  # a failure above must not leave the test database on the old schema
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_existing_orders_get_their_vat_per_rate():
    try:
        executor = MigrationExecutor(connection)
        target = migration_named(executor, "_retail13_taxes_vouchers_returns")
        before = [p.key for p in executor.loader.graph.node_map[target].parents]
        executor.migrate(before)
        old = executor.loader.project_state(before).apps
        OldOrder = old.get_model("checkout", "Order")
        common = {"currency": "EUR", "subtotal": 5, "discount_total": 0, "gateway": "x"}
        taxed = OldOrder.objects.create(
            transaction_id="tx19", total="5.95", tax="0.95", **common
        )  # 19 %: 5.95 × 19 / 119 = 0.95
        untaxed = OldOrder.objects.create(transaction_id="tx0", total="2.00", tax="0", **common)
        product = old.get_model("catalog", "Product").objects.create(
            product_id="old",
            name="Old",
            price=1,
            category=old.get_model("catalog", "Category").objects.create(name="C", slug="c"),
        )
        old.get_model("checkout", "OrderLine").objects.create(
            transaction=taxed,
            product=product,
            product_code="old",
            name="Old",
            unit="each",
            quantity=1,
            unit_price="5.95",
            discount=0,
            line_total="5.95",
        )
        executor = MigrationExecutor(connection)
        executor.migrate([target])
        new = executor.loader.project_state([target]).apps
        OrderTax = new.get_model("checkout", "OrderTax")
        assert list(
            OrderTax.objects.filter(transaction_id=taxed.pk).values_list(
                "rate", "net", "tax", "gross"
            )
        ) == [(Decimal("19.00"), Decimal("5.00"), Decimal("0.95"), Decimal("5.95"))]
        assert OrderTax.objects.get(transaction_id=untaxed.pk).rate == 0
        line = new.get_model("checkout", "OrderLine").objects.get(transaction_id=taxed.pk)
        assert line.tax_rate == 19 and line.paid == Decimal("5.95")
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
