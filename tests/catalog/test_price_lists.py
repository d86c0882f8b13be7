"""Price lists for groups of stores: a store sells at its own price if it has one, else at its
price list's (if the list is active and prices the product), else at the catalogue's. Every path
that prices a product in a store agrees (lookup, cart, quote, checkout, the selectors the labels
and alerts use); a list's change reprices and forgets the products of its stores only."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from catalog.errors import InvalidPrice, ProductNotFound
from catalog.models import (
    PriceList,
    PriceListEntry,
    Product,
    Store,
    StoreProduct,
    get_home_store,
)
from catalog.selectors import get_product_payload, sell_in_store
from catalog.services import (
    assign_price_list,
    delete_price_list_entries,
    save_price_list,
    set_price_list_entries,
    set_stock,
)
from tests.factories import make_product
from tests.fixtures.checkout import spec_body
from tests.fixtures.people import signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_random_audits")]

PRODUCTS = ("12345", "23456", "34567")


@pytest.fixture
def chain(shop):
    """The "City stores" list prices the apple at 2.29 and the banana at 1.19 (the cherry not);
    the city and city2 stores follow it, the village and the home store follow none; the city
    store has its own banana price of 1.09. Catalogue: apple 1.99, banana 0.99, cherry 3.00."""
    cherry = make_product(product_id="34567", name="Cherry", price=Decimal("3.00"))
    city_list = save_price_list(price_list=PriceList(code="city", name="City stores"))
    set_price_list_entries(
        price_list=city_list, prices={"12345": Decimal("2.29"), "23456": Decimal("1.19")}
    )
    stores = {code: Store.objects.create(code=code, name=code.title()) for code in STORE_CODES}
    assign_price_list(stores=[stores["city"], stores["city2"]], price_list=city_list)
    for store in stores.values():  # a stock count lists the products in the store
        for product in (shop["apple"], shop["banana"], cherry):
            set_stock(product=product, stock=Decimal(40), store=store)
    StoreProduct.objects.filter(store=stores["city"], product=shop["banana"]).update(
        price=Decimal("1.09")
    )
    return {"list": city_list, "home": get_home_store(), **stores, **shop, "cherry": cherry}


STORE_CODES = ("city", "city2", "village")


def client_in(store: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_STORE=store)
    return client


def looked_up(store: str) -> dict[str, float]:
    client = client_in(store)
    return {pid: client.get(f"/api/products/{pid}").json()["price"] for pid in PRODUCTS}


def quoted(store: str) -> dict[str, float]:
    cart = [{"product_id": pid, "quantity": 1} for pid in PRODUCTS]
    body = client_in(store).post("/api/checkout/quote", {"cart": cart}, format="json").json()
    return {line["product_id"]: line["unit_price"] for line in body["lines"]}


def in_cart(store: str) -> dict[str, float]:
    client = client_in(store)
    for pid in PRODUCTS:
        assert (
            client.post(
                "/api/cart/lines", {"product_id": pid, "quantity": 1}, format="json"
            ).status_code
            == 200
        )
    return {
        line["product_id"]: line["unit_price"] for line in client.get("/api/cart").json()["lines"]
    }


def selected(store: Store) -> dict[str, float]:
    """What the selectors behind the labels and the stock alerts put on the products."""
    products = list(Product.objects.filter(product_id__in=PRODUCTS))
    sell_in_store(products, store)
    return {p.product_id: float(p.price) for p in products}


def test_override_beats_the_list_which_beats_the_catalogue(chain):
    assert looked_up("city") == {"12345": 2.29, "23456": 1.09, "34567": 3.00}
    assert looked_up("city2") == {"12345": 2.29, "23456": 1.19, "34567": 3.00}
    assert looked_up("village") == {"12345": 1.99, "23456": 0.99, "34567": 3.00}


@pytest.mark.parametrize("store", ["city", "city2", "village"])
def test_lookup_cart_quote_and_selectors_agree_in_every_store(chain, store):
    prices = looked_up(store)
    assert in_cart(store) == prices
    assert quoted(store) == prices
    assert selected(chain[store]) == prices


def test_a_list_change_reprices_its_stores_only_at_the_lookup_quote_and_checkout(
    chain, django_capture_on_commit_callbacks
):
    before = {store: looked_up(store) for store in ("city", "city2", "village")}
    home_before = APIClient().get("/api/products/12345").json()

    with django_capture_on_commit_callbacks(execute=True):
        changed = set_price_list_entries(
            price_list=chain["list"], prices={"12345": Decimal("2.49"), "23456": Decimal("1.19")}
        )

    assert changed == 1  # the banana's price was already 1.19
    assert looked_up("city")["12345"] == looked_up("city2")["12345"] == 2.49
    assert looked_up("village") == before["village"]
    assert APIClient().get("/api/products/12345").json() == home_before
    assert quoted("city2")["12345"] == 2.49
    body = spec_body(cart=[{"product_id": "12345", "quantity": 2}], total_amount=4.98)
    answer = client_in("city2").post("/api/checkout", body, format="json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["receipt"]["items"][0]["price"] == 2.49
    # The home store checks out the SPEC's basket at the catalogue prices, as always.
    home = APIClient().post("/api/checkout", spec_body(), format="json")
    assert home.status_code == 201 and home.json()["receipt"]["total"] == 4.97


def test_a_list_change_forgets_its_stores_cached_products_only(
    chain, django_capture_on_commit_callbacks, django_assert_num_queries
):
    for store in ("city", "city2", "village"):
        looked_up(store)  # now cached
    APIClient().get("/api/products/12345")

    with django_capture_on_commit_callbacks(execute=True):
        set_price_list_entries(price_list=chain["list"], prices={"12345": Decimal("2.59")})

    with django_assert_num_queries(0):  # other stores' entries are served from the cache
        assert looked_up("village")["12345"] == 1.99
        assert APIClient().get("/api/products/12345").json()["price"] == 1.99
        # The list's products it did not change stay cached in its stores too.
        assert client_in("city2").get("/api/products/23456").json()["price"] == 1.19
    assert looked_up("city2")["12345"] == 2.59  # forgotten, so read again


def test_a_cold_lookup_in_a_listed_store_costs_what_it_costs_elsewhere(
    chain, django_assert_num_queries
):
    """The list's price is on the store's row: no join, no extra query (the row, its codes and
    its translations, as in a store without a list)."""
    with django_assert_num_queries(3):
        assert get_product_payload("12345", store="city2")["price"] == 2.29
    with django_assert_num_queries(3):
        assert get_product_payload("12345", store="village")["price"] == 1.99


def test_an_inactive_list_is_ignored_and_switching_it_back_on_restores_it(
    chain, django_capture_on_commit_callbacks
):
    looked_up("city2")  # cached at the list's prices
    city_list = chain["list"]
    city_list.is_active = False
    with django_capture_on_commit_callbacks(execute=True):
        save_price_list(price_list=city_list)
    assert looked_up("city2") == {"12345": 1.99, "23456": 0.99, "34567": 3.00}
    assert looked_up("city")["23456"] == 1.09  # the store's own price still holds
    assert quoted("city2")["12345"] == 1.99

    city_list.is_active = True
    with django_capture_on_commit_callbacks(execute=True):
        save_price_list(price_list=city_list)
    assert looked_up("city2")["12345"] == 2.29


def test_assigning_and_leaving_a_list_reprices_the_store(chain, django_capture_on_commit_callbacks):
    looked_up("village")
    with django_capture_on_commit_callbacks(execute=True):
        moved = assign_price_list(stores=[chain["village"]], price_list=chain["list"])
    assert moved == 2
    assert looked_up("village") == {"12345": 2.29, "23456": 1.19, "34567": 3.00}
    with django_capture_on_commit_callbacks(execute=True):
        assign_price_list(stores=[chain["city2"]], price_list=None)
    assert looked_up("city2") == {"12345": 1.99, "23456": 0.99, "34567": 3.00}


def test_removing_an_entry_sells_at_the_catalogue_price_again(
    chain, django_capture_on_commit_callbacks
):
    looked_up("city2")
    with django_capture_on_commit_callbacks(execute=True):
        gone = delete_price_list_entries(PriceListEntry.objects.filter(product__product_id="12345"))
    assert gone == 1
    assert looked_up("city2")["12345"] == 1.99


def test_a_product_newly_listed_in_a_store_gets_its_list_price(
    chain, django_capture_on_commit_callbacks
):
    fig = make_product(product_id="45678", name="Fig", price=Decimal("0.50"))
    set_price_list_entries(price_list=chain["list"], prices={"45678": Decimal("0.65")})
    assert client_in("city2").get("/api/products/45678").status_code == 404  # not listed yet
    with django_capture_on_commit_callbacks(execute=True):
        set_stock(product=fig, stock=Decimal(5), store=chain["city2"])
    assert client_in("city2").get("/api/products/45678").json()["price"] == 0.65
    assert APIClient().get("/api/products/45678").json()["price"] == 0.50


@pytest.mark.parametrize(
    ("prices", "error", "named"),
    [
        ({"12345": Decimal("-0.01"), "23456": Decimal("1.00")}, InvalidPrice, ["12345"]),
        ({"12345": Decimal("1.999")}, InvalidPrice, ["12345"]),
        ({"12345": Decimal("1.00"), "nope": Decimal("1.00")}, ProductNotFound, ["nope"]),
    ],
)
def test_bad_prices_or_unknown_products_change_nothing(chain, prices, error, named):
    entries = list(PriceListEntry.objects.values_list("product", "price"))
    rows = list(StoreProduct.objects.order_by("pk").values_list("list_price", flat=True))
    with pytest.raises(error) as raised:
        set_price_list_entries(price_list=chain["list"], prices=prices)
    assert raised.value.detail == {"product_ids": named}
    assert named[0] in raised.value.message
    assert list(PriceListEntry.objects.values_list("product", "price")) == entries
    assert list(StoreProduct.objects.order_by("pk").values_list("list_price", flat=True)) == rows


def test_a_shop_with_one_store_and_no_list_answers_as_before(shop, api_client):
    PriceList.objects.create(code="unused", name="Followed by no store")
    set_price_list_entries(
        price_list=PriceList.objects.get(code="unused"), prices={"12345": Decimal("9.99")}
    )
    body = api_client.get("/api/products/12345").json()
    assert body["price"] == 1.99
    answer = api_client.post("/api/checkout", spec_body(), format="json")
    assert answer.status_code == 201 and answer.json()["receipt"]["total"] == 4.97


# --- the manager portal ------------------------------------------------------------------------


def test_the_admin_pages_load(chain, chain_manager_client):
    pk = chain["list"].pk
    for url in (
        "/admin/catalog/pricelist/",
        "/admin/catalog/pricelist/add/",
        f"/admin/catalog/pricelist/{pk}/change/",
        f"/admin/catalog/pricelist/{pk}/import/",
        "/admin/catalog/pricelistentry/",
        f"/admin/catalog/pricelistentry/?price_list__id__exact={pk}",
        "/admin/catalog/pricelistentry/add/",
        f"/admin/catalog/store/{chain['city'].pk}/change/",
        "/admin/catalog/store/",
    ):
        assert chain_manager_client.get(url).status_code == 200, url
    page = chain_manager_client.get(f"/admin/catalog/pricelist/{pk}/change/").content.decode()
    assert "2 products priced" in page
    # The product is picked by search, never from a select of the whole catalogue.
    add_entry = chain_manager_client.get("/admin/catalog/pricelistentry/add/").content.decode()
    assert "admin-autocomplete" in add_entry and "Organic Apple" not in add_entry


def test_staff_without_the_permission_cannot_open_or_change_price_lists(chain, shop_staff):
    staff = signed_in(shop_staff)
    pk = chain["list"].pk
    assert staff.get("/admin/catalog/pricelist/").status_code == 403
    assert staff.get(f"/admin/catalog/pricelist/{pk}/import/").status_code == 403
    answer = staff.post(
        f"/admin/catalog/pricelist/{pk}/change/",
        {"code": "city", "name": "City stores", "is_active": "", "stores": []},
    )
    assert answer.status_code == 403
    assert PriceList.objects.get(pk=pk).is_active
    shop_staff.user_permissions.add(Permission.objects.get(codename="view_pricelist"))
    assert signed_in(shop_staff).get("/admin/catalog/pricelist/").status_code == 200


def test_the_price_list_page_saves_its_stores(
    chain, chain_manager_client, django_capture_on_commit_callbacks
):
    looked_up("village")
    pk = chain["list"].pk
    with django_capture_on_commit_callbacks(execute=True):
        answer = chain_manager_client.post(
            f"/admin/catalog/pricelist/{pk}/change/",
            {
                "code": "city",
                "name": "City stores",
                "is_active": "on",
                "stores": [chain["city"].pk, chain["village"].pk],
            },
        )
    assert answer.status_code == 302
    following = set(Store.objects.filter(price_list=pk).values_list("code", flat=True))
    assert following == {"city", "village"}
    assert looked_up("village")["12345"] == 2.29
    assert looked_up("city2")["12345"] == 1.99


def test_an_entry_is_added_and_changed_in_the_admin(
    chain, chain_manager_client, django_capture_on_commit_callbacks
):
    looked_up("city2")
    pk = chain["list"].pk
    with django_capture_on_commit_callbacks(execute=True):
        added = chain_manager_client.post(
            "/admin/catalog/pricelistentry/add/",
            {"price_list": pk, "product": chain["cherry"].pk, "price": "3.50"},
        )
    assert added.status_code == 302
    assert looked_up("city2")["34567"] == 3.50
    entry = PriceListEntry.objects.get(product=chain["apple"])
    with django_capture_on_commit_callbacks(execute=True):
        changed = chain_manager_client.post(
            f"/admin/catalog/pricelistentry/{entry.pk}/change/", {"price": "2.39"}
        )
    assert changed.status_code == 302
    assert looked_up("city2")["12345"] == 2.39


def test_the_admin_refuses_a_negative_or_duplicate_entry(chain, chain_manager_client):
    pk = chain["list"].pk
    negative = chain_manager_client.post(
        "/admin/catalog/pricelistentry/add/",
        {"price_list": pk, "product": chain["cherry"].pk, "price": "-1"},
    )
    assert negative.status_code == 200 and "greater than or equal to 0" in negative.content.decode()
    twice = chain_manager_client.post(
        "/admin/catalog/pricelistentry/add/",
        {"price_list": pk, "product": chain["apple"].pk, "price": "1.00"},
    )
    assert twice.status_code == 200 and "already exists" in twice.content.decode()
    assert PriceListEntry.objects.count() == 2
    assert PriceListEntry.objects.get(product=chain["apple"]).price == Decimal("2.29")


def test_the_store_page_changes_its_price_list(
    chain, chain_manager_client, django_capture_on_commit_callbacks
):
    village = chain["village"]
    with django_capture_on_commit_callbacks(execute=True):
        answer = chain_manager_client.post(
            f"/admin/catalog/store/{village.pk}/change/",
            {
                "name": village.name,
                "address": "",
                "opening_hours": "",
                "is_active": "on",
                "price_list": chain["list"].pk,
            },
        )
    assert answer.status_code == 302
    assert looked_up("village")["12345"] == 2.29


def upload(text: str) -> dict:
    return {"file": SimpleUploadedFile("city.csv", text.encode(), content_type="text/csv")}


def test_a_csv_import_sets_the_lists_prices(
    chain, chain_manager_client, django_capture_on_commit_callbacks
):
    pk = chain["list"].pk
    with django_capture_on_commit_callbacks(execute=True):
        answer = chain_manager_client.post(
            f"/admin/catalog/pricelist/{pk}/import/",
            upload("product_id;price\n12345;2,19\n34567;3.10\n"),
        )
    assert answer.status_code == 302
    assert looked_up("city2") == {"12345": 2.19, "23456": 1.19, "34567": 3.10}


def test_a_csv_import_with_a_bad_line_imports_nothing(chain, chain_manager_client):
    pk = chain["list"].pk
    answer = chain_manager_client.post(
        f"/admin/catalog/pricelist/{pk}/import/",
        upload("product_id,price\n12345,2.19\nnope,1.00\n34567,-1\n23456,\n"),
    )
    page = answer.content.decode()
    assert answer.status_code == 200 and "Nothing was imported" in page
    assert "no product &#x27;nope&#x27; in the catalogue" in page
    assert "must not be negative" in page and "a price is needed" in page
    assert PriceListEntry.objects.get(product=chain["apple"]).price == Decimal("2.29")


def test_seed_demo_makes_a_city_price_list_over_some_stores():
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", products=60, stores=3, orders=0, stdout=StringIO())
    city = PriceList.objects.get(code="city")
    assert city.entries.count() == 60
    assert list(city.stores.values_list("code", flat=True)) == ["demo-002"]
    row = StoreProduct.objects.filter(store__code="demo-002", price=None).select_related("product")
    row = row.first()
    assert row.list_price == (row.product.price * Decimal("1.08")).quantize(Decimal("0.01"))
    assert not StoreProduct.objects.filter(store__code="demo-003").exclude(list_price=None).exists()


def test_a_store_manager_sees_the_lists_but_never_reprices_other_stores(chain, manager):
    chain["city"].staff.add(manager)  # one store of the chain: the list also prices city2
    client = signed_in(manager)
    pk = chain["list"].pk
    assert client.get(f"/admin/catalog/pricelist/{pk}/change/").status_code == 200  # read only
    answer = client.post(
        f"/admin/catalog/pricelist/{pk}/change/",
        {"code": "renamed", "name": "Mine", "is_active": "on", "stores": []},
    )
    assert answer.status_code == 403
    assert client.get("/admin/catalog/pricelistentry/add/").status_code == 403
    assert client.get(f"/admin/catalog/pricelist/{pk}/import/").status_code == 403
    chain["list"].refresh_from_db()
    assert chain["list"].code == "city"
    assert Store.objects.get(code="city2").price_list_id == pk
