"""A charge that lands after reconciliation gave the order up is refunded, never kept."""

import threading
import time

import pytest
from django.db import connection
from rest_framework.test import APIClient

from checkout.models import GatewayDiscrepancy, Order
from checkout.services import reconciliation
from tests.fixtures.checkout import spec_body, stock_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_payment_after_reconciliation_failed_the_order_is_refunded(shop, fake_stripe, settings):
    settings.RECONCILE_AFTER_SECONDS = 0
    # The first attempt hangs past the client's timeout without reaching Stripe's books;
    # the retry then succeeds.
    fake_stripe.fail("POST /v1/payment_intents", "hang_before", seconds=1.0)
    answers = {}

    def checkout():
        try:
            response = APIClient().post(
                "/api/checkout", spec_body(payment_token="pm_card_visa"), format="json"
            )
            answers["response"] = response
        finally:
            connection.close()

    buyer = threading.Thread(target=checkout)
    buyer.start()
    deadline = time.monotonic() + 5
    while fake_stripe.calls("POST /v1/payment_intents") == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    # meanwhile reconciliation finds the order open, and no payment at Stripe for it
    (pk,) = reconciliation.list_stale_order_ids()
    assert reconciliation.reconcile_order(pk=pk) == "failed"
    assert stock_of("12345") == 120
    buyer.join(10)

    order = Order.objects.get()
    assert order.status == "failed" and answers["response"].status_code == 402
    assert fake_stripe.charges == 1
    flagged = GatewayDiscrepancy.objects.get()
    (refund,) = fake_stripe.refunds.values()
    assert (refund["payment_intent"], refund["amount"]) == (flagged.gateway_payment_id, 497)
    assert flagged.resolved and "refunded automatically" in flagged.note
    assert stock_of("12345") == 120  # released once, not twice
