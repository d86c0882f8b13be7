""" "Often bought together" scores on a history small enough to check by hand.

Lift(a, b) = orders with both x all orders / (orders with a x orders with b); support is the
share of all orders holding both. Pairs held by fewer than min_orders orders are dropped."""

import random

import pytest

from recommendations.selectors import rank_for_cart
from recommendations.services import Together, score_baskets

# Ten orders: pasta 4, sauce 3, bread 6, milk 3, nappies 2, wipes 2.
HISTORY = [
    ["pasta", "sauce"],
    ["pasta", "sauce"],
    ["pasta", "sauce", "bread"],
    ["pasta", "bread"],
    ["bread", "milk"],
    ["bread", "milk"],
    ["bread", "milk"],
    ["bread"],
    ["nappies", "wipes"],
    ["nappies", "wipes"],
]


def test_lift_and_support_by_hand():
    scored = score_baskets(HISTORY, min_orders=2, top=10)

    # pasta+sauce in 3 of 10 orders: lift 3*10/(4*3) = 2.5, support 0.3;
    # pasta+bread in 2: lift 2*10/(4*6) = 5/6, support 0.2.
    assert scored["pasta"] == [
        Together("sauce", 2.5, 0.3, 3),
        Together("bread", pytest.approx(5 / 6), 0.2, 2),
    ]
    # bread+milk in 3: lift 3*10/(6*3) = 5/3; sauce+bread is in 1 order only: under the support.
    assert scored["bread"] == [
        Together("milk", pytest.approx(5 / 3), 0.3, 3),
        Together("pasta", pytest.approx(5 / 6), 0.2, 2),
    ]
    assert [t.product_id for t in scored["sauce"]] == ["pasta"]
    # nappies+wipes in 2 of 10, each in 2: lift 2*10/(2*2) = 5.
    assert scored["wipes"] == [Together("nappies", 5.0, 0.2, 2)]
    # A product is never its own partner, and one only ever bought alone has none.
    assert all(t.product_id != code for code, found in scored.items() for t in found)


def test_a_lower_minimum_support_keeps_the_rare_pair():
    scored = score_baskets(HISTORY, min_orders=1, top=10)
    # sauce+bread in 1 order: lift 1*10/(3*6) = 5/9, weaker than sauce+pasta (2.5).
    assert scored["sauce"] == [
        Together("pasta", 2.5, 0.3, 3),
        Together("bread", pytest.approx(5 / 9), 0.1, 1),
    ]


def test_top_keeps_only_the_strongest():
    assert score_baskets(HISTORY, min_orders=2, top=1)["bread"] == [
        Together("milk", pytest.approx(5 / 3), 0.3, 3)
    ]


def test_equal_lift_goes_to_more_orders_together_then_the_lower_shelf_code():
    # 4 orders; a in 2. x1: 1 order, with a once: 1*4/(2*1) = 2. x2: 2 orders, both with a:
    # 2*4/(2*2) = 2. c and d: each once, with a: 1*4/(2*1) = 2 as well.
    history = [["a", "x2"], ["a", "x2", "x1", "d", "c"], ["z"], ["y"]]
    scored = score_baskets(history, min_orders=1, top=10)
    assert [(t.product_id, t.lift, t.orders) for t in scored["a"]] == [
        ("x2", 2.0, 2),
        ("c", 2.0, 1),
        ("d", 2.0, 1),
        ("x1", 2.0, 1),
    ]


def test_the_same_history_in_any_order_gives_the_same_lists():
    expected = score_baskets(HISTORY, min_orders=2, top=10)
    rng = random.Random(15)
    for _ in range(5):
        shuffled = [rng.sample(basket, len(basket)) for basket in HISTORY]
        rng.shuffle(shuffled)
        assert score_baskets(shuffled, min_orders=2, top=10) == expected


def test_a_product_twice_in_one_order_counts_once():
    scored = score_baskets([["a", "b", "a"], ["a", "b"], ["c"]], min_orders=1, top=10)
    # a and b in 2 of 3 orders each, always together: 2*3/(2*2) = 1.5.
    assert scored["a"] == [Together("b", 1.5, pytest.approx(2 / 3), 2)]


def test_under_the_cart_a_candidate_sums_its_lifts_with_the_products_in_the_cart():
    pasta = [["sauce", 3.0, 3], ["cheese", 2.0, 4]]
    wine = [["cheese", 2.0, 2], ["olives", 2.5, 3], ["grapes", 2.5, 5]]
    # cheese 2 + 2 = 4 (6 orders); sauce 3; grapes and olives 2.5 each: grapes in more orders.
    assert rank_for_cart([pasta, wine]) == [
        ("cheese", 4.0, 6),
        ("sauce", 3.0, 3),
        ("grapes", 2.5, 5),
        ("olives", 2.5, 3),
    ]
    # Equal lift and orders: the lower shelf code first, whichever list came first.
    assert rank_for_cart([[["b", 1.5, 2]], [["a", 1.5, 2]]]) == [("a", 1.5, 2), ("b", 1.5, 2)]
