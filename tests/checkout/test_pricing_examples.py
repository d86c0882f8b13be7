"""The pricing function worked by hand on unsaved products, with the promotions handed over as
rules (as the laws and the benchmarks hand them): no database, so each example costs a millisecond.

Drinks are at the standard rate (19 %); a bottle's deposit is money held for it, never discounted.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from catalog.models import Category, Product, Unit
from checkout.pricing import price_lines
from checkout.vouchers import Voucher
from promotions.engine import Kind, Rule

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
DRINKS = Category(name="Drinks", slug="drinks", tax_class="standard")


def bottle(product_id: str, price: str, deposit: str = "0") -> Product:
    return Product(
        product_id=product_id,
        name=product_id.title(),
        category=DRINKS,
        price=Decimal(price),
        unit=Unit.EACH,
        deposit=Decimal(deposit),
    )


def voucher(amount: str) -> Voucher:
    return Voucher(code="2901000000011", amount=Decimal(amount))


def live_rule(promotion_id: str, name: str, kind: str, **fields) -> Rule:
    """A promotion running from an hour before NOW to an hour after."""
    window = {"valid_from": NOW - timedelta(hours=1), "valid_until": NOW + timedelta(hours=1)}
    return Rule(promotion_id=promotion_id, name=name, kind=kind, **window, **fields)


HALF_PRICE_JUICE = live_rule(
    "half", "Half price", Kind.PERCENTAGE, percent=Decimal(50), product_ids=frozenset({"juice"})
)


def test_promotions_handed_over_count_at_the_quotes_own_instant():
    juice = [(bottle("juice", "2.00"), Decimal(2))]
    during = price_lines(juice, rules=[HALF_PRICE_JUICE], at=NOW)
    # 2 × 2.00 = 4.00, half off: 2.00 off, 2.00 to pay
    assert (during.subtotal, during.discount_total, during.total) == (
        Decimal("4.00"),
        Decimal("2.00"),
        Decimal("2.00"),
    )
    assert [d.promotion_id for d in during.lines[0].discounts] == ["half"]
    after = price_lines(juice, rules=[HALF_PRICE_JUICE], at=NOW + timedelta(hours=2))
    assert (after.discount_total, after.total) == (Decimal("0.00"), Decimal("4.00"))


def test_a_promotions_reason_names_the_product_it_gives_free():
    three_for_two = live_rule(
        "3for2",
        "3 for 2",
        Kind.MULTIBUY,
        bundle_quantity=3,
        pay_quantity=2,
        product_ids=frozenset({"cola"}),
    )
    quote = price_lines([(bottle("cola", "0.99"), Decimal(3))], rules=[three_for_two], at=NOW)
    assert [str(d.reason) for d in quote.lines[0].discounts] == ["3 for 2: 1 × Cola free"]
    assert quote.total == Decimal("1.98")


def test_a_voucher_pays_at_most_what_is_left_after_discounts_with_the_deposits():
    basket = [(bottle("juice", "2.00"), Decimal(2)), (bottle("water", "0.49", "0.25"), Decimal(1))]
    quote = price_lines(basket, vouchers=[voucher("3.00")], rules=[HALF_PRICE_JUICE], at=NOW)
    # goods 4.00 + 0.49 = 4.49, half off the juice -2.00, deposit +0.25: 2.74 due, all of it
    # paid by the 3.00 voucher (the 0.26 left on it is not paid out)
    assert (quote.subtotal, quote.discount_total, quote.deposit_total) == (
        Decimal("4.49"),
        Decimal("2.00"),
        Decimal("0.25"),
    )
    assert [v.applied for v in quote.vouchers] == [Decimal("2.74")]
    assert (quote.voucher_total, quote.total) == (Decimal("2.74"), Decimal("0.00"))


def test_a_voucher_is_shared_over_goods_and_deposits_by_their_amounts():
    basket = [
        (bottle("water", "1.00", "0.25"), Decimal(1)),
        (bottle("juice", "2.00", "0.15"), Decimal(1)),
    ]
    quote = price_lines(basket, vouchers=[voucher("1.36")], rules=[], at=NOW)
    # 1.36 of 3.40 due is 40 % of each amount: water 0.40 and 0.10 of its deposit, juice 0.80
    # and 0.06 of its deposit; what each line paid is the rest
    assert [(line.paid, line.deposit_paid) for line in quote.lines] == [
        (Decimal("0.60"), Decimal("0.15")),
        (Decimal("1.20"), Decimal("0.09")),
    ]
    assert quote.total == Decimal("2.04")


def test_a_single_loyalty_point_takes_a_cent_off():
    quote = price_lines([(bottle("juice", "2.00"), Decimal(1))], points=1, rules=[], at=NOW)
    assert (quote.points_redeemed, quote.total) == (1, Decimal("1.99"))
