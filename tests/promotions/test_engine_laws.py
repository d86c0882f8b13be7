"""The engine's laws, checked by hypothesis over random carts and random promotion sets."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import combinations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from promotions.engine import CENT, Kind, Line, Rule, apply_promotions

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
CATEGORIES = ["fruit", "dairy", "snacks"]
PRODUCTS = [f"p{n}" for n in range(8)]

prices = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("60.00"), places=2)
units = st.integers(min_value=1, max_value=7).map(Decimal)
weights = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("3.000"), places=3)


@st.composite
def lines(draw):
    product_id = draw(st.sampled_from(PRODUCTS))
    weighed = draw(st.booleans())
    return Line(
        product_id=product_id,
        # a product always has one category and price within a cart
        category=CATEGORIES[PRODUCTS.index(product_id) % len(CATEGORIES)],
        unit_price=Decimal(PRODUCTS.index(product_id) * 37 % 500 + 1)
        / 100
        * draw(st.sampled_from([1, 3, 10])),
        quantity=draw(weights if weighed else units),
        name=product_id.upper(),
        sold_by_weight=weighed,
    )


carts = st.lists(lines(), min_size=0, max_size=8).map(
    # one line per product: the checkout merges a product's quantities into one line
    lambda ls: list({line.product_id: line for line in ls}.values())
)


@st.composite
def rules(draw, promotion_id: str):
    kind = draw(
        st.sampled_from(
            [Kind.PERCENTAGE, Kind.FIXED_OFF, Kind.BUY_X_GET_Y, Kind.MULTIBUY, Kind.THRESHOLD]
        )
    )
    target = draw(st.sampled_from(["products", "categories", "basket"]))
    fields = {
        "product_ids": frozenset(draw(st.sets(st.sampled_from(PRODUCTS), min_size=1)))
        if target == "products"
        else frozenset(),
        "categories": frozenset(draw(st.sets(st.sampled_from(CATEGORIES), min_size=1)))
        if target == "categories"
        else frozenset(),
        "whole_basket": target == "basket",
        "stackable": draw(st.booleans()),
        "priority": draw(st.integers(0, 3)),
    }
    if kind == Kind.PERCENTAGE:
        fields["percent"] = draw(st.decimals(min_value=1, max_value=100, places=1))
    elif kind == Kind.FIXED_OFF:
        fields["amount"] = draw(prices.filter(lambda p: p > 0))
    elif kind == Kind.BUY_X_GET_Y:
        fields["buy_quantity"] = draw(st.integers(1, 3))
        fields["free_quantity"] = draw(st.integers(1, 2))
    elif kind == Kind.MULTIBUY:
        size = draw(st.integers(2, 4))
        fields["bundle_quantity"] = size
        if draw(st.booleans()):
            fields["pay_quantity"] = draw(st.integers(1, size - 1))
        else:
            fields["bundle_price"] = draw(prices.filter(lambda p: p > 0))
    else:
        fields["amount"] = draw(prices.filter(lambda p: p > 0))
        fields["threshold"] = draw(prices)
    return Rule(
        promotion_id=promotion_id,
        name=f"Promo {promotion_id}",
        kind=kind,
        valid_from=NOW - timedelta(days=1),
        valid_until=NOW + timedelta(days=1),
        **fields,
    )


rule_sets = st.integers(0, 5).flatmap(
    lambda n: st.tuples(*(rules(f"r{i}") for i in range(n))).map(list)
)


def gross(line: Line) -> Decimal:
    return (line.unit_price * line.quantity).quantize(CENT, rounding="ROUND_HALF_UP")


def total_off(discounts) -> Decimal:
    return sum((d.amount for d in discounts), Decimal(0))


# The machine is shared and busy: judge the laws, not the clock.
@settings(deadline=None)
@given(carts, rule_sets)
def test_a_discount_never_exceeds_what_it_discounts(cart, promos):
    found = apply_promotions(cart, promos, NOW)
    by_product = {line.product_id: gross(line) for line in cart}
    for product_id, line_total in by_product.items():
        assert total_off(d for d in found if d.product_id == product_id) <= line_total
    for discount in found:
        assert discount.amount > 0
        assert discount.product_id in by_product
        assert discount.reason.startswith(f"Promo {discount.promotion_id}: ")


@settings(deadline=None)
@given(carts, rule_sets)
def test_a_total_is_never_negative(cart, promos):
    subtotal = sum((gross(line) for line in cart), Decimal(0))
    assert subtotal - total_off(apply_promotions(cart, promos, NOW)) >= 0


@settings(deadline=None)
@given(carts, rule_sets)
def test_amounts_are_whole_cents(cart, promos):
    for discount in apply_promotions(cart, promos, NOW):
        assert discount.amount == discount.amount.quantize(CENT)


@settings(deadline=None)
@given(carts, rule_sets, st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_order(cart, promos, rng: random.Random):
    expected = apply_promotions(cart, promos, NOW)
    shuffled_cart, shuffled_promos = cart[:], promos[:]
    rng.shuffle(shuffled_cart)
    rng.shuffle(shuffled_promos)
    assert apply_promotions(shuffled_cart, shuffled_promos, NOW) == expected


@settings(deadline=None)
@given(carts, rule_sets)
def test_splitting_a_line_changes_nothing(cart, promos):
    split = []
    for line in cart:
        if not line.sold_by_weight and line.quantity > 1:
            split += [
                Line(**{**line.__dict__, "quantity": Decimal(1)}),
                Line(**{**line.__dict__, "quantity": line.quantity - 1}),
            ]
        else:
            split.append(line)
    assert apply_promotions(split, promos, NOW) == apply_promotions(cart, promos, NOW)


def _rule(promotion_id: str, kind: str, **fields) -> Rule:
    return Rule(
        promotion_id,
        f"Promo {promotion_id}",
        kind,
        NOW - timedelta(days=1),
        NOW + timedelta(days=1),
        **fields,
    )


def _units(product_id: str, price: str, quantity: str, weighed: bool = False) -> Line:
    category = CATEGORIES[PRODUCTS.index(product_id) % len(CATEGORIES)]
    return Line(
        product_id, category, Decimal(price), Decimal(quantity), product_id.upper(), weighed
    )


@settings(max_examples=60, deadline=None)
@given(carts, rule_sets)
# Found by CI: the buy-one-get-one frees the 0.01 unit that the stacking 0.01 off would have
# zeroed anyway, and the stacking 1 % then rounds 2.49 down instead of 2.50 up.
@example(
    cart=[
        _units("p0", "0.01", "1"),
        _units("p2", "0.75", "0.874", weighed=True),
        _units("p3", "1.12", "1"),
        _units("p5", "5.58", "0.127", weighed=True),
    ],
    promos=[
        _rule("r0", Kind.BUY_X_GET_Y, whole_basket=True, buy_quantity=1, free_quantity=1),
        _rule(
            "r1",
            Kind.PERCENTAGE,
            categories=frozenset(CATEGORIES),
            percent=Decimal("1.0"),
            stackable=True,
        ),
        _rule("r2", Kind.FIXED_OFF, whole_basket=True, amount=Decimal("0.01"), stackable=True),
    ],
)
# The same between stacking promotions: 8.4 % takes a cent of p0 that the 0.01 off would have
# taken, and 21.4 % of 0.81 rounds to 0.17 where 21.4 % of 0.82 gave 0.18.
@example(
    cart=[_units("p0", "0.01", "6"), _units("p1", "0.38", "2")],
    promos=[
        _rule(
            "r0",
            Kind.PERCENTAGE,
            product_ids=frozenset({"p0"}),
            percent=Decimal("8.4"),
            stackable=True,
        ),
        _rule(
            "r1",
            Kind.PERCENTAGE,
            product_ids=frozenset({"p0", "p1"}),
            percent=Decimal("21.4"),
            stackable=True,
        ),
        _rule("r2", Kind.FIXED_OFF, whole_basket=True, amount=Decimal("0.01"), stackable=True),
    ],
)
def test_the_customer_gets_the_best_outcome(cart, promos):
    """No subset of the promotions (in particular no other choice among the non-stacking ones,
    and no single promotion alone) would have saved the customer more."""
    best = total_off(apply_promotions(cart, promos, NOW))
    for size in range(len(promos)):
        for subset in combinations(promos, size):
            assert total_off(apply_promotions(cart, list(subset), NOW)) <= best


@settings(deadline=None)
@given(carts, rule_sets)
def test_non_stacking_promotions_never_share_a_product(cart, promos):
    exclusive = {p.promotion_id for p in promos if not p.stackable}
    seen: dict[str, str] = {}
    for discount in apply_promotions(cart, promos, NOW):
        if discount.promotion_id in exclusive:
            assert seen.setdefault(discount.product_id, discount.promotion_id) == (
                discount.promotion_id
            )


@settings(deadline=None)
@given(carts, st.decimals(min_value=1, max_value=100, places=0))
def test_percentage_off_the_basket_is_the_rounded_percentage_of_the_subtotal(cart, percent):
    everything = Rule(
        "all",
        "All",
        Kind.PERCENTAGE,
        NOW - timedelta(1),
        NOW + timedelta(1),
        whole_basket=True,
        percent=percent,
    )
    subtotal = sum((gross(line) for line in cart), Decimal(0))
    expected = (subtotal * percent / 100).quantize(CENT, rounding="ROUND_HALF_UP")
    assert total_off(apply_promotions(cart, [everything], NOW)) == expected


@settings(deadline=None)
@given(carts, prices.filter(lambda p: p > 0))
def test_a_threshold_amount_is_spread_to_the_cent(cart, amount):
    spend = Rule(
        "spend",
        "Spend",
        Kind.THRESHOLD,
        NOW - timedelta(1),
        NOW + timedelta(1),
        whole_basket=True,
        amount=amount,
        threshold=Decimal(0),
    )
    subtotal = sum((gross(line) for line in cart), Decimal(0))
    assert total_off(apply_promotions(cart, [spend], NOW)) == min(amount, subtotal)
