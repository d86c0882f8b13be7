"""Plain factory functions: explicit arguments, sensible defaults, real rows."""

import itertools
from decimal import Decimal

from catalog.models import Category, Product, StoreProduct, get_home_store

_numbers = itertools.count(50_000)


def make_category(name: str = "Dairy", **fields) -> Category:
    category, _ = Category.objects.get_or_create(
        slug=name.lower(), defaults={"name": name, **fields}
    )
    return category


def make_product(**fields) -> Product:
    number = next(_numbers)
    defaults = {
        "product_id": str(number),
        "name": f"Product {number}",
        "description": "A test product",
        "price": Decimal("1.99"),
        "stock": Decimal(100),
        "reorder_level": Decimal(10),
    }
    defaults.update(fields)
    if "category" not in defaults:
        defaults["category"] = make_category()
    product = Product.objects.create(**defaults)
    # Sold in the home store with its stock, as the data migration and save_product list it.
    StoreProduct.objects.create(store=get_home_store(), product=product, stock=product.stock)
    return product


def make_promotion(*, products=(), categories=(), stores=None, **fields):
    """A running promotion (yesterday to tomorrow unless told), saved through the service; in
    every store unless `stores` are named."""
    from datetime import timedelta

    from django.utils import timezone

    from promotions.models import AppliesTo, Promotion
    from promotions.services import save_promotion

    now = timezone.now()
    defaults = {
        "name": "10% off",
        "description": "10% off selected products",
        "kind": "percentage",
        "percent": Decimal(10),
        "valid_from": now - timedelta(days=1),
        "valid_until": now + timedelta(days=1),
    }
    defaults.update(fields)
    defaults.setdefault(
        "applies_to",
        AppliesTo.PRODUCTS
        if products
        else AppliesTo.CATEGORIES
        if categories
        else AppliesTo.BASKET,
    )
    return save_promotion(
        promotion=Promotion(**defaults),
        products=list(products),
        categories=list(categories),
        stores=stores,
    )


def make_voucher_code(
    amount: str, *, serial: int = 1, store: str = "01", prefix: str = "29"
) -> str:
    """A deposit-return voucher as the default layout prints it (PPSSNNNNAAAAC)."""
    cents = int(Decimal(amount) * 100)
    body = f"{prefix}{store}{serial:04d}{cents:04d}"
    odd_even = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - odd_even % 10) % 10)


def make_paid_order(*products, user=None, status="succeeded", days_ago=0):
    """An order of one of each product (paid unless told), made `days_ago` days ago."""
    from datetime import timedelta

    from django.utils import timezone

    from checkout.models import Order, OrderLine

    order = Order.objects.create(
        transaction_id=f"t{Order.objects.count()}",
        user=user,
        status=status,
        payment_method="card",
        gateway="simulated",
        currency="EUR",
        subtotal=Decimal(0),
        discount_total=Decimal(0),
        total=Decimal(0),
    )
    # created_at is auto_now_add: move it to the day the sale happened
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    for product in products:
        OrderLine.objects.create(
            transaction=order,
            product=product,
            product_code=product.product_id,
            name=product.name,
            unit=product.unit,
            quantity=Decimal(1),
            unit_price=product.price,
            discount=Decimal(0),
            line_total=product.price,
        )
    return order
