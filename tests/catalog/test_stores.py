"""A chain of stores: one catalogue, each store with its own price, stock and listing. A request
names its store by X-Store, ?store= or the entrance's cookie; naming none is the home store, so a
shop with one store answers as it always did."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db.models import Sum

from catalog.models import Product, StockMovement, Store, StoreProduct, get_home_store
from catalog.selectors import product_key
from catalog.services import set_stock
from grocery import local_cache
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def open_store(code: str, **fields) -> Store:
    return Store.objects.create(code=code, name=f"Store {code}", **fields)


def list_in(store: Store, product: Product, *, stock, price=None, listed=True) -> StoreProduct:
    """List a product in a store with its own figures, through the stock service."""
    StoreProduct.objects.create(store=store, product=product, price=price, is_listed=listed)
    set_stock(product=product, stock=Decimal(stock), store=store, note="opening")
    return StoreProduct.objects.get(store=store, product=product)


@pytest.fixture
def chain():
    """The home store sells the apple at the catalogue's 1.99 (120 left); the city store at its
    own 2.49 (7 left); the banana only at home."""
    apple = make_product(
        product_id="12345", name="Organic Apple", price=Decimal("1.99"), stock=Decimal(120)
    )
    banana = make_product(product_id="23456", name="Banana", stock=Decimal(50))
    city = open_store("city", address="1 Main St", opening_hours="Mon-Sat 8-20")
    list_in(city, apple, stock=7, price=Decimal("2.49"))
    return {"home": get_home_store(), "city": city, "apple": apple, "banana": banana}


def test_the_home_store_answers_as_before_without_a_store_named(chain, api_client):
    body = api_client.get("/api/products/12345").json()
    assert (body["price"], body["stock"]) == (1.99, 120)
    named = api_client.get("/api/products/12345", HTTP_X_STORE=chain["home"].code).json()
    assert named == body


def test_each_store_answers_with_its_own_price_and_stock(chain, api_client):
    by_header = api_client.get("/api/products/12345", HTTP_X_STORE="city").json()
    by_query = api_client.get("/api/products/12345?store=city").json()
    assert (by_header["price"], by_header["stock"]) == (2.49, 7) == (by_query["price"], 7)
    assert by_header["stock_state"] == "low"  # 7 under the catalogue's reorder level of 10
    assert api_client.get("/api/scan/12345", HTTP_X_STORE="city").json()["product"]["price"] == 2.49


def test_a_store_without_an_override_sells_at_the_catalogue_price(chain, api_client):
    StoreProduct.objects.filter(store=chain["city"]).update(price=None)
    assert api_client.get("/api/products/12345?store=city").json()["price"] == 1.99


def test_a_product_the_store_does_not_list_is_not_found_there(chain, api_client):
    answer = api_client.get("/api/products/23456", HTTP_X_STORE="city")
    assert answer.status_code == 404 and answer.json()["code"] == "product_not_found"
    StoreProduct.objects.filter(store=chain["city"], product=chain["apple"]).update(is_listed=False)
    cache.clear()
    assert api_client.get("/api/products/12345?store=city").status_code == 404
    assert api_client.get("/api/products/12345").status_code == 200  # still sold at home


@pytest.mark.parametrize("code", ["nowhere", "closed"])
def test_an_unknown_or_closed_store_is_a_404_naming_it(chain, api_client, code):
    open_store("closed", is_active=False)
    answer = api_client.get("/api/products/12345", HTTP_X_STORE=code)
    assert answer.status_code == 404
    assert answer.json()["code"] == "unknown_store"
    assert answer.json()["detail"] == {"store": code}


def test_the_entrance_qr_remembers_the_store_for_later_scans(chain, client):
    entrance = client.get("/s/city")
    assert entrance.status_code == 302 and entrance["Location"] == "/"
    assert entrance.cookies["store"].value == "city"
    assert client.get("/api/products/12345").json()["price"] == 2.49  # the cookie names it
    unknown = client.get("/s/nowhere")
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_store"


def test_stock_is_counted_per_store_and_the_chain_total_follows(chain, staff_user, staff_client):
    chain["city"].staff.add(staff_user)  # with two stores open, staff count where they work
    answer = staff_client.put(
        "/api/inventory/12345",
        {"product_id": "12345", "stock": 30},
        format="json",
        HTTP_X_STORE="city",
    )
    assert answer.json() == {"product_id": "12345", "status": "updated", "new_stock": 30}
    rows = dict(
        StoreProduct.objects.filter(product=chain["apple"]).values_list("store__code", "stock")
    )
    assert rows == {chain["home"].code: 120, "city": 30}
    chain["apple"].refresh_from_db()
    assert chain["apple"].stock == 150  # Product.stock mirrors the chain's total
    count = StockMovement.objects.filter(reason="count").latest("id")
    assert (count.store.code, count.delta) == ("city", 23)
    assert StoreProduct.objects.aggregate(total=Sum("stock"))["total"] == 150 + 50


def stored(key: str) -> bytes | None:
    """What Redis holds under a key, as stored (the local cache writes raw markers)."""
    return cache.client.get_client().get(cache.make_key(key))


@pytest.mark.redis
def test_changing_one_stores_stock_forgets_only_that_stores_entry(
    chain, api_client, django_capture_on_commit_callbacks
):
    epoch = local_cache.current()._epoch if local_cache.enabled() else ""
    home_key = product_key("12345", epoch, store=chain["home"].code)
    city_key = product_key("12345", epoch, store="city")
    api_client.get("/api/products/12345")
    api_client.get("/api/products/12345", HTTP_X_STORE="city")
    home_body, city_body = stored(home_key), stored(city_key)
    assert home_body and city_body

    with django_capture_on_commit_callbacks(execute=True):
        set_stock(product=chain["apple"], stock=Decimal(3), store=chain["city"])

    assert stored(city_key) not in (None, city_body)  # the forgotten-marker
    assert stored(home_key) == home_body  # the home store's entry is kept
    assert api_client.get("/api/products/12345?store=city").json()["stock"] == 3
    assert api_client.get("/api/products/12345").json()["stock"] == 120


@pytest.mark.redis
def test_changing_the_catalogue_forgets_the_product_in_every_store(
    chain, api_client, django_capture_on_commit_callbacks
):
    from catalog.services import save_product

    api_client.get("/api/products/12345")
    api_client.get("/api/products/12345", HTTP_X_STORE="city")
    apple = Product.objects.get(pk=chain["apple"].pk)
    apple.name = "Crisp Apple"
    with django_capture_on_commit_callbacks(execute=True):
        save_product(product=apple)
    assert api_client.get("/api/products/12345").json()["name"] == "Crisp Apple"
    assert api_client.get("/api/products/12345?store=city").json()["name"] == "Crisp Apple"


@pytest.mark.redis
def test_closing_a_store_forgets_its_cached_products(
    chain, chain_manager_client, api_client, django_capture_on_commit_callbacks
):
    assert api_client.get("/api/products/12345?store=city").status_code == 200  # cached now
    city = chain["city"]
    with django_capture_on_commit_callbacks(execute=True):
        answer = chain_manager_client.post(
            f"/admin/catalog/store/{city.pk}/change/",
            {"name": city.name, "address": city.address, "opening_hours": "", "is_active": ""},
        )
    assert answer.status_code == 302
    closed = api_client.get("/api/products/12345?store=city")
    assert closed.status_code == 404 and closed.json()["code"] == "unknown_store"
    assert api_client.get("/api/products/12345").status_code == 200
