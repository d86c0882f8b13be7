"""Coupons: promotions that need a code, with limits on their uses in all and per member.

The pricing applies a coupon's promotion only when its code is given (promotions.selectors'
gates); this module says why a code given did not apply, and counts its uses. A quote checks the
limits as they stand; the checkout counts them again under the promotion's row lock inside the
order's transaction, so of two checkouts racing for a coupon's last use exactly one wins (as
with stock). A failed payment or a full refund gives the use back (checkout.services)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models.functions import Upper
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from catalog.models import Store
from checkout.errors import CouponNotApplicable
from checkout.models import CouponRedemption
from customers.models import Customer
from promotions.models import Promotion, Status, normal_coupon_code
from promotions.selectors import runs_in_store


@dataclass(frozen=True)
class AppliedCoupon:
    code: str
    promotion: Promotion
    amount: Decimal  # what its promotion took off this basket


def normal_codes(codes: Sequence[str]) -> list[str]:
    """The codes as stored, each once, in the order given."""
    return list(dict.fromkeys(normal_coupon_code(code) for code in codes if code.strip()))


def find_coupons(codes: Sequence[str]) -> dict[str, Promotion]:
    return {
        p.coupon_code.upper(): p
        for p in Promotion.objects.annotate(upper_code=Upper("coupon_code")).filter(
            upper_code__in=codes
        )
    }


def _message(reason: str, code: str, promotion: Promotion | None) -> str:
    values = {"code": code}
    if reason == "basket_too_small":
        values["amount"] = number_format(promotion.min_basket, 2)
    messages = {
        "unknown": _("%(code)s is not a coupon code of this shop."),
        "not_started": _("Coupon %(code)s is not valid yet."),
        "expired": _("Coupon %(code)s has expired."),
        "members_only": _(
            "Coupon %(code)s is for members: sign in or give your loyalty card number."
        ),
        "basket_too_small": _("Coupon %(code)s needs a basket of at least %(amount)s."),
        "used_up": _("Coupon %(code)s has been used up."),
        "limit_per_customer": _("You have already used coupon %(code)s as often as it allows."),
        "not_applicable": _("Coupon %(code)s does not apply to anything in this basket."),
        "not_in_store": _("Coupon %(code)s is not valid in this store."),
    }
    return messages[reason] % values


def refused(refusals: Sequence[tuple[str, str, Promotion | None]]) -> CouponNotApplicable:
    """One 422 naming every code refused, each with a reason a client can show."""
    coupons = [
        {"code": code, "reason": reason, "message": _message(reason, code, promotion)}
        for code, reason, promotion in refusals
    ]
    return CouponNotApplicable(coupons[0]["message"], coupons=coupons)


def uses_problem(promotion: Promotion, customer: Customer | None) -> str | None:
    """Whether a coupon's limits still allow one more use (by this customer)."""
    uses = CouponRedemption.objects.filter(promotion=promotion)
    if promotion.uses_limit is not None and uses.count() >= promotion.uses_limit:
        return "used_up"
    if (
        promotion.uses_per_customer is not None
        and customer is not None
        and uses.filter(customer=customer).count() >= promotion.uses_per_customer
    ):
        return "limit_per_customer"
    return None


def _problem(
    promotion: Promotion | None,
    *,
    customer: Customer | None,
    basket: Decimal,
    discounted: set[str],
    at: datetime,
    store: Store,
) -> str | None:
    if promotion is None:
        return "unknown"
    if not runs_in_store(promotion, store):
        return "not_in_store"
    status = promotion.status(at)
    if status == Status.UPCOMING:
        return "not_started"
    if status == Status.ENDED:
        return "expired"
    if customer is None and promotion.for_members:
        return "members_only"
    if promotion.min_basket is not None and basket < promotion.min_basket:
        return "basket_too_small"
    if problem := uses_problem(promotion, customer):
        return problem
    if promotion.code not in discounted:
        return "not_applicable"
    return None


def check_coupons(
    codes: Sequence[str],
    *,
    customer: Customer | None,
    basket: Decimal,
    discounts: dict[str, Decimal],
    at: datetime,
    store: Store,
) -> list[AppliedCoupon]:
    """The coupons a priced basket used, or a 422 naming each code that did not apply and why.

    `basket`: the goods before discounts; `discounts`: what each promotion took off; `store`:
    where it is bought (a coupon of a promotion running elsewhere only is refused)."""
    found = find_coupons(codes)
    applied, refusals = [], []
    for code in codes:
        promotion = found.get(code)
        problem = _problem(
            promotion,
            customer=customer,
            basket=basket,
            discounted=set(discounts),
            at=at,
            store=store,
        )
        if problem:
            refusals.append((code, problem, promotion))
        else:
            applied.append(AppliedCoupon(code, promotion, discounts[promotion.code]))
    if refusals:
        raise refused(refusals)
    return applied


def redeem_coupons(*, order, coupons: Sequence[AppliedCoupon], customer: Customer | None) -> None:
    """Inside the order's transaction: count each coupon's uses again under its promotion's row
    lock (taken in id order, so two checkouts with the same coupons cannot deadlock), then record
    this one. A refusal rolls the whole order back."""
    for coupon in sorted(coupons, key=lambda c: c.promotion.pk):
        promotion = Promotion.objects.select_for_update().get(pk=coupon.promotion.pk)
        if problem := uses_problem(promotion, customer):
            raise refused([(coupon.code, problem, promotion)])
    CouponRedemption.objects.bulk_create(
        CouponRedemption(
            promotion=coupon.promotion, transaction=order, customer=customer, code=coupon.code
        )
        for coupon in coupons
    )
