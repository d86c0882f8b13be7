"""Redeemed loyalty points in the one pricing function, priced by hand: a discount line after
promotions and before vouchers, spread over the goods cent-exact (largest remainder), only whole
points the goods have room for, deposits never discounted. Every figure was worked out on paper
(the comment on each row shows the sum)."""

from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from checkout.pricing import POINTS_DISCOUNT_ID, RequestedLine, quote_cart
from checkout.vouchers import parse_vouchers
from tests.factories import make_category, make_product, make_promotion, make_voucher_code

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Row:
    """`lines`: (product_id, points discount, line total after every discount) in cart order."""

    name: str
    cart: list[tuple[str, str]]
    points: int
    redeemed: int
    lines: list[tuple[str, str, str]]
    total: str
    point_value: str = "0.01"
    vouchers: list[str] = field(default_factory=list)
    paid: list[tuple[str, str]] = field(default_factory=list)  # (goods, deposit) per line


ROWS = [
    Row("no points: nothing off", [("milk", "3")], 0, 0, [("milk", "0.00", "3.57")], "3.57"),
    Row("a negative ask is nothing", [("milk", "3")], -5, 0, [("milk", "0.00", "3.57")], "3.57"),
    Row(
        "150 points on 3 x 1.19 = 3.57: 1.50 off, 2.07",
        [("milk", "3")],
        150,
        150,
        [("milk", "1.50", "2.07")],
        "2.07",
    ),
    Row(
        "1.00 over bread 2.49 and rolls 0.90: 100 x 249 / 339 = 73.45, 100 x 90 / 339 = 26.55;"
        " the leftover cent to the larger remainder (rolls): 73 + 27",
        [("bread", "1"), ("roll", "3")],
        100,
        100,
        [("bread", "0.73", "1.76"), ("roll", "0.27", "0.63")],
        "2.39",
    ),
    Row(
        "after the promotion: 10% off milk 3.57 = 0.36 off, 3.21 left; 21 points: 3.00",
        [("dairy-milk", "3")],
        21,
        21,
        [("dairy-milk", "0.21", "3.00")],
        "3.00",
    ),
    Row(
        "more points than goods: only 357 of 1000 are used, the total is 0",
        [("milk", "3")],
        1000,
        357,
        [("milk", "3.57", "0.00")],
        "0.00",
    ),
    Row(
        "the deposit is never discounted: 599 points for the 5.99 crate, 3.30 deposit left",
        [("water", "1")],
        1000,
        599,
        [("water", "5.99", "0.00")],
        "3.30",
    ),
    Row(
        "points worth 0.05: room for 3.57 // 0.05 = 71 whole points = 3.55 off, 0.02 left",
        [("milk", "3")],
        100,
        71,
        [("milk", "3.55", "0.02")],
        "0.02",
        point_value="0.05",
    ),
    Row(
        "points before vouchers: crate 5.99 - 2.00 = 3.99 plus deposit 3.30 is 7.29, less the"
        " 1.00 voucher 6.29; the voucher spread 100 x 399 / 729 = 54.73, 100 x 330 / 729 ="
        " 45.27 -> 55 + 45: goods paid 3.44, deposit paid 2.85",
        [("water", "1")],
        200,
        200,
        [("water", "2.00", "3.99")],
        "6.29",
        vouchers=[make_voucher_code("1.00")],
        paid=[("3.44", "2.85")],
    ),
]


@pytest.fixture
def shelf(db):
    make_product(product_id="milk", price=Decimal("1.19"), category=make_category("Fridge"))
    dairy = make_product(
        product_id="dairy-milk", price=Decimal("1.19"), category=make_category("Dairy")
    )
    make_promotion(percent=Decimal(10), products=[dairy])
    make_product(product_id="bread", price=Decimal("2.49"))
    make_product(product_id="roll", price=Decimal("0.30"))
    make_product(
        product_id="water",
        price=Decimal("5.99"),
        deposit=Decimal("3.30"),
        category=make_category("Drinks"),
    )


@pytest.mark.parametrize("row", ROWS, ids=[row.name[:40] for row in ROWS])
def test_points_price_by_hand(shelf, settings, row):
    settings.LOYALTY_POINT_VALUE = Decimal(row.point_value)
    quote = quote_cart(
        [RequestedLine(pid, Decimal(qty)) for pid, qty in row.cart],
        vouchers=parse_vouchers(row.vouchers),
        points=row.points,
    )
    assert quote.points_redeemed == row.redeemed
    found = []
    for line in quote.lines:
        points_off = sum(
            (d.amount for d in line.discounts if d.promotion_id == POINTS_DISCOUNT_ID),
            Decimal(0),
        )
        found.append((line.product.product_id, f"{points_off:.2f}", str(line.total)))
    assert found == row.lines
    assert str(quote.total) == row.total
    assert quote.discount_total == sum((line.discount for line in quote.lines), Decimal(0))
    if row.paid:
        assert [(str(line.paid), str(line.deposit_paid)) for line in quote.lines] == row.paid
    # The quote's list of discounts (the API's "discounts") names the product each share came off.
    listed = {
        (d.product_id, f"{d.amount:.2f}")
        for d in quote.discounts
        if d.promotion_id == POINTS_DISCOUNT_ID
    }
    assert listed == {(pid, off) for pid, off, _ in row.lines if Decimal(off)}
    reasons = {d.reason for d in quote.discounts if d.promotion_id == POINTS_DISCOUNT_ID}
    assert reasons == ({f"{row.redeemed} loyalty points"} if row.redeemed else set())
