"""The 200-buyer race of test_races, in a chain: a checkout takes stock from its own store only,
however many buyers race in it and in another store at the same time (real PostgreSQL)."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from catalog.models import Product, StockMovement, Store, StoreProduct, get_home_store
from catalog.services import set_stock
from tests.checkout.test_races import two_hundred_buyers_of_scarce_and_plenty
from tests.factories import make_product
from tests.fixtures.checkout import spec_body

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_stores():
    """scarce and plenty: 50 and 1000 at home, 20 and 300 in the city store."""
    scarce = make_product(product_id="scarce", price=Decimal("2.50"), stock=Decimal(50))
    plenty = make_product(product_id="plenty", price=Decimal("1.00"), stock=Decimal(1000))
    city = Store.objects.create(code="city", name="City Store")
    for product, stock in ((scarce, 20), (plenty, 300)):
        StoreProduct.objects.create(store=city, product=product)
        set_stock(product=product, stock=Decimal(stock), store=city)
    return city


def stock_in(store) -> dict[str, Decimal]:
    return dict(
        StoreProduct.objects.filter(store=store).values_list("product__product_id", "stock")
    )


def chain_total() -> dict[str, Decimal]:
    return dict(Product.objects.values_list("product_id", "stock"))


def city_buyers(count: int) -> Counter:
    def buy(_):
        try:
            client = APIClient()
            client.credentials(HTTP_X_STORE="city")
            cart = [
                {"product_id": "scarce", "quantity": 1},
                {"product_id": "plenty", "quantity": 1},
            ]
            response = client.post(
                "/api/checkout", spec_body(cart=cart, total_amount=3.50), format="json"
            )
            return response.status_code, response.json().get("status")
        finally:
            connection.close()

    with ThreadPoolExecutor(10) as pool:
        return Counter(pool.map(buy, range(count)))


def test_200_buyers_in_one_store_change_no_stock_of_another(settings, two_stores):
    settings.STOCK_POLICY = "reserve"
    outcomes = two_hundred_buyers_of_scarce_and_plenty()  # naming no store: the home store
    assert outcomes == {(201, "success"): 50, (409, "out_of_stock"): 150}
    assert stock_in(get_home_store()) == {"scarce": 0, "plenty": 950}
    assert stock_in(two_stores) == {"scarce": 20, "plenty": 300}
    assert not StockMovement.objects.filter(store=two_stores, reason="sale").exists()
    assert chain_total() == {"scarce": 20, "plenty": 1250}


def test_buyers_racing_in_two_stores_lose_no_decrement_in_either(settings, two_stores):
    """record: every sale goes through. Both stores' rows and the chain's total (which every
    sale in either store moves) end exactly where the sales say, with no deadlock."""
    settings.STOCK_POLICY = "record"
    with ThreadPoolExecutor(1) as side:
        in_city = side.submit(city_buyers, 60)
        at_home = two_hundred_buyers_of_scarce_and_plenty()
        city_outcomes = in_city.result(timeout=300)
    assert at_home == {(201, "success"): 200}
    assert city_outcomes == {(201, "success"): 60}
    assert stock_in(get_home_store()) == {"scarce": 50 - 200, "plenty": 1000 - 200}
    assert stock_in(two_stores) == {"scarce": 20 - 60, "plenty": 300 - 60}
    assert chain_total() == {"scarce": 70 - 260, "plenty": 1300 - 260}
