"""Two checkouts racing for a coupon's last use on real PostgreSQL connections: exactly one wins,
as with stock; the loser is told why and its order rolls back."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from checkout.models import CouponRedemption, Order
from tests.factories import make_promotion
from tests.fixtures.checkout import spec_body, stock_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_checkouts_racing_for_the_last_use_of_a_coupon_one_wins(shop, settings):
    settings.SIMULATED_SLOW_SECONDS = 1  # the winner is still paying when the loser locks
    coupon = make_promotion(products=[shop["apple"]], coupon_code="LAST", uses_limit=2)
    first = APIClient().post(
        "/api/checkout", spec_body(coupons=["LAST"], total_amount=4.57), format="json"
    )
    assert first.status_code == 201  # one use left
    barrier = threading.Barrier(2)

    def pay(token):
        try:
            barrier.wait(timeout=30)
            # 2 apples 3.98 less 10 % (0.40) and a banana 0.99: 4.57
            body = spec_body(coupons=["last"], total_amount=4.57, payment_token=token)
            response = APIClient().post("/api/checkout", body, format="json")
            reasons = [c["reason"] for c in response.json().get("detail", {}).get("coupons", [])]
            return response.status_code, reasons
        finally:
            connection.close()  # every thread opened its own connection

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(pay, ["tok_slow", "tok_success"]))
    assert results == [(201, []), (422, ["used_up"])]
    assert Order.objects.count() == 2  # the loser's order rolled back with its stock
    assert CouponRedemption.objects.filter(promotion=coupon).count() == 2
    assert stock_of("12345") == 116 and stock_of("23456") == 48
