"""The stock alert task mails the store managers once per product per day."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.utils import timezone

from catalog.alerts import list_alert_recipients
from catalog.models import StockAlert
from catalog.tasks import send_stock_alerts_task
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def test_alert_goes_to_managers_once_per_product_per_day(manager, shop_staff, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    shop_staff.email = "sam@shop.example"  # an address, but not the permission to see alerts
    shop_staff.save(update_fields=["email"])
    out = make_product(product_id="A1", name="Oat Milk", stock=Decimal(0), reorder_level=Decimal(5))
    low = make_product(product_id="A2", name="Eggs", stock=Decimal(3), reorder_level=Decimal(6))
    make_product(product_id="A3", name="Rice", stock=Decimal(50), reorder_level=Decimal(6))
    make_product(product_id="A4", name="Old stock", stock=Decimal(0), is_active=False)

    assert send_stock_alerts_task.apply().get() == 2
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["mia@shop.example"]  # the manager; staff get no mail
    assert "2 product(s) to reorder" in message.subject
    assert "A1  Oat Milk" in message.body and "A2  Eggs" in message.body
    assert "Rice" not in message.body and "Old stock" not in message.body

    assert send_stock_alerts_task.apply().get() == 0  # same day: nothing again
    assert len(mail.outbox) == 1

    low.stock = Decimal(1)  # still low: already reported today
    low.save(update_fields=["stock"])
    newly_low = make_product(
        product_id="A5", name="Flour", stock=Decimal(2), reorder_level=Decimal(4)
    )
    assert send_stock_alerts_task.apply().get() == 1
    assert "A5  Flour" in mail.outbox[1].body and "Eggs" not in mail.outbox[1].body

    StockAlert.objects.update(day=timezone.localdate() - timedelta(days=1))  # a new day
    assert send_stock_alerts_task.apply().get() == 3
    assert {a.product for a in StockAlert.objects.filter(day=timezone.localdate())} == {
        out,
        low,
        newly_low,
    }


def test_no_manager_email_means_no_alert_is_recorded(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_product(stock=Decimal(0))
    assert send_stock_alerts_task.apply().get() == 0
    assert not mail.outbox and not StockAlert.objects.exists()  # sent once someone can read it


def test_recipients_are_whoever_holds_the_alert_permission(manager, shop_staff, django_user_model):
    """The catalog asks for catalog.view_stockalert, not for a role: managers have it through
    their group, staff do not, a user granted it directly does; inactive users and superusers
    without the grant get nothing (as before)."""
    buyer = django_user_model.objects.create_user("bo", email="bo@shop.example", is_staff=True)
    buyer.user_permissions.add(
        Permission.objects.get(content_type__app_label="catalog", codename="view_stockalert")
    )
    gone = django_user_model.objects.create_user("gus", email="gus@shop.example", is_active=False)
    gone.groups.set(manager.groups.all())
    django_user_model.objects.create_superuser("root", email="root@shop.example")
    shop_staff.email = "sam@shop.example"
    shop_staff.save(update_fields=["email"])
    assert list_alert_recipients() == ["bo@shop.example", "mia@shop.example"]
