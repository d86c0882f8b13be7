"""Staff per store: a store manager sees and changes only the stores they work in (Store.staff),
in the admin and through the staff API; a chain manager sees every store; and a shop with one
store, whose people are assigned nowhere, sees exactly what it saw before (catalog.selectors)."""

from decimal import Decimal

import pypdfium2
import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from catalog.alerts import send_stock_alerts
from catalog.models import (
    StockCountRequest,
    StockMovement,
    Store,
    StoreProduct,
    get_home_store,
)
from catalog.selectors import stores_of
from catalog.services import set_stock
from checkout.selectors import exit_code
from shop.roles import CHAIN_MANAGER, STORE_MANAGER
from tests.factories import make_paid_order, make_product
from tests.fixtures.people import member, signed_in

pytestmark = pytest.mark.django_db

HEADER = "store,product_id,price,stock,reorder_level,listed\n"


@pytest.fixture
def chain():
    """The apple in both stores (home 120, city 7 at 2.49), a count in each, an order in each;
    Cleo manages the city store only."""
    apple = make_product(product_id="12345", name="Organic Apple", stock=Decimal(120))
    home = get_home_store()
    city = Store.objects.create(code="city", name="City")
    StoreProduct.objects.create(store=city, product=apple, price=Decimal("2.49"))
    set_stock(product=apple, stock=Decimal(7), store=city, note="city count")
    set_stock(product=apple, stock=Decimal(110), store=home, note="home count")
    home_order = make_paid_order(apple)
    city_order = make_paid_order(apple)
    city_order.store = city
    city_order.save(update_fields=["store"])
    cleo = member("cleo", STORE_MANAGER, "cleo@shop.example")
    city.staff.add(cleo)
    return {
        "apple": apple,
        "home": home,
        "city": city,
        "home_order": home_order,
        "city_order": city_order,
        "cleo": cleo,
        "home_row": StoreProduct.objects.get(store=home, product=apple),
        "city_row": StoreProduct.objects.get(store=city, product=apple),
    }


def changelist(client, path: str) -> list:
    response = client.get(path)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def stores_in(rows) -> set[str]:
    return {row.store.code if hasattr(row, "store") else row.code for row in rows}


def notes(rows) -> set[str]:
    return {row.note for row in rows}


# --- who works where --------------------------------------------------------------------------


def test_the_chain_manager_role_is_the_store_managers_plus_every_store():
    manager = set(Group.objects.get(name=STORE_MANAGER).permissions.all())
    chain = set(Group.objects.get(name=CHAIN_MANAGER).permissions.all())
    assert chain - manager == {p for p in chain if p.codename == "manage_all_stores"}
    assert len(chain - manager) == 1
    assert manager < chain


def test_unassigned_staff_work_for_the_home_store_until_another_store_opens(manager):
    home = get_home_store()
    assert list(stores_of(manager)) == [home]
    Store.objects.create(code="soon", name="Opening next month", is_active=False)
    assert list(stores_of(manager)) == [home]  # a store not yet open changes nothing
    Store.objects.filter(code="soon").update(is_active=True)
    assert list(stores_of(manager)) == []
    home.staff.add(manager)
    assert list(stores_of(manager)) == [home]


def test_chain_managers_and_superusers_see_every_store(chain, chain_manager, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="pw-root-123")
    every = {"city", get_home_store().code}
    assert {s.code for s in stores_of(chain_manager)} == every
    assert {s.code for s in stores_of(root)} == every
    assert {s.code for s in stores_of(chain["cleo"])} == {"city"}


def test_customers_work_for_no_store(chain, django_user_model):
    customer = django_user_model.objects.create_user("cus", password="pw-cus-123")
    assert list(stores_of(customer)) == []


# --- admin --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/admin/catalog/stockmovement/",
        "/admin/catalog/storeproduct/",
        "/admin/catalog/store/",
        "/admin/checkout/order/",
    ],
)
def test_a_store_manager_lists_their_stores_rows_only(chain, path, chain_manager_client):
    cleo = signed_in(chain["cleo"])
    assert stores_in(changelist(cleo, path)) == {"city"}
    assert stores_in(changelist(chain_manager_client, path)) == {"city", chain["home"].code}


def test_count_requests_and_alerts_are_listed_for_their_stores_only(chain, chain_manager_client):
    StoreProduct.objects.filter(product=chain["apple"]).update(stock=0)
    send_stock_alerts()
    for store in (chain["home"], chain["city"]):
        StockCountRequest.objects.create(
            store=store, product=chain["apple"], stock_before=0, sold=1
        )
    cleo = signed_in(chain["cleo"])
    assert stores_in(changelist(cleo, "/admin/catalog/stockcountrequest/")) == {"city"}
    assert stores_in(changelist(cleo, "/admin/catalog/stockalert/")) == {"city"}
    every = stores_in(changelist(chain_manager_client, "/admin/catalog/stockalert/"))
    assert every == {"city", chain["home"].code}
    # Each store's mail goes to those who work there: Cleo gets the city's, not the home store's.
    city_mail = [m for m in mail.outbox if " in City " in m.subject]
    home_mail = [m for m in mail.outbox if " in City " not in m.subject]
    assert [sorted(m.to) for m in city_mail] == [["chloe@shop.example", "cleo@shop.example"]]
    assert [m.to for m in home_mail] == [["chloe@shop.example"]]


@pytest.mark.parametrize(
    "path",
    [
        "/admin/catalog/storeproduct/{home_row}/change/",
        "/admin/catalog/store/{home}/change/",
        "/admin/checkout/order/{home_order}/change/",
        "/admin/checkout/order/{home_order}/refund/",
        "/admin/checkout/order/{home_order}/return/",
        "/admin/catalog/stockmovement/{home_movement}/change/",
    ],
)
def test_another_stores_page_is_forbidden(chain, path, chain_manager_client):
    keys = {
        "home_row": chain["home_row"].pk,
        "home": chain["home"].pk,
        "home_order": chain["home_order"].pk,
        "home_movement": StockMovement.objects.get(note="home count").pk,
    }
    url = path.format(**keys)
    assert signed_in(chain["cleo"]).get(url).status_code == 403
    assert chain_manager_client.get(url).status_code == 200


def test_a_store_manager_cannot_post_a_change_to_another_stores_row(chain):
    cleo = signed_in(chain["cleo"])
    home_row = chain["home_row"]
    answer = cleo.post(
        f"/admin/catalog/storeproduct/{home_row.pk}/change/",
        {"price": "0.01", "reorder_level": "", "is_listed": "on"},
    )
    assert answer.status_code == 403
    home_row.refresh_from_db()
    assert home_row.price is None


def test_a_store_manager_changes_their_stores_price_through_the_service(chain):
    cleo = signed_in(chain["cleo"])
    city_row = chain["city_row"]
    answer = cleo.post(
        f"/admin/catalog/storeproduct/{city_row.pk}/change/",
        {"price": "2.29", "reorder_level": "4", "is_listed": "on"},
    )
    assert answer.status_code == 302
    city_row.refresh_from_db()
    assert (city_row.price, city_row.reorder_level, city_row.stock) == (Decimal("2.29"), 4, 7)


def test_the_add_form_offers_the_users_stores_only(chain, chain_manager_client):
    page = signed_in(chain["cleo"]).get("/admin/catalog/storeproduct/add/")
    assert [s.code for s in page.context["adminform"].form.fields["store"].queryset] == ["city"]
    page = chain_manager_client.get("/admin/catalog/storeproduct/add/")
    assert page.context["adminform"].form.fields["store"].queryset.count() == 2


def test_only_a_chain_manager_opens_a_store_or_says_who_works_there(
    chain, chain_manager_client, django_user_model
):
    django_user_model.objects.create_user("cus", password="pw-cus-123")
    cleo = signed_in(chain["cleo"])
    assert cleo.get("/admin/catalog/store/add/").status_code == 403
    page = cleo.get(f"/admin/catalog/store/{chain['city'].pk}/change/")
    assert page.status_code == 200 and 'name="staff"' not in page.content.decode()
    page = chain_manager_client.get(f"/admin/catalog/store/{chain['city'].pk}/change/")
    offered = page.context["adminform"].form.fields["staff"].queryset
    assert {user.username for user in offered} == {"cleo", "chloe"}  # no customer accounts


def test_the_product_page_counts_for_the_home_store_only_for_its_staff(chain):
    cleo = signed_in(chain["cleo"])
    apple = chain["apple"]
    assert cleo.get(f"/admin/catalog/product/{apple.pk}/stock/").status_code == 403
    chain["home"].staff.add(chain["cleo"])
    assert cleo.get(f"/admin/catalog/product/{apple.pk}/stock/").status_code == 200


def test_labels_are_printed_for_their_own_stores_only(chain):
    cleo = signed_in(chain["cleo"])
    label = f"/admin/catalog/product/{chain['apple'].pk}/label/"
    for asked in ({}, {"store": chain["home"].code}):  # another store is not even offered
        printed = cleo.get(label, asked)  # one store of theirs: nobody asks, it is that store's
        assert printed["Content-Type"] == "application/pdf"
        text = pypdfium2.PdfDocument(printed.content)[0].get_textpage().get_text_range()
        assert "2.49" in text and "City" in text
    nobody = signed_in(member("nils", STORE_MANAGER, "nils@shop.example"))
    assert nobody.get(label).status_code == 403


# --- store CSV import ---------------------------------------------------------------------------


def test_the_csv_import_refuses_lines_for_a_store_that_is_not_theirs(chain):
    home = chain["home"].code
    text = HEADER + f"city,12345,2.19,,,\n{home},12345,0.01,,,\n"
    file = SimpleUploadedFile("prices.csv", text.encode(), content_type="text/csv")
    before = list(StoreProduct.objects.order_by("pk").values_list("price", "stock"))
    answer = signed_in(chain["cleo"]).post("/admin/catalog/store/prices/import/", {"file": file})
    assert answer.status_code == 200
    assert [(e["line"], e["message"]) for e in answer.context["errors"]] == [
        (3, f"store: you do not work for store {home}")
    ]
    assert list(StoreProduct.objects.order_by("pk").values_list("price", "stock")) == before


def test_the_csv_export_holds_their_stores_only(chain):
    answer = signed_in(chain["cleo"]).get("/admin/catalog/store/prices/export/")
    lines = b"".join(answer.streaming_content).decode("utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["city"]


# --- API --------------------------------------------------------------------------------------


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_setting_stock_in_another_store_is_a_403_naming_it_and_changes_nothing(chain):
    home = chain["home"].code
    body = {"product_id": "12345", "stock": 1}
    answer = api_as(chain["cleo"]).put(
        "/api/inventory/12345", body, format="json", HTTP_X_STORE=home
    )
    assert answer.status_code == 403
    assert answer.json()["code"] == "not_your_store"
    assert answer.json()["detail"] == {"store": home}
    assert answer.json()["message"] == f"You do not work for store {home}."
    assert StoreProduct.objects.get(pk=chain["home_row"].pk).stock == 110
    answer = api_as(chain["cleo"]).put(
        "/api/inventory/12345", body, format="json", HTTP_X_STORE="city"
    )
    assert answer.status_code == 200
    assert StoreProduct.objects.get(pk=chain["city_row"].pk).stock == 1


def test_returns_of_another_stores_order_are_refused(chain):
    line = chain["home_order"].lines.get()
    answer = api_as(chain["cleo"]).post(
        f"/api/receipts/{chain['home_order'].transaction_id}/returns",
        {"lines": [{"line_id": line.pk, "quantity": 1, "restock": True}]},
        format="json",
    )
    assert answer.status_code == 403
    assert answer.json()["detail"] == {"store": chain["home"].code}
    assert not chain["home_order"].refunds.exists()


@pytest.mark.parametrize("path", ["/api/exit/verify", "/api/exit/audit", "/api/exit/id-check"])
def test_exit_checks_at_another_stores_door_are_refused(chain, path):
    code = exit_code(chain["home_order"])
    body = {"code": code, "approved": True}
    answer = api_as(chain["cleo"]).post(path, body, format="json")
    assert answer.status_code == 403 and answer.json()["code"] == "not_your_store"
    assert not chain["home_order"].exit_verifications.exists()


def test_a_chain_manager_acts_on_every_store(chain, chain_manager):
    body = {"product_id": "12345", "stock": 3}
    for store in ("city", chain["home"].code):
        answer = api_as(chain_manager).put(
            "/api/inventory/12345", body, format="json", HTTP_X_STORE=store
        )
        assert answer.status_code == 200
    assert set(StoreProduct.objects.values_list("stock", flat=True)) == {3}


# --- one store: nothing changes -----------------------------------------------------------------


def test_a_single_stores_manager_and_staff_see_what_they_saw_before(
    manager_client, shop_staff_client, manager
):
    apple = make_product(product_id="12345", stock=Decimal(10))
    set_stock(product=apple, stock=Decimal(8), note="count")
    order = make_paid_order(apple)
    for client in (manager_client, shop_staff_client):
        assert len(changelist(client, "/admin/catalog/stockmovement/")) == 1
    assert changelist(manager_client, "/admin/checkout/order/") == [order]
    assert len(changelist(manager_client, "/admin/catalog/storeproduct/")) == 1
    assert manager_client.get(f"/admin/checkout/order/{order.pk}/refund/").status_code == 200
    assert shop_staff_client.get(f"/admin/catalog/product/{apple.pk}/stock/").status_code == 200
    answer = api_as(manager).put(
        "/api/inventory/12345", {"product_id": "12345", "stock": 5}, format="json"
    )
    assert answer.status_code == 200


def test_a_product_listed_in_another_store_is_not_deleted_by_a_store_manager(chain):
    cleo = signed_in(chain["cleo"])
    pear = make_product(product_id="777", name="Pear")  # never sold: nothing protects it
    StoreProduct.objects.create(store=chain["city"], product=pear)
    answer = cleo.post(f"/admin/catalog/product/{pear.pk}/delete/", {"post": "yes"})
    assert answer.status_code == 403  # its home store row is not Cleo's to delete
    assert StoreProduct.objects.filter(product=pear).count() == 2
    chain["home"].staff.add(chain["cleo"])
    assert (
        cleo.post(f"/admin/catalog/product/{pear.pk}/delete/", {"post": "yes"}).status_code == 302
    )
    city_row = chain["city_row"]
    assert cleo.post(f"/admin/catalog/storeproduct/{city_row.pk}/delete/").status_code == 403
    assert StoreProduct.objects.filter(pk=city_row.pk).exists()  # unlisted, never deleted here
