"""The cart as the engine sees it: lines in, lines in whole cents, and the cent-exact split."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    """One cart line as the engine sees it."""

    product_id: str  # the public shelf code
    category: str  # category slug
    unit_price: Decimal
    quantity: Decimal  # whole units, or kg (3 places) for items sold by weight
    name: str = ""  # for the explanation; the product id is used when empty
    # None: a whole quantity is taken as units, a fractional one as a weight.
    sold_by_weight: bool | None = None


@dataclass(slots=True)
class CartLine:
    """A cart line in integer cents, with what promotions have left of it so far."""

    index: int  # position in the canonical order
    line: Line
    weighed: bool
    units: int  # whole units (0 for weighed lines)
    unit_cents: int
    gross: int  # cents, rounded once: round_half_up(unit_price * quantity)
    left: int = 0

    @property
    def label(self) -> str:
        return self.line.name or self.line.product_id


def round_half_up(value: Decimal) -> int:
    """Like grocery.money.round_money (not imported: the engine imports nothing of ours)."""
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def to_cents(amount: Decimal) -> int:
    return round_half_up(Decimal(amount) / CENT)


def to_money(cents: int) -> Decimal:
    return (Decimal(cents) * CENT).quantize(CENT)


def show(amount: Decimal) -> str:
    """An amount as a receipt prints it: 0.50."""
    return str(amount.quantize(CENT))


def gettext_noop(text: str) -> str:
    """Marks a reason's template for `makemessages` (a keyword it knows) without importing Django:
    the engine writes English; promotions.reasons writes the same reason in another language."""
    return text


class Reason(str):
    """Why a line got a discount, as the receipt prints it in English ("3 for 2: 1 × Banana
    free"), remembering its template and values so the customer's language can write it again."""

    template: str
    values: dict[str, str | int]

    def __new__(cls, template: str, **values: str | int):
        reason = super().__new__(cls, template % values)
        reason.template = template
        reason.values = values
        return reason


def prepare(lines: Iterable[Line]) -> list[CartLine]:
    """The lines in cents, merged and in one canonical order, whatever order the caller gave."""
    # The same product at the same price on two lines is one line: the split must not matter.
    quantities: dict[tuple, Decimal] = {}
    first: dict[tuple, Line] = {}
    for line in lines:
        quantity = Decimal(line.quantity)
        if quantity <= 0 or line.unit_price < 0:
            # Callers price only what can be sold (the database refuses such lines): a bug.
            raise ValueError(f"Cannot price {quantity} of {line.product_id} at {line.unit_price}.")
        whole = quantity == quantity.to_integral_value()
        weighed = line.sold_by_weight if line.sold_by_weight is not None else not whole
        key = (
            line.product_id,
            str(Decimal(line.unit_price).normalize()),
            line.category,
            line.name,
            weighed,
        )
        quantities[key] = quantities.get(key, Decimal(0)) + quantity
        first.setdefault(key, line)
    prepared = []
    # Sorting the merge keys is the root of order independence.
    for index, key in enumerate(sorted(quantities)):
        line, quantity, weighed = first[key], quantities[key], key[-1]
        whole = quantity == quantity.to_integral_value()
        prepared.append(
            CartLine(
                index=index,
                line=line,
                weighed=weighed,
                units=int(quantity) if whole and not weighed else 0,
                unit_cents=to_cents(line.unit_price),
                gross=to_cents(Decimal(line.unit_price) * quantity),
            )
        )
    return prepared


def spread(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` cents in proportion to `weights`, each part capped at its weight.

    Largest remainder: every part is floored, then the leftover cents go one by one to the
    largest fractional parts, ties broken by position. The parts sum to `total` (callers never
    ask for more than the weights add up to). Returns one part per weight, zeros included.
    Callers share a total of 0 or more over weights that add up to more than 0 (lines with
    something left), or over none.
    """
    whole = sum(weights)
    total = min(total, whole)
    parts, remainders = [], []
    for weight in weights:
        share, remainder = divmod(total * weight, whole)
        parts.append(share)
        remainders.append(remainder)
    leftover = total - sum(parts)
    if leftover:  # a reversed sort keeps equal remainders in position order
        for position in sorted(range(len(parts)), key=remainders.__getitem__, reverse=True)[
            :leftover
        ]:
            parts[position] += 1
    return parts
