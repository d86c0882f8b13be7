"""Promotions in the manager portal: the form, the active limit explained, posters by role."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from promotions.models import Promotion
from shop.roles import STAFF, STORE_MANAGER
from tests.factories import make_category, make_promotion
from tests.fixtures.pdf import decode_page, page_count

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_in_group(client):
    """Log a staff member of one of the shop's groups (shop.roles) in."""

    def log_in(group: str):
        user = get_user_model().objects.create_user(
            group.lower().replace(" ", "-"), password="pw-member-123", is_staff=True
        )
        user.groups.add(Group.objects.get(name=group))
        client.force_login(user)
        return client

    return log_in


def form(**fields) -> dict:
    now = timezone.localtime().replace(microsecond=0)
    data = {
        "code": "",
        "name": "Cheese week",
        "description": "20% off all cheese",
        "kind": "percentage",
        "applies_to": "categories",
        "categories": [make_category("Dairy").pk],
        "percent": "20",
        "valid_from_0": now.date().isoformat(),
        "valid_from_1": now.time().isoformat(),
        "valid_until_0": (now + timedelta(days=7)).date().isoformat(),
        "valid_until_1": now.time().isoformat(),
        "is_active": "on",
        "priority": "0",
    }
    data.update(fields)
    return data


def test_admin_creates_a_promotion_with_its_public_id(admin_client):
    response = admin_client.post("/admin/promotions/promotion/add/", form())
    assert response.status_code == 302, response.content.decode()[:2000]
    promotion = Promotion.objects.get(name="Cheese week")
    assert promotion.code == f"promo{promotion.pk}"
    assert list(promotion.categories.values_list("slug", flat=True)) == ["dairy"]
    listing = admin_client.get("/admin/promotions/promotion/").content.decode()
    assert "Cheese week" in listing and "active" in listing


def test_admin_shows_the_limit_as_a_form_error_and_saves_nothing(admin_client):
    for n in range(5):
        make_promotion(code=f"p{n}", name=f"Deal {n}")
    response = admin_client.post("/admin/promotions/promotion/add/", form())
    assert response.status_code == 200
    page = response.content.decode()
    assert "at most 5 promotions at the same moment" in page
    assert "Deal 0 (p0)" in page
    assert "errornote" in page  # on the form, not an error page
    assert not Promotion.objects.filter(name="Cheese week").exists()
    assert "MAX_ACTIVE_PROMOTIONS" in page  # the help text explains the rule
    listing = admin_client.get("/admin/promotions/promotion/").content.decode()
    assert "5 of at most 5 promotions running now" in listing


def test_admin_shows_kind_parameter_errors(admin_client):
    response = admin_client.post("/admin/promotions/promotion/add/", form(kind="multibuy"))
    assert response.status_code == 200
    assert "A multibuy needs either how many are paid" in response.content.decode()


def test_admin_requires_the_targets_it_names(admin_client):
    response = admin_client.post("/admin/promotions/promotion/add/", form(categories=[]))
    assert response.status_code == 200
    assert "Pick the categories this promotion applies to." in response.content.decode()
    assert not Promotion.objects.exists()


def test_posters_decode_to_each_promotion_url(client_in_group):
    manager_client = client_in_group(STORE_MANAGER)
    promos = [
        make_promotion(code="dairy10", name="10% off dairy"),
        make_promotion(code="spring", name="Spring sale"),
    ]
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


def test_staff_cannot_print_posters_or_edit_promotions(client_in_group):
    shop_staff_client = client_in_group(STAFF)
    promo = make_promotion(code="p1", name="Promo")
    assert shop_staff_client.get("/admin/promotions/promotion/").status_code == 403
    response = shop_staff_client.post(
        "/admin/promotions/promotion/",
        {"action": "print_posters", "_selected_action": [promo.pk]},
    )
    assert response.status_code == 403
    managers = Group.objects.get(name=STORE_MANAGER)
    assert managers.permissions.filter(codename="print_posters").exists()


def test_admin_makes_a_coupon_and_lists_its_uses(admin_client, api_client, shop):
    fields = form(coupon_code=" spring ", uses_limit="100", applies_to="basket", categories=[])
    response = admin_client.post("/admin/promotions/promotion/add/", fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    promotion = Promotion.objects.get(name="Cheese week")
    assert promotion.coupon_code == "SPRING"  # stored as it is matched: upper case
    # 20 % off the whole basket of 4.97: 0.994, rounded to 0.99, 3.98 to pay.
    body = {
        "customer_id": "",
        "cart": [{"product_id": "12345", "quantity": 2}, {"product_id": "23456", "quantity": 1}],
        "payment_method": "credit_card",
        "total_amount": 3.98,
        "coupons": ["spring"],
    }
    assert api_client.post("/api/checkout", body, format="json").status_code == 201
    listing = admin_client.get("/admin/promotions/promotion/").content.decode()
    assert "SPRING" in listing and "1 of 100" in listing
    page = admin_client.get(f"/admin/promotions/promotion/{promotion.pk}/change/").content.decode()
    assert 'name="members_only"' in page and 'name="min_basket"' in page and "1 of 100" in page
