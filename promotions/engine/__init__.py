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

The package: `cart` (lines in cents, the exact split), `deals` (one class per kind: condition
and benefit), `rule` (a promotion's row as the engine sees it, and when it runs), `best` (the
search for the best allowed outcome). Callers import from here.
"""

from promotions.engine.best import Discount, apply_promotions
from promotions.engine.cart import CENT, Line
from promotions.engine.deals import UNIT_KINDS, Kind
from promotions.engine.rule import Rule, Window, window_status

__all__ = [
    "CENT",
    "UNIT_KINDS",
    "Discount",
    "Kind",
    "Line",
    "Rule",
    "Window",
    "apply_promotions",
    "window_status",
]
