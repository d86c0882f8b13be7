"""The one pricing function. The cart, the quote, the checkout and the receipt all price through
here, so whatever promotions.selectors.discounts_for says is what every screen and every charge says."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from catalog.errors import NotListedInStore, OutOfStock
from catalog.models import Product, Store, get_home_store, quantity_fits_unit
from catalog.selectors import sold_here, with_store_row
from catalog.services import refuses_beyond_stock
from checkout.coupons import AppliedCoupon, check_coupons, normal_codes
from checkout.errors import (
    EmptyCart,
    InvalidQuantity,
    ProductInactive,
    UnknownProducts,
    VoucherRedeemed,
)
from checkout.models import VoucherRedemption
from checkout.vouchers import Voucher, redeemed_message
from grocery.money import ZERO, from_cents, round_money, sum_money
from grocery.tax import TaxEntry, taxes_for
from promotions.engine import Discount, Line, Rule, apply_promotions
from promotions.engine.cart import Reason, spread, to_cents
from promotions.selectors import ANONYMOUS, Shopper, discounts_for

WHOLE = Decimal(1)
GRAM = Decimal("0.001")
# A parse ceiling for the API's number fields; a line's real limit is MAX_LINE_QUANTITY / MAX_LINE_KG.
MAX_QUANTITY = Decimal(9999)
# Redeemed loyalty points are a discount like a promotion's, under this id on lines and receipts.
POINTS_DISCOUNT_ID = "loyalty-points"


@dataclass(frozen=True)
class RequestedLine:
    product_id: str
    quantity: Decimal


@dataclass
class PricedLine:
    product: Product
    quantity: Decimal
    unit_price: Decimal
    gross: Decimal  # Product.price_for(quantity): price of one item or one kg × quantity
    discounts: list[Discount]
    discount: Decimal
    total: Decimal  # gross - discount: the goods after promotions, deposit not included
    tax_rate: Decimal
    deposit_unit: Decimal  # per item, never discounted
    deposit: Decimal
    deposit_tax_rate: Decimal
    # What the customer pays for the goods and for the deposit once vouchers are spread over
    # the basket: what a return of these units gives back.
    paid: Decimal = ZERO
    deposit_paid: Decimal = ZERO


@dataclass(frozen=True)
class AppliedVoucher:
    voucher: Voucher
    applied: Decimal  # at most what was left to pay: the total never goes below zero


@dataclass
class Quote:
    lines: list[PricedLine]
    subtotal: Decimal
    discount_total: Decimal
    total: Decimal
    tax: Decimal
    currency: str
    priced_at: datetime
    discounts: list[Discount] = field(default_factory=list)
    deposit_total: Decimal = ZERO
    voucher_total: Decimal = ZERO
    vouchers: list[AppliedVoucher] = field(default_factory=list)
    taxes: list[TaxEntry] = field(default_factory=list)
    points_redeemed: int = 0  # of the points asked for, those the goods had room for
    coupons: list[AppliedCoupon] = field(default_factory=list)


def quantity_problem(product: Product, quantity: Decimal) -> str | None:
    """Why a quantity is not acceptable for this product, or None."""
    if quantity <= 0:
        return _("must be greater than zero")
    # Under either stock policy: more than a person carries is a typo, not a sale.
    if product.sold_by_weight:
        limit, limit_text = settings.MAX_LINE_KG, f"{settings.MAX_LINE_KG.normalize():f} kg"
    else:
        limit = limit_text = settings.MAX_LINE_QUANTITY
    if quantity > limit:
        return _("must be at most %(limit)s on one line") % {"limit": limit_text}
    if not quantity_fits_unit(quantity, product.unit):
        return _("must be a whole number for items sold each")
    if quantity != quantity.quantize(GRAM):
        return _("must have at most 3 decimals (kg)")
    return None


def load_products(product_ids: Iterable[str], *, store: Store) -> dict[str, Product]:
    """The products with their rows in the store, in one query (see sold_in_store)."""
    products = Product.objects.select_related("category").filter(product_id__in=set(product_ids))
    return {p.product_id: p for p in with_store_row(products, store)}


def sold_in_store(products: dict[str, Product], store: Store) -> None:
    """Give the products the store's prices and stock. Raises NotListedInStore (409) naming
    those it does not sell."""
    if unlisted := sorted(pid for pid, p in products.items() if not sold_here(p)):
        raise NotListedInStore(
            f"Not sold in this store: {', '.join(unlisted)}.",
            store=store.code,
            product_ids=unlisted,
        )


def merge_lines(lines: Iterable[RequestedLine]) -> dict[str, Decimal]:
    """The same product twice in a request is one line with both quantities."""
    merged: dict[str, Decimal] = {}
    for line in lines:
        merged[line.product_id] = merged.get(line.product_id, ZERO) + Decimal(line.quantity)
    return merged


def quote_cart(
    lines: Sequence[RequestedLine],
    *,
    vouchers: Sequence[Voucher] = (),
    points: int = 0,
    at: datetime | None = None,
    store: Store | None = None,
    coupons: Sequence[str] = (),
    customer=None,
) -> Quote:
    """Validate a requested cart and price it in a store (the home store's unless told); raises
    a DomainError naming every bad line.

    `customer`: the member account named (member prices); `coupons`: codes entered or scanned,
    each refused with its reason (422) unless its promotion took something off.
    Nothing is written: checkout calls this before it reserves anything.
    """
    wanted = merge_lines(lines)
    if not wanted:
        raise EmptyCart()
    store = store or get_home_store()
    products = load_products(wanted, store=store)
    unknown = sorted(set(wanted) - set(products))
    if unknown:
        raise UnknownProducts(
            _("Unknown product: %(codes)s.") % {"codes": ", ".join(unknown)}, product_ids=unknown
        )
    sold_in_store(products, store)
    bad = {
        pid: problem
        for pid, qty in wanted.items()
        if (problem := quantity_problem(products[pid], qty))
    }
    if bad:
        first = next(iter(bad))
        raise InvalidQuantity(
            _("Quantity for %(product)s %(problem)s.") % {"product": first, "problem": bad[first]},
            lines=bad,
        )
    inactive = sorted(pid for pid in wanted if not products[pid].is_active)
    if inactive:
        raise ProductInactive(
            _("No longer sold: %(codes)s.") % {"codes": ", ".join(inactive)}, product_ids=inactive
        )
    short = [
        {"product_id": pid, "requested": qty, "available": products[pid].stock}
        for pid, qty in wanted.items()
        if qty > products[pid].stock
    ]
    if short and refuses_beyond_stock():
        names = ", ".join(s["product_id"] for s in short)
        raise OutOfStock(_("Not enough stock for %(products)s.") % {"products": names}, lines=short)
    if vouchers:
        redeemed = sorted(
            VoucherRedemption.objects.filter(code__in=[v.code for v in vouchers]).values_list(
                "code", flat=True
            )
        )
        if redeemed:
            raise VoucherRedeemed(redeemed_message(redeemed), vouchers=redeemed)
    at = at or timezone.now()
    codes = normal_codes(coupons)
    quote = price_lines(
        [(products[pid], qty) for pid, qty in wanted.items()],
        vouchers=vouchers,
        points=points,
        at=at,
        shopper=Shopper(member=customer is not None, coupons=frozenset(codes)),
        store=store,
    )
    if codes:
        taken: dict[str, Decimal] = {}
        for discount in quote.discounts:
            taken[discount.promotion_id] = taken.get(discount.promotion_id, ZERO) + discount.amount
        quote.coupons = check_coupons(
            codes, customer=customer, basket=quote.subtotal, discounts=taken, at=at, store=store
        )
    return quote


def price_lines(
    items: Sequence[tuple[Product, Decimal]],
    *,
    vouchers: Sequence[Voucher] = (),
    points: int = 0,
    at: datetime | None = None,
    rules: Sequence[Rule] | None = None,
    shopper: Shopper = ANONYMOUS,
    store: Store | None = None,
) -> Quote:
    """Prices and promotions for (product, quantity) pairs that are already known to be valid.

    `points`: loyalty points to redeem (whether the customer holds them is checked elsewhere).
    `rules`: the promotions to apply instead of the running ones (laws and benchmarks).
    `shopper`: whether a member buys and the coupon codes given (gated promotions).
    `store`: where it is bought: the promotions running there (the home store's unless told)."""
    at = at or timezone.now()
    engine_lines = [
        Line(
            product_id=product.product_id,
            category=product.category.slug,
            # The engine multiplies by the quantity, so it gets the price of one item or one kg.
            unit_price=product.quantity_price,
            quantity=quantity,
            name=product.name,  # the receipt's explanation: "3 for 2: 1 × Banana free"
            sold_by_weight=product.sold_by_weight,  # unit deals skip weighed lines
        )
        for product, quantity in items
    ]
    if not engine_lines:
        discounts = []
    elif rules is None:
        discounts = discounts_for(
            engine_lines, at, shopper=shopper, store=store.code if store else None
        )
    else:
        discounts = apply_promotions(engine_lines, rules, at)
    by_product: dict[str, list[Discount]] = {}
    for discount in discounts:
        by_product.setdefault(discount.product_id, []).append(discount)
    priced = []
    rates = settings.VAT_RATES  # read once: a settings attribute costs more than a dict lookup
    for product, quantity in items:
        gross = product.price_for(quantity)
        mine = by_product.get(product.product_id, [])
        # A discount never makes a line cost less than nothing, whatever a rule computes.
        discount = min(round_money(sum_money(d.amount for d in mine)), gross)
        priced.append(
            PricedLine(
                product=product,
                quantity=quantity,
                unit_price=product.price,
                gross=gross,
                discounts=mine,
                discount=discount,
                total=gross - discount,
                tax_rate=rates[product.effective_tax_class],
                deposit_unit=product.deposit,
                deposit=round_money(product.deposit * quantity),
                deposit_tax_rate=rates[product.deposit_tax_class],
            )
        )
    points_redeemed, points_discounts = _redeem_points(priced, points)
    subtotal = sum_money(line.gross for line in priced)
    discount_total = sum_money(line.discount for line in priced)
    deposit_total = sum_money(line.deposit for line in priced)
    applied = _apply_vouchers(vouchers, subtotal - discount_total + deposit_total)
    voucher_total = sum_money(v.applied for v in applied)
    _spread_vouchers(priced, voucher_total)
    taxes = taxes_for(
        part
        for line in priced
        for part in ((line.tax_rate, line.paid), (line.deposit_tax_rate, line.deposit_paid))
        if part[1]
    )
    return Quote(
        lines=priced,
        subtotal=subtotal,
        discount_total=discount_total,
        total=subtotal - discount_total + deposit_total - voucher_total,
        tax=sum_money(entry.tax for entry in taxes),
        currency=settings.CURRENCY,
        priced_at=at,
        discounts=[*discounts, *points_discounts],
        deposit_total=deposit_total,
        voucher_total=voucher_total,
        vouchers=applied,
        taxes=taxes,
        points_redeemed=points_redeemed,
    )


def _redeem_points(lines: list[PricedLine], points: int) -> tuple[int, list[Discount]]:
    """Points come off the goods after promotions, spread over the lines like a basket-wide
    promotion (cent-exact, largest remainder), before vouchers and VAT. Only whole points the
    goods have room for are used, so a line never costs less than nothing; deposits are money
    held for the bottles and are never discounted."""
    goods = sum_money(line.total for line in lines)
    used = min(max(points, 0), int(goods / settings.LOYALTY_POINT_VALUE))
    if not used:
        return 0, []
    amount = round_money(used * settings.LOYALTY_POINT_VALUE)
    shares = spread(to_cents(amount), [to_cents(line.total) for line in lines])
    found = []
    # `strict` only asserts what `spread` promises (one share per line): not mutated.
    for line, cents in zip(lines, shares, strict=True):  # pragma: no mutate
        if cents:
            off = from_cents(cents)
            discount = Discount(
                POINTS_DISCOUNT_ID,
                line.product.product_id,
                off,
                Reason(gettext_noop("%(points)s loyalty points"), points=used),
            )
            line.discounts = [*line.discounts, discount]
            line.discount += off
            line.total -= off
            found.append(discount)
    return used, found


def _apply_vouchers(vouchers: Sequence[Voucher], due: Decimal) -> list[AppliedVoucher]:
    """Each voucher takes what it is worth, in the order given, until nothing is left to pay."""
    applied = []
    for voucher in vouchers:
        take = min(voucher.amount, max(due, ZERO))
        applied.append(AppliedVoucher(voucher=voucher, applied=take))
        due -= take
    return applied


def _spread_vouchers(lines: list[PricedLine], amount: Decimal) -> None:
    """Vouchers are paid like a basket-wide discount: spread over the goods and deposits in
    proportion to their amounts, cent-exact (largest remainder, ties by position), before VAT."""
    if not amount:
        for line in lines:
            line.paid, line.deposit_paid = line.total, line.deposit
        return
    weights = [to_cents(w) for line in lines for w in (line.total, line.deposit)]
    shares = spread(to_cents(amount), weights)
    for index, line in enumerate(lines):
        line.paid = line.total - from_cents(shares[2 * index])
        line.deposit_paid = line.deposit - from_cents(shares[2 * index + 1])
