"""Stores' prices and stock as CSV: exported from the store admin, imported all or nothing with
every problem named by line, written through the stock service."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.errors import ProductNotFound
from catalog.models import Product, StockMovement, Store, StoreProduct, get_home_store
from catalog.selectors import get_product_payload
from catalog.services import set_stock
from tests.factories import make_product

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/catalog/store/prices/import/"
EXPORT_URL = "/admin/catalog/store/prices/export/"
HEADER = "store,product_id,price,stock,reorder_level,listed\n"


def list_in(store: Store, product: Product, *, stock, price=None, **fields) -> None:
    StoreProduct.objects.create(store=store, product=product, price=price, **fields)
    set_stock(product=product, stock=Decimal(stock), store=store, note="opening")


@pytest.fixture
def chain():
    """Home sells the apple at the catalogue's 1.99 and the banana; the city store sells the
    apple at its own 2.49 (7 left, reorder at 3) and not the banana."""
    apple = make_product(product_id="12345", price=Decimal("1.99"), stock=Decimal(120))
    banana = make_product(product_id="23456", name="Banana", stock=Decimal(50))
    city = Store.objects.create(code="city", name="City")
    list_in(city, apple, stock=7, price=Decimal("2.49"), reorder_level=Decimal(3))
    return {"home": get_home_store(), "city": city, "apple": apple, "banana": banana}


def upload(client, text: str):
    file = SimpleUploadedFile("prices.csv", text.encode("utf-8"), content_type="text/csv")
    return client.post(IMPORT_URL, {"file": file})


def export(client, url: str = EXPORT_URL, data=None) -> str:
    response = client.post(url, data) if data else client.get(url)
    assert response.status_code == 200 and response.streaming
    return b"".join(response.streaming_content).decode("utf-8-sig")


def snapshot():
    rows = StoreProduct.objects.order_by("store__code", "product__product_id")
    return (
        list(
            rows.values_list(
                "store__code", "product__product_id", "price", "stock", "reorder_level", "is_listed"
            )
        ),
        list(Product.objects.order_by("pk").values_list("product_id", "price", "stock")),
        StockMovement.objects.count(),
    )


def test_export_then_import_changes_nothing(chain, chain_manager_client):
    text = export(chain_manager_client)
    rows = list(csv.DictReader(io.StringIO(text)))
    keys = [(r["store"], r["product_id"]) for r in rows]
    assert keys == sorted(keys) and len(keys) == 3  # city's apple, home's apple and banana
    city = next(r for r in rows if r["store"] == "city")
    assert city == {
        "store": "city",
        "product_id": "12345",
        "price": "2.49",
        "stock": "7",
        "reorder_level": "3",
        "listed": "yes",
    }
    home_apple = next(r for r in rows if r["store"] != "city" and r["product_id"] == "12345")
    assert home_apple["price"] == "" and home_apple["reorder_level"] == ""  # the catalogue's
    before = snapshot()
    response = upload(chain_manager_client, text)
    assert response.status_code == 302, response.content
    assert snapshot() == before


def test_the_action_exports_the_selected_stores_only(chain, chain_manager_client):
    text = export(
        chain_manager_client,
        "/admin/catalog/store/",
        {"action": "export_prices_csv", "_selected_action": [chain["city"].pk]},
    )
    assert [r["store"] for r in csv.DictReader(io.StringIO(text))] == ["city"]


def test_one_store_changes_and_the_other_is_untouched(
    chain, chain_manager_client, chain_manager, django_capture_on_commit_callbacks
):
    home = chain["home"].code
    before_home = list(StoreProduct.objects.filter(store=chain["home"]).values())
    assert get_product_payload("12345", store="city")["price"] == 2.49  # cached now
    text = HEADER + "city,12345,2.29,10,,no\ncity,23456,,4.000,5,yes\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(chain_manager_client, text)
    assert response.status_code == 302

    apple = StoreProduct.objects.get(store=chain["city"], product=chain["apple"])
    assert (apple.price, apple.stock, apple.reorder_level, apple.is_listed) == (
        Decimal("2.29"),
        Decimal(10),
        None,
        False,
    )
    banana = StoreProduct.objects.get(store=chain["city"], product=chain["banana"])  # listed now
    assert (banana.price, banana.stock, banana.reorder_level, banana.is_listed) == (
        None,
        Decimal(4),
        Decimal(5),
        True,
    )
    assert list(StoreProduct.objects.filter(store=chain["home"]).values()) == before_home
    moves = StockMovement.objects.filter(store=chain["city"], reason="import")
    assert {(m.product.product_id, m.delta, m.user, m.note) for m in moves} == {
        ("12345", Decimal(3), chain_manager, "CSV import: prices.csv"),
        ("23456", Decimal(4), chain_manager, "CSV import: prices.csv"),
    }
    assert Product.objects.get(product_id="12345").stock == 120 + 10  # the chain's total
    assert get_product_payload("12345", store=home)["price"] == 1.99
    with pytest.raises(ProductNotFound):  # unlisted in the city: its cached entry is gone
        get_product_payload("12345", store="city")
    assert get_product_payload("23456", store="city")["price"] == float(chain["banana"].price)


def test_the_lookup_shows_the_imported_price(
    chain, chain_manager_client, django_capture_on_commit_callbacks, api_client
):
    assert api_client.get("/api/products/12345?store=city").json()["price"] == 2.49  # cached
    with django_capture_on_commit_callbacks(execute=True):
        upload(chain_manager_client, HEADER + "city,12345,1.79,7,3,yes\n")
    assert StockMovement.objects.filter(reason="import").count() == 0  # stock unchanged
    assert api_client.get("/api/products/12345?store=city").json()["price"] == 1.79


def test_one_bad_line_among_good_ones_changes_nothing_and_each_is_named(
    chain, chain_manager_client
):
    Store.objects.create(code="old", name="Closed", is_active=False)
    for pid in ("P5", "P6", "P7", "P10", "P11", "P12"):
        make_product(product_id=pid)
    home = chain["home"].code
    before = snapshot()
    text = HEADER + (
        "city,12345,2.19,8,,yes\n"  # 2: good
        "nowhere,12345,1,1,,\n"  # 3
        "city,99999,1,1,,\n"  # 4
        "city,P5,-1,1,,\n"  # 5
        "city,P6,1,1.2345,,\n"  # 6
        f"{home},P7,1.234,,,\n"  # 7
        "city,12345,2.19,8,,yes\n"  # 8: the same as line 2
        "old,12345,1,1,,\n"  # 9
        f"{home},P10,abc,,,maybe\n"  # 10
        f"{home},P11,,1.5,,\n"  # 11: sold each
        f"{home},P12,,-3,,\n"  # 12: a count is never negative
        f"{home},23456,,51,,\n"  # 13: good
    )
    response = upload(chain_manager_client, text)
    assert response.status_code == 200
    assert snapshot() == before
    page = response.content.decode()
    assert "Nothing was imported" in page
    errors = {(e["line"], e["message"]) for e in response.context["errors"]}
    assert errors == {
        (3, "store: no store with the code 'nowhere'"),
        (4, "product_id: no product '99999' in the catalogue"),
        (5, "price: must not be negative"),
        (6, "stock: at most 3 decimal places"),
        (7, "price: at most 2 decimal places"),
        (8, "store city and product_id 12345 are also on line 2"),
        (9, "store: old is closed (inactive); open it before importing"),
        (10, "price: 'abc' is not a number"),
        (10, "listed: 'maybe' is not yes or no"),
        (11, "stock: whole units for a product sold each"),
        (12, "stock: a counted figure is never below zero"),
    }
    assert "<td>9</td>" in page


def test_a_negative_stock_sent_back_unchanged_is_accepted(chain, chain_manager_client):
    set_stock(product=chain["apple"], stock=Decimal(-2), store=chain["city"])
    before = snapshot()
    text = export(chain_manager_client)
    assert "city,12345,2.49,-2,3,yes" in text
    assert upload(chain_manager_client, text).status_code == 302
    assert snapshot() == before


def test_formula_cells_survive_the_round_trip(
    chain, chain_manager_client, django_capture_on_commit_callbacks
):
    odd = make_product(product_id="=1+1", price=Decimal("3.00"))
    list_in(chain["city"], odd, stock=2)
    text = export(chain_manager_client)
    assert "'=1+1" in text and "\n=1+1" not in text  # a spreadsheet shows text, runs nothing
    before = snapshot()
    assert upload(chain_manager_client, text).status_code == 302
    assert snapshot() == before
    with django_capture_on_commit_callbacks(execute=True):
        upload(chain_manager_client, HEADER + "city,'=1+1,3.50,2,,yes\n")
    assert StoreProduct.objects.get(store=chain["city"], product=odd).price == Decimal("3.50")


def test_staff_without_the_permission_get_403(chain, shop_staff_client):
    assert shop_staff_client.get(IMPORT_URL).status_code == 403
    assert upload(shop_staff_client, HEADER + "city,12345,0.01,,,\n").status_code == 403
    assert shop_staff_client.get(EXPORT_URL).status_code == 403
    assert StoreProduct.objects.get(store=chain["city"], product=chain["apple"]).price == Decimal(
        "2.49"
    )


def test_a_bad_header_is_refused(chain, chain_manager_client):
    response = upload(chain_manager_client, "store,sku,price\ncity,12345,1\n")
    assert response.status_code == 200
    assert [e["line"] for e in response.context["errors"]] == [1]
    assert "unknown column(s) sku" in response.context["errors"][0]["message"]
