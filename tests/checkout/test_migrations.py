"""The migration that scopes Idempotency-Keys to their caller keeps the keys already used."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)


def test_existing_keys_are_scoped_to_their_customer_or_cart(django_user_model):
    executor = MigrationExecutor(connection)
    # Found by name, whatever number it carries once branches are merged.
    target = next(
        key
        for key in executor.loader.disk_migrations
        if key[0] == "checkout" and key[1].endswith("_idempotency_key_per_caller")
    )
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
