"""What a refund must do, through the Stripe adapter and the local fake: the amount's bounds, who
gave it and why, one refund per request even when the gateway's answer is lost, the order's history."""

from decimal import Decimal

import pytest

from checkout.errors import PaymentUnavailable, RefundNotAllowed
from checkout.models import Order, Refund
from checkout.services.refunds import refund_order
from tests.fixtures.checkout import spec_body

pytestmark = pytest.mark.django_db


def paid_order(api_client) -> Order:
    """The SPEC's basket, 4.97, paid by card at the fake Stripe."""
    body = spec_body(payment_token="pm_card_visa")
    assert api_client.post("/api/checkout", body, format="json").status_code == 201
    return Order.objects.get()


@pytest.mark.parametrize("amount", ["0", "0.004", "-1.00", "4.98"])
def test_a_refund_outside_one_cent_to_what_is_left_is_refused(
    api_client, shop, fake_stripe, amount
):
    order = paid_order(api_client)
    with pytest.raises(RefundNotAllowed) as refused:
        refund_order(order=order, amount=Decimal(amount))
    assert refused.value.message == "Refund must be between 0.01 and 4.97."
    assert refused.value.detail == {"refundable": Decimal("4.97")}
    order.refresh_from_db()
    assert (order.refunded_amount, order.status, Refund.objects.count()) == (0, "succeeded", 0)
    assert fake_stripe.calls("POST /v1/refunds") == 0


def test_the_refund_names_the_clerk_the_reason_and_the_history(
    api_client, shop, fake_stripe, django_user_model
):
    clerk = django_user_model.objects.create_user("clerk", is_staff=True)
    order = paid_order(api_client)
    before = order.updated_at
    refund = refund_order(order=order, amount=Decimal("1.99"), user=clerk, reason="bruised")
    assert (refund.user, refund.reason, refund.amount) == (clerk, "bruised", Decimal("1.99"))
    assert refund.gateway_refund_id.startswith("re_")
    order.refresh_from_db()
    assert order.updated_at > before
    event = order.events.order_by("pk").last()
    assert (event.from_status, event.to_status) == ("succeeded", "partially_refunded")
    assert event.reason == "refund of 1.99 EUR: bruised"

    refund_order(order=order, amount=Decimal("2.98"))
    event = order.events.order_by("pk").last()
    assert (event.from_status, event.to_status) == ("partially_refunded", "refunded")
    assert event.reason == "refund of 2.98 EUR: no reason given"


def test_a_long_reason_is_cut_to_fit_the_history(api_client, shop, fake_stripe):
    order = paid_order(api_client)
    refund_order(order=order, amount=Decimal("1.00"), reason="x" * 255)  # as long as it may be
    event = order.events.order_by("pk").last()
    assert event.reason == ("refund of 1.00 EUR: " + "x" * 255)[:255]


def test_a_refund_whose_answer_is_lost_is_sent_again_and_made_once(api_client, shop, fake_stripe):
    """Stripe refunds, the answer never arrives, the retry carries the same idempotency key."""
    order = paid_order(api_client)
    fake_stripe.fail("POST /v1/refunds", "hang_after", seconds=1)
    refund_order(order=order, amount=Decimal("4.97"))
    assert fake_stripe.calls("POST /v1/refunds") == 2
    assert [r["amount"] for r in fake_stripe.refunds.values()] == [497]
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == ("refunded", Decimal("4.97"))


def test_a_gateway_that_does_not_answer_refunds_nothing_and_says_so(api_client, shop, fake_stripe):
    order = paid_order(api_client)
    fake_stripe.fail("POST /v1/refunds", "500", times=10)
    with pytest.raises(PaymentUnavailable) as unavailable:
        refund_order(order=order, amount=Decimal("1.00"))
    assert unavailable.value.message == "The gateway did not answer; nothing was refunded."
    order.refresh_from_db()
    assert (order.refunded_amount, Refund.objects.count()) == (0, 0)


def test_a_refused_refund_says_what_the_gateway_said(api_client, shop, fake_stripe):
    order = paid_order(api_client)
    fake_stripe.fail("POST /v1/refunds", "400")
    with pytest.raises(RefundNotAllowed) as refused:
        refund_order(order=order, amount=Decimal("1.00"))
    assert refused.value.message.startswith("The gateway refused the refund: ")
    assert len(refused.value.message) > len("The gateway refused the refund: ")
