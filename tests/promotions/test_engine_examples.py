"""Worked examples for every kind: the figures a cashier could check by hand."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from promotions.engine import Discount, Kind, Line, Rule, apply_promotions

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
START, END = NOW - timedelta(days=1), NOW + timedelta(days=1)


def rule(promotion_id: str, kind: str, **fields) -> Rule:
    fields.setdefault("name", promotion_id)
    return Rule(promotion_id=promotion_id, kind=kind, valid_from=START, valid_until=END, **fields)


def line(product_id, price, quantity, category="fruit", name="", **fields) -> Line:
    return Line(
        product_id, category, Decimal(price), Decimal(quantity), name or product_id, **fields
    )


def amounts(discounts: list[Discount]) -> dict[tuple[str, str], Decimal]:
    return {(d.promotion_id, d.product_id): d.amount for d in discounts}


def test_percentage_off_a_category_including_weighed_lines():
    dairy = rule(
        "dairy10",
        Kind.PERCENTAGE,
        name="10% off dairy",
        percent=Decimal(10),
        categories=frozenset({"dairy"}),
    )
    cart = [
        line("milk", "1.19", 2, "dairy", "Milk"),  # 2.38 -> 0.238
        line("gouda", "12.90", "0.347", "dairy", "Gouda"),  # 4.48 (4.4763) -> 0.448
        line("apple", "0.50", 4, "fruit"),
    ]
    found = apply_promotions(cart, [dairy], NOW)
    # 10 % of 6.86 is 0.686 -> 0.69, split by share: milk 0.2394, gouda 0.4506; floors give
    # 0.23 + 0.45 = 0.68 and the last cent goes to the larger remainder, milk's.
    assert amounts(found) == {
        ("dairy10", "gouda"): Decimal("0.45"),
        ("dairy10", "milk"): Decimal("0.24"),
    }
    assert found[0].reason == "10% off dairy: 10% off"


def test_fixed_amount_off_each_unit_never_below_zero_and_not_for_weighed_lines():
    off = rule(
        "off50",
        Kind.FIXED_OFF,
        name="0.50 off bread",
        amount=Decimal("0.50"),
        categories=frozenset({"bakery"}),
    )
    cart = [
        line("loaf", "2.49", 3, "bakery", "Loaf"),
        line("roll", "0.30", 2, "bakery", "Roll"),  # 0.50 off a 0.30 roll: capped at 0.60 total
        line("cake", "9.90", "0.250", "bakery", "Cake by weight"),
    ]
    found = apply_promotions(cart, [off], NOW)
    assert amounts(found) == {
        ("off50", "loaf"): Decimal("1.50"),
        ("off50", "roll"): Decimal("0.60"),
    }
    assert "0.50 off × 3" in next(d.reason for d in found if d.product_id == "loaf")


def test_buy_one_get_one_free_gives_the_cheapest_units():
    bogof = rule(
        "bogof",
        Kind.BUY_X_GET_Y,
        name="Buy 1 get 1 free",
        buy_quantity=1,
        free_quantity=1,
        categories=frozenset({"fruit"}),
    )
    cart = [
        line("mango", "1.80", 1, name="Mango"),
        line("kiwi", "0.40", 2, name="Kiwi"),
        line("plum", "0.90", 2, name="Plum"),
    ]
    # 5 units: 2 free, the cheapest: both kiwis.
    found = apply_promotions(cart, [bogof], NOW)
    assert found == [Discount("bogof", "kiwi", Decimal("0.80"), "Buy 1 get 1 free: 2 × Kiwi free")]


def test_buy_x_get_y_ignores_weighed_lines():
    bogof = rule(
        "bogof", Kind.BUY_X_GET_Y, buy_quantity=1, free_quantity=1, categories=frozenset({"fruit"})
    )
    cart = [line("grapes", "3.99", "2.000", sold_by_weight=True), line("kiwi", "0.40", 1)]
    assert apply_promotions(cart, [bogof], NOW) == []


def test_multibuy_three_for_two():
    three_for_two = rule(
        "3for2",
        Kind.MULTIBUY,
        name="3 for 2",
        bundle_quantity=3,
        pay_quantity=2,
        product_ids=frozenset({"banana", "crisps"}),
    )
    cart = [line("banana", "0.25", 4, name="Banana"), line("crisps", "1.49", 3, "snacks", "Crisps")]
    # 7 units: two bundles, two free units, the cheapest: two bananas.
    assert apply_promotions(cart, [three_for_two], NOW) == [
        Discount("3for2", "banana", Decimal("0.50"), "3 for 2: 2 × Banana free")
    ]


def test_multibuy_two_for_a_price_takes_the_dearest_units():
    two_for_five = rule(
        "2for5",
        Kind.MULTIBUY,
        name="2 for 5.00",
        bundle_quantity=2,
        bundle_price=Decimal("5.00"),
        categories=frozenset({"drinks"}),
    )
    cart = [line("juice", "3.49", 3, "drinks", "Juice"), line("water", "0.59", 1, "drinks")]
    # One bundle of two juices: 6.98 - 5.00 = 1.98; the third juice and the water pay full price.
    assert apply_promotions(cart, [two_for_five], NOW) == [
        Discount("2for5", "juice", Decimal("1.98"), "2 for 5.00: 2 × Juice in 2 for 5.00")
    ]


def test_multibuy_price_that_saves_nothing_gives_nothing():
    dear = rule(
        "2for5",
        Kind.MULTIBUY,
        bundle_quantity=2,
        bundle_price=Decimal("5.00"),
        categories=frozenset({"drinks"}),
    )
    assert apply_promotions([line("water", "0.59", 4, "drinks")], [dear], NOW) == []


def test_basket_threshold_spreads_the_amount_exactly():
    spend = rule(
        "spend50",
        Kind.THRESHOLD,
        name="5.00 off 50.00",
        amount=Decimal("5.00"),
        threshold=Decimal("50.00"),
        whole_basket=True,
        stackable=True,
    )
    cart = [line("a", "10.00", 1), line("b", "20.00", 1), line("c", "20.01", 1)]
    found = apply_promotions(cart, [spend], NOW)
    # 5.00 over 50.01 in proportion: 0.9998 / 1.9996 / 2.0006 -> 0.99 / 1.99 / 2.00, +1 cent to
    # the largest remainder (a).
    assert amounts(found) == {
        ("spend50", "a"): Decimal("1.00"),
        ("spend50", "b"): Decimal("2.00"),
        ("spend50", "c"): Decimal("2.00"),
    }
    assert sum(d.amount for d in found) == Decimal("5.00")
    # one cent short of the threshold: nothing
    assert apply_promotions([line("a", "49.99", 1)], [spend], NOW) == []


def test_non_stacking_promotions_on_the_same_line_give_the_better_one():
    ten = rule("ten", Kind.PERCENTAGE, percent=Decimal(10), categories=frozenset({"fruit"}))
    bogof = rule(
        "bogof", Kind.BUY_X_GET_Y, buy_quantity=1, free_quantity=1, product_ids=frozenset({"kiwi"})
    )
    two_kiwis = [line("kiwi", "0.40", 2)]
    assert amounts(apply_promotions(two_kiwis, [ten, bogof], NOW)) == {
        ("bogof", "kiwi"): Decimal("0.40")
    }
    one_kiwi = [line("kiwi", "0.40", 1)]
    assert amounts(apply_promotions(one_kiwi, [ten, bogof], NOW)) == {
        ("ten", "kiwi"): Decimal("0.04")
    }


def test_stacking_promotion_applies_on_top_of_what_is_left():
    ten = rule("ten", Kind.PERCENTAGE, percent=Decimal(10), categories=frozenset({"fruit"}))
    spend = rule(
        "spend",
        Kind.THRESHOLD,
        amount=Decimal("1.00"),
        threshold=Decimal("10.00"),
        whole_basket=True,
        stackable=True,
    )
    found = apply_promotions([line("melon", "5.00", 2)], [ten, spend], NOW)
    assert amounts(found) == {
        ("ten", "melon"): Decimal("1.00"),
        ("spend", "melon"): Decimal("1.00"),
    }


def test_only_promotions_live_at_the_moment_count():
    ten = rule("ten", Kind.PERCENTAGE, percent=Decimal(10), categories=frozenset({"fruit"}))
    cart = [line("melon", "5.00", 1)]
    assert apply_promotions(cart, [ten], START) != []  # valid_from is included
    assert apply_promotions(cart, [ten], END - timedelta(microseconds=1)) != []
    assert apply_promotions(cart, [ten], END) == []  # valid_until is not
    assert apply_promotions(cart, [ten], START - timedelta(microseconds=1)) == []


def test_same_product_on_two_lines_is_priced_as_one():
    bogof = rule(
        "bogof",
        Kind.BUY_X_GET_Y,
        name="BOGOF",
        buy_quantity=1,
        free_quantity=1,
        product_ids=frozenset({"kiwi"}),
    )
    split = [line("kiwi", "0.40", 1, name="Kiwi"), line("kiwi", "0.40", 1, name="Kiwi")]
    assert apply_promotions(split, [bogof], NOW) == [
        Discount("bogof", "kiwi", Decimal("0.40"), "BOGOF: 1 × Kiwi free")
    ]


def test_a_line_gets_one_non_stacking_promotion_and_the_others_keep_their_lines():
    bogof = rule(
        "bogof",
        Kind.BUY_X_GET_Y,
        name="BOGOF",
        buy_quantity=1,
        free_quantity=1,
        product_ids=frozenset({"banana"}),
    )
    five = rule(
        "five",
        Kind.PERCENTAGE,
        name="5% off fruit",
        percent=Decimal(5),
        categories=frozenset({"fruit"}),
    )
    cart = [line("banana", "0.99", 3, name="Banana"), line("grapes", "4.00", "0.500")]
    # bananas: BOGOF 0.99 beats 5% (0.15); grapes: 5% of 2.00, BOGOF never applies by weight
    assert amounts(apply_promotions(cart, [bogof, five], NOW)) == {
        ("bogof", "banana"): Decimal("0.99"),
        ("five", "grapes"): Decimal("0.10"),
    }


def two_for(price: str, **target) -> Rule:
    return rule(
        "2for", Kind.MULTIBUY, name=f"2 for {price}", bundle_quantity=2,
        bundle_price=Decimal(price), **target,
    )  # fmt: skip


def test_a_bundle_price_bundles_units_of_different_products():
    """2 for 3.00: a juice (1.99) and a milk (1.19) make a bundle saving 0.18, shared by value:
    0.18 × 199/318 = 0.1126 -> 0.11, 0.18 × 119/318 = 0.0673 -> 0.06, and the leftover cent to
    the larger remainder (milk's .73): 0.11 + 0.07."""
    cart = [line("juice", "1.99", 1, "drinks", "Juice"), line("milk", "1.19", 1, "drinks", "Milk")]
    found = apply_promotions(cart, [two_for("3.00", categories=frozenset({"drinks"}))], NOW)
    assert amounts(found) == {("2for", "juice"): Decimal("0.11"), ("2for", "milk"): Decimal("0.07")}
    assert {d.product_id: d.reason for d in found} == {
        "juice": "2 for 3.00: 1 × Juice in 2 for 3.00",
        "milk": "2 for 3.00: 1 × Milk in 2 for 3.00",
    }


def test_a_bundle_price_takes_whole_bundles_then_fills_one_across_lines():
    """3 juices and a milk, 2 for 3.00: one bundle of two juices (3.98 - 3.00 = 0.98), then the
    third juice with the milk (0.18, shared 0.11 / 0.07 as above)."""
    cart = [line("juice", "1.99", 3, "drinks", "Juice"), line("milk", "1.19", 1, "drinks", "Milk")]
    found = apply_promotions(cart, [two_for("3.00", categories=frozenset({"drinks"}))], NOW)
    assert amounts(found) == {("2for", "juice"): Decimal("1.09"), ("2for", "milk"): Decimal("0.07")}
    assert {d.product_id: d.reason for d in found}["juice"] == "2 for 3.00: 3 × Juice in 2 for 3.00"


def test_a_bundle_price_over_several_products_stops_when_bundles_stop_saving():
    """3 for 5.00 over 2 × 2.00, 2 × 1.50, 2 × 1.00, dearest first: 2.00 + 2.00 + 1.50 = 5.50
    saves 0.50 (0.3636 -> 0.36 and 0.1364 -> 0.13, +1 cent to the .64: 0.36 / 0.14); the next
    bundle, 1.50 + 1.00 + 1.00 = 3.50, would cost more than it saves."""
    three_for_five = rule(
        "3for5", Kind.MULTIBUY, name="3 for 5.00", bundle_quantity=3,
        bundle_price=Decimal("5.00"), whole_basket=True,
    )  # fmt: skip
    cart = [line("a", "2.00", 2), line("b", "1.50", 2), line("c", "1.00", 2)]
    found = apply_promotions(cart, [three_for_five], NOW)
    assert amounts(found) == {("3for5", "a"): Decimal("0.36"), ("3for5", "b"): Decimal("0.14")}
    assert [d.reason for d in found] == [
        "3 for 5.00: 2 × a in 3 for 5.00",
        "3 for 5.00: 1 × b in 3 for 5.00",
    ]


def test_a_bundle_saving_a_single_cent_is_given():
    cart = [line("milk", "1.19", 2, "drinks", "Milk")]
    found = apply_promotions(cart, [two_for("2.37", product_ids=frozenset({"milk"}))], NOW)
    assert amounts(found) == {("2for", "milk"): Decimal("0.01")}
    # at exactly the bundle's price, nothing
    assert apply_promotions(cart, [two_for("2.38", product_ids=frozenset({"milk"}))], NOW) == []
    mixed = [line("juice", "1.99", 1, "drinks"), line("milk", "1.19", 1, "drinks")]
    drinks = frozenset({"drinks"})
    assert amounts(apply_promotions(mixed, [two_for("3.17", categories=drinks)], NOW)) == {
        # 1 cent × 199/318 = 0.63 cent, × 119/318 = 0.37: the cent goes to the larger share
        ("2for", "juice"): Decimal("0.01")
    }
    assert apply_promotions(mixed, [two_for("3.18", categories=drinks)], NOW) == []


def test_deals_for_chosen_products_leave_other_lines_alone():
    """A countable line the promotion is not about gets nothing, from every kind that counts."""
    loaf = frozenset({"loaf"})
    deals = [
        rule("off", Kind.FIXED_OFF, amount=Decimal("0.50"), product_ids=loaf),
        two_for("0.90", product_ids=loaf),  # two apples (1.00) would save 0.10
        rule("b1g1", Kind.BUY_X_GET_Y, buy_quantity=1, free_quantity=1, product_ids=loaf),
    ]
    for deal in deals:
        found = apply_promotions([line("loaf", "2.49", 2), line("apple", "0.50", 4)], [deal], NOW)
        assert {d.product_id for d in found} == {"loaf"}, deal.kind


def test_a_percentage_rounds_half_a_cent_up():
    """10 % of 2.25 is 0.225: half a cent, so 0.23 (banker's rounding would give 0.22)."""
    ten = rule("10", Kind.PERCENTAGE, percent=Decimal(10), whole_basket=True)
    assert amounts(apply_promotions([line("a", "2.25", 1)], [ten], NOW)) == {
        ("10", "a"): Decimal("0.23")
    }


def test_a_fractional_quantity_is_a_weight_unless_told():
    """Without sold_by_weight, 0.5 of something is half a kilogram: unit deals skip it."""
    off = rule("off", Kind.FIXED_OFF, amount=Decimal("0.10"), whole_basket=True)
    assert (
        apply_promotions([Line("cheese", "dairy", Decimal("9.90"), Decimal("0.5"))], [off], NOW)
        == []
    )
    # A whole number of kg of a weighed product is still a weight when the caller says so.
    weighed = Line("cheese", "dairy", Decimal("9.90"), Decimal(2), sold_by_weight=True)
    assert apply_promotions([weighed], [off], NOW) == []


def test_the_same_product_at_two_prices_stays_two_lines():
    """A price change mid-basket: 2 at 1.00 and 1 at 2.00 is 4.00, and 10 % of it is 0.40."""
    ten = rule("10", Kind.PERCENTAGE, percent=Decimal(10), whole_basket=True)
    cart = [line("tea", "1.00", 2), line("tea", "2.00", 1)]
    assert sum(d.amount for d in apply_promotions(cart, [ten], NOW)) == Decimal("0.40")


def test_a_threshold_met_by_lines_already_free_has_nothing_left_to_take():
    """The roll is free from 1.00 off each unit; 0.20 off a spend of 0.30 finds nothing left."""
    off = rule("off", Kind.FIXED_OFF, amount=Decimal("1.00"), whole_basket=True)
    spend = rule(
        "spend", Kind.THRESHOLD, amount=Decimal("0.20"), threshold=Decimal("0.30"),
        whole_basket=True, stackable=True,
    )  # fmt: skip
    assert amounts(apply_promotions([line("roll", "0.30", 1)], [off, spend], NOW)) == {
        ("off", "roll"): Decimal("0.30")
    }


def test_a_bundle_takes_the_dearest_units_even_from_different_lines():
    """2 for 3.00 over a 3.00 and two 2.00: the bundle is 3.00 + 2.00 (saving 2.00, shared by
    value 1.20 / 0.80), not the two 2.00s (saving 1.00); the last 2.00 pays full price."""
    cart = [line("a", "3.00", 1), line("b", "2.00", 2)]
    found = apply_promotions(cart, [two_for("3.00", whole_basket=True)], NOW)
    assert amounts(found) == {("2for", "a"): Decimal("1.20"), ("2for", "b"): Decimal("0.80")}


def test_bundles_of_single_units_follow_one_another():
    """2 for 3.00 over 2.00, 1.90, 1.80, 1.70 (one each): 3.90 saves 0.90 (0.4615 / 0.4385 ->
    0.46 / 0.44) and 3.50 saves 0.50 (0.2571 / 0.2429 -> 0.26 / 0.24)."""
    cart = [line("a", "2.00", 1), line("b", "1.90", 1), line("c", "1.80", 1), line("d", "1.70", 1)]
    found = apply_promotions(cart, [two_for("3.00", whole_basket=True)], NOW)
    assert amounts(found) == {
        ("2for", "a"): Decimal("0.46"),
        ("2for", "b"): Decimal("0.44"),
        ("2for", "c"): Decimal("0.26"),
        ("2for", "d"): Decimal("0.24"),
    }


def test_stacking_promotions_apply_in_priority_order():
    """On a 2.00 item: 10 % first (priority 2) takes 0.20, then 0.50 off: 0.70 in all. The other
    way round would be 0.50 and then 10 % of 1.50, 0.15: 0.65."""
    ten = rule("ten", Kind.PERCENTAGE, percent=Decimal(10), whole_basket=True, stackable=True,
               priority=2)  # fmt: skip
    off = rule("off", Kind.FIXED_OFF, amount=Decimal("0.50"), whole_basket=True, stackable=True,
               priority=1)  # fmt: skip
    found = apply_promotions([line("a", "2.00", 1)], [off, ten], NOW)
    assert amounts(found) == {("ten", "a"): Decimal("0.20"), ("off", "a"): Decimal("0.50")}


def test_a_basket_threshold_comes_off_after_the_other_promotions():
    """50.00 of wine, 10 % off and 5.00 off a spend of 50.00, both stacking: 10 % of 50.00 is
    5.00, then the 5.00: 40.00 to pay (the threshold first would leave 10 % of 45.00, 4.50)."""
    ten = rule("ten", Kind.PERCENTAGE, percent=Decimal(10), whole_basket=True, stackable=True)
    spend = rule(
        "spend", Kind.THRESHOLD, amount=Decimal("5.00"), threshold=Decimal("50.00"),
        whole_basket=True, stackable=True, priority=9,
    )  # fmt: skip
    found = apply_promotions([line("wine", "10.00", 5)], [spend, ten], NOW)
    assert amounts(found) == {("ten", "wine"): Decimal("5.00"), ("spend", "wine"): Decimal("5.00")}


def test_three_competing_promotions_share_the_lines_the_best_way():
    """Non-stacking, each product gets one promotion: 60 % off b (6.00), 50 % off a (5.00) and
    40 % off c (0.40) make 11.40; 50 % off a and b together (10.00) would leave c's 0.40 only
    (10.40), and so would 60 % off b with 40 % off a and c."""
    half = rule("half", Kind.PERCENTAGE, percent=Decimal(50), product_ids=frozenset({"a", "b"}))
    sixty = rule("sixty", Kind.PERCENTAGE, percent=Decimal(60), product_ids=frozenset({"b"}))
    forty = rule("forty", Kind.PERCENTAGE, percent=Decimal(40), product_ids=frozenset({"a", "c"}))
    cart = [line("a", "10.00", 1), line("b", "10.00", 1), line("c", "1.00", 1)]
    for order in ([half, sixty, forty], [forty, sixty, half], [sixty, half, forty]):
        assert amounts(apply_promotions(cart, order, NOW)) == {
            ("sixty", "b"): Decimal("6.00"),
            ("half", "a"): Decimal("5.00"),
            ("forty", "c"): Decimal("0.40"),
        }


def test_a_line_that_fills_a_mixed_bundle_then_makes_whole_ones_gets_both_savings():
    """2 for 5.00 over a cheese (4.00) and 3 wines (3.50), dearest first: the cheese and a wine
    make a bundle saving 7.50 - 5.00 = 2.50, shared by value (2.50 × 400/750 = 1.3333 -> 1.33,
    2.50 × 350/750 = 1.1667 -> 1.17); the other two wines make one saving 2.00. The wine line
    shows 1.17 + 2.00 = 3.17 for its 3 units; 4.50 off 14.50 in all, four units for 10.00."""
    cart = [line("cheese", "4.00", 1, "deli", "Cheese"), line("wine", "3.50", 3, "deli", "Wine")]
    found = apply_promotions(cart, [two_for("5.00", categories=frozenset({"deli"}))], NOW)
    assert amounts(found) == {
        ("2for", "cheese"): Decimal("1.33"),
        ("2for", "wine"): Decimal("3.17"),
    }
    assert {d.product_id: d.reason for d in found} == {
        "cheese": "2 for 5.00: 1 × Cheese in 2 for 5.00",
        "wine": "2 for 5.00: 3 × Wine in 2 for 5.00",
    }


def test_a_non_stacking_promotion_applies_where_a_stacking_one_would_take_as_much_alone():
    """A banana at 1.50 with 10 % off (not stacking), and two stacking ones: 2.00 off each and
    5 % off fruit. The banana is free either way: 2.00 off alone takes the whole 1.50, and so do
    10 % (0.15) then 2.00 off what is left (1.35). On that tie the shelf's 10 % shows on the
    receipt, and no more promotions than needed: the 5 % would only move cents between them."""
    ten = rule("ten", Kind.PERCENTAGE, percent=Decimal(10), product_ids=frozenset({"banana"}))
    two_off = rule("two-off", Kind.FIXED_OFF, amount=Decimal("2.00"), whole_basket=True,
                   stackable=True)  # fmt: skip
    five = rule("five", Kind.PERCENTAGE, percent=Decimal(5), categories=frozenset({"fruit"}),
                stackable=True, priority=1)  # fmt: skip
    cart = [line("banana", "1.50", 1)]
    for rules in ([ten, two_off, five], [five, two_off, ten]):
        assert amounts(apply_promotions(cart, rules, NOW)) == {
            ("ten", "banana"): Decimal("0.15"),
            ("two-off", "banana"): Decimal("1.35"),
        }


def test_a_line_nothing_could_sell_is_a_bug_not_a_line_to_skip():
    """The database refuses cart lines of no quantity and negative prices: a caller handing one
    to the engine has a bug, which it says, instead of a receipt quietly missing a line."""
    ten = rule("ten", Kind.PERCENTAGE, percent=Decimal(10), whole_basket=True)
    for bad in (line("a", "1.00", 0), line("a", "1.00", "-1"), line("a", "-0.01", 1)):
        with pytest.raises(ValueError, match="Cannot price"):
            apply_promotions([line("b", "1.00", 1), bad], [ten], NOW)
    # A free item (0.00) is a line like any other: it has nothing to take off.
    assert amounts(
        apply_promotions([line("gift", "0.00", 1), line("b", "1.00", 1)], [ten], NOW)
    ) == {("ten", "b"): Decimal("0.10")}
