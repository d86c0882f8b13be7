"""Catalog CSV: streamed export, all-or-nothing import with errors by line number."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import CatalogImport, Product, StockCountRequest, StockMovement
from catalog.selectors import get_product_payload
from tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db


def upload(client, text: str, name: str = "products.csv"):
    return client.post(
        "/admin/catalog/product/import/",
        {"file": SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")},
    )


def test_export_streams_every_product(manager_client):
    make_category("Bakery")
    for i in range(3):
        make_product(product_id=f"E{i}", name=f"Loaf {i}", price=Decimal("2.50"))
    response = manager_client.get("/admin/catalog/product/export/")
    assert response.status_code == 200 and response.streaming
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    assert [r["product_id"] for r in rows] == ["E0", "E1", "E2"]
    assert rows[0]["price"] == "2.50" and rows[0]["stock"] == "100" and rows[0]["active"] == "yes"


def test_valid_import_creates_and_updates_through_the_stock_service(
    manager_client, manager, django_capture_on_commit_callbacks
):
    dairy = make_category("Dairy")
    milk = make_product(product_id="M1", name="Milk", price=Decimal("0.99"), stock=Decimal(10))
    yoghurt = make_product(product_id="Y1", name="Yoghurt", gtin="04006381333931", stock=Decimal(4))
    get_product_payload("M1")  # cached now: the import must forget it
    text = (
        "product_id;gtin;name;category;price;unit;stock;active\n"
        "M1;;;;1,09;;12;\n"  # decimal comma, semicolons (Excel)
        ";4006381333931;Greek Yoghurt;;;;4;\n"  # found by GTIN, stock unchanged
        "N1;;Cheddar;dairy;3.49;100g;7.5;yes\n"  # new, by category slug
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(manager_client, text)
    assert response.status_code == 302
    record = CatalogImport.objects.get()
    assert record.status == "done", record.errors
    assert (record.rows, record.created, record.updated, record.unchanged) == (3, 1, 2, 0)
    assert record.user == manager and record.source == ""

    milk.refresh_from_db()
    yoghurt.refresh_from_db()
    cheddar = Product.objects.get(product_id="N1")
    assert (milk.price, milk.stock, milk.name) == (Decimal("1.09"), Decimal(12), "Milk")
    assert (yoghurt.name, yoghurt.stock) == ("Greek Yoghurt", Decimal(4))
    assert (cheddar.category, cheddar.unit, cheddar.stock) == (dairy, "100g", Decimal("7.5"))
    moves = {m.product.product_id: m for m in StockMovement.objects.select_related("product")}
    assert set(moves) == {"M1", "N1"}
    assert (moves["M1"].delta, moves["M1"].reason, moves["M1"].user) == (2, "import", manager)
    assert get_product_payload("M1")["price"] == 1.09  # the cache was forgotten on commit

    status = manager_client.get(f"/admin/catalog/catalogimport/{record.pk}/change/")
    assert b"1 new, 2 updated, 0 unchanged" in status.content


def test_an_imported_stock_figure_is_a_count_and_answers_the_count_request(manager_client, manager):
    """set_stock_levels, the import's way to stock, closes count requests as set_stock does,
    whether the counted figure changes the stock or confirms it."""
    changed = make_product(product_id="C1", stock=Decimal(0))
    confirmed = make_product(product_id="C2", stock=Decimal(5))
    untouched = make_product(product_id="C3", stock=Decimal(0))
    for product in (changed, confirmed, untouched):
        StockCountRequest.objects.create(
            product=product, reference="T-1", stock_before=Decimal(0), sold=Decimal(2)
        )
    response = upload(manager_client, "product_id,stock,name\nC1,8,\nC2,5,\nC3,,Renamed\n")
    assert response.status_code == 302
    assert CatalogImport.objects.get().status == "done"
    requests = {
        r.product.product_id: r for r in StockCountRequest.objects.select_related("product")
    }
    assert (requests["C1"].counted_stock, requests["C1"].closed_by) == (Decimal(8), manager)
    assert requests["C1"].closed_at is not None
    assert (requests["C2"].counted_stock, requests["C2"].closed_by) == (Decimal(5), manager)
    assert requests["C3"].is_open  # no figure in the file: nobody counted it


def test_an_invalid_line_rejects_the_whole_file(manager_client):
    make_category("Bakery")
    bread = make_product(product_id="B1", name="Bread", price=Decimal("2.00"))
    text = (
        "product_id,name,category,price,stock\n"
        "B1,Bread,bakery,2.20,50\n"
        "B2,Rolls,bakery,abc,10\n"
        "B3,Bagels,Bakkery,1.50,3\n"
        "B1,Bread again,bakery,2.30,\n"
        "B4,Buns,bakery,0.80,2.5\n"
    )
    upload(manager_client, text)
    record = CatalogImport.objects.get()
    assert (record.status, record.rows) == ("failed", 5)
    assert [(e["line"], e["message"]) for e in record.errors] == [
        (3, "price: 'abc' is not a number"),
        (4, "category: no category 'Bakkery' (add it under Categories first)"),
        (5, "product_id B1 is also on line 2"),
        (6, "stock: whole units for a product sold each"),
    ]
    bread.refresh_from_db()
    assert bread.price == Decimal("2.00") and bread.stock == 100  # line 2 was valid: not applied
    assert Product.objects.count() == 1 and not StockMovement.objects.exists()
    page = manager_client.get(f"/admin/catalog/catalogimport/{record.pk}/change/")
    assert b"Nothing was imported: 4 problems found" in page.content


def test_bad_header_and_empty_files_are_explained(manager_client):
    upload(manager_client, "sku,title\nA,B\n")
    upload(manager_client, "product_id,price\n\n")
    first, second = CatalogImport.objects.order_by("pk")
    assert (
        first.errors[0]["line"] == 1
        and "unknown column(s) sku, title" in first.errors[0]["message"]
    )
    assert second.errors == [{"line": 2, "message": "The file has a header but no products."}]
    empty = upload(manager_client, "")
    assert b"The submitted file is empty" in empty.content
    assert CatalogImport.objects.count() == 2


def test_ten_thousand_rows_import_in_one_go(manager_client, settings):
    settings.CATALOG_IMPORT_INLINE_ROWS = (
        20_000  # run in the request; the worker test covers Celery
    )
    make_category("Pantry")
    # half the rows update existing products, half create new ones
    Product.objects.bulk_create(
        Product(
            product_id=f"P{i:05d}",
            name=f"Old {i}",
            category=make_category("Pantry"),
            price=Decimal("1.00"),
            stock=Decimal(5),
        )
        for i in range(0, 10_000, 2)
    )
    lines = ["product_id,name,category,price,stock,reorder_level"]
    lines += [f"P{i:05d},Item {i},Pantry,{1 + i % 50}.25,{i % 40},5" for i in range(10_000)]
    upload(manager_client, "\n".join(lines) + "\n")
    record = CatalogImport.objects.get()
    assert record.status == "done", record.errors[:3]
    assert (record.rows, record.created, record.updated) == (10_000, 5_000, 5_000)
    assert Product.objects.count() == 10_000
    assert Product.objects.get(product_id="P09999").price == Decimal("50.25")
    # stock moved for every new product with stock and every old one whose figure changed
    assert StockMovement.objects.filter(reason="import").count() == sum(
        1 for i in range(10_000) if (i % 40 != 0 if i % 2 else i % 40 != 5)
    )


def test_export_compares_prices_per_kg_and_imports_back_unchanged(
    manager_client, django_capture_on_commit_callbacks
):
    make_product(product_id="C1", unit="100g", price=Decimal("1.99"), stock=Decimal("2.5"))
    make_product(product_id="K1", unit="kg", price=Decimal("2.49"))
    make_product(product_id="E1", unit="each", price=Decimal("0.99"))
    response = manager_client.get("/admin/catalog/product/export/")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = {r["product_id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert {pid: r["price_per_kg"] for pid, r in rows.items()} == {
        "C1": "19.90",
        "K1": "2.49",
        "E1": "",
    }
    assert rows["C1"]["stock"] == "2.5"  # kilograms, whatever the price unit
    with django_capture_on_commit_callbacks(execute=True):
        upload(manager_client, text)
    record = CatalogImport.objects.get()
    assert record.status == "done", record.errors
    assert (record.rows, record.unchanged) == (3, 3)


FORMULAS = ["=SUM(A1)", "+31 6 1234", "-2 for 1", "@cmd", "\tTabbed", "'=already quoted", "a=b"]


def test_export_neutralises_formulas_and_the_import_reads_them_back(manager_client):
    for i, name in enumerate(FORMULAS):
        make_product(product_id=f"F{i}", name=name, description="=HYPERLINK(1)")
    response = manager_client.get("/admin/catalog/product/export/")
    exported = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(exported)))
    names = [r["name"] for r in rows]
    assert names == [
        "'=SUM(A1)",
        "'+31 6 1234",
        "'-2 for 1",
        "'@cmd",
        "'\tTabbed",
        "''=already quoted",
        "a=b",  # only a leading character makes a formula
    ]
    assert {r["description"] for r in rows} == {"'=HYPERLINK(1)"}
    assert {r["price"] for r in rows} == {"1.99"}  # numbers are not touched

    Product.objects.update(name="changed", description="changed")
    assert upload(manager_client, exported).status_code == 302
    assert list(Product.objects.order_by("product_id").values_list("name", flat=True)) == FORMULAS
    assert set(Product.objects.values_list("description", flat=True)) == {"=HYPERLINK(1)"}


def test_tax_class_and_deposit_import_and_export(
    manager_client, django_capture_on_commit_callbacks
):
    make_category("Drinks")
    water = make_product(product_id="W1", name="Water")
    text = (
        "product_id;name;category;price;tax_class;deposit;deposit_tax_class\n"
        "W1;;;;standard;0,25;standard\n"
        "B1;Bread;drinks;2.49;reduced;;\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        upload(manager_client, text)
    assert CatalogImport.objects.get().status == "done", CatalogImport.objects.get().errors
    water.refresh_from_db()
    assert (water.tax_class, water.deposit) == ("standard", Decimal("0.25"))
    assert Product.objects.get(product_id="B1").tax_class == "reduced"
    exported = b"".join(manager_client.get("/admin/catalog/product/export/").streaming_content)
    rows = {r["product_id"]: r for r in csv.DictReader(io.StringIO(exported.decode("utf-8-sig")))}
    assert (rows["W1"]["tax_class"], rows["W1"]["deposit"]) == ("standard", "0.25")
    assert rows["B1"]["tax_class"] == "reduced"


def test_a_bad_tax_class_or_a_deposit_on_weighed_goods_is_named(manager_client):
    make_category("Cheese")
    text = (
        "product_id;name;category;price;unit;tax_class;deposit\n"
        "C1;Cheese;cheese;1.99;kg;;0.25\n"
        "C2;Brie;cheese;1.99;each;luxury;\n"
    )
    upload(manager_client, text)
    errors = CatalogImport.objects.get().errors
    assert {"line": 2, "message": "deposit: only items sold each carry a deposit"} in errors
    assert any(e["line"] == 3 and "tax_class: 'luxury'" in e["message"] for e in errors)
    assert not Product.objects.exists()
