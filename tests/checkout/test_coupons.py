"""Coupons (promotions that need a code) and member prices, through the quote and checkout API.

Every figure was worked out by hand on the SPEC's basket: 2 apples at 1.99 (3.98) and a banana
at 0.99, 4.97 in all. The coupon takes 10 % off the apples: 0.398, rounded once to 0.40, so
4.57 to pay."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import get_home_store
from checkout.coupons import AppliedCoupon, check_coupons, redeem_coupons
from checkout.errors import CouponNotApplicable
from checkout.models import CouponRedemption, Order
from checkout.pricing import RequestedLine, quote_cart
from checkout.services.refunds import refund_order
from customers.models import Customer
from promotions.models import Promotion
from tests.customers.test_accounts import sign_up
from tests.factories import make_product, make_promotion
from tests.fixtures.checkout import snapshot, spec_body

pytestmark = pytest.mark.django_db

WITH_COUPON = 4.57


@pytest.fixture
def coupon(shop):
    return make_promotion(
        products=[shop["apple"]], name="Apples 10 %", coupon_code="save10", uses_limit=5
    )


def member(email="ann@example.com"):
    client = APIClient()
    return client, sign_up(client, email=email).json()


def quote(client, **changes):
    body = {"cart": spec_body()["cart"], **changes}
    return client.post("/api/checkout/quote", body, format="json")


def refusals(response) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.json()
    assert response.json()["code"] == "coupon_not_applicable"
    return [(c["code"], c["reason"]) for c in response.json()["detail"]["coupons"]]


def test_a_coupon_applies_only_with_its_code_typed_in_any_case(api_client, coupon):
    assert quote(api_client).json()["total"] == 4.97
    body = quote(api_client, coupons=[" Save10 "]).json()
    assert body["total"] == WITH_COUPON and body["discount_total"] == 0.40
    assert body["coupons"] == [{"code": "SAVE10", "promotion_id": coupon.code, "amount": 0.40}]
    apples = body["lines"][0]
    assert apples["discount"] == 0.40 and apples["discounts"][0]["promotion_id"] == coupon.code


def test_a_checkout_with_a_coupon_records_one_use(api_client, coupon):
    response = api_client.post(
        "/api/checkout", spec_body(coupons=["SAVE10"], total_amount=WITH_COUPON), format="json"
    )
    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    assert order.total == Decimal("4.57")
    assert list(order.coupons.values_list("code", "promotion")) == [("SAVE10", coupon.pk)]


def test_a_code_that_does_not_exist_is_a_422_naming_it(api_client, coupon):
    response = quote(api_client, coupons=["SAVE10", "nope"])
    assert refusals(response) == [("NOPE", "unknown")]
    assert response.json()["message"] == "NOPE is not a coupon code of this shop."


@pytest.mark.parametrize(
    ("days_from", "days_until", "reason", "message"),
    [
        (-3, -1, "expired", "Coupon OLD has expired."),
        (1, 3, "not_started", "Coupon OLD is not valid yet."),
    ],
)
def test_a_coupon_outside_its_dates_says_so(
    api_client, shop, days_from, days_until, reason, message
):
    now = timezone.now()
    make_promotion(
        products=[shop["apple"]],
        coupon_code="OLD",
        valid_from=now + timedelta(days=days_from),
        valid_until=now + timedelta(days=days_until),
    )
    response = quote(api_client, coupons=["old"])
    assert refusals(response) == [("OLD", reason)]
    assert response.json()["message"] == message


def test_a_withdrawn_coupon_has_expired(api_client, coupon):
    coupon.is_active = False
    coupon.save()
    assert refusals(quote(api_client, coupons=["SAVE10"])) == [("SAVE10", "expired")]


def test_a_basket_too_small_names_the_minimum(api_client, shop):
    make_promotion(products=[shop["apple"]], coupon_code="BIG", min_basket=Decimal("5.00"))
    response = quote(api_client, coupons=["BIG"])  # 4.97 < 5.00
    assert refusals(response) == [("BIG", "basket_too_small")]
    assert response.json()["message"] == "Coupon BIG needs a basket of at least 5.00."
    bigger = [{"product_id": "12345", "quantity": 3}]  # 5.97: 10 % of it is 0.597 -> 0.60
    assert quote(api_client, cart=bigger, coupons=["BIG"]).json()["total"] == 5.37


def test_a_basket_of_exactly_the_minimum_takes_the_coupon(api_client, shop):
    make_promotion(products=[shop["apple"]], coupon_code="EXACT", min_basket=Decimal("4.97"))
    assert quote(api_client, coupons=["EXACT"]).json()["total"] == WITH_COUPON  # "at least"


def test_a_coupon_for_nothing_in_the_basket_does_not_apply(api_client, shop):
    other = make_product(product_id="99999", price=Decimal("2.00"))
    make_promotion(products=[other], coupon_code="CHEESE")
    response = quote(api_client, coupons=["CHEESE"])
    assert refusals(response) == [("CHEESE", "not_applicable")]
    assert response.json()["message"] == "Coupon CHEESE does not apply to anything in this basket."


def test_every_refused_code_is_named_at_once(api_client, coupon, shop):
    make_promotion(products=[shop["apple"]], coupon_code="BIG", min_basket=Decimal("5.00"))
    response = quote(api_client, coupons=["x-1", "SAVE10", "BIG"])
    assert refusals(response) == [("X-1", "unknown"), ("BIG", "basket_too_small")]


def test_a_refused_code_at_checkout_charges_and_redeems_nothing(api_client, coupon):
    before = snapshot()
    response = api_client.post(
        "/api/checkout", spec_body(coupons=["NOPE"], total_amount=WITH_COUPON), format="json"
    )
    assert refusals(response) == [("NOPE", "unknown")]
    assert snapshot() == before and not CouponRedemption.objects.exists()


def test_a_members_coupon_needs_a_signed_in_customer_or_their_card(api_client, shop):
    make_promotion(products=[shop["apple"]], coupon_code="MEMBER", members_only=True)
    response = quote(api_client, coupons=["MEMBER"])
    assert refusals(response) == [("MEMBER", "members_only")]
    assert response.json()["message"] == (
        "Coupon MEMBER is for members: sign in or give your loyalty card number."
    )
    client, account = member()
    assert quote(client, coupons=["MEMBER"]).json()["total"] == WITH_COUPON
    by_card = quote(api_client, coupons=["MEMBER"], customer_id=account["card_number"])
    assert by_card.json()["total"] == WITH_COUPON


def test_a_member_price_applies_to_members_only(api_client, shop):
    make_promotion(products=[shop["apple"]], name="Member price", members_only=True)
    assert quote(api_client).json()["total"] == 4.97
    assert quote(api_client, customer_id="789").json()["total"] == 4.97  # a label, no account
    client, account = member()
    assert quote(client).json()["total"] == WITH_COUPON
    assert quote(api_client, customer_id=account["card_number"]).json()["total"] == WITH_COUPON


def test_the_overall_limit_refuses_the_use_after_the_last(api_client, shop):
    make_promotion(products=[shop["apple"]], coupon_code="ONCE", uses_limit=1)
    body = spec_body(coupons=["ONCE"], total_amount=WITH_COUPON)
    assert api_client.post("/api/checkout", body, format="json").status_code == 201
    assert refusals(quote(api_client, coupons=["ONCE"])) == [("ONCE", "used_up")]
    before = snapshot()
    response = APIClient().post("/api/checkout", body, format="json")
    assert refusals(response) == [("ONCE", "used_up")]
    assert response.json()["message"] == "Coupon ONCE has been used up."
    assert snapshot() == before and CouponRedemption.objects.count() == 1


def test_the_limit_per_customer_counts_each_member_apart(shop):
    make_promotion(products=[shop["apple"]], coupon_code="TWICE", uses_per_customer=2)
    ann, _ = member()
    bob, _ = member("bob@example.com")
    body = spec_body(customer_id="", coupons=["TWICE"], total_amount=WITH_COUPON)
    for _ in range(2):
        assert ann.post("/api/checkout", body, format="json").status_code == 201
    # the quote already says so, before any checkout is tried
    response = quote(ann, coupons=["TWICE"], customer_id="")
    assert refusals(response) == [("TWICE", "limit_per_customer")]
    assert response.json()["message"] == (
        "You have already used coupon TWICE as often as it allows."
    )
    assert refusals(ann.post("/api/checkout", body, format="json")) == [
        ("TWICE", "limit_per_customer")
    ]
    assert bob.post("/api/checkout", body, format="json").status_code == 201
    assert CouponRedemption.objects.count() == 3
    # Counted per member, so nobody anonymous can use it.
    assert refusals(quote(APIClient(), coupons=["TWICE"])) == [("TWICE", "members_only")]


def test_a_declined_payment_gives_the_use_back(api_client, shop):
    make_promotion(products=[shop["apple"]], coupon_code="ONCE", uses_limit=1)
    declined = spec_body(coupons=["ONCE"], total_amount=WITH_COUPON, payment_token="tok_decline")
    assert api_client.post("/api/checkout", declined, format="json").status_code == 402
    assert not CouponRedemption.objects.exists()
    paid = spec_body(coupons=["ONCE"], total_amount=WITH_COUPON)
    assert api_client.post("/api/checkout", paid, format="json").status_code == 201


def test_only_a_full_refund_gives_the_use_back(api_client, shop):
    make_promotion(products=[shop["apple"]], coupon_code="ONCE", uses_limit=1)
    body = spec_body(coupons=["ONCE"], total_amount=WITH_COUPON)
    api_client.post("/api/checkout", body, format="json")
    order = Order.objects.get()
    refund_order(order=order, amount=Decimal("1.00"))
    assert CouponRedemption.objects.count() == 1
    refund_order(order=order, amount=Decimal("3.57"))
    assert not CouponRedemption.objects.exists()
    assert quote(api_client, coupons=["ONCE"]).json()["total"] == WITH_COUPON


def test_the_reason_reads_in_german(api_client, coupon):
    response = api_client.post(
        "/api/checkout/quote",
        {"cart": spec_body()["cart"], "coupons": ["NOPE"]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.json()["message"] == "NOPE ist kein Rabattcode dieses Geschäfts."


def test_coupon_codes_are_unique_whatever_their_case(coupon, shop):
    with pytest.raises(ValidationError) as caught:
        make_promotion(products=[shop["apple"]], coupon_code="SAVE10 ".lower())
    assert "coupon_code" in str(caught.value) or "promotion_coupon_code_unique" in str(caught.value)


def test_limits_need_a_code_to_count_by(shop):
    with pytest.raises(ValidationError) as caught:
        make_promotion(products=[shop["apple"]], uses_limit=3)
    assert "coupon_code" in caught.value.message_dict


def test_a_members_cart_shows_the_member_price_its_checkout_charges(shop):
    make_promotion(products=[shop["apple"]], name="Member price", members_only=True)
    client, _ = member()
    client.post("/api/cart/lines", {"product_id": "12345", "quantity": 2}, format="json")
    client.post("/api/cart/lines", {"product_id": "23456", "quantity": 1}, format="json")
    assert client.get("/api/cart").json()["total"] == WITH_COUPON
    anonymous = APIClient()
    anonymous.post("/api/cart/lines", {"product_id": "12345", "quantity": 2}, format="json")
    assert anonymous.get("/api/cart").json()["total"] == 3.98
    body = spec_body(customer_id="", total_amount=WITH_COUPON)
    assert client.post("/api/checkout", body, format="json").status_code == 201


def test_a_basket_coupon_adds_up_its_share_of_every_line(api_client, shop):
    coupon = make_promotion(coupon_code="BASKET")  # 10 % off the whole basket
    body = quote(api_client, coupons=["basket"]).json()
    # 10 % of 4.97 = 0.497, rounded once: 0.50 off, spread over the apples and the banana.
    assert body["total"] == 4.47
    assert body["coupons"] == [{"code": "BASKET", "promotion_id": coupon.code, "amount": 0.50}]
    assert sum(line["discount"] for line in body["lines"]) == pytest.approx(0.50)
    assert all(line["discount"] > 0 for line in body["lines"])


def test_a_code_given_twice_counts_once(api_client, coupon):
    body = quote(api_client, coupons=["SAVE10", "save10"]).json()
    assert body["total"] == WITH_COUPON and len(body["coupons"]) == 1


def test_a_coupon_is_not_advertised_on_the_product_or_the_promotions_list(api_client, coupon, shop):
    plain = make_promotion(products=[shop["apple"]], name="Open offer")
    product = api_client.get("/api/products/12345").json()
    assert [p["id"] for p in product["promotions"]] == [plain.code]
    listed = [p["id"] for p in api_client.get("/api/promotions").json()["promotions"]]
    assert listed == [plain.code]


def test_an_idempotency_key_reused_with_other_coupons_is_refused(api_client, coupon):
    headers = {"HTTP_IDEMPOTENCY_KEY": "k-1"}
    body = spec_body(coupons=["SAVE10"], total_amount=WITH_COUPON)
    first = api_client.post("/api/checkout", body, format="json", **headers)
    assert first.status_code == 201
    again = api_client.post("/api/checkout", body, format="json", **headers)
    assert again.json()["transaction_id"] == first.json()["transaction_id"]
    other = api_client.post("/api/checkout", spec_body(), format="json", **headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert CouponRedemption.objects.count() == 1


def test_the_order_admin_shows_the_coupon_used(api_client, admin_client, coupon):
    body = spec_body(coupons=["save10"], total_amount=WITH_COUPON)
    api_client.post("/api/checkout", body, format="json")
    page = admin_client.get(f"/admin/checkout/order/{Order.objects.get().pk}/change/")
    assert "Coupons used" in page.content.decode() and "SAVE10" in page.content.decode()


def test_a_code_stored_in_lower_case_without_the_form_still_matches(api_client, shop):
    promotion = make_promotion(products=[shop["apple"]])
    Promotion.objects.filter(pk=promotion.pk).update(coupon_code="lower5")  # e.g. a data import
    assert quote(api_client).json()["total"] == 4.97
    assert quote(api_client, coupons=["LOWER5"]).json()["total"] == WITH_COUPON


def test_a_printed_coupons_qr_is_its_link_and_tells_nothing_about_which_codes_exist(client):
    import io

    import zxingcpp
    from PIL import Image

    response = client.get("/c/save10/qr.png")
    assert response.status_code == 200
    texts = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))]
    assert texts == ["https://shop.example/c/SAVE10"]  # the code as stored: upper case
    # no promotion has that code, and the answer is the same: no oracle for guessing codes
    assert client.get("/c/SAVE10/qr.svg")["Content-Type"].startswith("image/svg+xml")
    assert client.get("/c/-x/qr.svg").status_code == 404  # not a code's shape
    # the link itself opens the app, which puts the code on the cart
    assert client.get("/c/SAVE10").status_code == 200


def test_admin_shows_a_coupons_qr_to_print(admin_client, coupon):
    page = admin_client.get(f"/admin/promotions/promotion/{coupon.pk}/change/").content.decode()
    assert 'src="/c/SAVE10/qr.svg"' in page
    assert "https://shop.example/c/SAVE10" in page


def test_a_basket_with_two_coupons_records_a_use_of_each(api_client, shop):
    make_promotion(products=[shop["apple"]], coupon_code="APPLES")  # 10 %: 0.40 off 3.98
    make_promotion(products=[shop["banana"]], coupon_code="BANANA")  # 10 %: 0.099 -> 0.10
    body = spec_body(coupons=["BANANA", "APPLES"], total_amount=4.47)  # 4.97 - 0.40 - 0.10
    response = api_client.post("/api/checkout", body, format="json")
    assert response.status_code == 201, response.json()
    assert sorted(CouponRedemption.objects.values_list("code", flat=True)) == ["APPLES", "BANANA"]


def test_a_coupon_is_judged_at_the_instant_the_basket_is_priced(shop):
    """A basket priced for a moment takes that moment's coupons, as it takes its promotions."""
    now = timezone.now()
    week = make_promotion(
        products=[shop["apple"]],
        coupon_code="LASTWEEK",
        valid_from=now - timedelta(days=7),
        valid_until=now - timedelta(days=1),
    )
    given = {
        "customer": None,
        "basket": Decimal("4.97"),
        "discounts": {week.code: Decimal("0.40")},
        "store": get_home_store(),
    }
    applied = check_coupons(["LASTWEEK"], at=now - timedelta(days=3), **given)
    assert [(c.code, c.amount) for c in applied] == [("LASTWEEK", Decimal("0.40"))]
    with pytest.raises(CouponNotApplicable) as refused_now:
        check_coupons(["LASTWEEK"], at=now, **given)
    assert refused_now.value.detail["coupons"][0]["reason"] == "expired"


def test_the_checkout_counts_a_members_uses_again_under_the_lock(shop):
    """What the quote saw may be stale by the time the order is written: the checkout's own
    count refuses the member's use beyond their share, naming the code."""
    twice = make_promotion(products=[shop["apple"]], coupon_code="TWICE", uses_per_customer=2)
    ann, _ = member()
    body = spec_body(customer_id="", coupons=["TWICE"], total_amount=WITH_COUPON)
    for _ in range(2):
        assert ann.post("/api/checkout", body, format="json").status_code == 201
    customer = Customer.objects.get()
    another_order = Order.objects.first()
    with pytest.raises(CouponNotApplicable) as refused:
        redeem_coupons(
            order=another_order,
            coupons=[AppliedCoupon("TWICE", twice, Decimal("0.40"))],
            customer=customer,
        )
    assert refused.value.detail["coupons"] == [
        {
            "code": "TWICE",
            "reason": "limit_per_customer",
            "message": "You have already used coupon TWICE as often as it allows.",
        }
    ]
    assert CouponRedemption.objects.count() == 2


def test_a_quote_for_a_past_instant_takes_the_coupon_valid_then(shop):
    """quote_cart hands its instant to the coupons as to the promotions: a basket priced for
    last Tuesday keeps last Tuesday's coupon, which has ended since."""
    now = timezone.now()
    make_promotion(
        products=[shop["apple"]],
        coupon_code="LASTWEEK",
        valid_from=now - timedelta(days=7),
        valid_until=now - timedelta(days=1),
    )
    lines = [RequestedLine("12345", 1)]
    quote = quote_cart(lines, coupons=["LASTWEEK"], at=now - timedelta(days=3))
    assert [c.code for c in quote.coupons] == ["LASTWEEK"] and quote.total < Decimal("1.99")
    with pytest.raises(CouponNotApplicable):
        quote_cart(lines, coupons=["LASTWEEK"], at=now)
