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


FAKE_STRIPE_PORT = 8201
WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture(scope="session")
def fake_stripe_server():
    from tests.checkout.fake_stripe import FakeStripe

    server = FakeStripe(FAKE_STRIPE_PORT).start()
    yield server
    server.stop()


@pytest.fixture
def fake_stripe(fake_stripe_server, settings):
    """The Stripe gateway, pointed at the local fake, with short timeouts and backoff."""
    fake_stripe_server.reset()
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_API_BASE = fake_stripe_server.url
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_TIMEOUT_SECONDS = 0.5
    settings.STRIPE_RETRY_BASE_SECONDS = 0.05
    settings.STRIPE_MAX_RETRIES = 2
    yield fake_stripe_server
    fake_stripe_server.reset()
