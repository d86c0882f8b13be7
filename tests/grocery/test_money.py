"""The money helpers every total goes through: rounded once, half up, to the cent."""

from decimal import Decimal

import pytest

from grocery.money import from_cents, round_money, sum_money, to_cents


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [("0.005", "0.01"), ("0.004", "0.00"), ("2.675", "2.68"), ("1.999", "2.00"), ("3", "3.00")],
)
def test_money_is_rounded_half_up_to_the_cent(amount, rounded):
    assert str(round_money(Decimal(amount))) == rounded


def test_cents_go_to_the_gateway_as_whole_numbers_and_come_back_as_money():
    assert to_cents(Decimal("12.345")) == 1235
    assert str(from_cents(1235)) == "12.35"
    assert str(from_cents(7)) == "0.07"


def test_a_sum_of_no_amounts_is_zero_money_not_the_integer_zero():
    assert str(sum_money([])) == "0.00"
    assert str(sum_money(amount for amount in ())) == "0.00"


def test_a_sum_of_amounts_keeps_every_cent():
    assert sum_money([Decimal("0.10"), Decimal("0.20"), Decimal("1.99")]) == Decimal("2.29")
