"""Real concurrent requests on real PostgreSQL connections (SQLite would serialise them)."""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from catalog.models import StockCountRequest, StockMovement
from checkout.models import Order
from tests.factories import make_product
from tests.fixtures.checkout import spec_body, stock_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def post_checkout(body, key=None, barrier=None):
    try:
        if barrier is not None:
            barrier.wait(timeout=30)
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        response = APIClient().post("/api/checkout", body, format="json", **headers)
        return response.status_code, response.json()
    finally:
        connection.close()  # every thread opened its own connection


def test_same_key_twice_at_once_is_one_transaction_charged_once(shop, settings):
    settings.SIMULATED_SLOW_SECONDS = 2  # the winner is still at the "bank" when the others arrive
    barrier = threading.Barrier(6)
    # One device tapping Pay six times: its cart token makes the key its own.
    body = spec_body(payment_token="tok_slow", cart_token="race-cart")

    def timed(_):
        started = time.monotonic()
        return (*post_checkout(body, "race-key", barrier), time.monotonic() - started)

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(timed, range(6)))
    # One request charges; the others are told at once that it is in flight (no one waits).
    in_flight = [(answer, seconds) for status, answer, seconds in results if status == 202]
    assert {status for status, _, _ in results} == {201, 202}
    assert {answer["status"] for answer, _ in in_flight} == {"pending"}
    assert all(seconds < 2 for _, seconds in in_flight)
    assert len({answer["transaction_id"] for _, answer, _ in results}) == 1
    assert post_checkout(body, "race-key")[0] == 201  # asked again: the settled answer
    assert Order.objects.count() == 1
    order = Order.objects.get()
    assert order.status == "succeeded"
    assert order.events.filter(to_status="succeeded").count() == 1
    assert stock_of("12345") == 118 and stock_of("23456") == 49


def two_hundred_buyers_of_scarce_and_plenty() -> Counter:
    """200 buyers, 40 at once (the machine's PostgreSQL is shared), each taking one "scarce" and
    one "plenty", listed in either order: the outcomes by (status, code)."""
    barrier = threading.Barrier(40)

    def buy(i):
        cart = [{"product_id": "scarce", "quantity": 1}, {"product_id": "plenty", "quantity": 1}]
        if i % 2:
            cart.reverse()
        return post_checkout(
            spec_body(cart=cart, total_amount=3.50), barrier=barrier if i < 40 else None
        )

    with ThreadPoolExecutor(40) as pool:
        results = list(pool.map(buy, range(200)))
    return Counter((status, answer.get("code", answer.get("status"))) for status, answer in results)


def test_200_buyers_for_50_units_sell_exactly_50_under_reserve(settings):
    """Every buyer takes one of each of two products, listed in either order: no oversell, no deadlock."""
    settings.STOCK_POLICY = "reserve"
    scarce = make_product(product_id="scarce", price=Decimal("2.50"), stock=Decimal(50))
    make_product(product_id="plenty", price=Decimal("1.00"), stock=Decimal(1000))
    outcomes = two_hundred_buyers_of_scarce_and_plenty()
    assert outcomes == {(201, "success"): 50, (409, "out_of_stock"): 150}
    scarce.refresh_from_db()
    assert scarce.stock == 0
    assert stock_of("plenty") == 950  # the losers' partial takes were rolled back
    assert Order.objects.filter(status="succeeded").count() == 50
    assert Order.objects.count() == 50  # a refused buyer leaves no transaction behind
    assert StockMovement.objects.filter(product=scarce, reason="sale").count() == 50


def test_200_buyers_for_50_recorded_units_all_buy_and_lose_no_decrement_under_record(settings):
    """The goods are in the customers' hands: all 200 are sold, stock ends exactly 50 - 200, and
    one count request is open however many sales found the shelf short."""
    settings.STOCK_POLICY = "record"
    scarce = make_product(product_id="scarce", price=Decimal("2.50"), stock=Decimal(50))
    make_product(product_id="plenty", price=Decimal("1.00"), stock=Decimal(1000))
    outcomes = two_hundred_buyers_of_scarce_and_plenty()
    assert outcomes == {(201, "success"): 200}
    assert stock_of("scarce") == 50 - 200
    assert stock_of("plenty") == 1000 - 200
    sales = StockMovement.objects.filter(product=scarce, reason="sale")
    assert sales.count() == 200 and sum(m.delta for m in sales) == -200
    # Each movement saw the row as it was under its lock: the resulting figures are 49 .. -150.
    assert sorted(m.resulting_stock for m in sales) == list(range(-150, 50))
    assert StockCountRequest.objects.filter(product=scarce, closed_at=None).count() == 1
    assert not StockCountRequest.objects.filter(product__product_id="plenty").exists()


def test_two_checkouts_racing_with_one_voucher_one_wins(shop, settings):
    from checkout.models import VoucherRedemption
    from tests.factories import make_voucher_code

    settings.SIMULATED_SLOW_SECONDS = 1
    code = make_voucher_code("1.00")
    barrier = threading.Barrier(2)
    bodies = [
        spec_body(total_amount=3.97, vouchers=[code], cart_token=f"voucher-{n}") for n in range(2)
    ]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda body: post_checkout(body, None, barrier), bodies))
    assert sorted(status for status, _ in results) == [201, 409]
    loser = next(answer for status, answer in results if status == 409)
    assert loser["code"] == "voucher_redeemed"
    assert Order.objects.count() == 1 and VoucherRedemption.objects.count() == 1
    assert stock_of("12345") == 118  # the loser took nothing


def test_the_same_return_six_times_at_once_is_one_refund(shop, manager):
    """A manager's device sending one return six times at once (same key): every request gets
    the one return, even those that arrive once its units are already returned."""
    status, answer = post_checkout(spec_body())
    assert status == 201, answer
    order = Order.objects.get(transaction_id=answer["transaction_id"])
    apples = order.lines.get(product_code="12345")
    barrier = threading.Barrier(6)

    def give_back(_):
        try:
            client = APIClient()
            client.force_authenticate(manager)
            barrier.wait(timeout=30)
            response = client.post(
                f"/api/receipts/{order.transaction_id}/returns",
                {"lines": [{"line_id": apples.pk, "quantity": 2, "restock": True}]},
                format="json",
                HTTP_IDEMPOTENCY_KEY="return-apples",
            )
            return response.status_code, response.json()
        finally:
            connection.close()

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(give_back, range(6)))
    assert {status for status, _ in results} == {201}, results
    assert len({str(answer["return"]) for _, answer in results}) == 1
    order.refresh_from_db()
    assert order.refunds.count() == 1 and order.refunded_amount == Decimal("3.98")
    assert stock_of("12345") == 120  # the two apples back on the shelf, once
