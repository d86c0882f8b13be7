"""One class per kind of promotion: a condition (`qualifies`) and a benefit (`offers`).

The words are django-oscar's (conditions.py, benefits.py). A deal offers what it would take
off each line it qualifies for, with the reason the receipt prints; the search in
promotions.engine.best caps each offer at what is left of the line (what is then taken) and
picks the best outcome.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from promotions.engine.cart import (
    CartLine,
    Reason,
    gettext_noop,
    round_half_up,
    show,
    spread,
    to_cents,
)


class Kind:
    PERCENTAGE = "percentage"
    FIXED_OFF = "fixed_off"
    BUY_X_GET_Y = "buy_x_get_y"
    MULTIBUY = "multibuy"
    THRESHOLD = "threshold"


@dataclass(frozen=True, slots=True)
class Target:
    """What a promotion is about: some products, some categories, or the whole basket."""

    product_ids: frozenset[str]
    categories: frozenset[str]
    whole_basket: bool


@dataclass(slots=True)
class Saving:
    """What a promotion offers off one line, in cents, and why; once capped, what it takes."""

    promotion_id: str
    line: CartLine
    cents: int
    reason: Reason


@dataclass(frozen=True, slots=True)
class Deal:
    """A kind of promotion with its parameters. Subclasses say what they offer."""

    kind: ClassVar[str]
    # Counts whole units: weighed lines neither qualify nor count.
    whole_units_only: ClassVar[bool] = False

    promotion_id: str
    name: str  # starts every reason: "3 for 2: 1 × Banana free"
    target: Target

    def qualifies(self, line: CartLine) -> bool:
        """The condition: the line is one the promotion is about (and countable, if it counts)."""
        if self.whole_units_only and line.weighed:
            return False
        target, product = self.target, line.line
        return (
            target.whole_basket
            or product.product_id in target.product_ids
            or product.category in target.categories
        )

    def offers(self, lines: list[CartLine]) -> list[Saving]:
        raise NotImplementedError

    def _spread_over(self, lines: list[CartLine], cents: int, reason: Reason) -> list[Saving]:
        """`cents` shared out over the lines by what is left of them, exact to the cent."""
        parts = spread(cents, [line.left for line in lines])
        # `strict` only asserts what `spread` promises (one part per line): not mutated.
        return [
            Saving(self.promotion_id, line, part, reason)
            for line, part in zip(lines, parts, strict=True)  # pragma: no mutate
            if part
        ]


@dataclass(frozen=True, slots=True)
class PercentageOff(Deal):
    """Off each qualifying line, whole units and weighed lines alike."""

    kind: ClassVar[str] = Kind.PERCENTAGE
    percent: Decimal

    def offers(self, lines: list[CartLine]) -> list[Saving]:
        qualifying = [line for line in lines if line.left and self.qualifies(line)]
        total = round_half_up(Decimal(sum(line.left for line in qualifying)) * self.percent / 100)
        reason = Reason(
            gettext_noop("%(name)s: %(percent)s%% off"),
            name=self.name,
            percent=f"{self.percent.normalize():f}",
        )
        return self._spread_over(qualifying, total, reason)


@dataclass(frozen=True, slots=True)
class FixedOffEachUnit(Deal):
    """Per unit: an amount "per item" has no meaning for 0.347 kg."""

    kind: ClassVar[str] = Kind.FIXED_OFF
    whole_units_only: ClassVar[bool] = True
    amount: Decimal

    def offers(self, lines: list[CartLine]) -> list[Saving]:
        per_unit = to_cents(self.amount)
        return [
            Saving(
                self.promotion_id,
                line,
                per_unit * line.units,
                Reason(
                    gettext_noop("%(name)s: %(amount)s off × %(units)s"),
                    name=self.name,
                    amount=show(self.amount),
                    units=line.units,
                ),
            )
            for line in lines
            if line.units and self.qualifies(line)
        ]


@dataclass(frozen=True, slots=True)
class FreeUnits(Deal):
    """For every group of qualifying units, the free cheapest of them cost nothing."""

    whole_units_only: ClassVar[bool] = True

    def group_and_free(self) -> tuple[int, int]:
        raise NotImplementedError

    def offers(self, lines: list[CartLine]) -> list[Saving]:
        group, free = self.group_and_free()
        if not group:  # a rule without a bundle size (clean() refuses it): no groups to count
            return []
        cheapest_first = sorted(
            (line for line in lines if line.units and self.qualifies(line)),
            key=lambda line: (line.unit_cents, line.index),  # ties in cart order
        )
        free_count = sum(line.units for line in cheapest_first) // group * free
        found = []
        for line in cheapest_first:
            if free_count <= 0:
                break
            count = min(line.units, free_count)
            found.append(
                Saving(
                    self.promotion_id,
                    line,
                    count * line.unit_cents,
                    Reason(
                        gettext_noop("%(name)s: %(units)s × %(product)s free"),
                        name=self.name,
                        units=count,
                        product=line.label,
                    ),
                )
            )
            free_count -= count
        return found


@dataclass(frozen=True, slots=True)
class BuyXGetYFree(FreeUnits):
    """'Buy 1 get 1 free': of every X + Y qualifying units, the Y cheapest."""

    kind: ClassVar[str] = Kind.BUY_X_GET_Y
    buy_quantity: int
    free_quantity: int

    def group_and_free(self) -> tuple[int, int]:
        return self.buy_quantity + self.free_quantity, self.free_quantity


@dataclass(frozen=True, slots=True)
class MultibuyFree(FreeUnits):
    """'3 for 2': of every bundle, the units not paid for are the cheapest."""

    bundle_quantity: int  # the 3 in "3 for 2"
    pay_quantity: int  # the 2
    kind: ClassVar[str] = Kind.MULTIBUY

    def group_and_free(self) -> tuple[int, int]:
        size = self.bundle_quantity
        return size, size - self.pay_quantity


@dataclass(slots=True)
class _Bundled:
    """What one line gives to bundles so far."""

    line: CartLine
    cents: int = 0
    units: int = 0


def _entry(bundled: dict[int, _Bundled], line: CartLine) -> _Bundled:
    if (entry := bundled.get(line.index)) is None:  # setdefault would build one on every call
        entry = bundled[line.index] = _Bundled(line)
    return entry


@dataclass(frozen=True, slots=True)
class BundlePrice(Deal):
    """'2 for 5.00': bundles of the dearest qualifying units (where the customer saves most),
    while a bundle still saves money."""

    kind: ClassVar[str] = Kind.MULTIBUY
    whole_units_only: ClassVar[bool] = True
    bundle_quantity: int
    bundle_price: Decimal

    def offers(self, lines: list[CartLine]) -> list[Saving]:
        size, price = self.bundle_quantity, to_cents(self.bundle_price)
        dearest_first = sorted(
            (line for line in lines if line.units and self.qualifies(line)),
            key=lambda line: (-line.unit_cents, line.index),
        )
        bundled: dict[int, _Bundled] = {}  # by line index
        bundle: list[tuple[CartLine, int]] = []  # the bundle being filled: (line, units)
        filled = 0
        for line in dearest_first:
            units = line.units
            while units:
                if not bundle and units >= size:
                    # Whole bundles from this line alone: all alike, counted at once.
                    off = size * line.unit_cents - price
                    if off <= 0:
                        return self._savings(bundled)
                    count = units // size
                    entry = _entry(bundled, line)
                    entry.cents += off * count
                    entry.units += size * count
                    units -= size * count
                    continue
                take = min(units, size - filled)
                bundle.append((line, take))
                filled += take
                units -= take
                if filled == size:
                    off = sum(part.unit_cents * n for part, n in bundle) - price
                    if off <= 0:
                        return self._savings(bundled)  # units only get cheaper
                    # The bundle's saving spread over its lines by value: integer cents, exact sum.
                    parts = spread(off, [part.unit_cents * n for part, n in bundle])
                    # `strict` only asserts what `spread` promises: not mutated.
                    for (part, n), cents in zip(bundle, parts, strict=True):  # pragma: no mutate
                        entry = _entry(bundled, part)
                        entry.cents += cents
                        entry.units += n
                    bundle, filled = [], 0
        return self._savings(bundled)

    def _savings(self, bundled: dict[int, _Bundled]) -> list[Saving]:
        size, price = self.bundle_quantity, show(self.bundle_price)
        return [
            Saving(
                self.promotion_id,
                b.line,
                b.cents,
                Reason(
                    gettext_noop("%(name)s: %(units)s × %(product)s in %(size)s for %(price)s"),
                    name=self.name,
                    units=b.units,
                    product=b.line.label,
                    size=size,
                    price=price,
                ),
            )
            for b in bundled.values()
            if b.cents
        ]


@dataclass(frozen=True, slots=True)
class BasketThreshold(Deal):
    """When the qualifying spend (before other discounts) reaches the threshold, the amount
    comes off, spread over the qualifying lines in proportion to what is left of them."""

    kind: ClassVar[str] = Kind.THRESHOLD
    amount: Decimal
    threshold: Decimal

    def offers(self, lines: list[CartLine]) -> list[Saving]:
        qualifying = [line for line in lines if self.qualifies(line)]
        if not qualifying or sum(line.gross for line in qualifying) < to_cents(self.threshold):
            return []
        reason = Reason(
            gettext_noop("%(name)s: share of %(amount)s off a spend of %(threshold)s"),
            name=self.name,
            amount=show(self.amount),
            threshold=show(self.threshold),
        )
        return self._spread_over(
            [line for line in qualifying if line.left], to_cents(self.amount), reason
        )


@dataclass(frozen=True, slots=True)
class NoDeal(Deal):
    """A rule whose parameters make no deal (the model's clean() refuses these): offers nothing."""

    kind: ClassVar[str] = ""

    def offers(self, lines: list[CartLine]) -> list[Saving]:
        return []


KINDS = (PercentageOff, FixedOffEachUnit, BuyXGetYFree, MultibuyFree, BundlePrice, BasketThreshold)
# Kinds that count whole units: weighed lines never qualify for them.
UNIT_KINDS = frozenset(deal.kind for deal in KINDS if deal.whole_units_only)
