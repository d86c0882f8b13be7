"""Loyalty points, end to end through the public API (on PostgreSQL where the machine has it, and
on SQLite in the mutation run; the race is tests/customers/test_points_race.py): earned when paid (once,
whatever path saw it paid), redeemed as a discount line, given back when the payment fails,
reversed on refunds (proportionally for a partial one) and expired oldest first."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from checkout.models import Order
from checkout.services import reconciliation
from checkout.services.payments import transition_order
from checkout.services.refunds import refund_order
from customers.errors import InsufficientPoints
from customers.models import Customer, PointsEntry
from customers.selectors import points_balance
from customers.services.loyalty import (
    adjust_points,
    earn_points,
    expire_points,
    forfeit_points,
    give_back_redeemed,
    points_value,
    redeem_points,
)
from tests.customers.test_accounts import sign_up
from tests.factories import make_category, make_product, make_voucher_code
from tests.fixtures.checkout import snapshot, spec_body

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def ten_points_per_euro(settings):
    settings.LOYALTY_POINTS_PER_UNIT = Decimal(10)
    settings.LOYALTY_POINT_VALUE = Decimal("0.01")


@pytest.fixture
def ann(db):
    client = APIClient()
    sign_up(client)
    return client, Customer.objects.get(user__email="ann@example.com")


def give(customer, points):
    adjust_points(customer=customer, points=points, reason="welcome gift", user=None)


def ledger(customer):
    return [(e.kind, e.points) for e in customer.points.order_by("created_at", "id")]


def checkout(client, **changes):
    return client.post("/api/checkout", spec_body(**changes), format="json")


def test_a_paid_order_earns_per_euro_paid_rounded_down(shop, ann):
    client, customer = ann
    body = checkout(client).json()  # 4.97 paid: 49.7 points
    assert ledger(customer) == [("earn", 49)]
    entry = customer.points.get()
    assert entry.order.transaction_id == body["transaction_id"]
    assert entry.reason == f"4.97 EUR paid on {body['transaction_id']}"
    assert client.get("/api/account").json()["points"] == 49


def test_an_anonymous_checkout_naming_a_card_earns_for_that_card(api_client, shop, ann):
    _, customer = ann
    assert checkout(api_client, customer_id=customer.card_number).status_code == 201
    assert ledger(customer) == [("earn", 49)]


def test_an_anonymous_checkout_earns_nothing(api_client, shop, ann):
    checkout(api_client)
    assert not PointsEntry.objects.exists()


def test_deposits_and_vouchers_earn_nothing(ann):
    client, customer = ann
    make_product(
        product_id="W12",
        name="Water crate",
        price=Decimal("5.99"),
        deposit=Decimal("3.30"),
        category=make_category("Drinks"),
    )
    cart = [{"product_id": "W12", "quantity": 2}]
    voucher = make_voucher_code("1.00")
    # Goods 11.98, deposits 6.60; the 1.00 voucher is spread over both, cent-exact:
    # 100 x 1198 / 1858 = 64.47 and 100 x 660 / 1858 = 35.52 -> 64 + 36 cents (largest remainder).
    # Paid for goods: 11.98 - 0.64 = 11.34 -> 113 points.
    response = checkout(client, cart=cart, vouchers=[voucher], total_amount=17.58)
    assert response.status_code == 201, response.json()
    assert ledger(customer) == [("earn", 113)]


def test_earning_is_once_per_order_whichever_path_sees_it_paid(shop, ann):
    _, customer = ann
    client = ann[0]
    order = Order.objects.get(transaction_id=checkout(client).json()["transaction_id"])
    # The webhook and reconciliation arrive after the charge's own answer:
    assert transition_order(order, to="succeeded", reason="webhook: payment succeeded") is False
    assert earn_points(order=order) is None
    assert ledger(customer) == [("earn", 49)]


def test_redeemed_points_are_a_discount_line_spread_over_the_goods(shop, ann):
    client, customer = ann
    give(customer, 300)
    quote = client.post(
        "/api/checkout/quote", {"cart": spec_body()["cart"], "redeem_points": 200}, format="json"
    ).json()
    # 2.00 over apple 3.98 and banana 0.99: 200 x 398 / 497 = 160.16, 200 x 99 / 497 = 39.84
    # -> 160 + 40 cents.
    assert quote["total"] == 2.97 and quote["points_redeemed"] == 200
    assert quote["discount_total"] == 2.00
    assert [(line["product_id"], line["total"]) for line in quote["lines"]] == [
        ("12345", 2.38),
        ("23456", 0.59),
    ]
    response = checkout(client, redeem_points=200, total_amount=2.97)
    assert response.status_code == 201, response.json()
    receipt = response.json()["receipt"]
    assert receipt["total"] == 2.97
    order = Order.objects.get(transaction_id=response.json()["transaction_id"])
    assert [line.discounts for line in order.lines.order_by("pk")] == [
        [
            {
                "promotion_id": "loyalty-points",
                "amount": "1.60",
                "reason": "200 loyalty points",
                "template": "%(points)s loyalty points",
                "values": {"points": 200},
            }
        ],
        [
            {
                "promotion_id": "loyalty-points",
                "amount": "0.40",
                "reason": "200 loyalty points",
                "template": "%(points)s loyalty points",
                "values": {"points": 200},
            }
        ],
    ]
    # 2.97 paid earns 29; 300 - 200 + 29
    assert ledger(customer) == [("adjust", 300), ("redeem", -200), ("earn", 29)]
    assert points_balance(customer) == 129


def test_redeeming_more_than_held_is_a_409_and_charges_nothing(shop, ann):
    client, customer = ann
    give(customer, 100)
    before = snapshot()
    response = checkout(client, redeem_points=101, total_amount=3.96)
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_points"
    assert response.json()["detail"] == {"requested": 101, "balance": 100}
    assert snapshot() == before and ledger(customer) == [("adjust", 100)]


def test_points_never_take_the_total_below_zero(shop, ann):
    client, customer = ann
    give(customer, 1000)
    quote = client.post(
        "/api/checkout/quote", {"cart": spec_body()["cart"], "redeem_points": 600}, format="json"
    ).json()
    assert quote["points_redeemed"] == 497 and quote["total"] == 0
    before = snapshot()
    response = checkout(client, redeem_points=600, total_amount=0)
    # Nothing left to pay: refused as any free basket is (a paid order needs a payment).
    assert response.status_code == 422 and response.json()["code"] == "nothing_to_pay"
    assert snapshot() == before and points_balance(customer) == 1000


@pytest.mark.parametrize("customer_id", ["", "card"])
def test_redeeming_needs_the_signed_in_owner(api_client, shop, ann, customer_id):
    _, customer = ann
    give(customer, 300)
    named = customer.card_number if customer_id == "card" else ""
    response = checkout(api_client, customer_id=named, redeem_points=100, total_amount=3.97)
    assert response.status_code == 403 and response.json()["code"] == "sign_in_to_redeem"
    assert points_balance(customer) == 300


@pytest.mark.parametrize("points", [-1, "lots", 1.5, 10_000_001])
def test_a_bad_redeem_points_is_a_400(shop, ann, points):
    client, _ = ann
    response = checkout(client, redeem_points=points)
    assert response.status_code == 400 and "redeem_points" in response.json()["detail"]


def test_a_declined_payment_gives_the_points_back(shop, ann):
    client, customer = ann
    give(customer, 300)
    response = checkout(client, redeem_points=200, total_amount=2.97, payment_token="tok_decline")
    assert response.status_code == 402
    assert ledger(customer) == [("adjust", 300), ("redeem", -200), ("reverse", 200)]
    assert points_balance(customer) == 300


def paid_with_points(client, customer):
    give(customer, 300)
    response = checkout(client, redeem_points=200, total_amount=2.97)
    return Order.objects.get(transaction_id=response.json()["transaction_id"])


def test_a_full_refund_takes_back_what_was_earned_and_gives_back_what_was_redeemed(shop, ann):
    client, customer = ann
    order = paid_with_points(client, customer)
    refund_order(order=order, amount=Decimal("2.97"), reason="changed mind")
    assert ledger(customer)[-2:] == [("reverse", -29), ("reverse", 200)]
    assert points_balance(customer) == 300


def test_partial_refunds_reverse_in_proportion_and_end_where_a_full_one_would(shop, ann):
    client, customer = ann
    order = paid_with_points(client, customer)
    refund_order(order=order, amount=Decimal("1.00"))
    # 1.97 of 2.97 left: keeps floor(29 x 1.97 / 2.97) = 19 earned, still spends
    # floor(200 x 1.97 / 2.97) = 132 redeemed.
    assert ledger(customer)[-2:] == [("reverse", -10), ("reverse", 68)]
    refund_order(order=order, amount=Decimal("1.97"))
    assert ledger(customer)[-2:] == [("reverse", -19), ("reverse", 132)]
    assert points_balance(customer) == 300


def test_a_returned_line_reverses_its_share(shop, ann, manager):
    client, customer = ann
    order = paid_with_points(client, customer)
    staff = APIClient()
    staff.force_authenticate(manager)
    banana = order.lines.get(product_code="23456")
    response = staff.post(
        f"/api/receipts/{order.transaction_id}/returns",
        {"lines": [{"line_id": banana.pk, "quantity": 1, "restock": True}]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    # 0.59 refunded, 2.38 left: keeps floor(29 x 2.38 / 2.97) = 23, still spends
    # floor(200 x 2.38 / 2.97) = 160: the banana's 40 points come back.
    assert ledger(customer)[-2:] == [("reverse", -6), ("reverse", 40)]


def test_points_expire_oldest_first_once(ann, settings):
    settings.LOYALTY_POINTS_EXPIRE_DAYS = 365
    _, customer = ann
    now = timezone.now()
    for days, kind, points in [(400, "earn", 100), (10, "earn", 50), (5, "redeem", -30)]:
        PointsEntry.objects.create(
            customer=customer,
            kind=kind,
            points=points,
            reason="history",
            created_at=now - timedelta(days=days),
        )
    # The redeem used 30 of the oldest 100; the other 70 are over a year old.
    assert expire_points(now=now) == 1
    assert expire_points(now=now) == 0
    assert ledger(customer)[-1] == ("expire", -70)
    assert points_balance(customer) == 50
    # A year later the 50 go too.
    assert expire_points(now=now + timedelta(days=360)) == 1
    assert points_balance(customer) == 0


def test_expiry_runs_daily_from_beat(settings):
    from customers.tasks import expire_points_task

    assert settings.CELERY_BEAT_SCHEDULE["expire-points"]["task"] == expire_points_task.name


def test_adjusting_below_zero_is_refused(ann):
    _, customer = ann
    give(customer, 10)
    user = get_user_model().objects.get(email="ann@example.com")
    with pytest.raises(InsufficientPoints):
        adjust_points(customer=customer, points=-11, reason="typo", user=user)
    assert points_balance(customer) == 10


# A signed-in checkout of the SPEC's basket redeeming points: the anonymous one's 26 (with
# the cart's store and the chain's stock mirror) plus the session and its user (2), the account, whether "789" names
# another account, the balance (3), the account's lock, the balance under it and the redeem
# entry (3), and the earn: its account, the lines paid, the once-only check and the entry in a
# savepoint (6). 40 today, one of headroom.
QUERIES = 41
TIMED_OUT = 1.0  # longer than the fake Stripe fixture's STRIPE_TIMEOUT_SECONDS (0.5)


def test_reconciliation_that_finds_it_paid_earns_once(shop, ann, fake_stripe):
    client, customer = ann
    give(customer, 300)
    # Stripe takes the money; every answer is lost: the order waits for reconciliation.
    fake_stripe.fail("POST /v1/payment_intents", "hang_after", times=3, seconds=TIMED_OUT)
    response = checkout(client, redeem_points=200, total_amount=2.97, payment_token="pm_card_visa")
    assert response.status_code == 202
    order = Order.objects.get()
    assert ledger(customer) == [("adjust", 300), ("redeem", -200)]  # held while pending
    assert reconciliation.reconcile_order(pk=order.pk) == "succeeded"
    reconciliation.reconcile_order(pk=order.pk)  # the periodic pass, again
    assert ledger(customer) == [("adjust", 300), ("redeem", -200), ("earn", 29)]


def test_reconciliation_that_finds_nothing_charged_gives_the_points_back(shop, ann, fake_stripe):
    client, customer = ann
    give(customer, 300)
    fake_stripe.fail("POST /v1/payment_intents", "hang_before", times=3, seconds=TIMED_OUT)
    checkout(client, redeem_points=200, total_amount=2.97, payment_token="pm_card_visa")
    assert reconciliation.reconcile_order(pk=Order.objects.get().pk) == "failed"
    assert ledger(customer) == [("adjust", 300), ("redeem", -200), ("reverse", 200)]
    assert points_balance(customer) == 300


def test_a_replay_with_other_points_is_not_the_same_request(shop, ann):
    client, customer = ann
    give(customer, 300)
    key = {"HTTP_IDEMPOTENCY_KEY": "pay-once"}
    first = client.post(
        "/api/checkout", spec_body(redeem_points=200, total_amount=2.97), format="json", **key
    )
    again = client.post(
        "/api/checkout", spec_body(redeem_points=200, total_amount=2.97), format="json", **key
    )
    other = client.post(
        "/api/checkout", spec_body(redeem_points=100, total_amount=3.97), format="json", **key
    )
    assert first.status_code == again.status_code == 201
    assert first.json()["transaction_id"] == again.json()["transaction_id"]
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert ledger(customer) == [("adjust", 300), ("redeem", -200), ("earn", 29)]


def test_a_signed_in_checkout_with_points_stays_a_few_queries(
    shop, ann, django_assert_max_num_queries
):
    client, customer = ann
    give(customer, 300)
    client.get("/api/account")  # the session is warm
    with django_assert_max_num_queries(QUERIES) as counted:
        response = checkout(client, redeem_points=200, total_amount=2.97)
    assert response.status_code == 201, counted


# The rules at their edges, priced by hand (10 points per euro paid, a point worth 0.01).


@pytest.mark.parametrize(
    ("value", "points", "worth"),
    [("0.01", 250, "2.50"), ("0.05", 3, "0.15"), ("0.005", 3, "0.02")],  # 0.015 rounds half up
)
def test_a_point_is_worth_its_setting(settings, value, points, worth):
    settings.LOYALTY_POINT_VALUE = Decimal(value)
    assert points_value(points) == Decimal(worth)


def test_redeeming_the_whole_balance_is_allowed(shop, ann):
    client, customer = ann
    give(customer, 200)
    assert checkout(client, redeem_points=200, total_amount=2.97).status_code == 201
    assert points_balance(customer) == 29  # 0 left, and 2.97 paid earns 29


def test_a_redeem_beyond_the_balance_names_both(shop, ann):
    client, customer = ann
    body = checkout(client).json()  # earns 49
    order = Order.objects.get(transaction_id=body["transaction_id"])
    give(customer, 80)
    with pytest.raises(InsufficientPoints) as refused:
        redeem_points(customer=customer, points=130, order=order)
    assert refused.value.detail == {"requested": 130, "balance": 129}
    entry = redeem_points(customer=customer, points=129, order=order)
    assert (entry.points, entry.reason) == (-129, f"redeemed on {order.transaction_id}")
    assert points_balance(customer) == 0


def test_a_failed_payment_gives_back_a_single_point_to_its_own_customer(shop, ann):
    client, customer = ann
    other = APIClient()
    sign_up(other, email="bob@example.com")
    bob = Customer.objects.get(user__email="bob@example.com")
    paid_with_points(other, bob)  # Bob's redeem entry is the older one
    give(customer, 5)
    response = checkout(client, redeem_points=1, total_amount=4.96, payment_token="tok_decline")
    assert response.status_code == 402, response.json()
    assert ledger(customer) == [("adjust", 5), ("redeem", -1), ("reverse", 1)]
    back = customer.points.get(kind="reverse")
    assert back.order.transaction_id == response.json()["transaction_id"] and back.reason
    assert points_balance(bob) == 129


def test_points_are_given_back_once_however_often_asked(shop, ann):
    client, customer = ann
    give(customer, 300)
    checkout(client, redeem_points=200, total_amount=2.97, payment_token="tok_decline")
    order = Order.objects.get()
    assert give_back_redeemed(order=order, reason="asked again") is None
    assert points_balance(customer) == 300


def test_a_full_refund_of_an_order_that_only_earned_takes_back_its_points(shop, ann):
    client, customer = ann
    body = checkout(client).json()
    refund_order(
        order=Order.objects.get(transaction_id=body["transaction_id"]), amount=Decimal("4.97")
    )
    assert ledger(customer) == [("earn", 49), ("reverse", -49)]


def test_a_refund_of_one_cent_moves_single_points_once(shop, ann):
    client, customer = ann
    order = paid_with_points(client, customer)  # 29 earned, 200 redeemed, 2.97 paid
    refund_order(order=order, amount=Decimal("0.01"))
    # 2.96 left: keeps floor(29 x 2.96 / 2.97) = 28, still spends floor(200 x 2.96 / 2.97) = 199.
    assert ledger(customer)[-2:] == [("reverse", -1), ("reverse", 1)]
    assert customer.points.filter(kind="reverse", order=order).count() == 2
    assert set(customer.points.filter(kind="reverse").values_list("reason", flat=True)) == {
        f"refund on {order.transaction_id}: 0.01 of 2.97 refunded"
    }
    refund_order(order=order, amount=Decimal("2.96"))
    assert ledger(customer)[-2:] == [("reverse", -28), ("reverse", 199)]
    assert points_balance(customer) == 300


def test_a_refund_of_an_order_that_earned_nothing_only_gives_back(shop, ann, settings):
    settings.LOYALTY_POINTS_PER_UNIT = Decimal(0)
    client, customer = ann
    order = paid_with_points(client, customer)
    refund_order(order=order, amount=Decimal("1.00"))
    # 1.97 of 2.97 left: still spends floor(200 x 1.97 / 2.97) = 132.
    assert ledger(customer) == [("adjust", 300), ("redeem", -200), ("reverse", 68)]


def test_an_order_under_one_euro_reverses_in_proportion(shop, ann):
    client, customer = ann
    banana = [{"product_id": "23456", "quantity": 1}]
    body = checkout(client, cart=banana, total_amount=0.99).json()
    order = Order.objects.get(transaction_id=body["transaction_id"])
    refund_order(order=order, amount=Decimal("0.50"))
    # 0.99 earns 9; 0.49 left keeps floor(9 x 0.49 / 0.99) = 4.
    assert ledger(customer) == [("earn", 9), ("reverse", -5)]


def history(customer, *entries):
    now = timezone.now()
    for days, kind, points in entries:
        PointsEntry.objects.create(
            customer=customer,
            kind=kind,
            points=points,
            reason="history",
            created_at=now - timedelta(days=days),
        )
    return now


def test_a_single_old_point_expires_with_its_reason(ann, settings):
    settings.LOYALTY_POINTS_EXPIRE_DAYS = 365
    _, customer = ann
    now = history(customer, (400, "earn", 1))
    assert expire_points(now=now) == 1
    entry = customer.points.get(kind="expire")
    assert entry.points == -1 and entry.created_at == now
    cutoff = (now - timedelta(days=365)).date()
    assert entry.reason == f"not used within 365 days (added before {cutoff})"


def test_old_spending_counts_once_and_recent_points_stay(ann, settings):
    settings.LOYALTY_POINTS_EXPIRE_DAYS = 365
    _, customer = ann
    # 100 earned and 30 redeemed over a year ago: 70 expire; the 50 of last week stay.
    now = history(customer, (400, "earn", 100), (390, "redeem", -30), (7, "earn", 50))
    other = APIClient()
    sign_up(other, email="bob@example.com")
    bob = Customer.objects.get(user__email="bob@example.com")
    history(bob, (400, "earn", 20))
    carol_client = APIClient()
    sign_up(carol_client, email="carol@example.com")
    carol = Customer.objects.get(user__email="carol@example.com")
    history(carol, (3, "earn", 40))
    assert expire_points(now=now) == 2
    assert ledger(customer)[-1] == ("expire", -70) and points_balance(customer) == 50
    assert points_balance(bob) == 0 and ledger(carol) == [("earn", 40)]


def test_adjusting_to_exactly_zero_is_allowed_and_below_names_the_amounts(ann):
    _, customer = ann
    give(customer, 10)
    with pytest.raises(InsufficientPoints) as refused:
        adjust_points(customer=customer, points=-11, reason="typo", user=None)
    assert refused.value.detail == {"requested": 11, "balance": 10}
    adjust_points(customer=customer, points=-10, reason="typo", user=None)
    assert points_balance(customer) == 0


def test_an_order_paying_for_a_single_point_earns_it(shop, ann, settings):
    settings.LOYALTY_POINTS_PER_UNIT = Decimal(1)
    client, customer = ann
    apple = [{"product_id": "12345", "quantity": 1}]
    assert checkout(client, cart=apple, total_amount=1.99).status_code == 201
    assert ledger(customer) == [("earn", 1)]  # floor(1.99 x 1)


def test_each_paid_order_earns_its_own_points(shop, ann):
    client, customer = ann
    checkout(client)
    checkout(client, cart=[{"product_id": "23456", "quantity": 1}], total_amount=0.99)
    assert ledger(customer) == [("earn", 49), ("earn", 9)]


def test_redeemed_points_go_back_to_the_order_s_own_customer(shop, ann):
    client, customer = ann
    order = paid_with_points(client, customer)
    other = APIClient()
    sign_up(other, email="bob@example.com")
    bob = Customer.objects.get(user__email="bob@example.com")
    paid_with_points(other, bob)  # the newer redeem entry is Bob's
    give_back_redeemed(order=order, reason="payment reversed by the bank")
    assert ledger(customer)[-1] == ("reverse", 200) and points_balance(customer) == 329
    assert points_balance(bob) == 129


def test_a_refund_that_takes_back_a_single_point(shop, ann):
    client, customer = ann
    body = checkout(client).json()
    order = Order.objects.get(transaction_id=body["transaction_id"])
    refund_order(order=order, amount=Decimal("0.10"))
    # 4.87 of 4.97 left keeps floor(49 x 4.87 / 4.97) = 48.
    assert ledger(customer) == [("earn", 49), ("reverse", -1)]


def test_a_refund_that_gives_back_a_single_point(shop, ann, settings):
    settings.LOYALTY_POINTS_PER_UNIT = Decimal(0)
    client, customer = ann
    order = paid_with_points(client, customer)
    refund_order(order=order, amount=Decimal("0.01"))
    # 2.96 of 2.97 left still spends floor(200 x 2.96 / 2.97) = 199.
    assert ledger(customer) == [("adjust", 300), ("redeem", -200), ("reverse", 1)]


def test_forfeiting_takes_the_whole_balance_even_one_point_and_writes_nothing_for_none(ann):
    _, customer = ann
    assert forfeit_points(customer=customer, reason="account deleted") is None  # no points
    assert ledger(customer) == []
    give(customer, 1)
    entry = forfeit_points(customer=customer, reason="account deleted")
    assert (entry.kind, entry.points) == ("forfeit", -1)
    assert points_balance(customer) == 0
