"""The pricing function's rules at their edges: the largest line, the last unit in stock, the
moment a quote is priced for, weighed lines and unit deals, and errors that name every bad line."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.errors import OutOfStock
from catalog.models import Store, Unit, get_home_store
from checkout.errors import InvalidQuantity, ProductInactive, UnknownProducts
from checkout.pricing import RequestedLine, price_lines, quote_cart
from tests.factories import make_category, make_product, make_promotion

pytestmark = pytest.mark.django_db


def quote(api_client, *lines):
    body = {"cart": [{"product_id": pid, "quantity": qty} for pid, qty in lines]}
    return api_client.post("/api/checkout/quote", body, format="json")


@pytest.fixture
def shelf(db):
    return {
        "apple": make_product(product_id="apple", price=Decimal("0.50"), stock=Decimal(60)),
        "cheese": make_product(
            product_id="cheese", price=Decimal("12.90"), unit=Unit.KG, stock=Decimal(30)
        ),
    }


def test_the_largest_line_is_sold_and_one_more_is_refused(api_client, shelf, settings):
    settings.MAX_LINE_QUANTITY, settings.MAX_LINE_KG = 50, Decimal(25)
    assert quote(api_client, ("apple", 50)).json()["total"] == 25.00
    assert quote(api_client, ("cheese", 25)).json()["total"] == 322.50
    too_many = quote(api_client, ("apple", 51), ("cheese", 25.001))
    assert too_many.status_code == 400
    assert too_many.json()["detail"]["lines"] == {
        "apple": "must be at most 50 on one line",
        "cheese": "must be at most 25 kg on one line",
    }


def test_a_quantity_of_zero_never_reaches_a_price():
    make_product(product_id="apple")
    with pytest.raises(InvalidQuantity) as refused:
        quote_cart([RequestedLine("apple", Decimal(0))])
    assert refused.value.detail == {"lines": {"apple": "must be greater than zero"}}


def test_reserve_sells_the_last_unit_and_refuses_one_beyond(api_client, settings):
    settings.STOCK_POLICY = "reserve"
    make_product(product_id="apple", price=Decimal("0.50"), stock=Decimal(3))
    assert quote(api_client, ("apple", 3)).json()["total"] == 1.50
    make_product(product_id="pear", price=Decimal("0.70"), stock=Decimal(1))
    beyond = quote(api_client, ("apple", 4), ("pear", 1))
    assert beyond.status_code == 409
    assert beyond.json()["message"] == "Not enough stock for apple."
    assert beyond.json()["detail"]["lines"] == [
        {"product_id": "apple", "requested": 4.0, "available": 3.0}
    ]
    both = quote(api_client, ("apple", 4), ("pear", 2))
    assert both.json()["message"] == "Not enough stock for apple, pear."
    assert [line["product_id"] for line in both.json()["detail"]["lines"]] == ["apple", "pear"]


def test_every_bad_line_is_named_in_the_error(api_client, shelf):
    unknown = quote(api_client, ("nope", 1), ("gone", 1), ("apple", 1))
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == {"product_ids": ["gone", "nope"]}
    assert unknown.json()["message"] == "Unknown product: gone, nope."

    make_product(product_id="old", is_active=False)
    make_product(product_id="older", is_active=False)
    inactive = quote(api_client, ("older", 1), ("old", 1), ("apple", 1))
    assert inactive.status_code == 409
    assert inactive.json()["detail"] == {"product_ids": ["old", "older"]}
    assert inactive.json()["message"] == "No longer sold: old, older."

    halves = quote(api_client, ("apple", 1.5), ("cheese", 1))
    assert halves.status_code == 400, halves.json()
    assert halves.json()["detail"]["lines"] == {
        "apple": "must be a whole number for items sold each"
    }
    assert (
        halves.json()["message"] == "Quantity for apple must be a whole number for items sold each."
    )
    with pytest.raises(InvalidQuantity) as grams:
        quote_cart([RequestedLine("cheese", Decimal("0.0005")), RequestedLine("apple", Decimal(0))])
    assert grams.value.detail == {
        "lines": {
            "cheese": "must have at most 3 decimals (kg)",
            "apple": "must be greater than zero",
        }
    }


def test_a_quote_is_priced_for_its_own_moment():
    """A basket priced for a moment inside a promotion's window gets it, whatever the clock says."""
    apple = make_product(product_id="apple", price=Decimal("1.00"))
    now = timezone.now()
    make_promotion(
        products=[apple],
        percent=Decimal(50),
        valid_from=now + timedelta(days=2),
        valid_until=now + timedelta(days=3),
    )
    later = now + timedelta(days=2, hours=1)
    quoted = quote_cart([RequestedLine("apple", Decimal(2))], at=later)
    assert (quoted.total, quoted.priced_at) == (Decimal("1.00"), later)
    assert quote_cart([RequestedLine("apple", Decimal(2))]).total == Decimal("2.00")


def test_a_whole_number_of_kilograms_gets_no_unit_deal(api_client):
    """2 kg of potatoes are not 2 items: 0.10 off each item leaves them at full price."""
    veg = make_category("Veg")
    make_product(product_id="potatoes", price=Decimal("1.49"), unit=Unit.KG, category=veg)
    make_product(product_id="leek", price=Decimal("0.99"), category=veg)
    make_promotion(categories=[veg], kind="fixed_off", percent=None, amount=Decimal("0.10"))
    body = quote(api_client, ("potatoes", 2), ("leek", 2)).json()
    assert [(line["product_id"], line["discount"]) for line in body["lines"]] == [
        ("potatoes", 0.0),
        ("leek", 0.20),
    ]
    assert body["total"] == 2.98 + 1.78
    # The basket's list of savings names the line each one is on: 2 × 0.10 off the leeks.
    assert [(d["product_id"], d["amount"]) for d in body["discounts"]] == [("leek", 0.20)]


def test_every_voucher_already_redeemed_is_named(api_client, shelf):
    from tests.factories import make_voucher_code

    used = [make_voucher_code("1.00", serial=2), make_voucher_code("1.00", serial=1)]
    fresh = make_voucher_code("1.00", serial=3)
    for code in used:  # 10 apples 5.00 - 1.00 = 4.00, paid
        body = {
            "cart": [{"product_id": "apple", "quantity": 10}],
            "payment_method": "credit_card",
            "total_amount": 4.00,
            "vouchers": [code],
        }
        assert api_client.post("/api/checkout", body, format="json").status_code == 201
    body = {"cart": [{"product_id": "apple", "quantity": 10}], "vouchers": [*used, fresh]}
    refused = api_client.post("/api/checkout/quote", body, format="json")
    assert refused.status_code == 409
    assert refused.json() == {
        "code": "voucher_redeemed",
        "message": f"Vouchers {used[1]}, {used[0]} were already redeemed.",
        "detail": {"vouchers": [used[1], used[0]]},
    }


def test_a_bigger_basket_costs_no_more_queries(api_client):
    """Products are read with their categories (VAT class, promotions by category) in one query:
    four lines in four categories cost what one line costs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(4):
        make_product(product_id=f"p{i}", price=Decimal("1.00"), category=make_category(f"C{i}"))

    def queries(lines: int) -> int:
        body = {"cart": [{"product_id": f"p{i}", "quantity": 1} for i in range(lines)]}
        with CaptureQueriesContext(connection) as ran:
            assert api_client.post("/api/checkout/quote", body, format="json").status_code == 200
        return len(ran.captured_queries)

    queries(1)  # the running promotions, read once and cached
    assert queries(4) == queries(1)


def test_a_member_price_is_for_a_named_member_only(django_user_model):
    from customers.models import Customer

    apple = make_product(product_id="apple", price=Decimal("1.00"))
    make_promotion(products=[apple], name="Member price", members_only=True)  # 10 % off
    lines = [RequestedLine("apple", Decimal(2))]
    assert quote_cart(lines).total == Decimal("2.00")
    user = django_user_model.objects.create_user("ann", "ann@example.com", "pw")
    member = Customer.objects.create(user=user, card_number="2800000000007")
    assert quote_cart(lines, customer=member).total == Decimal("1.80")


def test_the_vouchers_already_redeemed_are_refused_by_code():
    from checkout.errors import VoucherRedeemed
    from checkout.models import VoucherRedemption
    from checkout.vouchers import parse_voucher
    from tests.factories import make_paid_order, make_voucher_code

    apple = make_product(product_id="apple", price=Decimal("0.50"))
    used = [make_voucher_code("1.00", serial=2), make_voucher_code("1.00", serial=1)]
    order = make_paid_order(apple)
    for code in used:
        VoucherRedemption.objects.create(
            code=code, transaction=order, amount=Decimal("1.00"), applied=Decimal("1.00")
        )
    vouchers = [parse_voucher(code) for code in [*used, make_voucher_code("1.00", serial=3)]]
    with pytest.raises(VoucherRedeemed) as refused:
        quote_cart([RequestedLine("apple", Decimal(10))], vouchers=vouchers)
    assert refused.value.detail == {"vouchers": [used[1], used[0]]}
    assert str(refused.value.message) == f"Vouchers {used[1]}, {used[0]} were already redeemed."


def test_the_pricing_function_names_every_bad_line_in_order(settings):
    """The same refusals as the API's above, from the function every quote and checkout calls."""
    settings.STOCK_POLICY = "reserve"
    make_product(product_id="apple", stock=Decimal(3))
    make_product(product_id="pear", stock=Decimal(1))
    make_product(product_id="old", is_active=False)
    make_product(product_id="older", is_active=False)

    def refusal(*lines):
        with pytest.raises((UnknownProducts, ProductInactive, OutOfStock)) as refused:
            quote_cart([RequestedLine(pid, Decimal(qty)) for pid, qty in lines])
        return type(refused.value), str(refused.value.message), refused.value.detail

    assert refusal(("nope", 1), ("gone", 1), ("apple", 1)) == (
        UnknownProducts,
        "Unknown product: gone, nope.",
        {"product_ids": ["gone", "nope"]},
    )
    assert refusal(("older", 1), ("old", 1), ("apple", 1)) == (
        ProductInactive,
        "No longer sold: old, older.",
        {"product_ids": ["old", "older"]},
    )
    assert refusal(("apple", 4), ("pear", 2)) == (
        OutOfStock,
        "Not enough stock for apple, pear.",
        {
            "lines": [
                {"product_id": "apple", "requested": Decimal(4), "available": Decimal(3)},
                {"product_id": "pear", "requested": Decimal(2), "available": Decimal(1)},
            ]
        },
    )


def test_priced_without_a_store_the_home_stores_promotions_apply():
    """price_lines' default: the promotions running in the home store, not another store's."""
    apple = make_product(product_id="apple", price=Decimal("2.00"))
    town = Store.objects.create(code="town", name="Town")
    make_promotion(name="Home", percent=Decimal(10), products=[apple], stores=[get_home_store()])
    make_promotion(name="Town", percent=Decimal(50), products=[apple], stores=[town])
    assert price_lines([(apple, Decimal(1))]).total == Decimal("1.80")
    assert price_lines([(apple, Decimal(1))], store=town).total == Decimal("1.00")
