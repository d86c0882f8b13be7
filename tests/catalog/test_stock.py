"""Under STOCK_POLICY=reserve stock never goes below zero and concurrent takes cannot oversell;
under record (tests/catalog/test_stock_policy.py) it may, and asks for a count."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from catalog.errors import OutOfStock, ProductNotFound
from catalog.models import Product, StockMovement, Unit
from catalog.services import StockLine, return_stock, set_stock, take_stock
from tests.factories import make_product


@pytest.fixture
def reserve(settings):
    settings.STOCK_POLICY = "reserve"


@pytest.mark.django_db
def test_take_stock_is_all_or_nothing_and_names_the_short_lines(reserve):
    plenty, scarce = make_product(stock=Decimal(10)), make_product(stock=Decimal(1))
    with pytest.raises(OutOfStock) as caught:
        take_stock(
            [StockLine(plenty.pk, Decimal(2)), StockLine(scarce.pk, Decimal(2))], reference="T-1"
        )
    assert caught.value.detail["lines"] == [
        {"product_id": scarce.product_id, "requested": Decimal(2), "available": Decimal(1)}
    ]
    assert [p.stock for p in Product.objects.order_by("pk")] == [Decimal(10), Decimal(1)]
    assert not StockMovement.objects.exists()


@pytest.mark.django_db
def test_take_and_return_are_audited_with_the_resulting_stock():
    product = make_product(stock=Decimal(10))
    take_stock([StockLine(product.pk, Decimal(3)), StockLine(product.pk, 1)], reference="T-2")
    return_stock([StockLine(product.pk, Decimal(4))], reference="T-2")
    rows = list(
        StockMovement.objects.order_by("id").values_list("delta", "resulting_stock", "reason")
    )
    assert rows == [(Decimal(-4), Decimal(6), "sale"), (Decimal(4), Decimal(10), "release")]


@pytest.mark.django_db
@pytest.mark.parametrize("quantity", [Decimal(0), Decimal(-1)])
def test_quantities_must_be_positive(quantity):
    product = make_product(stock=Decimal(10))
    with pytest.raises(ValueError, match="positive"):
        take_stock([StockLine(product.pk, quantity)], reference="T-3")
    assert not StockMovement.objects.exists()


@pytest.mark.django_db
def test_an_unknown_product_is_refused():
    with pytest.raises(ProductNotFound):
        take_stock([StockLine(987654321, Decimal(1))], reference="T-4")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_buyers_of_five_units_exactly_five_succeed(reserve):
    product = make_product(stock=Decimal(5))
    start = threading.Barrier(20)
    outcomes: list[str] = []

    def buyer(n: int):
        try:
            start.wait(5)
            with transaction.atomic():
                take_stock([StockLine(product.pk, Decimal(1))], reference=f"T-{n}")
            outcomes.append("sold")
        except OutOfStock:
            outcomes.append("short")
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["short"] * 15 + ["sold"] * 5
    product.refresh_from_db()
    assert product.stock == 0
    movements = StockMovement.objects.filter(product=product)
    assert movements.count() == 5
    assert sorted(m.resulting_stock for m in movements) == [0, 1, 2, 3, 4]


@pytest.mark.django_db
def test_items_sold_each_move_only_in_whole_units_and_weighed_goods_in_any_weight():
    each, cheese = make_product(stock=Decimal(10)), make_product(stock=Decimal(10), unit=Unit.KG)
    with pytest.raises(ValueError):
        take_stock([StockLine(each.pk, Decimal("0.5"))], reference="T-9")
    with pytest.raises(ValueError):
        return_stock([StockLine(each.pk, Decimal("1.5"))], reference="T-9")
    with pytest.raises(ValueError):
        set_stock(product=each, stock=Decimal("2.5"))
    take_stock([StockLine(cheese.pk, Decimal("0.25"))], reference="T-9")
    set_stock(product=each, stock=Decimal(4))
    assert [p.stock for p in Product.objects.order_by("pk")] == [Decimal(4), Decimal("9.75")]
