"""Reads of the catalog. Product payloads are cached; forget_products is the one invalidation.

The cache holds each product's response body as JSON bytes, so the hot path serves a hit
without decoding or re-encoding anything.
"""

import json
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse

from catalog.errors import ProductNotFound
from catalog.gtin import ScannedCode, parse_scanned_code
from catalog.models import Product, price_per_kg, product_url
from grocery.cache import cache_add, cache_delete, cache_get, cache_set, cache_set_many
from grocery.money import json_money

# What forget_products leaves in a product's key for a moment. A reader that loaded the old row
# just before the change commits cannot put it back (fills only add to an empty key), so a
# stale payload never outlives the marker; meanwhile reads of that product go to the database.
FORGOTTEN = b""


# Bump when the cached value's format changes, so a deploy over a warm cache never reads the old one.
PRODUCT_CACHE_FORMAT = 3


def product_key(product_id: str) -> str:
    return f"product:v{PRODUCT_CACHE_FORMAT}:{product_id}"


def _gtin_key(gtin: str) -> str:
    return f"gtin:{gtin}"


def forget_products(product_ids) -> None:
    cache_set_many(
        {product_key(pid): FORGOTTEN for pid in product_ids},
        timeout=settings.CACHE_FORGET_SECONDS,
    )


def forget_gtins(gtins) -> None:
    """A deleted product's GTINs point nowhere now (a moved GTIN is caught on read)."""
    cache_delete(*(_gtin_key(gtin) for gtin in gtins))


def json_quantity(value: Decimal) -> int | float:
    """Whole quantities as JSON integers (the contract's stock: 120), others as numbers."""
    return int(value) if value == value.to_integral_value() else float(value)


def json_price_per_kg(price: Decimal, unit: str) -> float | None:
    """What the PWA multiplies a weight by (a per-100 g price is a tenth of it); null if sold each."""
    per_kg = price_per_kg(price, unit)
    return None if per_kg is None else json_money(per_kg)


def product_payload(product: Product) -> dict:
    """The public product representation: the SPEC's fields first, then what the PWA needs.

    Promotions are not part of it: they are added on every read (promotions.selectors.with_promotions),
    so they start and end at their exact second without forgetting any cached product.
    """
    base = settings.PUBLIC_BASE_URL
    return {
        "product_id": product.product_id,
        "name": product.name,
        "price": json_money(product.price),
        "description": product.description,
        "stock": json_quantity(product.stock),
        "currency": settings.CURRENCY,
        "unit": product.unit,
        "price_per_kg": json_price_per_kg(product.price, product.unit),
        "category": {"slug": product.category.slug, "name": product.category.name},
        "gtin": product.gtin,
        "active": product.is_active,
        "stock_state": product.stock_state,
        "min_age": product.required_age,
        "image_url": product.image.url if product.image else None,
        "url": product_url(product.product_id),
        "qr_url": f"{base}{reverse('product-qr', args=[product.product_id, 'svg'])}",
    }


def _load_product_json(**lookup) -> bytes:
    try:
        product = Product.objects.select_related("category").get(**lookup)
    except Product.DoesNotExist:
        raise ProductNotFound(detail_lookup=lookup) from None
    body = json.dumps(product_payload(product), separators=(",", ":")).encode()
    cache_add(product_key(product.product_id), body)
    if product.gtin:
        cache_set(_gtin_key(product.gtin), product.product_id)
    return body


def get_product_json(product_id: str) -> bytes:
    """The product's response body: cache first, then the database (which refills the cache).

    Raises ProductNotFound. This is the hot path of every scan: keep it to one cache round trip.
    """
    return cache_get(product_key(product_id)) or _load_product_json(product_id=product_id)


def get_product_payload(product_id: str) -> dict:
    return json.loads(get_product_json(product_id))


def get_product_payload_by_gtin(gtin: str) -> dict:
    """A product by its GTIN-14. Raises ProductNotFound."""
    product_id = cache_get(_gtin_key(gtin))
    if product_id is not None:
        body = cache_get(product_key(product_id))
        if body:
            payload = json.loads(body)
            if payload["gtin"] == gtin:  # the GTIN may have moved to another product
                return payload
    return json.loads(_load_product_json(gtin=gtin))


def resolve_code(code: str) -> tuple[dict, ScannedCode]:
    """A scanned or typed code (product id, any GTIN, a scale label) to its product."""
    scanned = parse_scanned_code(code)
    if scanned.gtin:
        try:
            return get_product_payload_by_gtin(scanned.gtin), scanned
        except ProductNotFound:
            if not scanned.product_id:
                raise
    return get_product_payload(scanned.product_id), scanned


def search_products(*, q: str = "", category: str = "") -> QuerySet[Product]:
    products = Product.objects.filter(is_active=True).select_related("category")
    if q:
        products = products.filter(
            Q(name__icontains=q) | Q(product_id=q) | Q(gtin=q.zfill(14) if q.isdigit() else q)
        )
    if category:
        products = products.filter(category__slug=category)
    return products.order_by("product_id")
