from decimal import Decimal

import pytest

from catalog.models import Product, StockMovement
from checkout.models import Transaction
from tests.factories import make_product


@pytest.fixture
def shop(db):
    """The SPEC's example shop: an apple at 1.99 and a banana at 0.99."""
    return {
        "apple": make_product(
            product_id="12345", name="Organic Apple", price=Decimal("1.99"), stock=Decimal(120)
        ),
        "banana": make_product(
            product_id="23456", name="Banana", price=Decimal("0.99"), stock=Decimal(50)
        ),
    }


def spec_body(**changes) -> dict:
    body = {
        "customer_id": "789",
        "cart": [{"product_id": "12345", "quantity": 2}, {"product_id": "23456", "quantity": 1}],
        "payment_method": "credit_card",
        "total_amount": 4.97,
    }
    body.update(changes)
    return body


def stock_of(product_id: str) -> Decimal:
    return Product.objects.get(product_id=product_id).stock


def snapshot() -> tuple:
    """Everything a refused checkout must leave as it was."""
    return (
        tuple(Product.objects.order_by("pk").values_list("stock", flat=True)),
        StockMovement.objects.count(),
        Transaction.objects.count(),
    )
