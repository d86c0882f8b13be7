"""VAT per rate, deposits and deposit-return vouchers through the public API."""

from decimal import Decimal

import pytest

from catalog.models import Product
from checkout.models import Order, OrderTax, VoucherRedemption
from tests.factories import make_category, make_product, make_promotion, make_voucher_code
from tests.fixtures.checkout import snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def drinks(db):
    """A crate of water (19 %, deposit 3.30 at 19 %) and bread (food, 7 %)."""
    food = make_category("Bakery")
    food.tax_class = "reduced"
    food.save()
    return {
        "water": make_product(
            product_id="W12",
            name="Mineral water, crate of 12",
            price=Decimal("5.99"),
            deposit=Decimal("3.30"),
            tax_class="standard",
            category=make_category("Drinks"),
        ),
        "bread": make_product(
            product_id="B1", name="Rye bread", price=Decimal("2.49"), category=food
        ),
    }


def quote(client, cart, vouchers=None):
    body = {"cart": cart}
    if vouchers is not None:
        body["vouchers"] = vouchers
    return client.post("/api/checkout/quote", body, format="json")


def checkout(client, cart, total, vouchers=(), **headers):
    body = {
        "customer_id": "c1",
        "cart": cart,
        "payment_method": "credit_card",
        "total_amount": total,
        "vouchers": list(vouchers),
    }
    return client.post("/api/checkout", body, format="json", **headers)


CART = [{"product_id": "W12", "quantity": 1}, {"product_id": "B1", "quantity": 2}]


def test_a_quote_carries_vat_per_rate_and_the_deposit_as_its_own_line(api_client, drinks):
    body = quote(api_client, CART).json()
    # 5.99 + 2 × 2.49 + deposit 3.30
    assert body["total"] == 14.27
    assert body["deposit_total"] == 3.30
    assert body["deposits"] == [
        {
            "product_id": "W12",
            "name": "Deposit: Mineral water, crate of 12",
            "quantity": 1,
            "unit_amount": 3.30,
            "total": 3.30,
            "tax_rate": 19.0,
        }
    ]
    # 19 %: 5.99 + 3.30 = 9.29, tax 1.48; 7 %: 4.98, tax 0.33
    assert body["taxes"] == [
        {"rate": 19.0, "net": 7.81, "tax": 1.48, "gross": 9.29},
        {"rate": 7.0, "net": 4.65, "tax": 0.33, "gross": 4.98},
    ]
    assert body["tax"] == 1.81
    lines = {line["product_id"]: line for line in body["lines"]}
    assert lines["W12"]["tax_rate"] == 19.0 and lines["W12"]["deposit"] == 3.30
    assert lines["B1"]["tax_rate"] == 7.0 and lines["B1"]["deposit"] == 0


def test_a_promotion_never_discounts_the_deposit(api_client, drinks):
    make_promotion(kind="percentage", percent=Decimal(50), products=[drinks["water"]])
    body = quote(api_client, [{"product_id": "W12", "quantity": 2}]).json()
    assert body["discount_total"] == 5.99
    assert body["deposit_total"] == 6.60
    assert body["total"] == 5.99 + 6.60


def test_checkout_stores_taxes_per_rate_and_each_lines_rate(api_client, drinks):
    response = checkout(api_client, CART, 14.27)
    assert response.status_code == 201, response.json()
    receipt = response.json()["receipt"]
    assert [t["rate"] for t in receipt["taxes"]] == [19.0, 7.0]
    assert receipt["deposits"][0]["total"] == 3.30
    order = Order.objects.get()
    assert order.tax == Decimal("1.81")
    assert list(OrderTax.objects.values_list("rate", "net", "tax", "gross")) == [
        (Decimal("19.00"), Decimal("7.81"), Decimal("1.48"), Decimal("9.29")),
        (Decimal("7.00"), Decimal("4.65"), Decimal("0.33"), Decimal("4.98")),
    ]
    lines = {line.product_code: line for line in order.lines.all()}
    assert lines["W12"].tax_rate == 19 and lines["W12"].deposit == Decimal("3.30")
    assert lines["B1"].tax_rate == 7 and lines["B1"].paid == Decimal("4.98")
    # The receipt read later says the same as the checkout's answer.
    again = api_client.get(f"/api/receipts/{order.transaction_id}").json()
    assert again["taxes"] == receipt["taxes"] and again["deposits"] == receipt["deposits"]


def test_a_voucher_is_a_negative_line_spread_over_the_rates(api_client, drinks):
    code = make_voucher_code("3.30")
    body = quote(api_client, CART, [code]).json()
    assert body["vouchers"] == [{"code": code, "amount": 3.30, "applied": 3.30}]
    assert body["voucher_total"] == 3.30
    assert body["total"] == 10.97
    assert sum(Decimal(str(t["gross"])) for t in body["taxes"]) == Decimal("10.97")
    response = checkout(api_client, CART, 10.97, [code])
    assert response.status_code == 201, response.json()
    assert response.json()["receipt"]["vouchers"][0]["code"] == code
    assert VoucherRedemption.objects.get().code == code


def test_a_voucher_worth_more_than_the_basket_leaves_nothing_to_pay(api_client, drinks):
    body = quote(api_client, [{"product_id": "B1", "quantity": 1}], [make_voucher_code("9.00")])
    assert body.json()["total"] == 0
    assert body.json()["vouchers"][0]["applied"] == 2.49


def test_a_redeemed_voucher_is_refused_and_nothing_changes(api_client, drinks):
    code = make_voucher_code("1.00")
    assert checkout(api_client, CART, 13.27, [code]).status_code == 201
    before = snapshot()
    again = checkout(api_client, CART, 13.27, [code])
    assert again.status_code == 409
    assert again.json()["code"] == "voucher_redeemed" and code in again.json()["message"]
    assert snapshot() == before
    assert quote(api_client, CART, [code]).json()["code"] == "voucher_redeemed"


OTHER_SHOP = make_voucher_code("1.00", store="07")
WORTH_NOTHING = make_voucher_code("0.00")


@pytest.mark.parametrize(
    ("code", "status", "error", "message"),
    [
        (
            "2901000100105",
            400,
            "invalid_voucher",
            "Voucher 2901000100105: the check digit does not match.",
        ),
        # a product's GTIN, not a voucher
        ("4006381333931", 400, "invalid_voucher", "4006381333931 is not a deposit voucher."),
        # digits, but not 13 of them; 13 characters, but not all digits
        ("12345", 400, "invalid_voucher", "A deposit voucher is a 13-digit EAN-13."),
        ("29010001001A5", 400, "invalid_voucher", "A deposit voucher is a 13-digit EAN-13."),
        (
            OTHER_SHOP,
            422,
            "voucher_other_shop",
            f"Voucher {OTHER_SHOP} was printed by another shop.",
        ),
        (WORTH_NOTHING, 400, "invalid_voucher", f"Voucher {WORTH_NOTHING} is worth nothing."),
    ],
)
def test_bad_vouchers_are_named_and_change_nothing(
    api_client, drinks, code, status, error, message
):
    """The answer says what is wrong with the voucher and names it, so the phone can point at it."""
    before = snapshot()
    response = checkout(api_client, CART, 14.27, [code])
    assert response.status_code == status
    assert response.json() == {"code": error, "message": message, "detail": {"voucher": code}}
    assert snapshot() == before and not VoucherRedemption.objects.exists()


def test_a_blank_voucher_scan_is_not_a_voucher():
    from checkout.errors import InvalidVoucher
    from checkout.vouchers import parse_voucher

    for blank in ("", None, "   "):
        with pytest.raises(InvalidVoucher) as refused:
            parse_voucher(blank)
        assert refused.value.message == "A deposit voucher is a 13-digit EAN-13."
        assert refused.value.detail == {"voucher": ""}


def test_the_same_voucher_twice_in_one_basket_is_refused(api_client, drinks):
    code = make_voucher_code("1.00")
    response = quote(api_client, CART, [code, code])
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_voucher",
        "message": f"Voucher {code} is listed twice.",
        "detail": {"voucher": code},
    }


def test_a_failed_payment_gives_the_voucher_back(api_client, drinks):
    code = make_voucher_code("1.00")
    body = {
        "customer_id": "c1",
        "cart": CART,
        "payment_method": "credit_card",
        "total_amount": 13.27,
        "vouchers": [code],
        "payment_token": "tok_decline",
    }
    response = api_client.post("/api/checkout", body, format="json")
    assert response.json()["status"] == "failed"
    assert not VoucherRedemption.objects.exists()
    assert checkout(api_client, CART, 13.27, [code]).status_code == 201


def test_weighed_goods_carry_no_deposit(drinks):
    from django.core.exceptions import ValidationError

    cheese = Product(
        product_id="C1",
        name="Cheese",
        price=Decimal("1.99"),
        unit="kg",
        deposit=Decimal("0.25"),
        category=make_category("Cheese"),
    )
    with pytest.raises(ValidationError):
        cheese.full_clean()


def test_a_voucher_scanned_into_the_cart_prices_it_until_checkout(api_client, drinks):
    code = make_voucher_code("3.30")
    api_client.post("/api/cart/lines", {"product_id": "W12", "quantity": 1}, format="json")
    cart = api_client.post("/api/cart/vouchers", {"code": code}, format="json").json()
    assert cart["vouchers"] == [{"code": code, "amount": 3.30, "applied": 3.30}]
    assert cart["deposit_total"] == 3.30 and cart["total"] == 5.99
    assert sum(t["gross"] for t in cart["taxes"]) == pytest.approx(5.99)
    bad = api_client.post("/api/cart/vouchers", {"code": "2901000100105"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_voucher"
    response = checkout(api_client, [{"product_id": "W12", "quantity": 1}], 5.99, [code])
    assert response.status_code == 201, response.json()
    after = api_client.get("/api/cart").json()
    assert after["vouchers"] == [] and after["lines"] == []  # bought and redeemed: gone
    again = api_client.post("/api/cart/vouchers", {"code": code}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "voucher_redeemed"


def test_a_voucher_can_be_taken_out_of_the_cart(api_client, drinks):
    code = make_voucher_code("1.00")
    api_client.post("/api/cart/lines", {"product_id": "B1", "quantity": 1}, format="json")
    api_client.post("/api/cart/vouchers", {"code": code}, format="json")
    cart = api_client.delete(f"/api/cart/vouchers/{code}").json()
    assert cart["vouchers"] == [] and cart["total"] == 2.49
