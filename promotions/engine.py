"""Promotion maths: pure Python, no Django, no I/O. (Interface; the engine lands with issue 5.)"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class Line:
    """One cart line as the engine sees it."""

    product_id: str  # the public shelf code
    category: str  # category slug
    unit_price: Decimal
    quantity: Decimal  # whole units, or kg (3 places) for items sold by weight


@dataclass(frozen=True)
class Discount:
    """Money off one line, from one promotion. Basket-wide discounts are spread over lines."""

    promotion_id: str
    product_id: str
    amount: Decimal  # positive, in the currency's minor unit
    reason: str  # shown to the customer: "3 for 2: 1 × Banana free"


def apply_promotions(lines: Sequence[Line], rules: Sequence, at: datetime) -> list[Discount]:
    return []
