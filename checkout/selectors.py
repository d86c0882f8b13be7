"""Reads of the checkout: cart and receipt payloads, receipt access, exit codes."""

from collections.abc import Collection
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from catalog.models import Store
from catalog.selectors import json_price_per_kg, json_quantity, sell_in_store
from catalog.services import refuses_beyond_stock
from checkout.errors import OrderNotFound
from checkout.models import (
    Cart,
    CouponRedemption,
    ExitDecision,
    ExitVerification,
    Order,
    VoucherRedemption,
)
from checkout.pricing import Quote, price_lines
from checkout.vouchers import parse_voucher, redeemed_message
from customers.models import Customer
from grocery.errors import DomainError
from grocery.money import ZERO, json_money, sum_money
from grocery.tax import TaxEntry, taxes_for, taxes_payload
from promotions.reasons import reason_text
from promotions.selectors import ANONYMOUS, Shopper

EXIT_SALT = "checkout.exit-code"
STATUS_WORDS = {
    Order.Status.SUCCEEDED: "success",
    Order.Status.PARTIALLY_REFUNDED: "success",
    Order.Status.FAILED: "failed",
    Order.Status.REQUIRES_ACTION: "requires_action",
    Order.Status.PENDING: "pending",
    Order.Status.REFUNDED: "refunded",
}
MESSAGES = {
    "success": gettext_lazy("Checkout completed"),
    "requires_action": gettext_lazy("Please confirm the payment with your bank."),
    "pending": gettext_lazy("The payment is still being processed."),
    "refunded": gettext_lazy("This purchase was refunded."),
}
FAILURE_MESSAGES = {
    "gateway_unavailable": gettext_lazy(
        "The payment service is not answering; nothing was charged."
    ),
    "not_charged": gettext_lazy(
        "The payment never reached the payment service; nothing was charged."
    ),
    "gateway_misconfigured": gettext_lazy(
        "Card payments are unavailable right now; nothing was charged."
    ),
    "payment_rejected": gettext_lazy(
        "The payment details were not accepted; nothing was charged. Please try another card."
    ),
}


def _discount_payload(discount) -> dict:
    return {
        "promotion_id": discount.promotion_id,
        "amount": json_money(discount.amount),
        "reason": reason_text(discount.reason),
    }


def _stored_discount_payload(stored: dict) -> dict:
    """A receipt line's discount as the order kept it, its reason in the customer's language."""
    return {
        "promotion_id": stored["promotion_id"],
        "amount": json_money(Decimal(stored["amount"])),
        "reason": reason_text(stored["reason"], stored.get("template", ""), stored.get("values")),
    }


def quote_payload(quote: Quote) -> dict:
    return {
        "lines": [
            {
                "product_id": line.product.product_id,
                "name": line.product.name,
                "unit": line.product.unit,
                "quantity": json_quantity(line.quantity),
                "unit_price": json_money(line.unit_price),
                "price_per_kg": json_price_per_kg(line.unit_price, line.product.unit),
                "line_total": json_money(line.gross),
                "discount": json_money(line.discount),
                "total": json_money(line.total),
                "discounts": [_discount_payload(d) for d in line.discounts],
                "min_age": line.product.required_age,
                "tax_rate": float(line.tax_rate),
                "deposit": json_money(line.deposit),
            }
            for line in quote.lines
        ],
        "subtotal": json_money(quote.subtotal),
        "discount_total": json_money(quote.discount_total),
        "total": json_money(quote.total),
        "tax": json_money(quote.tax),
        "currency": quote.currency,
        "discounts": [
            {**_discount_payload(d), "product_id": d.product_id} for d in quote.discounts
        ],
        "points_redeemed": quote.points_redeemed,
        "coupons": [
            {"code": c.code, "promotion_id": c.promotion.code, "amount": json_money(c.amount)}
            for c in quote.coupons
        ],
        **_extras_payload(
            deposits=[
                (
                    line.product.product_id,
                    line.product.name,
                    line.quantity,
                    line.deposit_unit,
                    line.deposit,
                    line.deposit_tax_rate,
                )
                for line in quote.lines
                if line.deposit
            ],
            vouchers=[(v.voucher.code, v.voucher.amount, v.applied) for v in quote.vouchers],
            deposit_total=quote.deposit_total,
            voucher_total=quote.voucher_total,
            taxes=quote.taxes,
        ),
    }


def _extras_payload(*, deposits, vouchers, deposit_total, voucher_total, taxes) -> dict:
    """Deposit lines, voucher lines and VAT per rate: the same shape on quote, cart and receipt."""
    return {
        "deposits": [
            {
                "product_id": product_id,
                "name": gettext("Deposit: %(name)s") % {"name": name},
                "quantity": json_quantity(quantity),
                "unit_amount": json_money(unit),
                "total": json_money(total),
                "tax_rate": float(rate),
            }
            for product_id, name, quantity, unit, total, rate in deposits
        ],
        "deposit_total": json_money(deposit_total),
        "vouchers": [
            {"code": code, "amount": json_money(amount), "applied": json_money(applied)}
            for code, amount, applied in vouchers
        ],
        # Positive, like discount_total: the total is what is left after it.
        "voucher_total": json_money(voucher_total),
        "taxes": taxes_payload(taxes),
    }


MEMBER = Shopper(member=True)


def cart_payload(cart: Cart) -> dict:
    """The cart priced now, with every line whose product changed under it named in problems."""
    lines = list(cart.lines.select_related("product__category"))
    # Priced as the cart's store sells them; a line its store stopped listing is not counted.
    unlisted = sell_in_store([line.product for line in lines], cart.store)
    return _cart_lines_payload(
        cart.token,
        lines,
        list(cart.vouchers.values_list("code", flat=True)),
        unlisted=unlisted,
        store=cart.store,
        # A signed-in member's cart shows member prices, as their checkout will charge them.
        shopper=MEMBER
        if cart.customer_id and Customer.objects.filter(user_id=cart.customer_id).exists()
        else ANONYMOUS,
    )


def empty_cart_payload(token: str) -> dict:
    """A device's cart before its first write: the same shape, and no row behind it."""
    return _cart_lines_payload(token, [], [])


def _cart_lines_payload(
    token: str,
    lines: list,
    voucher_codes: list[str],
    *,
    unlisted: Collection[int] = (),
    shopper: Shopper = ANONYMOUS,
    store: Store | None = None,
) -> dict:
    problems = []
    redeemed = set(
        VoucherRedemption.objects.filter(code__in=voucher_codes).values_list("code", flat=True)
        if voucher_codes
        else ()
    )
    for code in sorted(redeemed):
        problems.append(
            {
                "voucher": code,
                "code": "voucher_redeemed",
                "message": redeemed_message([code]),
            }
        )
    vouchers = []
    for code in voucher_codes:
        try:
            voucher = parse_voucher(code)
        except DomainError as exc:  # the shop's voucher settings changed since it was scanned
            problems.append({"voucher": code, "code": exc.code, "message": exc.message})
            continue
        if code not in redeemed:
            vouchers.append(voucher)
    for line in lines:
        product = line.product
        if not product.is_active:
            problems.append(
                {
                    "product_id": product.product_id,
                    "code": "inactive",
                    "message": gettext("%(name)s is no longer sold.") % {"name": product.name},
                }
            )
        elif product.pk in unlisted:
            problems.append(
                {
                    "product_id": product.product_id,
                    "code": "not_listed_in_store",
                    "message": f"{product.name} is not sold in this store.",
                }
            )
        elif line.quantity > product.stock and refuses_beyond_stock():
            problems.append(
                {
                    "product_id": product.product_id,
                    "code": "insufficient_stock",
                    "message": gettext("Only %(stock)s of %(name)s left.")
                    % {"stock": json_quantity(product.stock), "name": product.name},
                }
            )
        if line.price_when_added != product.price:
            problems.append(
                {
                    "product_id": product.product_id,
                    "code": "price_changed",
                    "message": gettext("%(name)s now costs %(price)s (was %(was)s).")
                    % {"name": product.name, "price": product.price, "was": line.price_when_added},
                }
            )
    # Lines that can no longer be sold stay visible but are not counted.
    quote = price_lines(
        [
            (line.product, line.quantity)
            for line in lines
            if line.product.is_active and line.product.pk not in unlisted
        ],
        vouchers=vouchers,
        shopper=shopper,
        store=store,
    )
    priced = {p.product.product_id: p for p in quote.lines}
    payload = quote_payload(quote)
    by_id = {line["product_id"]: line for line in payload["lines"]}
    out_lines = []
    for line in lines:
        product = line.product
        entry = by_id.get(product.product_id) or {
            "product_id": product.product_id,
            "name": product.name,
            "unit": product.unit,
            "quantity": json_quantity(line.quantity),
            "unit_price": json_money(product.price),
            "price_per_kg": json_price_per_kg(product.price, product.unit),
            "line_total": json_money(ZERO),
            "discount": json_money(ZERO),
            "total": json_money(ZERO),
            "discounts": [],
        }
        entry.update(
            available=product.product_id in priced
            and (line.quantity <= product.stock or not refuses_beyond_stock()),
            stock=json_quantity(product.stock),
            price_when_added=json_money(line.price_when_added),
            image_url=product.image.url if product.image else None,
        )
        out_lines.append(entry)
    return {
        "token": token,
        "lines": out_lines,
        "subtotal": payload["subtotal"],
        "discount_total": payload["discount_total"],
        "total": payload["total"],
        "tax": payload["tax"],
        "currency": quote.currency,
        **{
            key: payload[key]
            for key in ("deposits", "deposit_total", "vouchers", "voucher_total", "taxes")
        },
        # Weighed goods count as one item each, whatever they weigh.
        "item_count": sum(
            1 if line.product.sold_by_weight else int(line.quantity) for line in lines
        ),
        "problems": problems,
    }


def exit_code(order: Order) -> str:
    """The signed door code of a paid order; it names its store, so another store refuses it."""
    return signing.Signer(salt=EXIT_SALT).sign(f"{order.store.code}.{order.transaction_id}")


def read_exit_code(code: str) -> tuple[str, str] | None:
    """(store code, transaction id) of a genuine code, or None for a forged or damaged one."""
    try:
        store, _, transaction_id = signing.Signer(salt=EXIT_SALT).unsign(code).rpartition(".")
    except signing.BadSignature:
        return None
    return (store, transaction_id) if store and transaction_id else None


def verify_exit_code(code: str) -> Order | None:
    """The paid order a door code belongs to, or None (forged, not its order's store, unpaid,
    refunded, too old)."""
    read = read_exit_code(code)
    if read is None:
        return None
    cutoff = timezone.now() - timedelta(hours=settings.EXIT_CODE_VALID_HOURS)
    return Order.objects.filter(
        transaction_id=read[1],
        store__code=read[0],
        status__in=Order.PAID,
        created_at__gte=cutoff,
    ).first()


def first_exit(order: Order) -> ExitVerification | None:
    """The scan that let this order's goods out: the code is used up from then on. Read after
    the order row is locked (not with it): a subquery in the locking SELECT would see the
    snapshot from before the wait, and two gates would both answer go."""
    return (
        ExitVerification.objects.filter(transaction=order, decision=ExitDecision.GO)
        .select_related("verified_by", "device")
        .first()
    )


def exit_answer_payload(order: Order | None, decision: str, reason: str) -> dict:
    """The door's answer for staff and gates: the decision in words, and the basket to look at.
    A stop for a code that names no order of ours says nothing about any basket."""
    payload = {"decision": decision, "reason": reason, "lines": [], "total": None}
    if order is None:
        return payload
    lines = list(order.lines.select_related("product__category"))
    payload.update(
        transaction_id=order.transaction_id,
        status=STATUS_WORDS[order.status],
        paid_at=order.created_at.isoformat(),
        total=json_money(order.total),
        refunded_amount=json_money(order.refunded_amount),
        currency=order.currency,
        min_age=order.min_age,
        id_check=order.id_check or None,
        # Only a basket picked for an audit can have one: no query for the others.
        audited=order.audit_required and hasattr(order, "exit_audit"),
        lines=[
            {
                "product_id": line.product_code,
                "gtin": line.product.gtin,
                "name": line.name,
                "unit": line.unit,
                "quantity": json_quantity(line.quantity),
                "total": json_money(line.line_total),
                "min_age": line.product.required_age,
            }
            for line in lines
        ],
    )
    return payload


def receipt_payload(order: Order) -> dict:
    # A checkout that just wrote its lines hands them over rather than reading them back; it has
    # no returns yet either.
    fresh = getattr(order, "sold_lines", None)
    lines = fresh or list(order.lines.all())
    taxes = order.sold_taxes if fresh else list(order.taxes.all())
    vouchers = order.redeemed_vouchers if fresh else list(order.vouchers.all())
    returns = [] if fresh else [r for r in order.refunds.all() if r.lines.all()]
    paid = order.status in Order.PAID
    base = settings.PUBLIC_BASE_URL
    code = exit_code(order) if paid else None
    return {
        "total": json_money(order.total),
        "items": [
            {
                "name": line.name,
                "quantity": json_quantity(line.quantity),
                "price": json_money(line.unit_price),
            }
            for line in lines
        ],
        "transaction_id": order.transaction_id,
        "status": STATUS_WORDS[order.status],
        "created_at": order.created_at.isoformat(),
        "subtotal": json_money(order.subtotal),
        "discount_total": json_money(order.discount_total),
        "tax": json_money(order.tax),
        "tax_rate": float(settings.VAT_RATES["standard"] / 100),  # the standard rate; see taxes
        "refunded_amount": json_money(order.refunded_amount),
        "currency": order.currency,
        "payment_method": order.payment_method,
        "store": {
            "code": order.store.code,
            "name": order.store.name,
            "address": order.store.address,
        },
        "lines": [
            {
                "line_id": line.pk,
                "product_id": line.product_code,
                "name": line.name,
                "unit": line.unit,
                "quantity": json_quantity(line.quantity),
                "unit_price": json_money(line.unit_price),
                "price_per_kg": json_price_per_kg(line.unit_price, line.unit),
                "line_total": json_money(line.line_total + line.discount),
                "discount": json_money(line.discount),
                "total": json_money(line.line_total),
                "discounts": [_stored_discount_payload(d) for d in line.discounts],
                "tax_rate": float(line.tax_rate),
                "deposit": json_money(line.deposit),
                "returned_quantity": json_quantity(line.returned_quantity),
            }
            for line in lines
        ],
        **_extras_payload(
            deposits=[
                (
                    line.product_code,
                    line.name,
                    line.quantity,
                    line.deposit / line.quantity,
                    line.deposit,
                    line.deposit_tax_rate,
                )
                for line in lines
                if line.deposit
            ],
            vouchers=[(v.code, v.amount, v.applied) for v in vouchers],
            deposit_total=sum_money(line.deposit for line in lines),
            voucher_total=sum_money(v.applied for v in vouchers),
            taxes=[TaxEntry(rate=t.rate, net=t.net, tax=t.tax, gross=t.gross) for t in taxes],
        ),
        "returns": [return_payload(refund) for refund in returns],
        "exit_code": code,
        "exit_qr_url": f"{base}{reverse('exit-qr', args=[code])}" if code else None,
    }


def return_taxes(refund_lines) -> list[TaxEntry]:
    """A return's VAT per rate: its goods at their line's rate, deposits at the deposit's."""
    return taxes_for(
        part
        for rl in refund_lines
        for part in (
            (rl.order_line.tax_rate, rl.amount),
            (rl.order_line.deposit_tax_rate, rl.deposit),
        )
        if part[1]
    )


def return_payload(refund) -> dict:
    lines = list(refund.lines.all())
    return {
        "refund_id": refund.pk,
        "created_at": refund.created_at.isoformat(),
        "amount": json_money(refund.amount),
        "lines": [
            {
                "line_id": rl.order_line_id,
                "name": rl.order_line.name,
                "quantity": json_quantity(rl.quantity),
                "amount": json_money(rl.amount),
                "deposit": json_money(rl.deposit),
                "restocked": rl.restocked,
            }
            for rl in lines
        ],
        "taxes": taxes_payload(return_taxes(lines)),
    }


RECEIPT_PREFETCH = ("store", "lines", "taxes", "vouchers", "refunds__lines__order_line")


def checkout_payload(order: Order) -> dict:
    """The SPEC's checkout answer (plus what the PWA needs), the same for a first call and a replay."""
    word = STATUS_WORDS[order.status]
    if word == "failed":
        message = FAILURE_MESSAGES.get(order.failure_code) or (
            gettext("Payment failed: %(reason)s")
            % {"reason": order.failure_reason.split(": ", 1)[-1]}
        )
    else:
        message = MESSAGES[word]
    payload = {
        "transaction_id": order.transaction_id,
        "status": word,
        "message": str(message),  # in the customer's language, now
        "receipt": receipt_payload(order),
        "receipt_url": f"{settings.PUBLIC_BASE_URL}"
        f"{reverse('receipt-detail', args=[order.transaction_id])}",
        "cart_token": order.cart_token,
    }
    if order.status == Order.Status.REQUIRES_ACTION:
        payload["client_secret"] = order.client_secret
        payload["next_action"] = getattr(order, "next_action", None) or {"type": "use_stripe_sdk"}
    return payload


def get_order_for_receipt(pk: int) -> Order:
    return Order.objects.prefetch_related(*RECEIPT_PREFETCH).get(pk=pk)


def visible_orders(*, user, cart_token: str | None) -> QuerySet[Order]:
    """Orders this requester may see: their own account's, or this device's cart token's."""
    mine = Q(pk__in=[])
    if user is not None and user.is_authenticated:
        mine |= Q(user=user)
    if cart_token:
        mine |= Q(cart_token=cart_token)
    return Order.objects.filter(mine)


def get_visible_order(*, transaction_id: str, user, cart_token: str | None) -> Order:
    """Everyone else gets the same 404 as for an id that does not exist."""
    order = (
        visible_orders(user=user, cart_token=cart_token)
        .filter(transaction_id=transaction_id)
        .first()
    )
    if order is None:
        raise OrderNotFound()
    return order


def customer_records(customer: Customer) -> dict:
    """What checkout holds about one customer, for their data export (customers.exports): their
    orders as the receipts say them, their coupon uses, their carts."""
    user = customer.user
    return {
        "orders": [
            {
                "customer_id": order.customer_id,
                "payment_status": order.status,
                **receipt_payload(order),
            }
            for order in Order.objects.filter(
                Q(user=user) | Q(customer_id=customer.card_number)
            ).prefetch_related(*RECEIPT_PREFETCH)
        ],
        "coupon_redemptions": [
            {
                "code": use.code,
                "transaction_id": use.transaction.transaction_id,
                "created_at": use.created_at.isoformat(),
            }
            for use in CouponRedemption.objects.filter(customer=customer).select_related(
                "transaction"
            )
        ],
        "carts": [
            {
                "store": cart.store.code,
                "updated_at": cart.updated_at.isoformat(),
                "lines": [
                    {
                        "product_id": line.product.product_id,
                        "name": line.product.name,
                        "quantity": json_quantity(line.quantity),
                        "price_when_added": json_money(line.price_when_added),
                        "added_at": line.added_at.isoformat(),
                    }
                    for line in cart.lines.all()
                ],
            }
            for cart in Cart.objects.filter(customer=user)
            .select_related("store")
            .prefetch_related("lines__product")
        ],
    }
