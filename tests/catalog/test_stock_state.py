"""One stock-level rule: Product.stock_state, and the ProductQuerySet filters that must agree
with it (the admin's filter and counts, the dashboard and the daily alert use those)."""

from decimal import Decimal

import pytest

from catalog.models import Product
from tests.factories import make_product


@pytest.mark.django_db
def test_the_queryset_filters_agree_with_the_property_at_each_boundary():
    cases = {
        (Decimal("-1"), Decimal(5)): "out_of_stock",
        (Decimal(0), Decimal(5)): "out_of_stock",
        (Decimal(0), Decimal(0)): "out_of_stock",
        (Decimal("0.001"), Decimal(5)): "low",
        (Decimal(5), Decimal(5)): "low",
        (Decimal("5.001"), Decimal(5)): "in_stock",
        (Decimal(1), Decimal(0)): "in_stock",
    }
    products = {
        make_product(stock=stock, reorder_level=level).pk: state
        for (stock, level), state in cases.items()
    }
    by_state = {
        "out_of_stock": Product.objects.out(),
        "low": Product.objects.low(),
        "in_stock": Product.objects.in_stock(),
    }
    for product in Product.objects.filter(pk__in=products):
        assert product.stock_state == products[product.pk]
        assert {s for s, rows in by_state.items() if product in rows} == {product.stock_state}
    reorder = set(Product.objects.needs_reorder().values_list("pk", flat=True))
    assert reorder == {pk for pk, state in products.items() if state != "in_stock"}
