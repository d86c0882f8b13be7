"""Two checkouts racing for the same points on real PostgreSQL connections: one wins."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient

from checkout.models import Order
from customers.models import Customer
from customers.selectors import points_balance
from customers.services.loyalty import adjust_points
from tests.fixtures.checkout import spec_body, stock_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_checkouts_spending_the_same_points_one_wins(shop, settings):
    settings.LOYALTY_POINTS_PER_UNIT = Decimal(10)
    settings.SIMULATED_SLOW_SECONDS = 1  # the winner is still paying when the loser locks
    user = get_user_model().objects.create_user("ann@example.com", "ann@example.com", "pw-x-123")
    customer = Customer.objects.create(user=user, card_number="2800000000007")
    adjust_points(customer=customer, points=500, reason="welcome", user=None)
    barrier = threading.Barrier(2)

    def pay(token):
        try:
            client = APIClient()
            client.force_authenticate(user)
            barrier.wait(timeout=30)
            body = spec_body(redeem_points=400, total_amount=0.97, payment_token=token)
            response = client.post("/api/checkout", body, format="json")
            return response.status_code, response.json().get("code")
        finally:
            connection.close()  # every thread opened its own connection

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(pay, ["tok_slow", "tok_success"]))
    assert results == [(201, None), (409, "insufficient_points")]
    assert Order.objects.count() == 1  # the loser's order rolled back with its stock
    assert stock_of("12345") == 118 and stock_of("23456") == 49
    # 500 - 400 + 9 (0.97 paid)
    assert points_balance(customer) == 109
