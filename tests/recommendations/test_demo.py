"""seed_demo's purchase history: a fresh install recommends sauce with pasta, dip with crisps and
wipes with nappies, and the demo customer has usual items."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from checkout.models import Order
from recommendations.demo import demo_orders

pytestmark = pytest.mark.django_db

SPAGHETTI, SAUCE, CRISPS, DIP, NAPPIES, WIPES = (
    "9000001",
    "9000002",
    "9000005",
    "9000006",
    "9000009",
    "9000010",
)


@pytest.fixture
def demo(settings):
    settings.DEBUG = True  # the demo customer's login, as for the manager's
    out = StringIO()
    call_command("seed_demo", products=200, orders=1_500, stdout=out)
    return out.getvalue()


def test_a_fresh_install_pairs_pasta_with_sauce_crisps_with_dip_nappies_with_wipes(
    demo, api_client
):
    assert "Purchase history: 1500 orders created" in demo
    for product, partner in [(SPAGHETTI, SAUCE), (CRISPS, DIP), (NAPPIES, WIPES), (WIPES, NAPPIES)]:
        found = api_client.get(f"/api/products/{product}/recommendations").json()
        assert found["bought_together"][0]["product_id"] == partner


def test_the_history_is_paid_spread_over_time_and_made_once(demo):
    orders = Order.objects.filter(transaction_id__startswith="demo-")
    assert orders.count() == 1_500
    assert set(orders.values_list("status", flat=True)) == {Order.Status.SUCCEEDED}
    days = orders.dates("created_at", "day")
    assert len(days) > 100  # four months of shopping, not one instant
    call_command("seed_demo", products=200, orders=1_500, stdout=StringIO())
    assert orders.count() == 1_500


def test_the_demo_customer_signs_in_and_sees_their_usual_items(demo, api_client):
    assert "Customer: shopper1@demo.example  password: scan-and-go" in demo
    signed_in = api_client.post(
        "/api/account/signin",
        {"email": "shopper1@demo.example", "password": "scan-and-go"},
        format="json",
    )
    assert signed_in.status_code == 200, signed_in.content
    usual = api_client.get("/api/cart/recommendations").json()["usual"]
    assert len(usual) >= 3
    assert all(item["times_bought"] >= 2 for item in usual)
    shopper = get_user_model().objects.get(username="shopper1@demo.example")
    assert Order.objects.filter(user=shopper).count() > 10


def test_the_same_arguments_give_the_same_history():
    catalogue = [str(n) for n in range(10_000, 10_400)]
    first = list(demo_orders(catalogue, orders=300, shoppers=20, days=30))
    assert first == list(demo_orders(catalogue, orders=300, shoppers=20, days=30))
    assert first != list(demo_orders(catalogue, orders=300, shoppers=20, days=30, seed=16))
