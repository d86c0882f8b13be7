"""Reads of the catalog. Product payloads are cached; forget_products is the one invalidation."""

from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse

from catalog.errors import ProductNotFound
from catalog.gtin import ScannedCode, parse_scanned_code
from catalog.models import Product
from grocery.cache import cache_delete, cache_get, cache_set


def product_key(product_id: str) -> str:
    return f"product:{product_id}"


def _gtin_key(gtin: str) -> str:
    return f"gtin:{gtin}"


def forget_products(product_ids) -> None:
    cache_delete(*(product_key(pid) for pid in product_ids))


def json_quantity(value: Decimal) -> int | float:
    """Whole quantities as JSON integers (the contract's stock: 120), others as numbers."""
    return int(value) if value == value.to_integral_value() else float(value)


def stock_state(product: Product) -> str:
    if product.stock <= 0:
        return "out_of_stock"
    if product.stock <= product.reorder_level:
        return "low"
    return "in_stock"


def product_payload(product: Product) -> dict:
    """The public product representation: the SPEC's fields first, then what the PWA needs."""
    base = settings.PUBLIC_BASE_URL
    return {
        "product_id": product.product_id,
        "name": product.name,
        "price": float(product.price),
        "description": product.description,
        "stock": json_quantity(product.stock),
        "currency": settings.CURRENCY,
        "unit": product.unit,
        "category": {"slug": product.category.slug, "name": product.category.name},
        "gtin": product.gtin,
        "active": product.is_active,
        "stock_state": stock_state(product),
        "image_url": product.image.url if product.image else None,
        "url": f"{base}/p/{product.product_id}",
        "qr_url": f"{base}{reverse('product-qr', args=[product.product_id, 'svg'])}",
    }


def _load_payload(**lookup) -> dict:
    try:
        product = Product.objects.select_related("category").get(**lookup)
    except Product.DoesNotExist:
        raise ProductNotFound(detail_lookup=lookup) from None
    payload = product_payload(product)
    cache_set(product_key(product.product_id), payload)
    if product.gtin:
        cache_set(_gtin_key(product.gtin), product.product_id)
    return payload


def get_product_payload(product_id: str) -> dict:
    """Cache first, then the database (which also refills the cache). Raises ProductNotFound."""
    payload = cache_get(product_key(product_id))
    if payload is None:
        payload = _load_payload(product_id=product_id)
    return payload


def get_product_payload_by_gtin(gtin: str) -> dict:
    product_id = cache_get(_gtin_key(gtin))
    if product_id is not None:
        payload = cache_get(product_key(product_id))
        if payload is not None and payload["gtin"] == gtin:  # the GTIN may have moved
            return payload
    return _load_payload(gtin=gtin)


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
