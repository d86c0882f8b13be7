"""Every write to a product's stock or data, and to the categories its payload names, goes through
here, so each is audited and each forgets the cached product once its transaction commits."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter

from django.conf import settings
from django.db import connection, transaction
from django.db.models import DecimalField, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from catalog.errors import (
    CodeInUse,
    InvalidCode,
    InvalidPrice,
    NotListedInStore,
    OutOfStock,
    ProductNotFound,
)
from catalog.gtin import GTIN, PLU, InvalidGtin, is_plu, normalize_code
from catalog.models import (
    Category,
    PriceList,
    PriceListEntry,
    Product,
    ProductCode,
    ProductTranslation,
    StockCountRequest,
    StockMovement,
    Store,
    StoreProduct,
    get_home_store,
    quantity_fits_unit,
)
from catalog.selectors import forget_codes, forget_products, get_code_owner
from grocery.money import CENT


def refuses_beyond_stock() -> bool:
    """STOCK_POLICY=reserve: a line beyond the recorded stock is refused (409 out_of_stock).
    Under record the goods are already in the customer's hand, so they are sold."""
    return settings.STOCK_POLICY == "reserve"


@dataclass(frozen=True)
class StockLine:
    product_pk: int
    quantity: Decimal


def _forget_on_commit(product_ids: Iterable[str], *, store: Store | None = None) -> None:
    """Forget the payloads once committed: in `store` only, or in every store (catalogue data)."""
    ids = list(product_ids)
    stores = None if store is None else [store.code]
    transaction.on_commit(lambda: forget_products(ids, stores=stores))


def lock_product_codes() -> None:
    """Serialise the writers of product codes until the transaction ends. A code lives in two
    tables (Product.gtin, ProductCode.code), so no unique index covers both: without the lock one
    product could take a code as its GTIN while another takes it as a further code. Code writes
    are rare (the admin, imports), so one lock for all of them costs nothing that matters."""
    if connection.vendor == "postgresql":  # SQLite runs one writer at a time anyway
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('catalog.product_codes'))")


def code_in_use(code: str, owner: Product) -> CodeInUse:
    return CodeInUse(
        f"The code {code} already belongs to product {owner.product_id} ({owner.name}).",
        code=code,
        product_id=owner.product_id,
    )


def check_code_free(code: str, *, kind: str, product: Product, row_pk=None) -> None:
    """Raise CodeInUse unless `code` may be the product's: no other product answers to it and no
    further code of its own (but the row `row_pk`) is it already. The one uniqueness rule of
    codes, asked by the services and by the admin's forms."""
    owner = get_code_owner(code, kind=kind, product_pk=product.pk, row_pk=row_pk)
    if owner is not None:
        raise code_in_use(code, owner)


def check_further_code_free(code: str, *, kind: str, product: Product, row_pk=None) -> None:
    """check_code_free for a further code, which must not repeat the product's own GTIN or shelf
    code either (it would find the product twice over)."""
    if code == (product.gtin if kind == GTIN else product.product_id):
        raise code_in_use(code, product)
    check_code_free(code, kind=kind, product=product, row_pk=row_pk)


def _check_product_codes(product: Product) -> None:
    """A product's GTIN and a shelf code that looks like a PLU must not be another code."""
    if product.gtin:
        check_code_free(product.gtin, kind=GTIN, product=product)
    if is_plu(product.product_id):
        check_code_free(product.product_id, kind=PLU, product=product)


def save_product(*, product: Product, user=None) -> Product:
    """Create or update a product's data. Stock changes are not made here but by set_stock.
    Raises CodeInUse when its GTIN (or a PLU-like shelf code) is another product's code."""
    product.full_clean()
    with transaction.atomic():
        if product.gtin or is_plu(product.product_id):
            lock_product_codes()
            _check_product_codes(product)
        forget = [product.product_id]
        if product.pk:
            # A renamed shelf code must not leave the old code's cached payload behind.
            forget += Product.objects.filter(pk=product.pk).values_list("product_id", flat=True)
            fields = [
                f.name for f in Product._meta.concrete_fields if f.name not in ("id", "stock")
            ]
            product.save(update_fields=fields)
        else:
            product.save()
            # A new product is sold in the home store; other stores list it themselves.
            StoreProduct.objects.create(
                store=get_home_store(), product=product, stock=product.stock
            )
        _forget_on_commit(set(forget))
    return product


def delete_products(products: QuerySet[Product]) -> int:
    """Delete products (and their stock history); their cached payloads and GTIN lookups go on
    commit, so a scan finds no deleted product. Returns how many products were deleted."""
    with transaction.atomic():
        codes = list(products.values_list("product_id", "gtin"))
        further = list(
            ProductCode.objects.filter(product__in=products).values_list("code", flat=True)
        )
        deleted = products.delete()[1].get(Product._meta.label, 0)

        def forget():
            forget_products([pid for pid, _ in codes])
            forget_codes([gtin for _, gtin in codes if gtin] + further)

        transaction.on_commit(forget)
    return deleted


def save_product_codes(
    *, product: Product, saved: Iterable[ProductCode] = (), deleted: Iterable[ProductCode] = ()
) -> list[ProductCode]:
    """Add, change or remove a product's further codes (GTINs and PLUs). Every code stays unique
    across the catalogue: one another product answers to (CodeInUse, 409, names it) or a malformed
    one (InvalidCode) changes nothing. The product's payload and the codes' lookups are forgotten
    on commit. Returns the saved rows."""
    saved, deleted = list(saved), list(deleted)
    with transaction.atomic():
        lock_product_codes()
        before = dict(
            ProductCode.objects.filter(pk__in=[c.pk for c in saved + deleted if c.pk]).values_list(
                "pk", "code"
            )
        )
        ProductCode.objects.filter(pk__in=[c.pk for c in deleted], product=product).delete()
        seen = set()
        for row in saved:
            try:
                row.code, row.kind = normalize_code(row.code)
            except InvalidGtin as exc:
                raise InvalidCode(str(exc), code=row.code) from None
            if row.code in seen:
                raise code_in_use(row.code, product)
            seen.add(row.code)
            check_further_code_free(row.code, kind=row.kind, product=product, row_pk=row.pk)
            row.product = product
        for row in saved:  # checked under the lock; the unique index is the backstop
            row.save()
        stale = set(before.values()) - {row.code for row in saved}

        def forget():
            forget_products([product.product_id])
            forget_codes(stale)

        transaction.on_commit(forget)
    return saved


def save_product_translations(
    *,
    product: Product,
    saved: Iterable[ProductTranslation] = (),
    deleted: Iterable[ProductTranslation] = (),
) -> None:
    """Write a product's names and descriptions in other languages; its payload, which carries
    them, is forgotten on commit."""
    with transaction.atomic():
        ProductTranslation.objects.filter(
            pk__in=[t.pk for t in deleted if t.pk], product=product
        ).delete()
        for translation in saved:
            translation.product = product
            translation.full_clean()
            translation.save()
        _forget_on_commit([product.product_id])


def save_category(*, category: Category) -> Category:
    """Create or update a category; every payload of its products names it, so they are forgotten."""
    category.slug = category.slug or slugify(category.name)
    with transaction.atomic():
        category.save()
        _forget_on_commit(category.products.values_list("product_id", flat=True))
    return category


def save_store(*, store: Store) -> Store:
    """Open, change or close a store, or change the price list it follows (its rows are
    repriced). Its cached product payloads are forgotten on commit: a closed store's products
    must not be served from the cache (only a miss asks if it is open)."""
    store.full_clean()
    with transaction.atomic():
        if store.pk is None:
            store.save()  # a new store has no rows yet: nothing to reprice
        else:
            before = (
                Store.objects.select_for_update(no_key=True)
                .values_list("price_list", flat=True)
                .get(pk=store.pk)
            )
            store.save()
            if store.price_list_id != before:
                _lock_price_lists({before, store.price_list_id} - {None})
                _reprice_stores([store.pk])
        _forget_on_commit(
            StoreProduct.objects.filter(store=store).values_list("product__product_id", flat=True),
            store=store,
        )
    return store


# --- price lists ------------------------------------------------------------------------------
# A store's rows carry their list's prices (StoreProduct.list_price), copied here whenever an
# entry, a list's active flag, a store's list or a store's set of rows changes. Lock order of
# these writes: the stores (by pk), then the price lists (by pk), then store rows (by product),
# as the stock writers take them; so a new row never misses an entry written meanwhile. The
# stores and lists are locked FOR NO KEY UPDATE: it queues these writers only, never a checkout
# (whose rows naming the store take a key-share lock on it).


def _lock_price_lists(pks: Iterable[int]) -> dict[int, bool]:
    """Lock the lists' rows (by pk) until the transaction ends; returns which are active."""
    rows = PriceList.objects.select_for_update(no_key=True).filter(pk__in=set(pks)).order_by("pk")
    return dict(rows.values_list("pk", "is_active"))


def _lock_stores_and_lists(store_pks: Iterable[int]) -> dict[int, int | None]:
    """Lock the stores, then the lists they follow; returns each store's active list (or None)."""
    stores = dict(
        Store.objects.select_for_update(no_key=True)
        .filter(pk__in=set(store_pks))
        .order_by("pk")
        .values_list("pk", "price_list")
    )
    active = _lock_price_lists(pk for pk in stores.values() if pk is not None)
    return {store: pl if active.get(pl) else None for store, pl in stores.items()}


def _list_price(price_list_pk: int | None):
    """What StoreProduct.list_price should hold, as an expression over the row's product."""
    if price_list_pk is None:
        return Value(None, output_field=DecimalField(max_digits=10, decimal_places=2))
    entries = PriceListEntry.objects.filter(price_list=price_list_pk, product=OuterRef("product"))
    return Subquery(entries.values("price")[:1])


def _reprice_stores(store_pks: Iterable[int], product_pks: list[int] | None = None) -> int:
    """Bring the stores' rows (of these products, or all) to their price list's prices, and
    forget on commit, in each store only, the products whose list price moved. The caller holds
    the stores' or the lists' locks. Returns how many rows moved."""
    moved_total = 0
    stores = (
        Store.objects.filter(pk__in=set(store_pks))
        .order_by("pk")
        .values_list("pk", "code", "price_list", "price_list__is_active")
    )
    for store_pk, code, price_list_pk, active in stores:
        new = _list_price(price_list_pk if active else None)
        rows = StoreProduct.objects.filter(store=store_pk)
        if product_pks is not None:
            rows = rows.filter(product__in=product_pks)
        # Locked in product order, as the stock writers lock them.
        current = (
            rows.select_for_update(of=("self",))
            .order_by("product_id")
            .annotate(new=new)
            .values_list("pk", "product__product_id", "list_price", "new")
        )
        moved = [(pk, pid) for pk, pid, old, now in current if old != now]
        if moved:
            StoreProduct.objects.filter(pk__in=[pk for pk, _ in moved]).update(list_price=new)
            _forget_on_commit([pid for _, pid in moved], store=Store(pk=store_pk, code=code))
        moved_total += len(moved)
    return moved_total


def is_price(value: Decimal) -> bool:
    """A price the money columns hold as given: not negative, whole cents, 10 digits at most."""
    return value.is_finite() and 0 <= value < 10**8 and value == value.quantize(CENT)


def save_price_list(*, price_list: PriceList) -> PriceList:
    """Create or change a price list. Turning it off (or on) reprices the stores following it:
    an inactive list is ignored, its stores sell at the catalogue prices (or their own)."""
    price_list.full_clean()
    with transaction.atomic():
        was_active = (
            _lock_price_lists([price_list.pk]).get(price_list.pk) if price_list.pk else None
        )
        price_list.save()
        if was_active is not None and was_active != price_list.is_active:
            _reprice_stores(price_list.stores.values_list("pk", flat=True))
    return price_list


def assign_price_list(*, stores: Iterable[Store], price_list: PriceList | None) -> int:
    """Make the stores follow a price list (None: none); their rows are repriced and the payloads
    whose price moved are forgotten, in those stores only. Returns how many rows moved."""
    store_pks = sorted({store.pk for store in stores})
    with transaction.atomic():
        _lock_stores_and_lists(store_pks)
        if price_list is not None:
            _lock_price_lists([price_list.pk])
        Store.objects.filter(pk__in=store_pks).update(price_list=price_list)
        return _reprice_stores(store_pks)


def set_price_list_entries(*, price_list: PriceList, prices: dict[str, Decimal]) -> int:
    """Set a list's prices by product_id (one from the admin, thousands from an import or the
    demo). A negative price (InvalidPrice) or a product the catalogue lacks (ProductNotFound)
    changes nothing; both name every offender. The stores following the list are repriced and
    forget the moved products, no other store does. Returns how many entries changed."""
    prices = {pid: Decimal(price) for pid, price in prices.items()}
    if bad := sorted(pid for pid, price in prices.items() if not is_price(price)):
        raise InvalidPrice(
            f"A price is at least zero, in cents, under 100,000,000: {', '.join(bad)}.",
            product_ids=bad,
        )
    pks = dict(Product.objects.filter(product_id__in=list(prices)).values_list("product_id", "pk"))
    if unknown := sorted(set(prices) - set(pks)):
        raise ProductNotFound(
            f"No product {', '.join(unknown)} in the catalogue.", product_ids=unknown
        )
    with transaction.atomic():
        _lock_price_lists([price_list.pk])
        current = dict(
            PriceListEntry.objects.filter(
                price_list=price_list, product__in=list(pks.values())
            ).values_list("product", "price")
        )
        changed = {
            pks[pid]: price for pid, price in prices.items() if current.get(pks[pid]) != price
        }
        if not changed:
            return 0
        PriceListEntry.objects.bulk_create(
            [
                PriceListEntry(price_list=price_list, product_id=pk, price=p)
                for pk, p in changed.items()
            ],
            update_conflicts=True,
            unique_fields=["price_list", "product"],
            update_fields=["price"],
            batch_size=1000,
        )
        _reprice_stores(price_list.stores.values_list("pk", flat=True), sorted(changed))
    return len(changed)


def delete_price_list_entries(entries: QuerySet[PriceListEntry]) -> int:
    """Take products off price lists: the stores following each list sell them at the
    catalogue price again (or their own). Returns how many entries went."""
    with transaction.atomic():
        gone: dict[int, list[int]] = {}
        for list_pk, product_pk in entries.values_list("price_list", "product"):
            gone.setdefault(list_pk, []).append(product_pk)
        _lock_price_lists(gone)
        deleted = PriceListEntry.objects.filter(pk__in=entries.values("pk")).delete()[0]
        for list_pk, product_pks in sorted(gone.items()):
            followers = Store.objects.filter(price_list=list_pk).values_list("pk", flat=True)
            _reprice_stores(followers, sorted(product_pks))
    return deleted


def delete_categories(categories: QuerySet[Category]) -> None:
    """Delete categories. A category with products cannot go (PROTECT raises ProtectedError), so no
    cached product payload can name a deleted one: there is nothing to forget."""
    categories.delete()


def _lock_store_rows(store: Store, product_pks: Iterable[int], *, list_missing: bool):
    """The store's rows of these products, locked in product order (the one lock order of every
    stock writer, so two writers queue instead of deadlocking). With `list_missing`, a product
    the store has no row for is listed there first (a counted figure lists it)."""
    pks = sorted(set(product_pks))
    if list_missing:
        _list_missing(store, pks)
    rows = (
        StoreProduct.objects.select_for_update(of=("self",))
        .filter(store=store, product_id__in=pks)
        .select_related("product")
        .order_by("product_id")
        .only("pk", "stock", "product_id", "product__product_id", "product__unit")
    )
    return {row.product_id: row for row in rows}


def _list_missing(store: Store, pks: list[int]) -> None:
    """Give the store a row for each product it has none for, holding the stock no store row
    accounts for (Product.stock is the chain's total): all of it for a product never listed
    anywhere, nothing for one whose stores hold it all. ON CONFLICT DO NOTHING lets two counts
    race to create a row."""
    have = set(
        StoreProduct.objects.filter(store=store, product__in=pks).values_list("product", flat=True)
    )
    if not (missing := [pk for pk in pks if pk not in have]):
        return
    # The new rows carry the store's list prices; the locks keep an entry or the store's list
    # from changing before they are committed (see the lock order of price lists).
    list_prices = {}
    if (price_list_pk := _lock_stores_and_lists([store.pk])[store.pk]) is not None:
        entries = PriceListEntry.objects.filter(price_list=price_list_pk, product__in=missing)
        list_prices = dict(entries.values_list("product", "price"))
    held = dict(
        StoreProduct.objects.filter(product__in=missing)
        .values("product")
        .annotate(held=Sum("stock"))
        .values_list("product", "held")
    )
    StoreProduct.objects.bulk_create(
        [
            StoreProduct(
                store=store,
                product_id=pk,
                stock=total - held.get(pk, 0),
                list_price=list_prices.get(pk),
            )
            for pk, total in Product.objects.filter(pk__in=missing).values_list("pk", "stock")
        ],
        ignore_conflicts=True,
    )


def _mirror_chain_stock(deltas: dict[int, Decimal]) -> None:
    """Product.stock is the chain's total (what the readers not yet per store show): it moves by
    the same deltas, in the same product order, after the store rows are locked."""
    for pk, delta in sorted(deltas.items()):
        if delta:
            Product.objects.filter(pk=pk).update(stock=F("stock") + delta)


def set_stock(
    *,
    product: Product,
    stock: Decimal,
    store: Store | None = None,
    reason: str = StockMovement.Reason.COUNT,
    user=None,
    note: str = "",
) -> Product:
    """Set a store's stock (the home store's unless told) to a counted figure; the movement
    records the difference, and the store's open count request for it (if a sale asked for one)
    is answered. Returns the product carrying the store's new figure."""
    stock = Decimal(stock)
    store = store or get_home_store()
    with transaction.atomic():
        current = _lock_store_rows(store, [product.pk], list_missing=True)[product.pk]
        if not quantity_fits_unit(stock, current.product.unit):
            raise ValueError(f"{product.product_id} is sold each: stock {stock} is not whole.")
        delta = stock - current.stock
        StoreProduct.objects.filter(pk=current.pk).update(stock=stock)
        _mirror_chain_stock({product.pk: delta})
        StockMovement.objects.create(
            product_id=product.pk,
            store=store,
            delta=delta,
            resulting_stock=stock,
            reason=reason,
            user=user,
            note=note,
        )
        # A figure staff set is a count.
        _close_count_requests(store, [product.pk], levels={product.pk: stock}, user=user)
        _forget_on_commit([product.product_id], store=store)
    product.stock = stock
    return product


def take_stock(
    lines: Iterable[StockLine],
    *,
    reference: str,
    store: Store | None = None,
    reason=StockMovement.Reason.SALE,
):
    """Take every line's quantity from the store's stock (the home store's unless told) or none
    of them (OutOfStock names each short product). The caller owns the transaction."""
    _move_stock(lines, store=store or get_home_store(), sign=-1, reference=reference, reason=reason)


def return_stock(
    lines: Iterable[StockLine],
    *,
    reference: str,
    store: Store | None = None,
    reason=StockMovement.Reason.RELEASE,
):
    """Put quantities back into the store's stock (failed payment, refund)."""
    _move_stock(lines, store=store or get_home_store(), sign=1, reference=reference, reason=reason)


def _move_stock(
    lines: Iterable[StockLine], *, store: Store, sign: int, reference: str, reason: str
) -> None:
    wanted: dict[int, Decimal] = {}
    for line in lines:
        quantity = Decimal(line.quantity)
        if quantity <= 0:  # a negative take would be a hidden return, and vice versa
            raise ValueError(f"Stock moves by a positive quantity, not {quantity}.")
        wanted[line.product_pk] = wanted.get(line.product_pk, Decimal(0)) + quantity
    with transaction.atomic():
        # Only this store's rows: a sale here never waits on, or moves, another store's stock.
        locked = _lock_store_rows(store, wanted, list_missing=False)
        if missing := sorted(set(wanted) - set(locked)):
            if unknown := set(missing) - set(
                Product.objects.filter(pk__in=missing).values_list("pk", flat=True)
            ):
                raise ProductNotFound(product_pks=sorted(unknown))
            raise NotListedInStore(
                f"Not sold in store {store.code}.", store=store.code, product_pks=missing
            )
        for pk, qty in wanted.items():
            code = locked[pk].product.product_id
            if not quantity_fits_unit(qty, locked[pk].product.unit):
                raise ValueError(f"{code} is sold each: {qty} is not whole.")
        beyond = {pk: qty for pk, qty in wanted.items() if sign < 0 and locked[pk].stock < qty}
        if beyond and refuses_beyond_stock():
            short = [
                {
                    "product_id": locked[pk].product.product_id,
                    "requested": qty,
                    "available": locked[pk].stock,
                }
                for pk, qty in sorted(beyond.items())
            ]
            names = ", ".join(s["product_id"] for s in short)
            raise OutOfStock(
                gettext("Not enough stock for %(products)s.") % {"products": names}, lines=short
            )
        movements = []
        for pk, qty in sorted(wanted.items()):
            delta = sign * qty
            row = StoreProduct.objects.filter(pk=locked[pk].pk)
            if delta < 0 and refuses_beyond_stock():
                # The guard sits in the UPDATE too: even an unlocked writer cannot oversell.
                row = row.filter(stock__gte=-delta)
            # F(): the database subtracts from the row as it is, so no decrement is ever lost.
            if not row.update(stock=F("stock") + delta):
                raise OutOfStock(
                    gettext("Not enough stock for %(products)s.")
                    % {"products": locked[pk].product.product_id}
                )
            movements.append(
                StockMovement(
                    product_id=pk,
                    store=store,
                    delta=delta,
                    resulting_stock=locked[pk].stock + delta,
                    reason=reason,
                    reference=reference,
                )
            )
        _mirror_chain_stock({pk: sign * qty for pk, qty in wanted.items()})
        StockMovement.objects.bulk_create(movements)
        if beyond:
            _ask_for_counts(store, beyond, locked, reference=reference)
        _forget_on_commit((row.product.product_id for row in locked.values()), store=store)


def _ask_for_counts(
    store: Store, sold: dict[int, Decimal], locked: dict[int, StoreProduct], *, reference: str
):
    """The shelf held more than the records said: ask the store's staff to count each product.
    ON CONFLICT DO NOTHING keeps one open request per store and product, however many sales
    find it."""
    StockCountRequest.objects.bulk_create(
        [
            StockCountRequest(
                product_id=pk,
                store=store,
                reference=reference,
                stock_before=locked[pk].stock,
                sold=qty,
            )
            for pk, qty in sorted(sold.items())
        ],
        ignore_conflicts=True,
    )


def _close_count_requests(
    store: Store, product_pks: Iterable[int], *, levels: dict[int, Decimal], user=None
) -> None:
    open_requests = StockCountRequest.objects.filter(
        store=store, product_id__in=list(product_pks), closed_at__isnull=True
    )
    for pk in open_requests.values_list("product_id", flat=True):
        open_requests.filter(product_id=pk).update(
            closed_at=timezone.now(), counted_stock=levels[pk], closed_by=user
        )


def set_stock_levels(
    levels: dict[int, Decimal],
    *,
    store: Store | None = None,
    reason: str = StockMovement.Reason.COUNT,
    user=None,
    note: str = "",
) -> set[int]:
    """set_stock for many products of one store (the home store's unless told) at once
    (imports): counted figures by primary key.

    Products already at their figure get no movement. Every product given a figure has been
    counted, so its open count request is answered, as set_stock does. Returns the keys of the
    products that changed. The caller may own the transaction.
    """
    store = store or get_home_store()
    with transaction.atomic():
        locked = _lock_store_rows(store, levels, list_missing=True)
        current = {pk: row.stock for pk, row in locked.items()}
        changed = {pk: Decimal(levels[pk]) for pk in sorted(current) if levels[pk] != current[pk]}
        for pk, stock in changed.items():
            StoreProduct.objects.filter(pk=locked[pk].pk).update(stock=stock)
        _mirror_chain_stock({pk: stock - current[pk] for pk, stock in changed.items()})
        StockMovement.objects.bulk_create(
            StockMovement(
                product_id=pk,
                store=store,
                delta=stock - current[pk],
                resulting_stock=stock,
                reason=reason,
                user=user,
                note=note,
            )
            for pk, stock in changed.items()
        )
        _close_count_requests(
            store, current, levels={pk: Decimal(v) for pk, v in levels.items()}, user=user
        )
        _forget_on_commit(
            [locked[pk].product.product_id for pk in changed],
            store=store,
        )
    return set(changed)


@dataclass
class ProductRow:
    """One checked row of a bulk write: the product it updates (None: a new one with this
    product_id), the fields it sets, and its counted stock (None: stock unchanged)."""

    product_id: str
    product: Product | None
    data: dict
    stock: Decimal | None = None
    codes: list[tuple[str, str]] | None = None  # its further (code, kind)s; None: unchanged


@dataclass(frozen=True)
class ImportCounts:
    created: int
    updated: int


def import_products(rows: list[ProductRow], *, user=None, note: str = "") -> ImportCounts:
    """Write checked rows in one transaction: new products in bulk, changed fields in bulk, stock
    through set_stock_levels (audited, count requests answered), further codes replaced where a
    row gives them. An IntegrityError (e.g. two products swapping GTINs) rolls all of it back."""
    now = timezone.now()
    new = []
    changed: dict[str, Product] = {}
    changed_fields: set[str] = set()
    for row in rows:
        if row.product is None:
            new.append(
                Product(
                    product_id=row.product_id,
                    stock=Decimal(0),
                    created_at=now,
                    updated_at=now,
                    **row.data,
                )
            )
            continue
        product = row.product
        for name, value in row.data.items():
            if getattr(product, name) != value:
                setattr(product, name, value)
                changed_fields.add(name)
                changed[product.product_id] = product
    with transaction.atomic():
        Product.objects.bulk_create(new, batch_size=1000)
        if changed:
            for product in changed.values():
                product.updated_at = now
            Product.objects.bulk_update(
                list(changed.values()), [*sorted(changed_fields), "updated_at"], batch_size=1000
            )
        pks = {p.product_id: p.pk for p in new}
        if new and any(p.pk is None for p in new):  # backends that return no ids on insert
            pks = dict(
                Product.objects.filter(product_id__in=list(pks)).values_list("product_id", "pk")
            )
        # New products are sold in the home store, as save_product lists them.
        home = get_home_store()
        StoreProduct.objects.bulk_create(
            (StoreProduct(store=home, product_id=pk) for pk in pks.values()), batch_size=1000
        )
        levels = {
            (pks[row.product_id] if row.product is None else row.product.pk): row.stock
            for row in rows
            if row.stock is not None
        }
        stock_changed = (
            set_stock_levels(
                levels, store=home, reason=StockMovement.Reason.IMPORT, user=user, note=note
            )
            if levels
            else set()
        )
        coded = {
            (pks[row.product_id] if row.product is None else row.product.pk): row.codes
            for row in rows
            if row.codes is not None
        }
        codes_changed, stale = _replace_codes(coded) if coded else (set(), [])
        recoded = Product.objects.filter(pk__in=codes_changed).values_list("product_id", flat=True)
        _forget_on_commit([*changed, *pks, *recoded])
        transaction.on_commit(lambda: forget_codes(stale))
    new_pks = {p.pk for p in new}
    return ImportCounts(
        created=len(new),
        updated=len({p.pk for p in changed.values()} | ((stock_changed | codes_changed) - new_pks)),
    )


def _replace_codes(coded: dict[int, list[tuple[str, str]]]) -> tuple[set[int], list[str]]:
    """Give each product (by pk) exactly these further codes. The import checked them against the
    catalogue; ProductCode's unique index stops one a racing writer took meanwhile (IntegrityError:
    the import rolls back). Returns the products whose codes changed and the codes taken off."""
    lock_product_codes()
    current: dict[int, dict[str, int]] = {pk: {} for pk in coded}
    for pk, code, row_pk in ProductCode.objects.filter(product__in=list(coded)).values_list(
        "product", "code", "pk"
    ):
        current[pk][code] = row_pk
    gone, new = [], []
    for pk, codes in coded.items():
        wanted = dict(codes)
        gone += [(code, row_pk) for code, row_pk in current[pk].items() if code not in wanted]
        new += [
            ProductCode(product_id=pk, code=code, kind=kind)
            for code, kind in wanted.items()
            if code not in current[pk]
        ]
    ProductCode.objects.filter(pk__in=[row_pk for _, row_pk in gone]).delete()
    ProductCode.objects.bulk_create(new, batch_size=1000)
    changed = {row.product_id for row in new} | {
        pk for pk in coded if set(current[pk]) - set(dict(coded[pk]))
    }
    return changed, [code for code, _ in gone]


@dataclass
class StoreProductRow:
    """One checked line of a store's prices and stock: the fields it sets on the store's row of
    the product (among price, reorder_level and is_listed; a None price or level is the
    catalogue's) and its counted stock (None: unchanged)."""

    store: Store
    product_pk: int
    product_id: str
    data: dict
    stock: Decimal | None = None


def import_store_products(rows: list[StoreProductRow], *, user=None, note: str = "") -> int:
    """Write checked lines of stores' prices and stock in one transaction. A store that has no
    row for a product gets one (as a counted figure lists it); stock goes through
    set_stock_levels (audited as an import, count requests answered); each store's changed
    payloads are forgotten on commit. Returns how many store rows changed."""
    by_store: dict[int, list[StoreProductRow]] = {}
    for row in rows:
        by_store.setdefault(row.store.pk, []).append(row)
    changed: set[tuple[int, int]] = set()
    with transaction.atomic():
        # Stores and their price lists before any store row (the lock order of price lists).
        _lock_stores_and_lists(by_store)
        for store_pk in sorted(by_store):  # one store after another, each in product order
            lines = by_store[store_pk]
            store = lines[0].store
            locked = _lock_store_rows(store, [r.product_pk for r in lines], list_missing=True)
            current = {
                pk: {"price": price, "reorder_level": level, "is_listed": listed}
                for pk, price, level, listed in StoreProduct.objects.filter(
                    pk__in=[row.pk for row in locked.values()]
                ).values_list("product_id", "price", "reorder_level", "is_listed")
            }
            edited = []
            for line in sorted(lines, key=attrgetter("product_pk")):
                fields = {k: v for k, v in line.data.items() if current[line.product_pk][k] != v}
                if fields:
                    StoreProduct.objects.filter(pk=locked[line.product_pk].pk).update(**fields)
                    edited.append(line)
            levels = {r.product_pk: r.stock for r in lines if r.stock is not None}
            counted = (
                set_stock_levels(
                    levels, store=store, reason=StockMovement.Reason.IMPORT, user=user, note=note
                )
                if levels
                else set()
            )
            _forget_on_commit([line.product_id for line in edited], store=store)
            changed |= {(store_pk, line.product_pk) for line in edited}
            changed |= {(store_pk, pk) for pk in counted}
    return len(changed)
