"""Plain factory functions: explicit arguments, sensible defaults, real rows."""

import itertools
from decimal import Decimal

from catalog.models import Category, Product

_numbers = itertools.count(50_000)


def make_category(name: str = "Dairy") -> Category:
    category, _ = Category.objects.get_or_create(slug=name.lower(), defaults={"name": name})
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
    return Product.objects.create(**defaults)
