"""Every write to a product's stock or data, and to the categories its payload names, goes through
here, so each is audited and each forgets the cached product once its transaction commits."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from catalog.errors import CodeInUse, InvalidCode, OutOfStock, ProductNotFound
from catalog.gtin import GTIN, PLU, InvalidGtin, is_plu, normalize_code
from catalog.models import (
    Category,
    Product,
    ProductCode,
    ProductTranslation,
    StockCountRequest,
    StockMovement,
    quantity_fits_unit,
)
from catalog.selectors import forget_codes, forget_products, get_code_owner


def refuses_beyond_stock() -> bool:
    """STOCK_POLICY=reserve: a line beyond the recorded stock is refused (409 out_of_stock).
    Under record the goods are already in the customer's hand, so they are sold."""
    return settings.STOCK_POLICY == "reserve"


@dataclass(frozen=True)
class StockLine:
    product_pk: int
    quantity: Decimal


def _forget_on_commit(product_ids: Iterable[str]) -> None:
    ids = list(product_ids)
    transaction.on_commit(lambda: forget_products(ids))


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


def delete_categories(categories: QuerySet[Category]) -> None:
    """Delete categories. A category with products cannot go (PROTECT raises ProtectedError), so no
    cached product payload can name a deleted one: there is nothing to forget."""
    categories.delete()


def set_stock(
    *,
    product: Product,
    stock: Decimal,
    reason: str = StockMovement.Reason.COUNT,
    user=None,
    note: str = "",
) -> Product:
    """Set the stock to a counted figure; the movement records the difference, and the product's
    open count request (if a sale asked for one) is answered."""
    stock = Decimal(stock)
    with transaction.atomic():
        current = Product.objects.select_for_update().only("stock", "unit").get(pk=product.pk)
        if not quantity_fits_unit(stock, current.unit):
            raise ValueError(f"{product.product_id} is sold each: stock {stock} is not whole.")
        delta = stock - current.stock
        Product.objects.filter(pk=product.pk).update(stock=stock)
        StockMovement.objects.create(
            product_id=product.pk,
            delta=delta,
            resulting_stock=stock,
            reason=reason,
            user=user,
            note=note,
        )
        _close_count_request(product.pk, stock=stock, user=user)  # a figure staff set is a count
        _forget_on_commit([product.product_id])
    product.stock = stock
    return product


def take_stock(lines: Iterable[StockLine], *, reference: str, reason=StockMovement.Reason.SALE):
    """Take every line's quantity or none of them (OutOfStock names each short product).

    Rows are locked in primary-key order, the same order for every caller, so two checkouts
    that share products queue instead of deadlocking. The caller owns the transaction.
    """
    _move_stock(lines, sign=-1, reference=reference, reason=reason)


def return_stock(
    lines: Iterable[StockLine], *, reference: str, reason=StockMovement.Reason.RELEASE
):
    """Put quantities back (failed payment, refund); same lock order as take_stock."""
    _move_stock(lines, sign=1, reference=reference, reason=reason)


def _move_stock(lines: Iterable[StockLine], *, sign: int, reference: str, reason: str) -> None:
    wanted: dict[int, Decimal] = {}
    for line in lines:
        quantity = Decimal(line.quantity)
        if quantity <= 0:  # a negative take would be a hidden return, and vice versa
            raise ValueError(f"Stock moves by a positive quantity, not {quantity}.")
        wanted[line.product_pk] = wanted.get(line.product_pk, Decimal(0)) + quantity
    with transaction.atomic():
        locked = {
            p.pk: p
            for p in Product.objects.select_for_update()
            .filter(pk__in=wanted)
            .order_by("pk")
            .only("pk", "product_id", "stock", "unit")
        }
        if missing := sorted(set(wanted) - set(locked)):
            raise ProductNotFound(product_pks=missing)
        for pk, qty in wanted.items():
            if not quantity_fits_unit(qty, locked[pk].unit):
                raise ValueError(f"{locked[pk].product_id} is sold each: {qty} is not whole.")
        beyond = {pk: qty for pk, qty in wanted.items() if sign < 0 and locked[pk].stock < qty}
        if beyond and refuses_beyond_stock():
            short = [
                {
                    "product_id": locked[pk].product_id,
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
            row = Product.objects.filter(pk=pk)
            if delta < 0 and refuses_beyond_stock():
                # The guard sits in the UPDATE too: even an unlocked writer cannot oversell.
                row = row.filter(stock__gte=-delta)
            # F(): the database subtracts from the row as it is, so no decrement is ever lost.
            if not row.update(stock=F("stock") + delta):
                raise OutOfStock(
                    gettext("Not enough stock for %(products)s.")
                    % {"products": locked[pk].product_id}
                )
            movements.append(
                StockMovement(
                    product_id=pk,
                    delta=delta,
                    resulting_stock=locked[pk].stock + delta,
                    reason=reason,
                    reference=reference,
                )
            )
        StockMovement.objects.bulk_create(movements)
        if beyond:
            _ask_for_counts(beyond, locked, reference=reference)
        _forget_on_commit(p.product_id for p in locked.values())


def _ask_for_counts(sold: dict[int, Decimal], locked: dict[int, Product], *, reference: str):
    """The shelf held more than the records said: ask staff to count each of these products.
    ON CONFLICT DO NOTHING keeps one open request per product, however many sales find it."""
    StockCountRequest.objects.bulk_create(
        [
            StockCountRequest(
                product_id=pk, reference=reference, stock_before=locked[pk].stock, sold=qty
            )
            for pk, qty in sorted(sold.items())
        ],
        ignore_conflicts=True,
    )


def _close_count_request(product_pk: int, *, stock: Decimal, user=None) -> None:
    StockCountRequest.objects.filter(product_id=product_pk, closed_at__isnull=True).update(
        closed_at=timezone.now(), counted_stock=stock, closed_by=user
    )


def set_stock_levels(
    levels: dict[int, Decimal],
    *,
    reason: str = StockMovement.Reason.COUNT,
    user=None,
    note: str = "",
) -> set[int]:
    """set_stock for many products at once (imports): counted figures by primary key.

    Rows are locked in primary-key order like every other stock writer; products already at their
    figure get no movement. Every product given a figure has been counted, so its open count
    request is answered, as set_stock does. Returns the keys of the products that changed. The
    caller may own the transaction.
    """
    with transaction.atomic():
        current = dict(
            Product.objects.select_for_update()
            .filter(pk__in=levels)
            .order_by("pk")
            .values_list("pk", "stock")
        )
        changed = {pk: Decimal(levels[pk]) for pk in sorted(current) if levels[pk] != current[pk]}
        for pk, stock in changed.items():
            Product.objects.filter(pk=pk).update(stock=stock)
        StockMovement.objects.bulk_create(
            StockMovement(
                product_id=pk,
                delta=stock - current[pk],
                resulting_stock=stock,
                reason=reason,
                user=user,
                note=note,
            )
            for pk, stock in changed.items()
        )
        counted = StockCountRequest.objects.filter(product_id__in=current, closed_at__isnull=True)
        for pk in counted.values_list("product_id", flat=True):
            _close_count_request(pk, stock=Decimal(levels[pk]), user=user)
        _forget_on_commit(
            Product.objects.filter(pk__in=changed).values_list("product_id", flat=True)
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
        levels = {
            (pks[row.product_id] if row.product is None else row.product.pk): row.stock
            for row in rows
            if row.stock is not None
        }
        stock_changed = (
            set_stock_levels(levels, reason=StockMovement.Reason.IMPORT, user=user, note=note)
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
