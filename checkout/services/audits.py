"""Random exit audits: whether a paid basket is rescanned at the door.

Decided on the server once, when the order is paid (payments.transition_order), from the shop's
audit rate raised by risk signals, and stored on the order where only staff see it: the receipt,
its QR code and every customer answer stay the same whether or not the basket will be audited.
"""

import random
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, F, IntegerField, Max, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from catalog.models import Unit
from checkout.models import AuditSettings, ExitAudit, Order, OrderLine

ONE = Decimal(1)
_random = random.SystemRandom()  # nobody can predict the next audit from earlier ones


@dataclass(frozen=True)
class AuditSignals:
    total: Decimal
    weighed_lines: int
    control_weight: Decimal  # the highest of the basket's products and their categories
    first_visit: bool
    earlier_discrepancy: bool


@dataclass(frozen=True)
class AuditDecision:
    audit: bool
    reasons: tuple[str, ...]  # the risk signals that applied, for the order's admin page
    chance: Decimal


def audit_chance(rules: AuditSettings, signals: AuditSignals) -> tuple[Decimal, tuple[str, ...]]:
    """The shop's rate multiplied by each risk signal that applies, at most 100 %."""
    factors = []
    if signals.total >= rules.high_value:
        factors.append(("high value", rules.high_value_factor))
    if signals.weighed_lines >= rules.many_weighed:
        factors.append(("many weighed items", rules.many_weighed_factor))
    if signals.control_weight > ONE:
        factors.append(("controlled products", signals.control_weight))
    if signals.first_visit:
        factors.append(("first visit", rules.first_visit_factor))
    if signals.earlier_discrepancy:
        factors.append(("earlier discrepancy", rules.discrepancy_factor))
    chance = rules.audit_rate / 100
    for _, factor in factors:
        chance *= factor
    return min(chance, ONE), tuple(name for name, _ in factors)


def decide_audit(
    rules: AuditSettings, signals: AuditSignals, *, forced: bool = False, rng=_random
) -> AuditDecision:
    """Pure: the same rules, signals and random source give the same answer (tests seed rng)."""
    chance, reasons = audit_chance(rules, signals)
    if forced:
        return AuditDecision(True, ("forced by the shop", *reasons), chance)
    return AuditDecision(Decimal(rng.random()) < chance, reasons, chance)


def audit_fields(row: Order) -> dict:
    """Decide the audit and the minimum age of a locked order that is being paid: the fields to
    save with its new status. One query reads the settings and every signal at once, so paying
    costs one query more, not one per signal."""
    rules = _settings_with_signals(row)
    forced = (
        rules.pk is not None
        and rules.force_next > 0
        and bool(
            AuditSettings.objects.filter(pk=rules.pk, force_next__gt=0).update(
                force_next=F("force_next") - 1
            )
        )
    )
    signals = AuditSignals(
        total=row.total,
        weighed_lines=rules.weighed_lines or 0,
        control_weight=rules.control or ONE,
        first_visit=not rules.returning,
        earlier_discrepancy=rules.discrepancy,
    )
    decision = decide_audit(rules, signals, forced=forced)
    reasons = ", ".join(decision.reasons) or "random"
    return {
        "audit_required": decision.audit,
        "audit_reasons": f"{reasons} (chance {decision.chance:.1%})"[:255],
        "min_age": rules.min_age or None,
    }


RULES = [
    "id",
    "audit_rate",
    "force_next",
    "high_value",
    "high_value_factor",
    "many_weighed",
    "many_weighed_factor",
    "first_visit_factor",
    "discrepancy_factor",
]


def _settings_with_signals(row: Order) -> AuditSettings:
    """The settings row and the basket's signals in one query, read from the order so that it
    answers even when the settings row is missing (then the defaults apply)."""
    lines = OrderLine.objects.filter(transaction=row.pk).values("transaction")
    same_customer = (
        Q(user=row.user_id) if row.user_id else Q(cart_token=row.cart_token or "-no token-")
    )
    earlier = Order.objects.filter(same_customer).exclude(pk=row.pk)
    flagged = ExitAudit.objects.filter(transaction__in=earlier).exclude(missing=[], extra=[])
    rules = AuditSettings.objects.order_by("pk")
    found = (
        Order.objects.filter(pk=row.pk)
        .annotate(
            **{f"rule_{name}": Subquery(rules.values(name)[:1]) for name in RULES},
            weighed_lines=Subquery(
                lines.annotate(n=Count("pk", filter=~Q(product__unit=Unit.EACH))).values("n")
            ),
            control=Subquery(
                lines.annotate(
                    w=Max(Greatest("product__control_weight", "product__category__control_weight"))
                ).values("w")
            ),
            basket_min_age=Subquery(
                lines.annotate(
                    a=Max(
                        Greatest(
                            Coalesce("product__min_age", Value(0)),
                            Coalesce("product__category__min_age", Value(0)),
                            output_field=IntegerField(),
                        )
                    )
                ).values("a")
            ),
            returning=Exists(earlier.filter(status__in=Order.PAID)),
            discrepancy=Exists(flagged),
        )
        .values(
            *(f"rule_{name}" for name in RULES),
            "weighed_lines",
            "control",
            "basket_min_age",
            "returning",
            "discrepancy",
        )
        .get()
    )
    settings = AuditSettings(
        **{name: found[f"rule_{name}"] for name in RULES if found[f"rule_{name}"] is not None}
    )
    for name in ("weighed_lines", "control", "returning", "discrepancy"):
        setattr(settings, name, found[name])
    settings.min_age = found["basket_min_age"]
    return settings
