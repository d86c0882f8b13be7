"""Reads of the catalog. Product payloads are cached; forget_products is the one invalidation.

A payload is a product as one store sells it (its price, stock and listing there), cached under
that store's code: changing one store's price or stock forgets that store's entry only.

The cache holds each product's response body as JSON bytes, so the hot path serves a hit
without decoding or re-encoding anything. With LOCAL_CACHE on, each process also keeps the
bodies it served in memory (grocery.local_cache), dropped the moment Redis reports a change,
and the Redis keys embed the local cache's epoch.
"""

import json
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db.models import Exists, FilteredRelation, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from catalog.errors import NotYourStore, ProductNotFound, UnknownStore
from catalog.gtin import GTIN, ScannedCode, parse_scanned_code
from catalog.models import (
    Product,
    ProductCode,
    Store,
    StoreProduct,
    get_home_store,
    home_store_code,
    price_per_kg,
    product_url,
)
from grocery import local_cache
from grocery.cache import cache_add, cache_delete, cache_get, cache_set, cache_set_many
from grocery.metrics import count_cache_lookup
from grocery.money import json_money

# What forget_products leaves in a product's key for a moment. A reader that loaded the old row
# just before the change commits cannot put it back (fills only add to an empty key), so a
# stale payload never outlives the marker; meanwhile reads of that product go to the database.
FORGOTTEN = b""


# Bump when the cached value's format changes, so a deploy over a warm cache never reads the old one.
PRODUCT_CACHE_FORMAT = 6


PRODUCT_PREFIX = f"product:v{PRODUCT_CACHE_FORMAT}:"
local_cache.track(PRODUCT_PREFIX)

# The epoch argument of the helpers below: "" when the local cache is off (keys carry no epoch);
# None when it is on but not tracking, so Redis is not to be read or filled at all.
NO_EPOCH = ""


def product_key(product_id: str, epoch: str = NO_EPOCH, *, store: str | None = None) -> str:
    """The key of a product's payload in a store (by code; the home store's unless told)."""
    suffix = f"{store or home_store_code()}:{product_id}"
    return f"{PRODUCT_PREFIX}{epoch}:{suffix}" if epoch else f"{PRODUCT_PREFIX}{suffix}"


def _code_key(code: str) -> str:
    """Which product a GTIN-14 or a PLU was last found on (checked against its payload on read)."""
    return f"code:{code}"


def forget_products(product_ids, *, stores: list[str] | None = None) -> None:
    """Forget the products' payloads in these stores (codes), or in every store: a change to the
    catalogue's own data (name, catalogue price, codes) shows in all of them."""
    if stores is None:
        stores = list(Store.objects.values_list("code", flat=True)) or [home_store_code()]
    pairs = [(store, pid) for store in stores for pid in product_ids]
    if local_cache.enabled():
        local_cache.set_in_epoch(
            PRODUCT_PREFIX,
            [f":{store}:{pid}" for store, pid in pairs],
            FORGOTTEN,
            settings.CACHE_FORGET_SECONDS,
        )
        return
    cache_set_many(
        {product_key(pid, store=store): FORGOTTEN for store, pid in pairs},
        timeout=settings.CACHE_FORGET_SECONDS,
    )


def forget_codes(codes) -> None:
    """Codes removed or deleted with their product point nowhere now (a moved code is also caught
    on read, because the payload lists every code its product answers to)."""
    cache_delete(*(_code_key(code) for code in codes))


def json_quantity(value: Decimal) -> int | float:
    """Whole quantities as JSON integers (the contract's stock: 120), others as numbers."""
    return int(value) if value == value.to_integral_value() else float(value)


def json_price_per_kg(price: Decimal, unit: str) -> float | None:
    """What the PWA multiplies a weight by (a per-100 g price is a tenth of it); null if sold each."""
    per_kg = price_per_kg(price, unit)
    return None if per_kg is None else json_money(per_kg)


def in_store(product: Product, row: StoreProduct) -> Product:
    """The product as the store sells it: its price and stock are the store's. The price is the
    one rule of precedence: the store's own override, else its price list's (list_price), else
    the catalogue's. For reading only: never save the product it returns."""
    if row.price is not None:
        product.price = row.price
    elif row.list_price is not None:
        product.price = row.list_price
    product.stock = row.stock
    if row.reorder_level is not None:
        product.reorder_level = row.reorder_level
    return product


def with_store_row(products: QuerySet[Product], store: Store) -> QuerySet[Product]:
    """Products carrying their row in the store (`here`), joined into the same query."""
    return products.annotate(
        here=FilteredRelation("store_products", condition=Q(store_products__store=store))
    ).select_related("here")


def sold_here(product: Product) -> bool:
    """For a product read through with_store_row: put the store's figures on it (in_store), or
    False when the store does not list it."""
    row = getattr(product, "here", None)  # not set at all when the store has no row
    if row is None or not row.is_listed:
        return False
    in_store(product, row)
    return True


def sell_in_store(products: Iterable[Product], store: Store) -> set[int]:
    """Give each product the store's price and stock (in_store), in one query; returns the keys
    of those the store does not list, which keep the catalogue's figures."""
    products = list(products)
    rows = StoreProduct.objects.filter(
        store=store, product__in=[p.pk for p in products], is_listed=True
    )
    listed = {row.product_id: row for row in rows}
    for product in products:
        if product.pk in listed:
            in_store(product, listed[product.pk])
    return {p.pk for p in products if p.pk not in listed}


def list_staff_stores(user) -> list[Store]:
    """The open stores a staff member prints labels and posters for and sees on the dashboard:
    the open ones of stores_of(user). A fresh database has none yet: the home store is made on
    first need, as for a request."""
    stores = list(stores_of(user).filter(is_active=True).order_by("code"))
    if not stores and not Store.objects.exists():
        get_home_store()
        stores = list(stores_of(user).filter(is_active=True).order_by("code"))
    return stores


def is_chain() -> bool:
    """More than one open store: printed QRs then name their store, and the dashboard chooses one.
    A shop with one store prints and shows exactly what it did before the chain."""
    return Store.objects.filter(is_active=True)[:2].count() > 1


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
        "codes": product_codes(product),
        "translations": product_translations(product),
        "active": product.is_active,
        "stock_state": product.stock_state,
        "min_age": product.required_age,
        "deposit": json_money(product.deposit),
        "image_url": product.image.url if product.image else None,
        "url": product_url(product.product_id),
        "qr_url": f"{base}{reverse('product-qr', args=[product.product_id, 'svg'])}",
    }


def product_codes(product: Product) -> list[dict]:
    """Every code the product answers to: its primary GTIN first, then its further GTINs and PLUs
    (prefetch `codes` when listing many products)."""
    primary = [{"code": product.gtin, "kind": GTIN}] if product.gtin else []
    further = product.codes.all() if product.pk else ()  # an unsaved product has none yet
    return primary + [{"code": c.code, "kind": c.kind} for c in further]


def product_translations(product: Product) -> dict:
    """{"de": {"name", "description"}}: the product in other languages; the PWA shows the
    customer's and falls back to the product's own fields (prefetch `translations` for many)."""
    found = product.translations.all() if product.pk else ()  # an unsaved product has none yet
    return {t.language: {"name": t.name, "description": t.description} for t in found}


def store_product_json(row: StoreProduct) -> bytes:
    """The response body of a product as its store row sells it (the row read with its product's
    category, codes and translations): what the cache holds. bench/warm.py fills in bulk with it."""
    return json.dumps(product_payload(in_store(row.product, row)), separators=(",", ":")).encode()


def _load_product_json(
    epoch: str | None, *, store: str | None, code: str | None = None, **lookup
) -> bytes:
    """A product's payload in a store (by code), from the database, in the one query a product
    alone took: a product the store does not list is not found there. A store that is not open
    raises UnknownStore (the home store, where requests naming none are, is not asked)."""
    store = store or home_store_code()
    rows = (
        StoreProduct.objects.select_related("product__category")
        .prefetch_related("product__codes", "product__translations")
        .filter(store__code=store, store__is_active=True, is_listed=True)
    )
    try:
        if code is None:
            row = rows.get(**{f"product__{name}": value for name, value in lookup.items()})
        else:
            # A primary GTIN or a further code; the two are never another product's (services).
            further = ProductCode.objects.filter(code=code).values("product")
            row = rows.get(Q(product__gtin=code) | Q(product__pk__in=further))
    except StoreProduct.DoesNotExist:
        if (
            store != home_store_code()
            and not Store.objects.filter(code=store, is_active=True).exists()
        ):
            raise UnknownStore(f"No open store with the code {store}.", store=store) from None
        raise ProductNotFound(detail_lookup=lookup or {"code": code}) from None
    body = store_product_json(row)
    if epoch is not None:
        cache_add(product_key(row.product.product_id, epoch, store=store), body)
        if code is not None:
            cache_set(_code_key(code), row.product.product_id)
    return body


def get_product_json(product_id: str, *, store: str | None = None) -> bytes:
    """The product's response body in a store (by code; the home store's for None): process
    memory, then Redis, then the database (which refills Redis). Raises ProductNotFound, or
    UnknownStore on a miss in a store that is not open. This is the hot path of every scan: at
    most one round trip, and no query for the store when the payload is cached.
    """
    store = store or home_store_code()
    local = local_cache.current()
    if local is None:
        return _shared_or_database(
            product_key(product_id, store=store), NO_EPOCH, product_id, store
        )
    epoch = local.epoch()
    if epoch is None:  # not tracking changes right now: only the database is sure
        return _load_product_json(None, store=store, product_id=product_id)
    key = product_key(product_id, epoch, store=store)
    return local.get(key, lambda: _shared_or_database(key, epoch, product_id, store))


def _shared_or_database(key: str, epoch: str | None, product_id: str, store: str) -> bytes:
    body = cache_get(key)
    count_cache_lookup(hit=body is not None)
    return body or _load_product_json(epoch, store=store, product_id=product_id)


def get_product_payload(product_id: str, *, store: str | None = None) -> dict:
    return json.loads(get_product_json(product_id, store=store))


def get_product_payload_by_code(code: str, *, store: str | None = None) -> dict:
    """A product in a store by any of its codes: a GTIN-14 (primary or further) or a PLU.
    Raises ProductNotFound."""
    product_id = cache_get(_code_key(code))
    if product_id is not None:
        try:
            payload = get_product_payload(product_id, store=store)
        except ProductNotFound:
            payload = None
        if payload is not None and any(c["code"] == code for c in payload["codes"]):
            return payload  # (the code may have moved)
    epoch = local_cache.epoch() if local_cache.enabled() else NO_EPOCH
    return json.loads(_load_product_json(epoch, store=store, code=code))


def get_code_owner(code: str, *, kind: str, product_pk: int | None = None, row_pk=None):
    """The product that already answers to `code`, or None: by a further code (other than the row
    `row_pk`), or by its primary GTIN or, for a PLU, its shelf code (typing it must find one
    product) unless that product is `product_pk`. catalog.services asks before every code write."""
    further = ProductCode.objects.filter(code=code).exclude(pk=row_pk)
    primary = Q(gtin=code) if kind == GTIN else Q(product_id=code)
    if product_pk is not None:
        primary &= ~Q(pk=product_pk)
    owners = Product.objects.filter(Q(pk__in=further.values("product")) | primary)
    return owners.only("pk", "product_id", "name").first()


def resolve_code(code: str, *, store: str | None = None) -> tuple[dict, ScannedCode]:
    """A scanned or typed code (product id, any GTIN, a PLU, a scale label) to its product in
    a store."""
    scanned = parse_scanned_code(code)
    if scanned.gtin:
        try:
            return get_product_payload_by_code(scanned.gtin, store=store), scanned
        except ProductNotFound:
            if not scanned.product_id:
                raise
    try:
        return get_product_payload(scanned.product_id, store=store), scanned
    except ProductNotFound:
        if not scanned.plu:
            raise
    return get_product_payload_by_code(scanned.plu, store=store), scanned


def search_products(*, q: str = "", category: str = "") -> QuerySet[Product]:
    products = (
        Product.objects.filter(is_active=True)
        .select_related("category")
        .prefetch_related("codes", "translations")
    )
    if q:
        code = q.zfill(14) if q.isdigit() and len(q) > 5 else q  # a PLU is kept as typed
        products = products.filter(
            Q(name__icontains=q)
            | Q(product_id=q)
            | Q(gtin=code)
            | Q(pk__in=ProductCode.objects.filter(code=code).values("product"))
        )
    if category:
        products = products.filter(category__slug=category)
    return products.order_by("product_id")


# --- Who works where ------------------------------------------------------------------------------

CHAIN_WIDE_PERMISSION = "catalog.manage_all_stores"


def _on_staff(user) -> bool:
    return user is not None and user.is_active and user.is_staff


def _assigned_or_home(user) -> Q:
    """The stores a staff member without chain-wide rights works in, as one condition (so a
    check is one query): those they are assigned to, or the home store while they are assigned
    nowhere and no other store is open."""
    assigned = Store.staff.through.objects.filter(user=user)
    others_open = Store.objects.filter(is_active=True).exclude(code=home_store_code())
    return Q(pk__in=assigned.values("store")) | (
        Q(code=home_store_code()) & ~Exists(assigned) & ~Exists(others_open)
    )


def stores_of(user) -> QuerySet[Store]:
    """The stores a staff member sees and changes (stock, prices, labels, transactions): the one
    rule every admin page and staff endpoint asks.

    - Superusers and chain managers (catalog.manage_all_stores) see every store.
    - Anyone else on the staff sees the stores they are assigned to (Store.staff).
    - Staff assigned to none work for the home store while no other store is open, and for no
      store once one is. A shop with one store assigns nobody: its managers and staff go on
      seeing everything they saw before the chain existed. Opening a second store is the moment
      each of them must be given a store (or the chain manager role); guessing one for them,
      even the home store, would let the staff of one shop into another's tills.
    """
    if not _on_staff(user):
        return Store.objects.none()
    if sees_every_store(user):
        return Store.objects.all()
    return Store.objects.filter(_assigned_or_home(user))


def sees_every_store(user) -> bool:
    """Superusers and chain managers: every store, and the chain's sums over them."""
    return _on_staff(user) and (user.is_superuser or user.has_perm(CHAIN_WIDE_PERMISSION))


def works_in_every_store(user) -> bool:
    """May change what every store shares (price lists, promotions for every store): a chain
    manager, or the staff of a shop whose every store is theirs (a shop with one store)."""
    # Asked for each shared model's add, change and delete on every admin page: once a request.
    known = getattr(user, "_works_in_every_store", None)
    if known is None:
        known = sees_every_store(user) or (
            _on_staff(user) and not Store.objects.exclude(pk__in=stores_of(user)).exists()
        )
        if user is not None:
            user._works_in_every_store = known
    return known


def works_in(user, store: Store | str) -> bool:
    """Whether `user` may see and change this store's rows (a Store, or its code). Staff of the
    store answer in one query (an exit scan asks it every time); chain rights are asked last."""
    code = store if isinstance(store, str) else store.code
    if not _on_staff(user):
        return False
    if user.is_superuser or Store.objects.filter(_assigned_or_home(user), code=code).exists():
        return True
    return user.has_perm(CHAIN_WIDE_PERMISSION) and Store.objects.filter(code=code).exists()


def check_works_in(user, store: Store | str) -> None:
    """Raise NotYourStore (403, naming the store) unless `user` works in it: what a staff
    endpoint, an admin page or a label sheet for one store calls before it acts."""
    if not works_in(user, store):
        code = store if isinstance(store, str) else store.code
        raise NotYourStore(_("You do not work for store %(store)s.") % {"store": code}, store=code)
