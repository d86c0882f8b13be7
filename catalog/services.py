"""Every write to a product's stock or data goes through here, so each is audited and each
forgets the cached product once its transaction commits."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F

from catalog.errors import OutOfStock, ProductNotFound
from catalog.models import Product, StockMovement
from catalog.selectors import forget_products


@dataclass(frozen=True)
class StockLine:
    product_pk: int
    quantity: Decimal


def _forget_on_commit(product_ids: Iterable[str]) -> None:
    ids = list(product_ids)
    transaction.on_commit(lambda: forget_products(ids))


def save_product(*, product: Product, user=None) -> Product:
    """Create or update a product's data. Stock changes are not made here but by set_stock."""
    product.full_clean()
    with transaction.atomic():
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


def set_stock(
    *,
    product: Product,
    stock: Decimal,
    reason: str = StockMovement.Reason.COUNT,
    user=None,
    note: str = "",
) -> Product:
    """Set the stock to a counted figure; the movement records the difference."""
    stock = Decimal(stock)
    with transaction.atomic():
        current = Product.objects.select_for_update().only("stock").get(pk=product.pk)
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
            .only("pk", "product_id", "stock")
        }
        if missing := sorted(set(wanted) - set(locked)):
            raise ProductNotFound(product_pks=missing)
        if sign < 0:
            short = [
                {
                    "product_id": locked[pk].product_id,
                    "requested": qty,
                    "available": locked[pk].stock,
                }
                for pk, qty in sorted(wanted.items())
                if locked[pk].stock < qty
            ]
            if short:
                names = ", ".join(s["product_id"] for s in short)
                raise OutOfStock(f"Not enough stock for {names}.", lines=short)
        movements = []
        for pk, qty in sorted(wanted.items()):
            delta = sign * qty
            # The guard sits in the UPDATE too: even an unlocked writer cannot oversell.
            updated = Product.objects.filter(pk=pk, stock__gte=-delta if delta < 0 else 0).update(
                stock=F("stock") + delta
            )
            if not updated:
                raise OutOfStock(f"Not enough stock for {locked[pk].product_id}.")
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
        _forget_on_commit(p.product_id for p in locked.values())


def set_stock_levels(
    levels: dict[int, Decimal],
    *,
    reason: str = StockMovement.Reason.COUNT,
    user=None,
    note: str = "",
) -> set[int]:
    """set_stock for many products at once (imports): counted figures by primary key.

    Rows are locked in primary-key order like every other stock writer; products already at their
    figure get no movement. Returns the keys of the products that changed. The caller may own
    the transaction.
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
        _forget_on_commit(
            Product.objects.filter(pk__in=changed).values_list("product_id", flat=True)
        )
    return set(changed)
