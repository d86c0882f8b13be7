"""Several codes per product: further GTINs and PLUs, unique across the catalogue, found by every
way in (scan, lookup, Digital Link, search), written by the API, the admin and the CSV import, and
forgotten from the cache (real Redis) the moment they change."""

import threading

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from rest_framework.test import APIClient

from catalog.errors import CodeInUse
from catalog.models import CatalogImport, Product, ProductCode
from catalog.services import save_product, save_product_codes
from tests.factories import make_category, make_product

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

APPLE_GTIN = "04006381333931"
NEW_PACK = "4012345678901"  # 13 digits on the pack; stored as GTIN-14
NEW_PACK_14 = "04012345678901"
BANANA_PLU = "4011"


@pytest.fixture
def apple():
    return make_product(product_id="12345", name="Apple", gtin=APPLE_GTIN)


@pytest.fixture
def pear():
    return make_product(product_id="23456", name="Pear")


@pytest.fixture
def manager_api(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


def add_code(client, product_id: str, code: str):
    return client.post(f"/api/products/{product_id}/codes", {"code": code}, format="json")


def test_a_further_gtin_and_a_plu_find_the_product_every_way(
    apple, manager_api, api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        gtin = add_code(manager_api, "12345", NEW_PACK)
        plu = add_code(manager_api, "12345", BANANA_PLU)
    assert gtin.status_code == 201, gtin.json()
    assert gtin.json() == {"product_id": "12345", "code": NEW_PACK_14, "kind": "gtin"}
    assert plu.json() == {"product_id": "12345", "code": BANANA_PLU, "kind": "plu"}

    for path in (
        f"/api/products/{NEW_PACK}",
        f"/api/products/gtin/{NEW_PACK}",
        f"/api/products/{BANANA_PLU}",
    ):
        assert api_client.get(path).json()["product_id"] == "12345", path
    for code in (NEW_PACK, NEW_PACK_14, BANANA_PLU, APPLE_GTIN):
        assert api_client.get(f"/api/scan/{code}").json()["product"]["product_id"] == "12345"
    link = api_client.get(f"/01/{NEW_PACK}", HTTP_ACCEPT="application/json")
    assert link.json()["product_id"] == "12345"
    assert api_client.get(f"/01/{NEW_PACK}").headers["Location"] == "/p/12345"
    found = api_client.get("/api/products/", {"q": BANANA_PLU}).json()["results"]
    assert [p["product_id"] for p in found] == ["12345"]

    body = api_client.get("/api/products/12345").json()
    assert body["gtin"] == APPLE_GTIN  # the legacy field keeps the primary GTIN
    assert body["codes"] == [
        {"code": APPLE_GTIN, "kind": "gtin"},
        {"code": NEW_PACK_14, "kind": "gtin"},
        {"code": BANANA_PLU, "kind": "plu"},
    ]


def test_a_code_another_product_has_is_a_409_naming_it_and_changes_nothing(
    apple, pear, manager_api
):
    save_product_codes(product=apple, saved=[ProductCode(code=BANANA_PLU)])
    for code, why in (
        (APPLE_GTIN, "the apple's primary GTIN"),
        (APPLE_GTIN[1:], "the same GTIN typed as EAN-13"),
        (BANANA_PLU, "the apple's PLU"),
    ):
        response = add_code(manager_api, "23456", code)
        assert response.status_code == 409, why
        body = response.json()
        assert body["code"] == "code_in_use"
        assert body["detail"]["product_id"] == "12345"
        assert "product 12345 (Apple)" in body["message"]
    assert not pear.codes.exists()

    # A PLU may not be another product's shelf code either: typing it must find one product.
    clash = add_code(manager_api, "12345", "23456")
    assert (clash.status_code, clash.json()["detail"]["product_id"]) == (409, "23456")
    # Nor may a product repeat its own GTIN as a further code.
    again = add_code(manager_api, "12345", APPLE_GTIN)
    assert (again.status_code, again.json()["detail"]["product_id"]) == (409, "12345")


def test_bad_codes_and_callers_are_refused(apple, manager_api, api_client, staff_client):
    bad = add_code(manager_api, "12345", "4006381333932")  # wrong check digit
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_code")
    assert add_code(manager_api, "12345", "123").json()["code"] == "invalid_code"
    assert add_code(manager_api, "nope", BANANA_PLU).status_code == 404
    assert add_code(api_client, "12345", BANANA_PLU).status_code in (401, 403)
    assert add_code(staff_client, "12345", BANANA_PLU).status_code == 403  # no change_product
    assert not ProductCode.objects.exists()


def test_removing_a_code_forgets_its_cached_lookup(
    apple, manager_api, api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        add_code(manager_api, "12345", NEW_PACK)
    assert api_client.get(f"/api/scan/{NEW_PACK}").status_code == 200  # now cached
    assert cache.get(f"code:{NEW_PACK_14}") == "12345"
    with django_capture_on_commit_callbacks(execute=True):
        gone = manager_api.delete(f"/api/products/12345/codes/{NEW_PACK}")
    assert gone.status_code == 204
    assert cache.get(f"code:{NEW_PACK_14}") is None
    assert api_client.get(f"/api/scan/{NEW_PACK}").status_code == 404
    assert api_client.get("/api/products/12345").json()["codes"] == [
        {"code": APPLE_GTIN, "kind": "gtin"}
    ]
    again = manager_api.delete(f"/api/products/12345/codes/{NEW_PACK}")
    assert (again.status_code, again.json()["code"]) == (404, "code_not_found")


def test_a_code_moved_to_another_product_is_found_there_at_once(
    apple, pear, manager_api, api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        add_code(manager_api, "12345", BANANA_PLU)
    assert api_client.get(f"/api/scan/{BANANA_PLU}").json()["product"]["product_id"] == "12345"
    with django_capture_on_commit_callbacks(execute=True):
        manager_api.delete(f"/api/products/12345/codes/{BANANA_PLU}")
        assert add_code(manager_api, "23456", BANANA_PLU).status_code == 201
    assert api_client.get(f"/api/scan/{BANANA_PLU}").json()["product"]["product_id"] == "23456"


def test_a_primary_gtin_may_not_be_another_products_further_code(apple, pear):
    save_product_codes(product=apple, saved=[ProductCode(code=NEW_PACK)])
    pear.gtin = NEW_PACK
    with pytest.raises(CodeInUse) as refused:
        save_product(product=pear)
    assert refused.value.detail == {"code": NEW_PACK_14, "product_id": "12345"}
    assert Product.objects.get(pk=pear.pk).gtin is None


def product_form(product, **fields) -> dict:
    data = {
        "product_id": product.product_id,
        "name": product.name,
        "category": product.category_id,
        "description": "",
        "is_active": "on",
        "price": "1.99",
        "unit": "each",
        "reorder_level": "10",
        "gtin": product.gtin or "",
        "movements-TOTAL_FORMS": "0",
        "movements-INITIAL_FORMS": "0",
        "codes-TOTAL_FORMS": "0",
        "codes-INITIAL_FORMS": "0",
        "translations-TOTAL_FORMS": "0",
        "translations-INITIAL_FORMS": "0",
    }
    data.update(fields)
    return data


def test_the_admin_adds_codes_inline_and_names_the_owner_of_a_taken_one(
    apple, pear, manager_client, api_client, django_capture_on_commit_callbacks
):
    taken = manager_client.post(
        f"/admin/catalog/product/{pear.pk}/change/",
        product_form(pear, **{"codes-TOTAL_FORMS": "1", "codes-0-code": APPLE_GTIN}),
    )
    assert taken.status_code == 200
    assert "already belongs to product 12345 (Apple)" in taken.content.decode()
    gtin_taken = manager_client.post(
        f"/admin/catalog/product/{pear.pk}/change/", product_form(pear, gtin=APPLE_GTIN)
    )
    assert "already belongs to product 12345 (Apple)" in gtin_taken.content.decode()
    assert not pear.codes.exists()

    assert api_client.get(f"/api/scan/{BANANA_PLU}").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        saved = manager_client.post(
            f"/admin/catalog/product/{pear.pk}/change/",
            product_form(
                pear,
                **{"codes-TOTAL_FORMS": "2", "codes-0-code": BANANA_PLU, "codes-1-code": NEW_PACK},
            ),
        )
    assert saved.status_code == 302, saved.content[:3000]
    assert sorted(pear.codes.values_list("code", "kind")) == [
        (NEW_PACK_14, "gtin"),
        (BANANA_PLU, "plu"),
    ]
    assert api_client.get(f"/api/scan/{BANANA_PLU}").json()["product"]["product_id"] == "23456"
    page = manager_client.get(f"/admin/catalog/product/{pear.pk}/change/")
    assert b"further codes" in page.content.lower()
    search = manager_client.get("/admin/catalog/product/", {"q": BANANA_PLU})
    assert b"Pear" in search.content and b"Apple" not in search.content


def upload(client, text: str):
    return client.post(
        "/admin/catalog/product/import/",
        {"file": SimpleUploadedFile("p.csv", text.encode(), content_type="text/csv")},
    )


def test_the_csv_import_sets_codes_and_rejects_a_taken_one_by_line(
    apple, pear, manager_client, api_client, django_capture_on_commit_callbacks
):
    make_category("Fruit")
    refused = upload(
        manager_client,
        f"product_id,codes\n23456,{BANANA_PLU} {APPLE_GTIN}\n12345,{BANANA_PLU}\n",
    )
    assert refused.status_code == 302
    record = CatalogImport.objects.get()
    assert record.status == "failed"
    assert [(e["line"], e["message"]) for e in record.errors] == [
        (2, f"code {APPLE_GTIN} belongs to product 12345"),
        (3, f"code {BANANA_PLU} is also on line 2"),
    ]
    assert not ProductCode.objects.exists()

    api_client.get("/api/products/23456")  # cached: the import must forget it
    with django_capture_on_commit_callbacks(execute=True):
        upload(
            manager_client,
            f"product_id,codes,name,category,price\n23456,{BANANA_PLU}|{NEW_PACK},,,\n"
            "N1,4012,Lime,fruit,0.40\n",
        )
    record = CatalogImport.objects.latest("created_at")
    assert (record.status, record.created, record.updated) == ("done", 1, 1), record.errors
    assert api_client.get(f"/api/scan/{NEW_PACK}").json()["product"]["product_id"] == "23456"
    assert api_client.get("/api/scan/4012").json()["product"]["product_id"] == "N1"
    codes = api_client.get("/api/products/23456").json()["codes"]
    assert [c["code"] for c in codes] == [NEW_PACK_14, BANANA_PLU]

    export = manager_client.get("/admin/catalog/product/export/")
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("product_id,gtin,codes,")
    assert any(line.startswith(f"23456,,{NEW_PACK_14} {BANANA_PLU},") for line in lines)

    # A file exported and imported again changes nothing.
    upload(manager_client, "\n".join(lines) + "\n")
    again = CatalogImport.objects.latest("created_at")
    assert (again.status, again.updated, again.created) == ("done", 0, 0), again.errors


@pytest.mark.django_db(transaction=True)
def test_two_writers_racing_for_one_code_leave_it_on_one_product():
    """One takes it as a primary GTIN, the other as a further code: two tables, one lock."""
    if connection.vendor != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's")
    category = make_category("Fruit")
    first = make_product(product_id="R1", category=category)
    second = make_product(product_id="R2", category=category)
    outcomes, start = [], threading.Barrier(2)

    def as_gtin():
        start.wait()
        try:
            first.gtin = NEW_PACK
            save_product(product=first)
            outcomes.append("gtin")
        except CodeInUse:
            outcomes.append("refused")
        finally:
            connection.close()

    def as_further():
        start.wait()
        try:
            save_product_codes(product=second, saved=[ProductCode(code=NEW_PACK)])
            outcomes.append("further")
        except CodeInUse:
            outcomes.append("refused")
        finally:
            connection.close()

    for _ in range(5):
        Product.objects.filter(pk=first.pk).update(gtin=None)
        ProductCode.objects.all().delete()
        threads = [threading.Thread(target=as_gtin), threading.Thread(target=as_further)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        holders = Product.objects.filter(gtin=NEW_PACK_14).count() + ProductCode.objects.count()
        assert holders == 1
        assert sorted(outcomes[-2:]) in (["gtin", "refused"], ["further", "refused"])
    assert len(outcomes) == 10
