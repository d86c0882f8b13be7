"""Money helpers: Decimal end to end, rounded once at the currency's minor unit."""

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def round_money(amount: Decimal) -> Decimal:
    """Round half up to the minor unit (cents); the one place money is rounded."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def sum_money(amounts: Iterable[Decimal]) -> Decimal:
    """The sum of amounts; of none, 0.00 (Python's `sum` gives the integer 0)."""
    return sum(amounts, ZERO)


def to_cents(amount: Decimal) -> int:
    """Integer minor units, as payment gateways want them."""
    return int(round_money(amount) * 100)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def json_money(amount: Decimal) -> float:
    """Money as a JSON number, at the API's edge only (the contract's prices are numbers, not
    strings). An amount held to cents prints back as the same digits (Decimal("5.97") -> 5.97),
    and nothing computes with the float afterwards."""
    return float(amount)
