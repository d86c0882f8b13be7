"""A product's name and description in other languages: written in the admin (through
catalog.services, so the cached payload is forgotten), carried by the payload for the PWA."""

import pytest

from catalog.models import ProductTranslation
from tests.factories import make_product

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


def product_form(product, **fields) -> dict:
    data = {
        "product_id": product.product_id,
        "name": product.name,
        "category": product.category_id,
        "description": product.description,
        "is_active": "on",
        "price": "1.99",
        "unit": "each",
        "reorder_level": "10",
        "gtin": "",
        "movements-TOTAL_FORMS": "0",
        "movements-INITIAL_FORMS": "0",
        "codes-TOTAL_FORMS": "0",
        "codes-INITIAL_FORMS": "0",
        "translations-TOTAL_FORMS": "1",
        "translations-INITIAL_FORMS": "0",
    }
    data.update(fields)
    return data


def test_a_german_name_reaches_the_payload_at_once(
    manager_client, api_client, django_capture_on_commit_callbacks
):
    milk = make_product(product_id="M1", name="Whole milk 1 l", description="Fresh")
    assert api_client.get("/api/products/M1").json()["translations"] == {}  # cached now
    with django_capture_on_commit_callbacks(execute=True):
        saved = manager_client.post(
            f"/admin/catalog/product/{milk.pk}/change/",
            product_form(
                milk,
                **{
                    "translations-0-language": "de",
                    "translations-0-name": "Vollmilch 1 l",
                    "translations-0-description": "Frisch",
                },
            ),
        )
    assert saved.status_code == 302, saved.content[:2000]
    body = api_client.get("/api/products/M1").json()
    assert body["translations"] == {"de": {"name": "Vollmilch 1 l", "description": "Frisch"}}
    assert body["name"] == "Whole milk 1 l"  # the SPEC's field keeps the shop's own language


def test_only_the_shops_other_languages_are_offered(manager_client):
    milk = make_product(product_id="M2")
    refused = manager_client.post(
        f"/admin/catalog/product/{milk.pk}/change/",
        product_form(
            milk, **{"translations-0-language": "fr", "translations-0-name": "Lait entier"}
        ),
    )
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    assert not ProductTranslation.objects.exists()
