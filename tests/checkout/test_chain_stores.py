"""Checkout in a chain: a cart belongs to the store it was started in; the checkout prices and
takes stock there only; the order, its receipt and its exit code name the store, and another
store's door refuses the code. A request naming no store is in the home store, as always."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from catalog.models import StockMovement, Store, StoreProduct, get_home_store
from catalog.services import set_stock
from checkout.models import Cart, Order
from tests.factories import make_product
from tests.fixtures.checkout import snapshot, spec_body

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_random_audits")]


@pytest.fixture
def city(shop):
    """The city store sells the apple at its own 2.49 (7 left) and no bananas."""
    store = Store.objects.create(code="city", name="City Store", address="1 Main St")
    StoreProduct.objects.create(store=store, product=shop["apple"], price=Decimal("2.49"))
    set_stock(product=shop["apple"], stock=Decimal(7), store=store)
    return store


def store_stock(store, product_id: str) -> Decimal:
    return StoreProduct.objects.get(store=store, product__product_id=product_id).stock


def in_city() -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_STORE="city")
    return client


def add(client, product_id: str, quantity=1):
    return client.post(
        "/api/cart/lines", {"product_id": product_id, "quantity": quantity}, format="json"
    )


def test_a_cart_belongs_to_the_store_it_was_started_in(city):
    customer = in_city()
    assert add(customer, "12345", 2).status_code == 200
    cart = Cart.objects.get()
    assert cart.store == city
    body = customer.get("/api/cart").json()
    assert body["lines"][0]["unit_price"] == 2.49 and body["total"] == 4.98
    assert body["lines"][0]["stock"] == 7

    # The same device naming another store is refused, and nothing changes.
    customer.credentials(HTTP_X_STORE=get_home_store().code, HTTP_X_CART_TOKEN=cart.token)
    for answer in (customer.get("/api/cart"), add(customer, "12345")):
        assert answer.status_code == 409
        assert answer.json()["code"] == "cart_in_other_store"
        assert answer.json()["detail"] == {"cart_store": "city", "store": get_home_store().code}
    assert cart.lines.get().quantity == 2


def test_a_product_the_carts_store_does_not_list_is_refused_with_a_409(city):
    customer = in_city()
    answer = add(customer, "23456")
    assert answer.status_code == 409
    assert answer.json()["code"] == "not_listed_in_store"
    assert answer.json()["detail"]["product_ids"] == ["23456"]
    assert not Cart.objects.filter(lines__isnull=False).exists()


def test_an_unknown_store_is_a_404_and_creates_no_cart(shop):
    customer = APIClient()
    customer.credentials(HTTP_X_STORE="nowhere")
    for answer in (add(customer, "12345"), customer.get("/api/cart")):
        assert answer.status_code == 404 and answer.json()["code"] == "unknown_store"
    assert not Cart.objects.exists()


def test_checkout_in_a_store_takes_its_stock_only_and_names_it_everywhere(
    city, shop, staff_user, staff_client
):
    for store in (get_home_store(), city):  # the clerk works at both doors
        store.staff.add(staff_user)
    customer = in_city()
    add(customer, "12345", 2)
    answer = customer.post(
        "/api/checkout",
        spec_body(cart=[{"product_id": "12345", "quantity": 2}], total_amount=4.98),
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["receipt"]["items"] == [{"name": "Organic Apple", "quantity": 2, "price": 2.49}]
    assert body["receipt"]["store"] == {
        "code": "city",
        "name": "City Store",
        "address": "1 Main St",
    }
    order = Order.objects.get(transaction_id=body["transaction_id"])
    assert order.store == city
    assert store_stock(city, "12345") == 5
    assert store_stock(get_home_store(), "12345") == 120  # the home store's shelf is untouched
    shop["apple"].refresh_from_db()
    assert shop["apple"].stock == 125  # the chain's total
    sale = StockMovement.objects.get(reason="sale")
    assert (sale.store, sale.delta, sale.resulting_stock) == (city, -2, 5)

    # The exit code names the city store: the home store's door refuses it, the city's lets go.
    code = body["receipt"]["exit_code"]
    home_door = staff_client.post("/api/exit/verify", {"code": code}, format="json").json()
    assert home_door["decision"] == "stop" and "Another store" in home_door["reason"]
    city_door = staff_client.post(
        "/api/exit/verify", {"code": code}, format="json", HTTP_X_STORE="city"
    ).json()
    assert city_door["decision"] == "go"


def test_checking_out_a_product_the_store_does_not_list_changes_nothing(city, shop):
    before = snapshot()
    answer = in_city().post("/api/checkout", spec_body(total_amount=5.97), format="json")
    assert answer.status_code == 409
    assert answer.json()["code"] == "not_listed_in_store"
    assert answer.json()["detail"]["product_ids"] == ["23456"]
    assert snapshot() == before


def test_the_home_store_checks_out_as_before(api_client, shop, city):
    body = api_client.post("/api/checkout", spec_body(), format="json").json()
    assert body["status"] == "success" and body["receipt"]["total"] == 4.97
    assert body["receipt"]["store"]["code"] == get_home_store().code
    assert store_stock(get_home_store(), "12345") == 118
    assert store_stock(city, "12345") == 7


def test_a_quote_names_every_product_its_store_does_not_sell(city, shop):
    make_product(product_id="34567", name="Cherry", price=Decimal("3.00"))
    cart = [{"product_id": pid, "quantity": 1} for pid in ("34567", "12345", "23456")]
    answer = in_city().post("/api/checkout/quote", {"cart": cart}, format="json")
    assert answer.status_code == 409
    body = answer.json()
    assert body["message"] == "Not sold in this store: 23456, 34567."
    assert body["detail"] == {"store": "city", "product_ids": ["23456", "34567"]}
