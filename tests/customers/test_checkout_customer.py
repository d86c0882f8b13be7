"""The SPEC's customer_id at checkout names the signed-in account or a loyalty card; anything
else is a free label, as it always was."""

import pytest
from rest_framework.test import APIClient

from customers.cards import check_digit
from tests.customers.test_accounts import sign_up
from tests.fixtures.checkout import snapshot, spec_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(db):
    client = APIClient()
    return client, sign_up(client).json()


@pytest.fixture
def bob(db):
    client = APIClient()
    return client, sign_up(client, email="bob@example.com").json()


@pytest.mark.parametrize("customer_id", ["", "789", "guest", "0000000000017"])
def test_an_anonymous_checkout_with_a_label_works_as_before(api_client, shop, customer_id):
    response = api_client.post("/api/checkout", spec_body(customer_id=customer_id), format="json")
    assert response.status_code == 201


def test_a_signed_in_customer_names_their_account_their_card_or_nothing(shop, ann):
    client, account = ann
    for customer_id in ("", account["account_id"], account["card_number"], "789"):
        response = client.post("/api/checkout", spec_body(customer_id=customer_id), format="json")
        assert response.status_code == 201, (customer_id, response.json())


def test_naming_another_customers_account_is_a_403_and_charges_nothing(shop, ann, bob):
    client, _ = ann
    _, other = bob
    before = snapshot()
    for customer_id in (other["account_id"], other["card_number"]):
        response = client.post("/api/checkout", spec_body(customer_id=customer_id), format="json")
        assert response.status_code == 403
        assert response.json()["code"] == "not_your_account"
    assert snapshot() == before


def test_an_anonymous_checkout_may_name_a_card_to_collect_its_points(api_client, shop, ann):
    _, account = ann
    response = api_client.post(
        "/api/checkout", spec_body(customer_id=account["card_number"]), format="json"
    )
    assert response.status_code == 201


def test_a_card_number_that_does_not_exist_is_a_404(api_client, shop, settings):
    before = snapshot()
    body = settings.LOYALTY_CARD_PREFIX + "1234567890"
    response = api_client.post(
        "/api/checkout", spec_body(customer_id=body + check_digit(body)), format="json"
    )
    assert response.status_code == 404 and response.json()["code"] == "unknown_card"
    assert snapshot() == before


def test_a_mistyped_card_number_is_a_422_naming_the_check_digit(api_client, shop, ann):
    _, account = ann
    card = account["card_number"]
    typo = card[:12] + str((int(card[12]) + 1) % 10)
    before = snapshot()
    response = api_client.post("/api/checkout", spec_body(customer_id=typo), format="json")
    assert response.status_code == 422 and response.json()["code"] == "invalid_card_number"
    assert response.json()["detail"] == {"card_number": typo}
    assert snapshot() == before
