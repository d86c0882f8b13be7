"""Promotion posters from the admin: one A5 page each, the QR decodes to the promotion's URL."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from promotions.models import Promotion
from promotions.services import save_promotion
from tests.admin.test_labels import decode_page, page_count

pytestmark = pytest.mark.django_db


def make_promotion(code: str, name: str, **fields) -> Promotion:
    now = timezone.now()
    promotion = Promotion(
        code=code,
        name=name,
        description=f"{name}: on all dairy products",
        kind="percentage",
        percent=10,
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=13),
        applies_to="basket",
        **fields,
    )
    return save_promotion(promotion=promotion)


def test_posters_decode_to_each_promotion_url(manager_client):
    promos = [make_promotion("dairy10", "10% off dairy"), make_promotion("spring", "Spring sale")]
    response = manager_client.post(
        "/admin/promotions/promotion/",
        {"action": "print_posters", "_selected_action": [p.pk for p in promos]},
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert page_count(response.content) == 2
    decoded = decode_page(response.content, 1, dpi=150) + decode_page(response.content, 2, dpi=150)
    assert sorted(decoded) == [
        "https://shop.example/promo/dairy10",
        "https://shop.example/promo/spring",
    ]


def test_staff_cannot_print_posters_or_edit_promotions(shop_staff_client):
    promo = make_promotion("p1", "Promo")
    assert shop_staff_client.get("/admin/promotions/promotion/").status_code == 403
    response = shop_staff_client.post(
        "/admin/promotions/promotion/",
        {"action": "print_posters", "_selected_action": [promo.pk]},
    )
    assert response.status_code == 403


def test_the_active_limit_is_explained_on_the_form(manager_client, settings):
    settings.MAX_ACTIVE_PROMOTIONS = 1
    make_promotion("first", "First")
    now = timezone.localtime()
    page = manager_client.post(
        "/admin/promotions/promotion/add/",
        {
            "name": "Second",
            "description": "Also now",
            "code": "second",
            "kind": "percentage",
            "percent": "5",
            "applies_to": "basket",
            "valid_from_0": now.strftime("%Y-%m-%d"),
            "valid_from_1": "00:00:00",
            "valid_until_0": (now + timedelta(days=3)).strftime("%Y-%m-%d"),
            "valid_until_1": "00:00:00",
            "is_active": "on",
            "priority": "0",
        },
    )
    assert page.status_code == 200  # the form again, with the reason
    assert not Promotion.objects.filter(code="second").exists()
    assert "errornote" in page.content.decode()
    listing = manager_client.get("/admin/promotions/promotion/").content.decode()
    assert "1 of at most 1 promotions running now" in listing
    assert (
        Group.objects.get(name="Store manager")
        .permissions.filter(codename="print_posters")
        .exists()
    )
