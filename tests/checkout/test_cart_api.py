from decimal import Decimal

import pytest

from catalog.models import Product, StoreProduct, Unit
from checkout.models import Cart
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def cart_client(api_client):
    token = api_client.get("/api/cart").json()["token"]
    api_client.credentials(HTTP_X_CART_TOKEN=token)
    return token


def test_new_cart_has_a_token_and_a_cookie_and_no_row_until_the_first_write(api_client):
    make_product(product_id="12345")
    response = api_client.get("/api/cart")
    body = response.json()
    assert response.status_code == 200
    assert body["lines"] == [] and body["total"] == 0 and body["currency"] == "EUR"
    assert body["item_count"] == 0 and body["problems"] == []
    assert response.cookies["cart_token"].value == body["token"]
    assert response.cookies["cart_token"]["httponly"]
    assert Cart.objects.count() == 0  # reading carts (bots, prefetches) fills no table
    api_client.get("/api/cart", HTTP_X_CART_TOKEN=body["token"])
    assert Cart.objects.count() == 0
    written = api_client.post(
        "/api/cart/lines", {"product_id": "12345", "quantity": 1}, format="json"
    ).json()
    assert written["token"] == body["token"]  # the first write creates the cart it was promised
    assert list(Cart.objects.values_list("token", flat=True)) == [body["token"]]


def test_a_token_that_is_not_ours_is_replaced_on_the_first_write(api_client):
    make_product(product_id="12345")
    body = api_client.post(
        "/api/cart/lines",
        {"product_id": "12345", "quantity": 1},
        format="json",
        HTTP_X_CART_TOKEN="chosen-by-the-client",
    ).json()
    assert body["token"] != "chosen-by-the-client" and Cart.objects.get().token == body["token"]


def test_add_change_remove_and_clear(api_client):
    apple = make_product(product_id="12345", name="Organic Apple", price=Decimal("1.99"))
    banana = make_product(product_id="23456", name="Banana", price=Decimal("0.99"))
    token = cart_client(api_client)

    body = api_client.post(
        "/api/cart/lines", {"product_id": "12345", "quantity": 1}, format="json"
    ).json()
    body = api_client.post(
        "/api/cart/lines", {"product_id": "12345", "quantity": 1}, format="json"
    ).json()
    body = api_client.post(
        "/api/cart/lines", {"product_id": "23456", "quantity": 1}, format="json"
    ).json()
    assert body["token"] == token
    assert [
        (line["product_id"], line["quantity"], line["line_total"]) for line in body["lines"]
    ] == [
        ("12345", 2, 3.98),
        ("23456", 1, 0.99),
    ]
    assert body["subtotal"] == 4.97 and body["total"] == 4.97 and body["item_count"] == 3
    assert body["lines"][0]["unit_price"] == 1.99 and body["lines"][0]["discounts"] == []

    body = api_client.put("/api/cart/lines/12345", {"quantity": 5}, format="json").json()
    assert body["lines"][0]["quantity"] == 5 and body["total"] == 10.94

    body = api_client.delete("/api/cart/lines/23456").json()
    assert [line["product_id"] for line in body["lines"]] == ["12345"]

    body = api_client.delete("/api/cart").json()
    assert body["lines"] == [] and body["total"] == 0
    assert apple.pk and banana.pk


def test_cookie_works_like_the_header(api_client):
    make_product(product_id="12345")
    api_client.post("/api/cart/lines", {"product_id": "12345", "quantity": 2}, format="json")
    # the test client keeps the cookie the first answer set
    assert api_client.get("/api/cart").json()["lines"][0]["quantity"] == 2


@pytest.mark.parametrize(
    ("quantity", "code"),
    [
        (0, "invalid"),
        (-1, "invalid"),
        ("abc", "invalid"),
        (True, "invalid"),
        (1.5, "invalid_quantity"),
        (None, "invalid"),
    ],
)
def test_bad_quantities_are_refused(api_client, quantity, code):
    make_product(product_id="12345")
    cart_client(api_client)
    response = api_client.post(
        "/api/cart/lines", {"product_id": "12345", "quantity": quantity}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert api_client.get("/api/cart").json()["lines"] == []


def test_weighed_products_take_kilograms_with_three_places(api_client):
    make_product(product_id="777", unit=Unit.KG, price=Decimal("4.99"), stock=Decimal("10"))
    cart_client(api_client)
    body = api_client.post(
        "/api/cart/lines", {"product_id": "777", "quantity": 0.456}, format="json"
    ).json()
    assert body["lines"][0]["quantity"] == 0.456
    assert body["total"] == 2.28  # 4.99 × 0.456 = 2.27544 → 2.28
    response = api_client.put("/api/cart/lines/777", {"quantity": 0.4561}, format="json")
    assert response.status_code == 400


def test_never_more_than_the_stock_under_reserve(api_client, settings):
    settings.STOCK_POLICY = "reserve"
    make_product(product_id="12345", stock=Decimal(3))
    cart_client(api_client)
    api_client.post("/api/cart/lines", {"product_id": "12345", "quantity": 2}, format="json")
    response = api_client.post(
        "/api/cart/lines", {"product_id": "12345", "quantity": 2}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "out_of_stock"
    assert api_client.get("/api/cart").json()["lines"][0]["quantity"] == 2


def test_unknown_and_inactive_products_are_refused(api_client):
    make_product(product_id="999", is_active=False)
    cart_client(api_client)
    unknown = api_client.post(
        "/api/cart/lines", {"product_id": "nope", "quantity": 1}, format="json"
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "product_not_found"
    inactive = api_client.post(
        "/api/cart/lines", {"product_id": "999", "quantity": 1}, format="json"
    )
    assert inactive.status_code == 409 and inactive.json()["code"] == "product_inactive"
    missing = api_client.delete("/api/cart/lines/999")
    assert missing.status_code == 404 and missing.json()["code"] == "cart_line_not_found"


def test_changes_under_the_cart_are_named_in_problems(api_client, settings):
    settings.STOCK_POLICY = "reserve"  # under record a short line is still sold
    make_product(product_id="1", price=Decimal("1.00"), stock=Decimal(10))
    make_product(product_id="2", price=Decimal("2.00"), stock=Decimal(10))
    make_product(product_id="3", price=Decimal("3.00"), stock=Decimal(10))
    cart_client(api_client)
    for pid in ("1", "2", "3"):
        api_client.post("/api/cart/lines", {"product_id": pid, "quantity": 2}, format="json")
    Product.objects.filter(product_id="1").update(is_active=False)
    StoreProduct.objects.filter(product__product_id="2").update(stock=1)  # the store's stock
    Product.objects.filter(product_id="3").update(price=Decimal("3.50"))

    body = api_client.get("/api/cart").json()
    assert sorted((p["product_id"], p["code"]) for p in body["problems"]) == [
        ("1", "inactive"),
        ("2", "insufficient_stock"),
        ("3", "price_changed"),
    ]
    available = {line["product_id"]: line["available"] for line in body["lines"]}
    assert available == {"1": False, "2": False, "3": True}
    assert body["total"] == 4.00 + 7.00  # the inactive line is not counted; prices are today's

    # setting the quantity again accepts today's price
    body = api_client.put("/api/cart/lines/3", {"quantity": 2}, format="json").json()
    assert ("3", "price_changed") not in {(p["product_id"], p["code"]) for p in body["problems"]}


def test_a_token_never_reaches_a_signed_in_customers_cart(api_client, django_user_model):
    make_product(product_id="12345")
    user = django_user_model.objects.create_user("ann", password="pw-ann-12345")
    api_client.force_authenticate(user)
    token = api_client.post(
        "/api/cart/lines", {"product_id": "12345", "quantity": 1}, format="json"
    ).json()["token"]
    stranger = type(api_client)()
    body = stranger.get("/api/cart", HTTP_X_CART_TOKEN=token).json()
    assert body["token"] != token and body["lines"] == []


def test_signing_in_adopts_the_devices_cart(api_client, django_user_model):
    make_product(product_id="12345")
    token = cart_client(api_client)
    api_client.post("/api/cart/lines", {"product_id": "12345", "quantity": 2}, format="json")
    ann = django_user_model.objects.create_user("ann", password="pw-ann-12345")
    api_client.force_authenticate(ann)
    body = api_client.get("/api/cart").json()
    assert body["token"] == token and body["lines"][0]["quantity"] == 2
    assert Cart.objects.get(token=token).customer == ann
    # from another device, signed in, the same cart
    other = type(api_client)()
    other.force_authenticate(ann)
    assert other.get("/api/cart").json()["token"] == token


def test_abandoned_anonymous_carts_are_deleted_and_live_ones_kept(django_user_model):
    from datetime import timedelta

    from django.utils import timezone

    from checkout.models import CartLine
    from checkout.services.carts import delete_abandoned_carts

    now = timezone.now()
    product = make_product()
    carts = {
        name: Cart.objects.create(token=name)
        for name in ("empty-old", "empty-new", "idle", "in-use", "c")
    }
    idle, in_use, customers = carts["idle"], carts["in-use"], carts["c"]
    customers.customer = django_user_model.objects.create_user("shopper")
    customers.save(update_fields=["customer"])
    for cart in (idle, in_use):
        CartLine.objects.create(cart=cart, product=product, quantity=1, price_when_added=1)
    # a day-old empty cart, and carts (anonymous or not) untouched for 60 days
    Cart.objects.filter(token__in=["empty-old", "idle", "in-use", "c"]).update(
        updated_at=now - timedelta(days=60)
    )
    CartLine.objects.filter(cart=idle).update(added_at=now - timedelta(days=60))
    Cart.objects.filter(token="empty-old").update(updated_at=now - timedelta(days=2))

    assert delete_abandoned_carts(now=now) == 2
    assert set(Cart.objects.values_list("token", flat=True)) == {"empty-new", "in-use", "c"}
