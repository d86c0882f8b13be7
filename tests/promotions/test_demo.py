import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from catalog.models import Product
from promotions.engine import Line
from promotions.models import Promotion
from promotions.selectors import discounts_for, list_live_promotions

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_five_running_promotions_of_different_kinds_once(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", products=300, stdout=io.StringIO())
        call_command("seed_demo", products=300, stdout=(again := io.StringIO()))
    assert "Promotion spend-50: already there" in again.getvalue()
    assert Promotion.objects.count() == 5
    assert len({p.kind for p in Promotion.objects.all()}) == 5
    assert len(list_live_promotions()) == 5
    assert Promotion.objects.get(code="fruit-bogof").products.count() > 0

    # a demo basket: two bogof fruits and two dairy items get their discounts
    fruit = Promotion.objects.get(code="fruit-bogof").products.first()
    dairy = Product.objects.filter(category__slug="dairy", unit="each").first()
    cart = [
        Line(p.product_id, p.category.slug, p.price, Decimal(2), p.name) for p in (fruit, dairy)
    ]
    found = {d.promotion_id: d for d in discounts_for(cart)}
    assert found["fruit-bogof"].amount == fruit.price
    assert found["fruit-bogof"].reason == f"Buy 1 get 1 free: 1 × {fruit.name} free"
    assert found["dairy-10"].amount == (dairy.price * 2 / 10).quantize(
        Decimal("0.01"), "ROUND_HALF_UP"
    )
