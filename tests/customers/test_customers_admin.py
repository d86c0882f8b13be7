"""The manager portal: customers with their read-only ledger, and adjustments with a reason."""

import pytest
from django.contrib.auth import get_user_model

from customers.models import Customer, PointsEntry
from customers.selectors import points_balance

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(db):
    user = get_user_model().objects.create_user("ann@example.com", "ann@example.com", "pw-x-123")
    customer = Customer.objects.create(user=user, card_number="2800000000007")
    PointsEntry.objects.create(customer=customer, kind="earn", points=120, reason="4.97 EUR paid")
    return customer


def test_a_manager_sees_customers_with_their_balance_and_ledger(manager_client, ann):
    listing = manager_client.get("/admin/customers/customer/")
    assert listing.status_code == 200
    assert b"ann@example.com" in listing.content and b"2800000000007" in listing.content
    page = manager_client.get(f"/admin/customers/customer/{ann.pk}/change/")
    assert page.status_code == 200 and b"4.97 EUR paid" in page.content
    assert b"Adjust points" in page.content
    # The ledger's own list has no add, change or delete.
    entry = ann.points.get()
    assert manager_client.get("/admin/customers/pointsentry/add/").status_code == 403
    assert manager_client.get(f"/admin/customers/pointsentry/{entry.pk}/delete/").status_code == 403


def test_the_adjust_action_leads_to_a_form_that_writes_an_entry_with_its_reason(
    manager_client, manager, ann
):
    chosen = manager_client.post(
        "/admin/customers/customer/",
        {"action": "adjust_points_action", "_selected_action": [ann.pk]},
    )
    url = f"/admin/customers/customer/{ann.pk}/points/"
    assert chosen.status_code == 302 and chosen["Location"] == url
    done = manager_client.post(url, {"points": -20, "reason": "bottle counted twice"})
    assert done.status_code == 302
    entry = ann.points.get(kind="adjust")
    assert (entry.points, entry.reason, entry.created_by) == (-20, "bottle counted twice", manager)
    assert points_balance(ann) == 100


@pytest.mark.parametrize(
    "form, error",
    [
        ({"points": -101, "reason": "too much"}, b"101 points asked for, 100 held"),
        ({"points": 0, "reason": "nothing"}, b"changes nothing"),
        ({"points": 5, "reason": ""}, b"This field is required"),
    ],
)
def test_a_bad_adjustment_is_refused_on_the_form(manager_client, ann, form, error):
    PointsEntry.objects.create(customer=ann, kind="redeem", points=-20, reason="spent")
    answer = manager_client.post(f"/admin/customers/customer/{ann.pk}/points/", form)
    assert answer.status_code == 200 and error in answer.content
    assert points_balance(ann) == 100 and not ann.points.filter(kind="adjust").exists()


def test_floor_staff_cannot_adjust_points(shop_staff_client, ann):
    assert shop_staff_client.get(f"/admin/customers/customer/{ann.pk}/points/").status_code == 403
