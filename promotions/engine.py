"""Promotion maths: pure Python, no Django, no I/O.

From (cart lines, promotion rules, a moment) to per-line discounts, each naming its promotion and
saying why. The laws the tests hold it to (tests/promotions/test_engine_laws.py):

- a discount never exceeds what it discounts, so no line and no total goes below zero;
- among promotions that do not stack, the customer gets the best outcome (adding a promotion to
  the shop never makes a basket dearer);
- the result does not depend on the order of lines or of rules;
- amounts are whole cents; a spread amount (basket threshold, bundle price, percentage over
  several lines) is split by largest remainder, ties broken by product id, so the parts add up to
  exactly the rounded whole.

How the kinds treat things:
- percentage: off each qualifying line, whole units and weighed lines alike;
- fixed amount off: per unit, whole units only (an amount "per item" has no meaning for 0.347 kg);
- buy X get Y free and multibuy: whole units only; weighed lines neither qualify nor count. Among
  qualifying units, the cheapest ones are free ("3 for 2: 1 × Banana free"); a "2 for 5.00"
  bundle takes the dearest units, since that is where the customer saves most;
- basket threshold: when the qualifying spend (before other discounts) reaches the threshold,
  the amount comes off, spread over the qualifying lines in proportion to what is left of them.

Stacking: two promotions that do not stack never share a product line; a stacking promotion
applies on top of whatever else applies. The engine tries every allowed choice of non-stacking
promotions (the shop runs a handful at once) and keeps the one that saves the customer most.
Within a choice, item promotions apply before basket ones, by priority, each on what earlier
ones left of the line.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import combinations

CENT = Decimal("0.01")


class Kind:
    PERCENTAGE = "percentage"
    FIXED_OFF = "fixed_off"
    BUY_X_GET_Y = "buy_x_get_y"
    MULTIBUY = "multibuy"
    THRESHOLD = "threshold"


# Kinds that count whole units: weighed lines never qualify for them.
UNIT_KINDS = frozenset({Kind.FIXED_OFF, Kind.BUY_X_GET_Y, Kind.MULTIBUY})


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


@dataclass(frozen=True)
class Discount:
    """Money off one line, from one promotion. Basket-wide discounts are spread over lines."""

    promotion_id: str
    product_id: str
    amount: Decimal  # positive, in the currency's minor unit
    reason: str  # shown to the customer: "3 for 2: 1 × Banana free"


@dataclass(frozen=True)
class Rule:
    """One promotion as the engine sees it (built from the database by promotions.selectors)."""

    promotion_id: str
    name: str
    kind: str
    valid_from: datetime
    valid_until: datetime  # exclusive: live while valid_from <= at < valid_until
    product_ids: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    whole_basket: bool = False
    percent: Decimal | None = None  # percentage: 10 means 10 %
    amount: Decimal | None = None  # fixed off per unit; threshold: money off the basket
    buy_quantity: int | None = None  # buy X ...
    free_quantity: int | None = None  # ... get Y free
    bundle_quantity: int | None = None  # multibuy: N ...
    pay_quantity: int | None = None  # ... for the price of M ("3 for 2"), or
    bundle_price: Decimal | None = None  # ... for this price ("2 for 5.00")
    threshold: Decimal | None = None  # basket: minimum qualifying spend
    priority: int = 0  # higher applies first
    stackable: bool = False
    active: bool = True

    def is_live(self, at: datetime) -> bool:
        return self.active and self.valid_from <= at < self.valid_until

    def targets(self, line: Line) -> bool:
        """Whether the line is the kind of thing this promotion is about (ignoring units)."""
        return (
            self.whole_basket
            or line.product_id in self.product_ids
            or line.category in self.categories
        )

    def qualifies(self, line: "_Line") -> bool:
        if self.kind in UNIT_KINDS and line.weighed:
            return False
        return self.targets(line.line)


@dataclass
class _Line:
    """A cart line in integer cents, with what promotions have taken off it so far."""

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


def _round(value: Decimal) -> int:
    """Half up, like grocery.money.round_money (not imported: this module imports nothing of ours)."""
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def _cents(amount: Decimal) -> int:
    return _round(Decimal(amount) / CENT)


def _money(cents: int) -> Decimal:
    return (Decimal(cents) * CENT).quantize(CENT)


def _show(amount: Decimal) -> str:
    return str(amount.quantize(CENT))


def _prepare(lines: Iterable[Line]) -> list[_Line]:
    # The same product at the same price on two lines is one line: the split must not matter.
    quantities: dict[tuple, Decimal] = {}
    first: dict[tuple, Line] = {}
    for line in lines:
        quantity = Decimal(line.quantity)
        if quantity <= 0 or line.unit_price < 0:
            continue
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
    # One canonical order, whatever order the caller gave: the root of order independence.
    for index, key in enumerate(sorted(quantities)):
        line, quantity, weighed = first[key], quantities[key], key[-1]
        whole = quantity == quantity.to_integral_value()
        prepared.append(
            _Line(
                index=index,
                line=line,
                weighed=weighed,
                units=int(quantity) if whole and not weighed else 0,
                unit_cents=_cents(line.unit_price),
                gross=_cents(Decimal(line.unit_price) * quantity),
            )
        )
    return prepared


def _spread(total: int, weights: list[tuple[_Line, int]]) -> list[tuple[_Line, int]]:
    """Split `total` cents over lines in proportion to weights, each part capped at its weight.

    Largest remainder: every part is floored, then the leftover cents go one by one to the
    largest fractional parts, ties broken by the canonical line order. The parts sum to `total`
    (callers never ask for more than the weights add up to).
    """
    whole = sum(weight for _, weight in weights)
    if total <= 0 or whole <= 0:
        return []
    total = min(total, whole)
    parts = []
    for order, (line, weight) in enumerate(weights):
        share, remainder = divmod(total * weight, whole)
        parts.append([line, share, remainder, order])
    leftover = total - sum(part[1] for part in parts)
    for part in sorted(parts, key=lambda p: (-p[2], p[3]))[:leftover]:
        part[1] += 1
    return [(line, share) for line, share, _, _ in parts if share > 0]


def _unit_pool(rule: Rule, lines: list[_Line]) -> list[tuple[int, int, _Line]]:
    """Every qualifying unit as (unit cents, canonical index, line): one entry per unit."""
    pool = []
    for line in lines:
        if line.units and rule.qualifies(line):
            pool.extend((line.unit_cents, line.index, line) for _ in range(line.units))
    return pool


def _free_units(rule: Rule, lines: list[_Line], group: int, free: int) -> dict[int, tuple]:
    """For every `group` qualifying units, the `free` cheapest of them cost nothing."""
    pool = _unit_pool(rule, lines)
    free_count = len(pool) // group * free
    taken: dict[int, list] = {}
    for cents, index, line in sorted(pool, key=lambda u: (u[0], u[1]))[:free_count]:
        entry = taken.setdefault(index, [line, 0, 0])
        entry[1] += 1
        entry[2] += cents
    return {index: (line, count, cents) for index, (line, count, cents) in taken.items()}


def _offers(rule: Rule, lines: list[_Line]) -> list[tuple[_Line, int, str]]:
    """What the rule would take off each line (before capping), with the explanation."""
    if rule.kind == Kind.PERCENTAGE:
        percent = rule.percent or Decimal(0)
        qualifying = [(line, line.left) for line in lines if rule.qualifies(line) and line.left]
        total = _round(Decimal(sum(left for _, left in qualifying)) * percent / 100)
        reason = f"{rule.name}: {percent.normalize():f}% off"
        return [(line, cents, reason) for line, cents in _spread(total, qualifying)]

    if rule.kind == Kind.FIXED_OFF:
        per_unit = _cents(rule.amount or Decimal(0))
        return [
            (line, per_unit * line.units, f"{rule.name}: {_show(rule.amount)} off × {line.units}")
            for line in lines
            if rule.qualifies(line) and line.units
        ]

    if rule.kind == Kind.BUY_X_GET_Y or (rule.kind == Kind.MULTIBUY and rule.pay_quantity):
        if rule.kind == Kind.BUY_X_GET_Y:
            group, free = (rule.buy_quantity or 0) + (rule.free_quantity or 0), rule.free_quantity
        else:
            group, free = rule.bundle_quantity or 0, (rule.bundle_quantity or 0) - rule.pay_quantity
        if not group or not free or free <= 0:
            return []
        return [
            (line, cents, f"{rule.name}: {count} × {line.label} free")
            for line, count, cents in _free_units(rule, lines, group, free).values()
        ]

    if rule.kind == Kind.MULTIBUY and rule.bundle_price is not None and rule.bundle_quantity:
        return _bundle_offers(rule, lines)

    if rule.kind == Kind.THRESHOLD:
        qualifying = [line for line in lines if rule.qualifies(line)]
        spend = sum(line.gross for line in qualifying)
        if not qualifying or spend < _cents(rule.threshold or Decimal(0)):
            return []
        reason = (
            f"{rule.name}: share of {_show(rule.amount)} off a spend of {_show(rule.threshold)}"
        )
        weights = [(line, line.left) for line in qualifying if line.left]
        return [(line, c, reason) for line, c in _spread(_cents(rule.amount), weights)]
    return []


def _bundle_offers(rule: Rule, lines: list[_Line]) -> list[tuple[_Line, int, str]]:
    """'N for P': bundles of the dearest qualifying units, while a bundle still saves money."""
    size, price = rule.bundle_quantity, _cents(rule.bundle_price)
    pool = sorted(_unit_pool(rule, lines), key=lambda u: (-u[0], u[1]))
    saving: dict[int, list] = {}
    for start in range(0, len(pool) - size + 1, size):
        bundle = pool[start : start + size]
        off = sum(cents for cents, _, _ in bundle) - price
        if off <= 0:
            break  # units only get cheaper from here
        # Spread the bundle's saving over its units by price: integer cents, exact sum.
        per_unit = _spread(off, [(unit, unit[0]) for unit in bundle])
        for (_, index, line), cents in per_unit:
            entry = saving.setdefault(index, [line, 0, 0])
            entry[1] += cents
        for _, index, line in bundle:
            saving.setdefault(index, [line, 0, 0])[2] += 1
    return [
        (
            line,
            cents,
            f"{rule.name}: {count} × {line.label} in {size} for {_show(rule.bundle_price)}",
        )
        for line, cents, count in saving.values()
        if cents
    ]


def _apply(rules: Sequence[Rule], lines: list[_Line]) -> tuple[int, list[Discount]]:
    for line in lines:
        line.left = line.gross
    found: list[Discount] = []
    total = 0
    for rule in rules:
        offers = _offers(rule, lines)
        for line, cents, reason in sorted(offers, key=lambda o: o[0].index):
            taken = min(cents, line.left)  # never more than what is left of the line
            if taken <= 0:
                continue
            line.left -= taken
            total += taken
            found.append(Discount(rule.promotion_id, line.line.product_id, _money(taken), reason))
    return total, _merge(found)


def _merge(found: list[Discount]) -> list[Discount]:
    """One discount per (promotion, product): a product split over lines reads as one."""
    merged: dict[tuple[str, str], Discount] = {}
    for discount in found:
        key = (discount.promotion_id, discount.product_id)
        if key in merged:
            earlier = merged[key]
            discount = Discount(
                earlier.promotion_id,
                earlier.product_id,
                earlier.amount + discount.amount,
                earlier.reason,
            )
        merged[key] = discount
    return list(merged.values())


def _application_order(rule: Rule) -> tuple:
    # Item promotions before basket ones (a threshold shares out what is left), then priority.
    return (rule.kind == Kind.THRESHOLD, -rule.priority, rule.promotion_id)


def _choices(rules: list[Rule], reach: dict[str, frozenset[int]]) -> Iterable[list[Rule]]:
    """Every allowed combination: non-stacking rules that share no line, plus every stacking rule.

    Adding a rule never lowers the money off (each takes only from what is left, and a threshold
    looks at the spend before discounts), so a non-stacking rule that clashes with no other one
    is in every best combination: only the clashing ones need trying (usually none).
    """
    exclusive = [rule for rule in rules if not rule.stackable]
    always = [rule for rule in rules if rule.stackable]
    clashing = []
    for rule in exclusive:
        mine = reach[rule.promotion_id]
        if any(mine & reach[other.promotion_id] for other in exclusive if other is not rule):
            clashing.append(rule)
        else:
            always.append(rule)
    for size in range(len(clashing) + 1):
        for chosen in combinations(clashing, size):
            claimed: set[int] = set()
            for rule in chosen:
                if claimed & reach[rule.promotion_id]:
                    break
                claimed |= reach[rule.promotion_id]
            else:
                yield [*chosen, *always]


def apply_promotions(lines: Sequence[Line], rules: Sequence, at: datetime) -> list[Discount]:
    """The discounts the rules live at `at` give these lines, the best allowed combination."""
    prepared = _prepare(lines)
    if not prepared:
        return []
    live = sorted(
        {rule.promotion_id: rule for rule in rules if rule.is_live(at)}.values(),
        key=_application_order,
    )
    # A rule's reach: the lines it could touch. Rules that touch nothing cannot matter.
    reach = {
        rule.promotion_id: frozenset(line.index for line in prepared if rule.qualifies(line))
        for rule in live
    }
    live = [rule for rule in live if reach[rule.promotion_id]]
    best: tuple[tuple, list[Discount]] | None = None
    for choice in _choices(live, reach):
        ordered = sorted(choice, key=_application_order)
        total, discounts = _apply(ordered, prepared)
        # Most money off wins; on a tie, the fewest promotions, then the smallest ids: a rule
        # that adds nothing never appears, and the winner never depends on input order.
        used = sorted({d.promotion_id for d in discounts})
        rank = (-total, len(used), used)
        if best is None or rank < best[0]:
            best = (rank, discounts)
    return best[1] if best else []
