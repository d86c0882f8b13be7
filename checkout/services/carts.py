"""Carts: found by the signed-in customer or the device's token, created on the first write.

Every change to a cart's lines runs with the cart row locked, so two tabs adding at once cannot
lose a line.
"""

import re
import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import CharField, Max, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from catalog.errors import NotListedInStore, OutOfStock, ProductNotFound
from catalog.models import Product, Store, Unit
from catalog.selectors import sold_here, with_store_row
from catalog.services import refuses_beyond_stock
from catalog.stores import get_store
from checkout.errors import (
    CartInOtherStore,
    CartLineNotFound,
    InvalidQuantity,
    ProductInactive,
    VoucherRedeemed,
)
from checkout.models import Cart, CartLine, CartVoucher, Order, VoucherRedemption
from checkout.pricing import quantity_problem
from checkout.vouchers import parse_voucher, redeemed_message
from grocery.money import ZERO

CART_TOKEN_FORMAT = re.compile(r"[A-Za-z0-9_-]{32}")  # what new_cart_token makes


def new_cart_token() -> str:
    return secrets.token_urlsafe(24)


def find_cart(*, token: str | None, user=None) -> Cart | None:
    """The signed-in customer's cart (adopting this device's anonymous one), or the device's;
    None when there is none yet: reading a cart never creates one."""
    signed_in = user is not None and user.is_authenticated
    carts = Cart.objects.select_related("store")
    if signed_in:
        cart = carts.filter(customer=user).first()
        if cart is not None:
            return cart
        if token and Cart.objects.filter(token=token, customer=None).update(customer=user):
            return carts.get(token=token)
        return None
    if token:
        # A customer's cart is never reachable by its token alone once they signed in.
        return carts.filter(token=token, customer=None).first()
    return None


def check_cart_store(cart: Cart, store_code: str | None) -> None:
    """A request naming a store other than the cart's is refused (409): the cart, its prices and
    the stock it will take are its store's. Naming none is the cart's store."""
    if store_code is not None and store_code != cart.store.code:
        raise CartInOtherStore(
            f"This cart was started in store {cart.store.code}, not {store_code}.",
            cart_store=cart.store.code,
            store=store_code,
        )


def get_cart_store(*, token: str | None, user=None, store_code: str | None = None) -> Store:
    """The store a checkout or a quote is in: the cart's (a different one named: 409), else the
    store named (unknown or closed: 404), else the home store."""
    cart = find_cart(token=token, user=user)
    if cart is None:
        return get_store(store_code)
    check_cart_store(cart, store_code)
    return cart.store


def change_store(*, token: str | None, user=None, store_code: str, empty_cart: bool) -> Store:
    """Shop in another store from now on. A cart never moves (its prices and the stock it will
    take are its store's), so a cart of another store is dropped: at once when it holds
    nothing, only with the customer's consent (empty_cart) when it does, else a 409 saying what
    would be lost. The next write starts a cart in the new store. Unknown or closed: 404."""
    store = get_store(store_code)
    with transaction.atomic():
        cart = find_cart(token=token, user=user)
        if cart is None or cart.store_id == store.pk:
            return store
        cart = Cart.objects.select_for_update().get(pk=cart.pk)  # no line slips in meanwhile
        held = _items_held(cart)
        if held and not empty_cart:
            raise CartInOtherStore(
                ngettext(
                    "Your cart holds %(count)s item from %(cart_store)s. Empty it to shop in "
                    "%(store)s.",
                    "Your cart holds %(count)s items from %(cart_store)s. Empty it to shop in "
                    "%(store)s.",
                    held,
                )
                % {"count": held, "cart_store": cart.store.name, "store": store.name},
                cart_store=cart.store.code,
                store=store.code,
                items=held,
            )
        cart.delete()
    return store


def _items_held(cart: Cart) -> int:
    """What the cart holds as the customer counts it (the PWA's badge): items sold each by
    their number, a weighed line or a voucher as one."""
    counted = 0
    for unit, quantity in cart.lines.values_list("product__unit", "quantity"):
        counted += int(quantity) if unit == Unit.EACH else 1
    return counted + cart.vouchers.count()


def usable_cart_token(token: str | None) -> str:
    """The device's token for a cart not created yet: its own if it looks like one we hand out
    and no cart holds it, else a new one. (Reading an empty cart hands out a token without a
    row, so the first write must be able to create the cart under that token.)"""
    if (
        token
        and CART_TOKEN_FORMAT.fullmatch(token)
        and not Cart.objects.filter(token=token).exists()
    ):
        return token
    return new_cart_token()


def get_or_create_cart(*, token: str | None, user=None, store_code: str | None = None) -> Cart:
    """The cart that a write goes to, created on the first write in the store the request
    names (the home store if none). An existing cart of another store is refused (409)."""
    cart = find_cart(token=token, user=user)
    if cart is not None:
        check_cart_store(cart, store_code)
        return cart
    store = get_store(store_code)
    customer = user if user is not None and user.is_authenticated else None
    try:
        with transaction.atomic():
            return Cart.objects.create(
                token=usable_cart_token(token), customer=customer, store=store
            )
    except IntegrityError:
        # Two first writes of one device raced: the other one created the cart.
        if (cart := find_cart(token=token, user=user)) is not None:
            check_cart_store(cart, store_code)
            return cart
        return Cart.objects.create(token=new_cart_token(), customer=customer, store=store)


def delete_abandoned_carts(*, now=None) -> int:
    """Drop anonymous carts nobody will come back to: empty for a day, or idle past the cookie's
    life. Receipts keep the token as text, so a device still reaches its old receipts."""
    now = now or timezone.now()
    empty_since = now - timedelta(days=1)
    idle_since = now - timedelta(seconds=settings.CART_COOKIE_MAX_AGE)
    abandoned = (
        Cart.objects.filter(customer=None)
        .annotate(last_added=Max("lines__added_at"))
        .filter(
            Q(last_added__isnull=True, updated_at__lt=empty_since)
            | Q(last_added__lt=idle_since, updated_at__lt=idle_since)
        )
    )
    deleted = Cart.objects.filter(pk__in=abandoned.values("pk")).delete()[1].get("checkout.Cart", 0)
    return deleted


def _sellable_product(product_id: str, store: Store) -> Product:
    """The product as the cart's store sells it (its price and stock there)."""
    try:
        product = with_store_row(Product.objects.all(), store).get(product_id=product_id)
    except Product.DoesNotExist:
        raise ProductNotFound(product_id=product_id) from None
    if not product.is_active:
        raise ProductInactive(
            gettext("%(name)s is no longer sold.") % {"name": product.name},
            product_ids=[product_id],
        )
    if not sold_here(product):
        raise NotListedInStore(
            gettext("%(name)s is not sold in this store.") % {"name": product.name},
            store=store.code,
            product_ids=[product_id],
        )
    return product


def _check_line(product: Product, quantity: Decimal) -> None:
    if problem := quantity_problem(product, quantity):
        raise InvalidQuantity(
            gettext("Quantity %(problem)s.") % {"problem": problem}, product_id=product.product_id
        )
    if quantity > product.stock and refuses_beyond_stock():
        raise OutOfStock(
            gettext("Only %(stock)s of %(name)s left.")
            % {"stock": f"{product.stock.normalize():f}", "name": product.name},
            lines=[
                {
                    "product_id": product.product_id,
                    "requested": quantity,
                    "available": product.stock,
                }
            ],
        )


def add_to_cart(*, cart: Cart, product_id: str, quantity: Decimal) -> None:
    product = _sellable_product(product_id, cart.store)
    with transaction.atomic():
        Cart.objects.select_for_update().filter(pk=cart.pk).first()  # one writer per cart
        line = CartLine.objects.filter(cart=cart, product=product).first()
        new_quantity = quantity + (line.quantity if line else ZERO)
        if problem := quantity_problem(product, quantity):
            raise InvalidQuantity(
                gettext("Quantity %(problem)s.") % {"problem": problem}, product_id=product_id
            )
        _check_line(product, new_quantity)
        _save_line(cart, product, line, new_quantity)


def set_cart_quantity(*, cart: Cart, product_id: str, quantity: Decimal) -> None:
    product = _sellable_product(product_id, cart.store)
    _check_line(product, quantity)
    with transaction.atomic():
        Cart.objects.select_for_update().filter(pk=cart.pk).first()
        line = CartLine.objects.filter(cart=cart, product=product).first()
        _save_line(cart, product, line, quantity)


def _save_line(cart: Cart, product: Product, line: CartLine | None, quantity: Decimal) -> None:
    # Touching a line accepts today's price: the price_changed flag goes away.
    if line is None:
        CartLine.objects.create(
            cart=cart, product=product, quantity=quantity, price_when_added=product.price
        )
    else:
        line.quantity = quantity
        line.price_when_added = product.price
        line.save(update_fields=["quantity", "price_when_added"])
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())


def remove_from_cart(*, cart: Cart, product_id: str) -> None:
    deleted, _ = CartLine.objects.filter(cart=cart, product__product_id=product_id).delete()
    if not deleted:
        raise CartLineNotFound(product_id=product_id)


def clear_cart(*, cart: Cart) -> None:
    CartLine.objects.filter(cart=cart).delete()
    CartVoucher.objects.filter(cart=cart).delete()


def add_voucher(*, cart: Cart, code: str) -> None:
    """A scanned deposit-return voucher: refused at once when it is not ours or already spent
    (the checkout's redemption is what finally decides)."""
    voucher = parse_voucher(code)
    if VoucherRedemption.objects.filter(code=voucher.code).exists():
        raise VoucherRedeemed(redeemed_message([voucher.code]), voucher=voucher.code)
    CartVoucher.objects.get_or_create(cart=cart, code=voucher.code)
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())


def remove_voucher(*, cart: Cart, code: str) -> None:
    CartVoucher.objects.filter(cart=cart, code=code).delete()


def adopt_anonymous_cart(*, user, token: str | None) -> None:
    """On sign-in, what the device did anonymously becomes the account's: its receipts, and its
    cart (merged into the account's cart when it has one: quantities add up, vouchers join)."""
    if not token:
        return
    Order.objects.filter(cart_token=token, user=None).update(user=user)
    with transaction.atomic():
        carts = list(
            Cart.objects.select_for_update()
            .filter(Q(token=token, customer=None) | Q(customer=user))
            .order_by("pk")  # one lock order for every caller
        )
        anonymous = next((c for c in carts if c.customer_id is None), None)
        mine = next((c for c in carts if c.customer_id == user.pk), None)
        if anonymous is None:
            return
        if mine is None:
            Cart.objects.filter(pk=anonymous.pk).update(customer=user, updated_at=timezone.now())
            return
        held = {line.product_id: line for line in mine.lines.all()}
        for line in anonymous.lines.all():
            if (kept := held.get(line.product_id)) is not None:
                kept.quantity += line.quantity
                kept.save(update_fields=["quantity"])
            else:
                CartLine.objects.filter(pk=line.pk).update(cart=mine)
        for voucher in anonymous.vouchers.all():
            CartVoucher.objects.get_or_create(cart=mine, code=voucher.code)
        anonymous.delete()
        Cart.objects.filter(pk=mine.pk).update(updated_at=timezone.now())


def release_customer_records(*, user, card_number: str, at) -> None:
    """The reverse of adopt_anonymous_cart, when an account is deleted: its orders stay for the
    shop's books (totals, lines, VAT, payments) with nothing that leads back to the person, and
    its carts go. Run inside the deletion's transaction, before the customer row is locked (the
    ledger's lock order: customers.services.loyalty)."""
    Order.objects.filter(Q(user=user) | Q(customer_id=card_number)).update(
        user=None,
        customer_id="",
        cart_token="",
        # The device's cart token was in the scope; the new one stays unique per order.
        idempotency_scope=Concat(Value("deleted:"), Cast("pk", CharField())),
        anonymised_at=at,
    )
    Cart.objects.filter(customer=user).delete()
