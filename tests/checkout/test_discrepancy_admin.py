"""Money the gateway holds that no order accounts for: resolving it leaves an audit row."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from checkout.gateway import PaymentResult, PaymentStatus
from checkout.models import GatewayDiscrepancy, Order
from checkout.services.payments import apply_payment_result
from tests.fixtures.checkout import spec_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(client, django_user_model, settings):
    user = django_user_model.objects.create_user("clerk", password="pw-clerk-123", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="view_gatewaydiscrepancy"),
        Permission.objects.get(codename="change_gatewaydiscrepancy"),
    )
    client.force_login(user)
    client.user = user
    return client


# The change form carries the (read-only) audit log's formset.
AUDIT_LOG_FORMSET = {"events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"}


@pytest.fixture
def discrepancy():
    return GatewayDiscrepancy.objects.create(
        gateway_payment_id="pi_stray",
        amount=Decimal("4.97"),
        currency="EUR",
        reference="tx0",
        note="no transaction for this payment",
    )


def test_resolving_a_discrepancy_logs_who_when_and_why(clerk, discrepancy):
    url = f"/admin/checkout/gatewaydiscrepancy/{discrepancy.pk}/change/"
    answer = clerk.post(
        url, {"resolved": "on", "reason": "refunded by hand in Stripe", **AUDIT_LOG_FORMSET}
    )

    assert answer.status_code == 302
    discrepancy.refresh_from_db()
    assert discrepancy.resolved
    (event,) = discrepancy.events.all()
    assert (event.resolved, event.user, event.reason) == (
        True,
        clerk.user,
        "refunded by hand in Stripe",
    )
    assert event.created_at is not None
    assert "refunded by hand in Stripe" in clerk.get(url).content.decode()


def test_resolving_without_a_reason_changes_nothing(clerk, discrepancy):
    url = f"/admin/checkout/gatewaydiscrepancy/{discrepancy.pk}/change/"
    answer = clerk.post(url, {"resolved": "on", "reason": " ", **AUDIT_LOG_FORMSET})

    assert answer.status_code == 200 and "Say why" in answer.content.decode()
    discrepancy.refresh_from_db()
    assert not discrepancy.resolved and not discrepancy.events.exists()


def test_a_late_payment_refunded_automatically_is_logged_as_the_shops_doing(api_client, shop):
    body = spec_body(payment_token="tok_decline")
    failed = api_client.post("/api/checkout", body, format="json").json()
    order = Order.objects.get(transaction_id=failed["transaction_id"])

    late = PaymentResult(status=PaymentStatus.SUCCEEDED, payment_id="sim_pi_late")
    apply_payment_result(order, late, source="webhook")

    flagged = GatewayDiscrepancy.objects.get(gateway_payment_id="sim_pi_late")
    (event,) = flagged.events.all()
    assert flagged.resolved and (event.resolved, event.user, event.reason) == (
        True,
        None,
        "refunded automatically",
    )
