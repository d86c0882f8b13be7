"""Low-stock alerts: one email to the store managers (whoever may see stock alerts) listing the
products that fell to or under their reorder level, each product at most once a day (StockAlert
rows remember what was sent)."""

import logging
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from catalog.models import Product, StockAlert, StockState

logger = logging.getLogger(__name__)


# Store managers hold it through their role (shop.roles); the catalog names no role.
ALERT_PERMISSION = "catalog.view_stockalert"


def list_alert_recipients() -> list[str]:
    """Active users (with_perm's default) with an email who hold the permission, through a group
    or their own; a superuser only when granted it like anyone else, as before: an admin
    account gets no daily mail."""
    users = (
        get_user_model()
        .objects.with_perm(
            ALERT_PERMISSION,
            include_superusers=False,
            backend="django.contrib.auth.backends.ModelBackend",
        )
        .exclude(email="")
    )
    return sorted(set(users.values_list("email", flat=True)))


def send_stock_alerts() -> int:
    """Mail the managers about low products not yet alerted today; returns how many products.

    The alert rows and the email share one transaction: if the mail server refuses, the rows
    roll back and the next run tries again. Concurrent runs cannot both claim a product: the
    unique (product, day) constraint lets one insert win, and each run mails only its own batch.
    """
    recipients = list_alert_recipients()
    if not recipients:
        logger.warning("Low-stock alert skipped: no active store manager has an email address.")
        return 0
    today = timezone.localdate()
    low = (
        Product.objects.filter(is_active=True)
        .needs_reorder()
        .exclude(stock_alerts__day=today)
        .values_list("pk", "stock")
    )
    batch = uuid.uuid4()
    with transaction.atomic():
        StockAlert.objects.bulk_create(
            [StockAlert(product_id=pk, day=today, stock=stock, batch=batch) for pk, stock in low],
            ignore_conflicts=True,
            batch_size=1000,
        )
        products = list(
            Product.objects.filter(stock_alerts__batch=batch)
            .select_related("category")
            .order_by("stock", "product_id")
        )
        if not products:
            return 0
        context = {
            "products": products,
            "out": [p for p in products if p.stock_state == StockState.OUT_OF_STOCK],
            "low": [p for p in products if p.stock_state == StockState.LOW],
            "day": today,
            "admin_url": f"{settings.PUBLIC_BASE_URL}/admin/catalog/product/?stock=low",
        }
        send_mail(
            subject=f"Stock alert: {len(products)} product(s) to reorder ({today:%d %b %Y})",
            message=render_to_string("catalog/stock_alert_email.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
        )
    logger.info(
        "Low-stock alert sent to %d manager(s) for %d product(s)", len(recipients), len(products)
    )
    return len(products)
