"""Five realistic demo promotions, one of each kind, over the demo catalog. Safe to re-run."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from catalog.models import Category, Product, Unit
from promotions.errors import TooManyActivePromotions
from promotions.models import AppliesTo, Kind, Promotion
from promotions.services import save_promotion

RUNS_FOR_DAYS = 60

# code: (fields, category slug for the targets, how many of its products to pick or None for all)
DEMO = {
    "dairy-10": (
        {
            "name": "10% off dairy",
            "description": "10% off on all dairy products",
            "kind": Kind.PERCENTAGE,
            "percent": Decimal(10),
            "applies_to": AppliesTo.CATEGORIES,
        },
        "dairy",
        None,
    ),
    "fruit-bogof": (
        {
            "name": "Buy 1 get 1 free",
            "description": "Buy 1 get 1 free on select fruits",
            "kind": Kind.BUY_X_GET_Y,
            "buy_quantity": 1,
            "free_quantity": 1,
            "applies_to": AppliesTo.PRODUCTS,
            "priority": 10,
        },
        "fruit",
        8,
    ),
    "snacks-3for2": (
        {
            "name": "3 for 2",
            "description": "3 for 2 on all snacks: the cheapest one is free",
            "kind": Kind.MULTIBUY,
            "bundle_quantity": 3,
            "pay_quantity": 2,
            "applies_to": AppliesTo.CATEGORIES,
        },
        "snacks",
        None,
    ),
    "bakery-50c": (
        {
            "name": "0.50 off bakery",
            "description": "0.50 off selected bakery favourites",
            "kind": Kind.FIXED_OFF,
            "amount": Decimal("0.50"),
            "applies_to": AppliesTo.PRODUCTS,
        },
        "bakery",
        12,
    ),
    "spend-50": (
        {
            "name": "5.00 off 50.00",
            "description": "5.00 off when you spend 50.00",
            "kind": Kind.THRESHOLD,
            "amount": Decimal("5.00"),
            "threshold": Decimal("50.00"),
            "applies_to": AppliesTo.BASKET,
            "stackable": True,
        },
        None,
        None,
    ),
}


def seed_promotions() -> list[str]:
    """Create the demo promotions that do not exist yet (from today, for two months).

    Returns what happened to each, for the command's output. Existing promotions with these ids
    are left as the manager left them.
    """
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today, time.min))
    report = []
    for code, (fields, category_slug, how_many) in DEMO.items():
        if Promotion.objects.filter(code=code).exists():
            report.append(f"{code}: already there")
            continue
        category = Category.objects.filter(slug=category_slug).first() if category_slug else None
        products = []
        if fields["applies_to"] == AppliesTo.PRODUCTS:
            products = list(
                Product.objects.filter(category=category, unit=Unit.EACH, is_active=True).order_by(
                    "product_id"
                )[:how_many]
            )
            if not products:
                report.append(f"{code}: skipped, no {category_slug} products sold each")
                continue
        promotion = Promotion(
            code=code,
            valid_from=start,
            valid_until=start + timedelta(days=RUNS_FOR_DAYS),
            **fields,
        )
        try:
            save_promotion(
                promotion=promotion,
                products=products,
                categories=[category] if fields["applies_to"] == AppliesTo.CATEGORIES else [],
            )
        except TooManyActivePromotions as exc:
            report.append(f"{code}: skipped, {exc.message}")
            continue
        report.append(f"{code}: created ({fields['description']})")
    return report
