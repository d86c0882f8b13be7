"""Rate limits on cart writes, quotes and checkouts: per customer, with a per-address ceiling."""

import socket
from decimal import Decimal

import pytest

from checkout.models import Order
from tests.factories import make_product
from tests.fixtures.checkout import spec_body

pytestmark = pytest.mark.django_db

UNLIMITED = "1000000/min"


@pytest.fixture
def rates(settings):
    """rates(cart=..., address=...) sets low limits for this test; the others stay unlimited."""

    def set_rates(**low):
        scopes = {"cart": UNLIMITED, "quote": UNLIMITED, "checkout": UNLIMITED}
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**scopes, "address": UNLIMITED, **low},
        }

    return set_rates


def add_apple(client, token: str | None = None):
    headers = {"HTTP_X_CART_TOKEN": token} if token else {}
    return client.post(
        "/api/cart/lines", {"product_id": "12345", "quantity": 1}, format="json", **headers
    )


@pytest.fixture
def apple(db):
    return make_product(product_id="12345", price=Decimal("1.99"), stock=Decimal(500))


def assert_throttled(response):
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "throttled" and body["message"]
    assert 1 <= int(response["Retry-After"]) <= 60
    assert body["detail"] == {"retry_after": int(response["Retry-After"])}


def test_cart_writes_are_limited_per_cart_token(api_client, apple, rates):
    rates(cart="3/min")
    token = api_client.get("/api/cart").json()["token"]
    assert add_apple(api_client, token).status_code == 200
    assert add_apple(api_client, token).status_code == 200
    assert (
        api_client.put(
            "/api/cart/lines/12345", {"quantity": 5}, format="json", HTTP_X_CART_TOKEN=token
        ).status_code
        == 200
    )
    assert_throttled(api_client.delete("/api/cart", HTTP_X_CART_TOKEN=token))
    assert_throttled(api_client.delete("/api/cart/lines/12345", HTTP_X_CART_TOKEN=token))
    # the refused writes changed nothing, reading stays free, and another device is unaffected
    for _ in range(5):
        cart = api_client.get("/api/cart", HTTP_X_CART_TOKEN=token)
        assert cart.status_code == 200 and cart.json()["lines"][0]["quantity"] == 5
    assert add_apple(type(api_client)()).status_code == 200


def test_signed_in_customers_are_limited_per_account_across_devices(
    api_client, apple, rates, django_user_model
):
    rates(cart="2/min")
    ann = django_user_model.objects.create_user("ann", password="pw-ann-12345")
    phone, tablet = api_client, type(api_client)()
    for device in (phone, tablet):
        device.force_authenticate(ann)
    assert add_apple(phone).status_code == 200
    assert add_apple(tablet).status_code == 200
    assert_throttled(add_apple(phone, "another-token-does-not-help"))


def test_one_address_minting_new_tokens_meets_the_ceiling(api_client, apple, rates):
    rates(address="4/min")
    for _ in range(4):
        assert add_apple(type(api_client)()).status_code == 200  # a fresh device each time
    assert_throttled(add_apple(type(api_client)()))
    # behind our proxy, another customer's address is counted apart
    other = type(api_client)(HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert add_apple(other).status_code == 200


def test_quotes_and_checkouts_have_their_own_limits(api_client, rates):
    make_product(product_id="12345", name="Organic Apple", price=Decimal("1.99"))
    make_product(product_id="23456", name="Banana", price=Decimal("0.99"))
    rates(quote="1/min", checkout="1/min")
    api_client.credentials(HTTP_X_CART_TOKEN="t" * 32)
    quote = {"cart": [{"product_id": "12345", "quantity": 1}]}
    assert api_client.post("/api/checkout/quote", quote, format="json").status_code == 200
    assert_throttled(api_client.post("/api/checkout/quote", quote, format="json"))
    assert api_client.post("/api/checkout", spec_body(), format="json").status_code == 201
    assert_throttled(api_client.post("/api/checkout", spec_body(), format="json"))
    paid = Order.objects.get()
    assert_throttled(api_client.post(f"/api/checkout/{paid.transaction_id}/confirm"))
    assert Order.objects.count() == 1


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_cache_outage_lets_requests_through(api_client, apple, rates, settings):
    rates(cart="1/min", address="1/min")
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    token = add_apple(api_client).json()["token"]
    for _ in range(3):
        assert add_apple(api_client, token).status_code == 200  # unthrottled, not a 500
