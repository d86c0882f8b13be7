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

Stacking: a product line gets at most one promotion that does not stack; stacking promotions
apply on top of whatever else applies. Non-stacking promotions that compete for the same lines
are tried in every order, each taking the lines no earlier one discounted, and the outcome that
saves the customer most wins (the shop runs a handful at once, so this stays small). They price
lines at full price; stacking promotions then apply, item ones before basket ones, by priority,
each on what is left of the line. Working on what is left, one promotion can cost a later one
more than it gives (it shaves a line a fixed amount would have zeroed anyway, and a percentage
then rounds down on a smaller base), so where stacking promotions share a line the engine also
tries leaving some out, stacking or not: adding a promotion never makes a basket dearer.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import combinations, product

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


def _free_units(rule: Rule, lines: list[_Line], group: int, free: int) -> dict[int, tuple]:
    """For every `group` qualifying units, the `free` cheapest of them cost nothing."""
    qualifying = sorted(
        (line.unit_cents, line.index, line) for line in lines if line.units and rule.qualifies(line)
    )
    free_count = sum(line.units for _, _, line in qualifying) // group * free
    taken: dict[int, tuple] = {}
    for cents, index, line in qualifying:  # cheapest first, ties in cart order
        if free_count <= 0:
            break
        count = min(line.units, free_count)
        taken[index] = (line, count, count * cents)
        free_count -= count
    return taken


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
    dearest_first = sorted(
        (line for line in lines if line.units and rule.qualifies(line)),
        key=lambda line: (-line.unit_cents, line.index),
    )
    saving: dict[int, list] = {}  # line index -> [line, cents off, units in bundles]
    bundle: list[tuple[_Line, int]] = []  # the bundle being filled: (line, units)
    filled = 0
    for line in dearest_first:
        units = line.units
        while units:
            if not bundle and units >= size:
                # Whole bundles from this line alone: all alike, counted at once.
                off = size * line.unit_cents - price
                if off <= 0:
                    return _bundle_reasons(rule, saving, size)
                count = units // size
                entry = saving.setdefault(line.index, [line, 0, 0])
                entry[1] += off * count
                entry[2] += size * count
                units -= size * count
                continue
            take = min(units, size - filled)
            bundle.append((line, take))
            filled += take
            units -= take
            if filled == size:
                off = sum(part.unit_cents * n for part, n in bundle) - price
                if off <= 0:
                    return _bundle_reasons(rule, saving, size)  # units only get cheaper
                # The bundle's saving spread over its lines by value: integer cents, exact sum.
                for part, cents in _spread(
                    off, [(part, part.unit_cents * n) for part, n in bundle]
                ):
                    saving.setdefault(part.index, [part, 0, 0])[1] += cents
                for part, n in bundle:
                    saving.setdefault(part.index, [part, 0, 0])[2] += n
                bundle, filled = [], 0
    return _bundle_reasons(rule, saving, size)


def _bundle_reasons(rule: Rule, saving: dict[int, list], size: int) -> list:
    return [
        (
            line,
            cents,
            f"{rule.name}: {count} × {line.label} in {size} for {_show(rule.bundle_price)}",
        )
        for line, cents, count in saving.values()
        if cents
    ]


Taking = tuple[Rule, _Line, int, str]  # a rule takes cents off a line, for a reason


def _take(rule: Rule, lines: list[_Line], found: list[Taking]) -> None:
    """Apply one rule to what is left of the lines, never taking more than is left."""
    for line, cents, reason in sorted(_offers(rule, lines), key=lambda o: o[0].index):
        taken = min(cents, line.left)
        if taken > 0:
            line.left -= taken
            found.append((rule, line, taken, reason))


def _shares(clashing: list[Rule], lines: list[_Line], may_stop: bool) -> list[list[Taking]]:
    """Every distinct way non-stacking rules that compete for lines can share them out.

    The rules go in some order, each on the lines no earlier one discounted, at full price.
    A rule that offers nothing on the lines still free offers nothing on fewer of them either
    (every kind gives less, never more, on a smaller set), so it is dropped from that branch.
    With `may_stop`, leaving the remaining rules out is an outcome too: a non-stacking rule can
    cost a stacking one more than it gives (it frees a line a fixed amount would have zeroed
    anyway, and a percentage then has less to work on), and adding a promotion must never make
    a basket dearer.
    """
    tried: dict[tuple[str, frozenset], list[Taking]] = {}  # many orders reach the same lines
    explored: dict[tuple[frozenset, frozenset], list[list[Taking]]] = {}

    def explore(free: list[_Line], remaining: list[Rule]) -> list[list[Taking]]:
        """Every distinct outcome of sharing `free` among `remaining` (memoized per state)."""
        free_key = frozenset(line.index for line in free)
        state = (free_key, frozenset(rule.promotion_id for rule in remaining))
        if state in explored:
            return explored[state]
        productive = []
        for rule in remaining:
            found = tried.get((rule.promotion_id, free_key))
            if found is None:
                for line in free:
                    line.left = line.gross
                found = []
                _take(rule, free, found)
                tried[rule.promotion_id, free_key] = found
            if found:
                productive.append((rule, found))
        outcomes: dict[frozenset, list[Taking]] = {frozenset(): []} if may_stop else {}
        others = [rule for rule, _ in productive]
        for rule, found in productive:
            claimed = {line.index for _, line, _, _ in found}
            for rest in explore(
                [line for line in free if line.index not in claimed],
                [other for other in others if other is not rule],
            ):
                outcome = found + rest
                key = frozenset((r.promotion_id, line.index, c) for r, line, c, _ in outcome)
                outcomes.setdefault(key, outcome)
        explored[state] = list(outcomes.values()) or [[]]
        return explored[state]

    return explore(lines, clashing)


def _application_order(rule: Rule) -> tuple:
    # Item promotions before basket ones (a threshold shares out what is left), then priority.
    return (rule.kind == Kind.THRESHOLD, -rule.priority, rule.promotion_id)


def _discounts(found: list[Taking]) -> list[Discount]:
    """One discount per (promotion, product), in application order then cart order."""
    merged: dict[tuple[str, str], list] = {}
    for rule, line, cents, reason in sorted(
        found, key=lambda t: (_application_order(t[0]), t[1].index)
    ):
        entry = merged.setdefault((rule.promotion_id, line.line.product_id), [0, reason])
        entry[0] += cents  # a product at two prices is two lines: it reads as one discount
    return [
        Discount(promotion_id, product_id, _money(cents), reason)
        for (promotion_id, product_id), (cents, reason) in merged.items()
    ]


def apply_promotions(lines: Sequence[Line], rules: Sequence, at: datetime) -> list[Discount]:
    """The discounts the rules live at `at` give these lines: the best allowed outcome.

    Non-stacking rules first, each at full price on lines no other non-stacking rule discounts
    (the engine tries every way competing ones can share the lines out); then stacking rules by
    priority on what is left (where stacking rules share a line, leaving rules out is tried too).
    Most money off wins; on a tie the fewest promotions, then the smallest ids and amounts, so
    the winner never depends on input order.
    """
    prepared = _prepare(lines)
    if not prepared:
        return []
    live = sorted(
        {rule.promotion_id: rule for rule in rules if rule.is_live(at)}.values(),
        key=_application_order,
    )
    reach = {
        rule.promotion_id: frozenset(line.index for line in prepared if rule.qualifies(line))
        for rule in live
    }
    live = [rule for rule in live if reach[rule.promotion_id]]
    exclusive = [rule for rule in live if not rule.stackable]
    stacking = [rule for rule in live if rule.stackable]
    # Stacking rules each work on what the ones before left, so one can cost a later one on the
    # same line more than it gives (a percentage shaves a line a fixed amount would have zeroed
    # anyway, and the next percentage rounds down): leaving such rules out is tried as well. A
    # stacking rule that shares no line with another one loses at most what was taken before it.
    entangled = [
        rule
        for rule in stacking
        if any(reach[rule.promotion_id] & reach[o.promotion_id] for o in stacking if o is not rule)
    ]
    stacking_choices = [
        [rule for rule in stacking if rule not in entangled or rule in left_in]
        for size in range(len(entangled), -1, -1)
        for left_in in combinations(entangled, size)
    ]
    # A non-stacking rule that shares no line with another one needs no choosing: it only ever
    # adds to the saving. Unless it shares lines with entangled stacking ones: what it takes can
    # cost them more than it gives.
    entangled_reach = frozenset().union(*(reach[rule.promotion_id] for rule in entangled))
    clashing = [
        rule
        for rule in exclusive
        if reach[rule.promotion_id] & entangled_reach
        or any(reach[rule.promotion_id] & reach[o.promotion_id] for o in exclusive if o is not rule)
    ]
    alone = [rule for rule in exclusive if rule not in clashing]

    best: tuple[tuple, list[Taking]] | None = None
    for share, chosen in product(
        _shares(clashing, prepared, may_stop=bool(entangled_reach)), stacking_choices
    ):
        for line in prepared:
            line.left = line.gross
        found: list[Taking] = []
        for taking in share:
            taking[1].left -= taking[2]
            found.append(taking)
        for rule in [*alone, *chosen]:
            _take(rule, prepared, found)
        rank = (
            -sum(cents for _, _, cents, _ in found),
            len(used := sorted({rule.promotion_id for rule, _, _, _ in found})),
            used,
            sorted((rule.promotion_id, line.index, cents) for rule, line, cents, _ in found),
        )
        if best is None or rank < best[0]:
            best = (rank, found)
    return _discounts(best[1]) if best else []
