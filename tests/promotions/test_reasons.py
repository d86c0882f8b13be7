"""Every kind's reason: the engine writes English (as before), and the same reason reads in
German with German numbers from the template and values it kept."""

from decimal import Decimal

import pytest
from django.utils import translation

from promotions.engine import Kind, apply_promotions
from promotions.reasons import reason_text, stored_reason
from tests.promotions.test_engine_examples import NOW, line
from tests.promotions.test_engine_examples import rule as any_rule


def rule(promotion_id: str, kind: str, **fields):
    return any_rule(promotion_id, kind, whole_basket=True, **fields)


RULES = [
    (
        rule("p", Kind.PERCENTAGE, name="Käsetheke", percent=Decimal("12.5")),
        [line("gouda", "10.00", 1, name="Gouda")],
        "Käsetheke: 12.5% off",
        "Käsetheke: 12,5 % Rabatt",
    ),
    (
        rule("f", Kind.FIXED_OFF, name="Brot", amount=Decimal("0.50")),
        [line("loaf", "2.49", 3, name="Loaf")],
        "Brot: 0.50 off × 3",
        "Brot: 0,50 Rabatt × 3",
    ),
    (
        rule("b", Kind.BUY_X_GET_Y, name="1+1", buy_quantity=1, free_quantity=1),
        [line("kiwi", "0.40", 2, name="Kiwi")],
        "1+1: 1 × Kiwi free",
        "1+1: 1 × Kiwi gratis",
    ),
    (
        rule("m", Kind.MULTIBUY, name="2 für 5", bundle_quantity=2, bundle_price=Decimal("5")),
        [line("wine", "3.99", 2, name="Wein")],
        "2 für 5: 2 × Wein in 2 for 5.00",
        "2 für 5: 2 × Wein, 2 für 5,00",
    ),
    (
        rule("t", Kind.THRESHOLD, name="Ab 20", amount=Decimal("2"), threshold=Decimal("20")),
        [line("oil", "25.00", 1, name="Öl")],
        "Ab 20: share of 2.00 off a spend of 20.00",
        "Ab 20: Anteil an 2,00 Rabatt ab 20,00 Einkaufswert",
    ),
]


@pytest.mark.parametrize(("deal", "cart", "english", "german"), RULES)
def test_a_reason_reads_in_english_and_again_in_german(deal, cart, english, german):
    (discount,) = apply_promotions(cart, [deal], NOW)
    assert discount.reason == english
    with translation.override("de"):
        assert reason_text(discount.reason) == german
        kept = stored_reason(discount.reason)  # as an order line keeps it (JSON)
        assert reason_text(kept["reason"], kept["template"], kept["values"]) == german
    with translation.override("en-gb"):
        assert reason_text(discount.reason) == english
