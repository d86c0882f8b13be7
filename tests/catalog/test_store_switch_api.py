"""The PWA's store banner and switch through the API: the open stores, the store a request is in,
and changing store, which remembers it on the device (the store cookie) and starts the cart
there. A cart never moves: one holding something in another store is only dropped when the
customer agrees (empty_cart); until then the answer is a 409 saying what would be lost."""

from decimal import Decimal

import pytest
from django.test import Client

from catalog.models import Store
from checkout.models import Cart
from tests.catalog.test_stores import list_in, open_store
from tests.factories import make_product

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def chain():
    """The apple costs 1.99 at home and 2.49 in the city store; the old store is closed."""
    apple = make_product(
        product_id="12345", name="Organic Apple", price=Decimal("1.99"), stock=Decimal(120)
    )
    city = open_store("city", address="1 Main St", opening_hours="Mon-Sat 8-20")
    list_in(city, apple, stock=7, price=Decimal("2.49"))
    open_store("old", is_active=False)
    return {"apple": apple, "city": city}


def add_apple(client: Client):
    return client.post(
        "/api/cart/lines", {"product_id": "12345", "quantity": 2}, content_type="application/json"
    )


def change_store(client: Client, code: str, **more):
    return client.put("/api/cart/store", {"store": code, **more}, content_type="application/json")


def test_the_store_list_names_the_open_stores_and_may_be_cached_briefly(chain, client):
    answer = client.get("/api/stores")
    assert answer.status_code == 200
    stores = answer.json()["stores"]
    assert "city" in {s["code"] for s in stores} and "old" not in {s["code"] for s in stores}
    assert [s["name"] for s in stores] == sorted(s["name"] for s in stores)
    city = next(s for s in stores if s["code"] == "city")
    assert city == {
        "code": "city",
        "name": "Store city",
        "address": "1 Main St",
        "opening_hours": "Mon-Sat 8-20",
    }
    assert answer["Cache-Control"] == "public, max-age=60"


def test_the_current_store_follows_the_cookie_the_header_and_the_query(chain, client):
    home = client.get("/api/stores/current")
    assert home.status_code == 200 and home.json()["code"] != "city"
    assert "private" in home["Cache-Control"] and "no-cache" in home["Cache-Control"]
    assert client.get("/api/stores/current?store=city").json()["code"] == "city"
    assert client.get("/api/stores/current", HTTP_X_STORE="city").json()["name"] == "Store city"
    client.get("/s/city")
    assert client.get("/api/stores/current").json()["code"] == "city"


def test_a_closed_or_unknown_current_store_is_a_404(chain, client):
    for code in ("old", "nowhere"):
        answer = client.get(f"/api/stores/current?store={code}")
        assert answer.status_code == 404
        assert answer.json()["code"] == "unknown_store"


def test_changing_store_without_a_cart_remembers_it_and_the_first_write_starts_there(chain, client):
    answer = change_store(client, "city")
    assert answer.status_code == 200
    assert answer.cookies["store"].value == "city"
    assert answer.json()["lines"] == [] and not Cart.objects.exists()
    assert add_apple(client).json()["total"] == 4.98  # the city's price
    assert Cart.objects.get().store == chain["city"]


def test_a_cart_holding_something_in_another_store_is_a_409_that_changes_nothing(chain, client):
    add_apple(client)
    cart = Cart.objects.get()
    answer = change_store(client, "city")
    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "cart_in_other_store"
    assert body["message"] == (
        f"Your cart holds 2 items from {cart.store.name}. Empty it to shop in Store city."
    )
    assert body["detail"] == {"cart_store": cart.store.code, "store": "city", "items": 2}
    assert "store" not in answer.cookies
    assert Cart.objects.get().lines.get().quantity == 2
    assert client.get("/api/stores/current").json()["code"] == cart.store.code


def test_with_the_customers_consent_the_old_cart_is_dropped_and_a_new_one_starts(chain, client):
    add_apple(client)
    answer = change_store(client, "city", empty_cart=True)
    assert answer.status_code == 200
    assert answer.json()["lines"] == [] and answer.cookies["store"].value == "city"
    assert not Cart.objects.exists()
    assert client.get("/api/cart").status_code == 200  # no 409 from the old cart any more
    assert add_apple(client).json()["total"] == 4.98
    assert Cart.objects.get().store == chain["city"]


def test_an_emptied_cart_of_another_store_needs_no_consent(chain, client):
    add_apple(client)
    client.delete("/api/cart")
    assert change_store(client, "city").status_code == 200
    assert not Cart.objects.exists()


def test_changing_to_the_carts_own_store_keeps_the_cart(chain, client):
    client.get("/s/city")
    add_apple(client)
    answer = change_store(client, "city")
    assert answer.status_code == 200 and answer.json()["total"] == 4.98
    assert Cart.objects.get().lines.count() == 1


@pytest.mark.parametrize("code", ["old", "nowhere"])
def test_changing_to_a_closed_or_unknown_store_is_a_404_that_changes_nothing(chain, client, code):
    add_apple(client)
    answer = change_store(client, code, empty_cart=True)
    assert answer.status_code == 404 and answer.json()["code"] == "unknown_store"
    assert "store" not in answer.cookies
    assert Cart.objects.get().lines.count() == 1


def test_a_bad_body_is_a_400(chain, client):
    answer = client.put("/api/cart/store", {"empty_cart": True}, content_type="application/json")
    assert answer.status_code == 400
    assert "store" in answer.json()["detail"]


def test_a_stores_product_link_remembers_the_store(chain, client):
    page = client.get("/p/12345?store=city")
    assert page.status_code == 200
    assert page.cookies["store"].value == "city"
    assert client.get("/api/products/12345").json()["price"] == 2.49
    assert "store" not in client.get("/p/12345").cookies  # a plain link changes nothing


def test_a_stores_poster_link_remembers_the_store_and_a_closed_one_is_ignored(chain, client):
    page = client.get("/promo/dairy10?store=city")  # a promotion poster printed for the store
    assert page.status_code == 200 and page.cookies["store"].value == "city"
    assert client.get("/api/products/12345").json()["price"] == 2.49
    Store.objects.filter(code="city").update(is_active=False)
    closed = client.get("/promo/dairy10?store=city")
    assert closed.status_code == 200 and "store" not in closed.cookies
