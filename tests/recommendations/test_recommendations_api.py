"""The recommendations as the PWA reads them: "often bought together" on a product and under the
cart (computed into the table by the task, served from the cache) and "your usual items"."""

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from catalog.models import StoreProduct, get_home_store
from catalog.selectors import forget_products
from checkout.models import Order
from recommendations.models import BoughtTogether
from recommendations.tasks import recompute_bought_together_task
from tests.factories import make_paid_order as buy
from tests.factories import make_product, make_promotion

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    codes = ["PASTA", "SAUCE", "PESTO", "BREAD", "CRISPS", "DIP"]
    return {code: make_product(product_id=code, name=code.title()) for code in codes}


@pytest.fixture
def history(shop):
    """12 paid orders and one failed (which counts for nothing)."""
    p = shop
    for _ in range(3):
        buy(p["PASTA"], p["SAUCE"])  # pasta 6, sauce 3: lift 3*12/(6*3) = 2
    for _ in range(2):
        buy(p["PASTA"], p["PESTO"])  # pesto 2: lift 2*12/(6*2) = 2, but 2 orders < 3
    buy(p["PASTA"])
    for _ in range(3):
        buy(p["CRISPS"], p["DIP"], p["BREAD"])  # crisps 3, dip 3, bread 6
    for _ in range(3):
        buy(p["BREAD"])
    for _ in range(5):
        buy(p["PASTA"], p["PESTO"], status=Order.Status.FAILED)


def ids(items):
    return [item["product_id"] for item in items]


@override_settings(RECOMMENDATIONS_MIN_ORDERS=3)
def test_the_task_fills_the_table_by_lift_with_a_minimum_support(history, shop, api_client):
    assert recompute_bought_together_task() == 2 + 2 * 3  # pasta-sauce both ways; the trio's 6

    rows = BoughtTogether.objects.filter(product=shop["CRISPS"]).order_by("rank")
    # crisps+dip in 3 of 12: lift 3*12/(3*3) = 4; crisps+bread in 3: 3*12/(3*6) = 2.
    assert [(r.recommended.product_id, r.rank, r.lift, r.orders) for r in rows] == [
        ("DIP", 1, 4.0, 3),
        ("BREAD", 2, 2.0, 3),
    ]
    assert rows[0].support == pytest.approx(3 / 12)

    answer = api_client.get("/api/products/PASTA/recommendations")
    assert answer.status_code == 200
    # Pesto's lift ties sauce's, but 2 orders is under the support; the failed orders count not.
    [sauce] = answer.json()["bought_together"]
    assert (sauce["product_id"], sauce["name"], sauce["lift"]) == ("SAUCE", "Sauce", 2.0)
    assert sauce["orders_together"] == 3


@override_settings(RECOMMENDATIONS_MIN_ORDERS=3)
def test_out_of_stock_and_unlisted_products_are_left_out(history, shop, api_client):
    recompute_bought_together_task()
    StoreProduct.objects.filter(product=shop["DIP"]).update(stock=0)
    StoreProduct.objects.filter(product=shop["BREAD"]).update(is_listed=False)
    assert (
        ids(api_client.get("/api/products/CRISPS/recommendations").json()["bought_together"]) == []
    )

    StoreProduct.objects.filter(product=shop["DIP"]).update(stock=4)
    StoreProduct.objects.filter(product=shop["BREAD"]).update(is_listed=True)
    forget_products(["DIP", "BREAD"])
    assert ids(
        api_client.get("/api/products/CRISPS/recommendations").json()["bought_together"]
    ) == [
        "DIP",
        "BREAD",
    ]


@override_settings(RECOMMENDATIONS_MIN_ORDERS=3)
def test_the_lists_are_served_from_the_cache(history, api_client, django_assert_num_queries):
    recompute_bought_together_task()
    api_client.get("/api/products/CRISPS/recommendations")  # warms the product payloads too
    with django_assert_num_queries(0):
        answer = api_client.get("/api/products/CRISPS/recommendations")
    assert ids(answer.json()["bought_together"]) == ["DIP", "BREAD"]


@override_settings(RECOMMENDATIONS_MIN_ORDERS=3)
def test_a_running_promotion_comes_with_the_recommended_product(history, shop, api_client):
    recompute_bought_together_task()
    make_promotion(products=[shop["DIP"]], code="dip10", name="10% off dip")
    found = api_client.get("/api/products/CRISPS/recommendations").json()["bought_together"]
    assert [p["id"] for p in found[0]["promotions"]] == ["dip10"]
    assert found[1]["promotions"] == []


def test_an_unknown_product_is_a_404(db, api_client):
    answer = api_client.get("/api/products/NOPE/recommendations")
    assert answer.status_code == 404
    assert answer.json()["code"] == "product_not_found"


def test_no_history_no_recommendations(shop, api_client):
    recompute_bought_together_task()
    assert api_client.get("/api/products/PASTA/recommendations").json()["bought_together"] == []


@override_settings(RECOMMENDATIONS_MIN_ORDERS=3)
def test_under_the_cart_bought_together_leaves_out_what_is_in_it(history, api_client):
    recompute_bought_together_task()
    api_client.post("/api/cart/lines", {"product_id": "CRISPS", "quantity": 1}, format="json")
    api_client.post("/api/cart/lines", {"product_id": "PASTA", "quantity": 1}, format="json")
    answer = api_client.get("/api/cart/recommendations").json()
    # dip (lift 4 with crisps), then sauce and bread (both lift 2, 3 orders): by shelf code.
    assert ids(answer["bought_together"]) == ["DIP", "BREAD", "SAUCE"]
    assert answer["usual"] == []  # nobody signed in

    # With dip in the cart too, bread sums its lifts with crisps and dip: 2 + 2 = 4.
    api_client.post("/api/cart/lines", {"product_id": "DIP", "quantity": 1}, format="json")
    answer = api_client.get("/api/cart/recommendations").json()
    assert [
        (p["product_id"], p["lift"], p["orders_together"]) for p in answer["bought_together"]
    ] == [
        ("BREAD", 4.0, 6),
        ("SAUCE", 2.0, 3),
    ]


def test_an_empty_cart_has_no_bought_together(db, api_client):
    assert api_client.get("/api/cart/recommendations").json() == {
        "usual": [],
        "bought_together": [],
    }


def test_usual_items_are_the_customers_repeat_purchases_not_in_the_cart(shop, api_client):
    ann = get_user_model().objects.create_user("ann", password="pw-ann-123")
    bob = get_user_model().objects.create_user("bob", password="pw-bob-123")
    p = shop
    buy(p["PASTA"], p["BREAD"], p["CRISPS"], user=ann, days_ago=20)
    buy(p["PASTA"], p["CRISPS"], user=ann, days_ago=10)
    buy(p["PASTA"], p["BREAD"], p["SAUCE"], user=ann, days_ago=5)
    buy(p["DIP"], p["DIP"], user=ann, days_ago=4)  # one order, twice on it: not a repeat
    buy(p["SAUCE"], user=bob, days_ago=3)  # another customer's orders count not
    buy(p["SAUCE"], user=ann, status=Order.Status.FAILED)  # nor failed payments
    api_client.force_authenticate(ann)

    # pasta in 3 orders; bread and crisps in 2 each, bread bought more recently.
    answer = api_client.get("/api/cart/recommendations").json()
    assert [(i["product_id"], i["times_bought"]) for i in answer["usual"]] == [
        ("PASTA", 3),
        ("BREAD", 2),
        ("CRISPS", 2),
    ]

    api_client.post("/api/cart/lines", {"product_id": "PASTA", "quantity": 1}, format="json")
    StoreProduct.objects.filter(product=p["CRISPS"], store=get_home_store()).update(stock=0)
    forget_products(["CRISPS"])
    assert ids(api_client.get("/api/cart/recommendations").json()["usual"]) == ["BREAD"]


def test_the_recompute_runs_hourly_from_beat(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["recompute-bought-together"]
    assert schedule["task"] == recompute_bought_together_task.name
    assert schedule["schedule"] == 3600.0


@override_settings(RECOMMENDATIONS_MIN_ORDERS=3)
def test_a_recompute_replaces_the_table_and_the_cached_lists(history, shop, api_client):
    recompute_bought_together_task()
    assert ids(api_client.get("/api/products/PASTA/recommendations").json()["bought_together"]) == [
        "SAUCE"
    ]
    # Pesto's third order with pasta lifts it over the support; crisps lose their partners: the
    # trio's 3 orders are refunded in full. 13 - 3 = 10 paid orders, pasta in 7, pesto in 3:
    # 3*10/(7*3) = 10/7 (1.429), and sauce the same: a tie on lift and orders, PESTO first by code.
    buy(shop["PASTA"], shop["PESTO"])
    Order.objects.filter(lines__product=shop["CRISPS"]).update(status=Order.Status.REFUNDED)
    recompute_bought_together_task()

    found = api_client.get("/api/products/PASTA/recommendations").json()["bought_together"]
    assert [(p["product_id"], p["lift"]) for p in found] == [("PESTO", 1.429), ("SAUCE", 1.429)]
    assert api_client.get("/api/products/CRISPS/recommendations").json()["bought_together"] == []
    assert not BoughtTogether.objects.filter(product=shop["CRISPS"]).exists()
