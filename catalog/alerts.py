"""Low-stock alerts: one email per store to its managers (whoever may see stock alerts and works
there, catalog.selectors.stores_of) listing the products that fell to or under their reorder level in that store, each product at
most once a day and store (StockAlert rows remember what was sent)."""

import logging
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone

from catalog.models import StockAlert, StockState, Store, StoreProduct
from catalog.selectors import in_store, works_in

logger = logging.getLogger(__name__)


# Store managers hold it through their role (shop.roles); the catalog names no role.
ALERT_PERMISSION = "catalog.view_stockalert"


def list_alert_recipients(store: Store | None = None) -> list[str]:
    """Active users (with_perm's default) with an email who hold the permission, through a group
    or their own; a superuser only when granted it like anyone else, as before: an admin
    account gets no daily mail. With a store: only those who work there."""
    users = (
        get_user_model()
        .objects.with_perm(
            ALERT_PERMISSION,
            include_superusers=False,
            backend="django.contrib.auth.backends.ModelBackend",
        )
        .exclude(email="")
    )
    if store is not None:
        return sorted({user.email for user in users if works_in(user, store)})
    return sorted(set(users.values_list("email", flat=True)))


def send_stock_alerts() -> int:
    """Mail the managers about products low in a store and not yet alerted there today; returns
    how many (store, product) alerts went out.

    The alert rows and the emails share one transaction: if the mail server refuses, the rows
    roll back and the next run tries again. Concurrent runs cannot both claim a product: the
    unique (store, product, day) constraint lets one insert win, and each run mails only its own
    batch.
    """
    recipients = list_alert_recipients()
    if not recipients:
        logger.warning("Low-stock alert skipped: no active store manager has an email address.")
        return 0
    today = timezone.localdate()
    alerted = StockAlert.objects.filter(
        store=OuterRef("store"), product=OuterRef("product"), day=today
    )
    low = (
        StoreProduct.objects.filter(is_listed=True, product__is_active=True, store__is_active=True)
        .needs_reorder()
        .exclude(Exists(alerted))
        .values_list("store", "product", "stock")
    )
    batch = uuid.uuid4()
    with transaction.atomic():
        StockAlert.objects.bulk_create(
            [
                StockAlert(store_id=store, product_id=pk, day=today, stock=stock, batch=batch)
                for store, pk, stock in low
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )
        mine = StockAlert.objects.filter(
            batch=batch, store=OuterRef("store"), product=OuterRef("product")
        )
        rows = (
            StoreProduct.objects.filter(Exists(mine))
            .select_related("product__category", "store")
            .order_by("store", "stock", "product__product_id")
        )
        by_store: dict[Store, list] = {}
        for row in rows:
            by_store.setdefault(row.store, []).append(in_store(row.product, row))
        if not by_store:
            return 0
        several = Store.objects.count() > 1
        for store, products in by_store.items():
            if here := list_alert_recipients(store):
                _mail_store(store, products, today, here, named=several)
            else:
                logger.warning("Low-stock alert for %s: nobody with an email works there.", store)
    sent = sum(len(products) for products in by_store.values())
    logger.info("Low-stock alert sent to %d manager(s) for %d product(s)", len(recipients), sent)
    return sent


def _mail_store(store: Store, products: list, today, recipients: list[str], *, named: bool):
    context = {
        "products": products,
        "out": [p for p in products if p.stock_state == StockState.OUT_OF_STOCK],
        "low": [p for p in products if p.stock_state == StockState.LOW],
        "day": today,
        "admin_url": f"{settings.PUBLIC_BASE_URL}/admin/catalog/product/?stock=low",
    }
    where = f" in {store.name}" if named else ""  # a single shop's mail reads as it always did
    send_mail(
        subject=f"Stock alert: {len(products)} product(s) to reorder{where} ({today:%d %b %Y})",
        message=render_to_string("catalog/stock_alert_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
    )
