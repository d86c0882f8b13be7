"""The best allowed outcome: which promotions take what off which lines.

Non-stacking rules first, each at full price on lines no other non-stacking rule discounts (the
search tries every way competing ones can share the lines out); then stacking rules by priority
on what is left (where stacking rules share a line, leaving rules out is tried too). Most money
off wins; on a tie the most non-stacking promotions, then the fewest promotions, then the
smallest ids and amounts, so the winner never depends on input order.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import combinations, product

from promotions.engine.cart import CartLine, Line, prepare, to_money
from promotions.engine.deals import Kind, Saving
from promotions.engine.rule import Rule


@dataclass(frozen=True)
class Discount:
    """Money off one line, from one promotion. Basket-wide discounts are spread over lines."""

    promotion_id: str
    product_id: str
    amount: Decimal  # positive, in the currency's minor unit
    reason: str  # shown to the customer: "3 for 2: 1 × Banana free"


def _take(rule: Rule, lines: list[CartLine], found: list[Saving]) -> None:
    """Apply one rule to what is left of the lines: each offer capped at what is left is taken.

    A deal offers at most once per line, so the order of its offers does not matter.
    """
    for saving in rule.deal.offers(lines):
        line = saving.line
        saving.cents = min(saving.cents, line.left)
        if saving.cents > 0:
            line.left -= saving.cents
            found.append(saving)


def _shares(clashing: list[Rule], lines: list[CartLine], may_stop: bool) -> list[list[Saving]]:
    """Every distinct way non-stacking rules that compete for lines can share them out.

    The rules go in some order, each on the lines no earlier one discounted, at full price.
    A rule that offers nothing on the lines still free offers nothing on fewer of them either
    (every kind gives less, never more, on a smaller set), so it is dropped from that branch.
    With `may_stop`, leaving the remaining rules out is an outcome too: a non-stacking rule can
    cost a stacking one more than it gives (it frees a line a fixed amount would have zeroed
    anyway, and a percentage then has less to work on), and adding a promotion must never make
    a basket dearer. Without such entangled stacking rules, stopping never ranks better (see
    the comment on `alone` in apply_promotions), so it is not tried.
    """
    tried: dict[tuple[str, frozenset], list[Saving]] = {}  # many orders reach the same lines
    explored: dict[tuple[frozenset, frozenset], list[list[Saving]]] = {}

    def explore(free: list[CartLine], remaining: list[Rule]) -> list[list[Saving]]:
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
        outcomes: dict[frozenset, list[Saving]] = {frozenset(): []} if may_stop else {}
        others = [rule for rule, _ in productive]
        for rule, found in productive:
            claimed = {saving.line.index for saving in found}
            for rest in explore(
                [line for line in free if line.index not in claimed],
                [other for other in others if other is not rule],
            ):
                outcome = found + rest
                key = frozenset((s.promotion_id, s.line.index, s.cents) for s in outcome)
                outcomes.setdefault(key, outcome)
        explored[state] = list(outcomes.values()) or [[]]
        return explored[state]

    return explore(lines, clashing)


def _application_order(rule: Rule) -> tuple:
    # Item promotions before basket ones (a threshold shares out what is left), then priority.
    return (rule.kind == Kind.THRESHOLD, -rule.priority, rule.promotion_id)


def _rank(found: list[Saving], rules: dict[str, Rule]) -> tuple:
    """Smaller is better: most money off; then the most non-stacking promotions; then the fewest
    promotions, the smallest ids and amounts.

    A non-stacking promotion thus applies wherever it costs the customer nothing, even where a
    stacking one would have taken as much without it (a line it zeroes anyway): its shelf label
    keeps its word, and the search needs to try leaving one out only where that could save more.
    """
    used = sorted({saving.promotion_id for saving in found})
    return (
        -sum(saving.cents for saving in found),
        -sum(not rules[promotion_id].stackable for promotion_id in used),
        len(used),
        used,
        sorted((s.promotion_id, s.line.index, s.cents) for s in found),
    )


def _discounts(found: list[Saving], rules: dict[str, Rule]) -> list[Discount]:
    """One discount per (promotion, product), in application order then cart order."""
    cents: dict[tuple[str, str], int] = {}
    reasons: dict[tuple[str, str], str] = {}
    order = {promotion_id: _application_order(rule) for promotion_id, rule in rules.items()}
    for saving in sorted(found, key=lambda s: (order[s.promotion_id], s.line.index)):
        key = (saving.promotion_id, saving.line.line.product_id)
        # A product at two prices is two lines: it reads as one discount, with the first reason.
        cents[key] = cents.get(key, 0) + saving.cents
        reasons.setdefault(key, saving.reason)
    return [
        Discount(promotion_id, product_id, to_money(total), reasons[promotion_id, product_id])
        for (promotion_id, product_id), total in cents.items()
    ]


def apply_promotions(lines: Sequence[Line], rules: Sequence[Rule], at: datetime) -> list[Discount]:
    """The discounts the rules live at `at` give these lines: the best allowed outcome."""
    prepared = prepare(lines)
    if not prepared:
        return []
    by_id = {rule.promotion_id: rule for rule in rules if rule.is_live(at)}
    live = sorted(by_id.values(), key=_application_order)
    reach = {
        rule.promotion_id: frozenset(line.index for line in prepared if rule.deal.qualifies(line))
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
        [rule for rule in stacking if rule not in left_out]
        for size in range(len(entangled), -1, -1)
        for left_out in combinations(entangled, size)
    ]
    # A non-stacking rule that shares no line with another one needs no choosing: of what it
    # takes, a stacking rule alone on its lines loses at most as much (each kind gives no more
    # on less), so the saving never drops and the rank's tie prefers it. Unless it shares lines
    # with entangled stacking ones: what it takes can cost them more than it gives.
    entangled_reach = frozenset().union(*(reach[rule.promotion_id] for rule in entangled))
    clashing = [
        rule
        for rule in exclusive
        if reach[rule.promotion_id] & entangled_reach
        or any(reach[rule.promotion_id] & reach[o.promotion_id] for o in exclusive if o is not rule)
    ]
    alone = [rule for rule in exclusive if rule not in clashing]

    def outcome(share: list[Saving], chosen: list[Rule]) -> list[Saving]:
        for line in prepared:
            line.left = line.gross
        for saving in share:
            saving.line.left -= saving.cents
        found = list(share)
        for rule in [*alone, *chosen]:
            _take(rule, prepared, found)
        return found

    # There is always an outcome: `_shares` gives at least the empty share, and leaving every
    # entangled rule in is a choice.
    best = min(
        (
            outcome(share, chosen)
            for share, chosen in product(
                _shares(clashing, prepared, may_stop=bool(entangled_reach)), stacking_choices
            )
        ),
        key=lambda found: _rank(found, by_id),
    )
    return _discounts(best, by_id)
