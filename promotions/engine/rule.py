"""A promotion as the engine sees it, when it runs, and the deal its kind makes of it."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cached_property

from promotions.engine.deals import (
    BasketThreshold,
    BundlePrice,
    BuyXGetYFree,
    Deal,
    FixedOffEachUnit,
    Kind,
    MultibuyFree,
    NoDeal,
    PercentageOff,
    Target,
)


class Window:
    """Where a moment falls in a promotion's life (promotions.models.Status uses these values)."""

    ACTIVE = "active"
    UPCOMING = "upcoming"
    ENDED = "ended"


def window_status(active: bool, valid_from: datetime, valid_until: datetime, at: datetime) -> str:
    """The one rule for "running at `at`": active, and valid_from <= at < valid_until.

    A withdrawn promotion has ended, whatever its dates. PromotionQuerySet says the same in SQL.
    """
    if not active or at >= valid_until:
        return Window.ENDED
    if at < valid_from:
        return Window.UPCOMING
    return Window.ACTIVE


@dataclass(frozen=True)
class Rule:
    """One promotion as the engine sees it (built from the database by promotions.selectors).

    The parameters are the table's columns, most of them empty for any one kind; `deal` turns
    them into the kind's own class, which is what the engine works with.
    """

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
        return window_status(self.active, self.valid_from, self.valid_until, at) == Window.ACTIVE

    @cached_property
    def deal(self) -> Deal:
        """Built on first use (and so also for rules unpickled from an older cached set)."""
        about = (
            self.promotion_id,
            self.name,
            Target(self.product_ids, self.categories, self.whole_basket),
        )
        match self.kind:
            case Kind.PERCENTAGE:
                return PercentageOff(*about, self.percent or Decimal(0))
            case Kind.FIXED_OFF:
                return FixedOffEachUnit(*about, self.amount or Decimal(0))
            case Kind.BUY_X_GET_Y:
                return BuyXGetYFree(*about, self.buy_quantity or 0, self.free_quantity or 0)
            case Kind.MULTIBUY if self.pay_quantity:
                return MultibuyFree(*about, self.bundle_quantity or 0, self.pay_quantity)
            case Kind.MULTIBUY if self.bundle_price is not None and self.bundle_quantity:
                return BundlePrice(*about, self.bundle_quantity, self.bundle_price)
            case Kind.MULTIBUY:  # neither (clean() refuses it): a bundle with none free
                return MultibuyFree(*about, self.bundle_quantity or 0, self.bundle_quantity or 0)
            case Kind.THRESHOLD:
                return BasketThreshold(*about, self.amount, self.threshold)
        return NoDeal(*about)
