"""Labels and posters printed for a store of the chain: the store's price, its name in small print
and `?store=` in the QR; the entrance poster's QR opens /s/{code}. A shop with one store prints
what it always did. PDFs are read back with PDFium and zxing (no system programs)."""

import io
from decimal import Decimal

import pypdfium2
import pytest
import zxingcpp
from PIL import Image

from catalog.labels import render_labels_for
from catalog.models import Product, Store, StoreProduct, get_home_store
from tests.factories import make_product, make_promotion
from tests.fixtures.pdf import decode_page, page_count

pytestmark = pytest.mark.django_db

PRODUCTS = "/admin/catalog/product/"


def pdf_text(pdf: bytes, page: int = 1) -> str:
    return pypdfium2.PdfDocument(pdf)[page - 1].get_textpage().get_text_range()


@pytest.fixture
def chain(shop_staff):
    """Home sells both at the catalogue's prices; store B ("Altstadt") sells the cheese at its
    own 4.49 and does not list the bread. The clerk works in both."""
    cheese = make_product(product_id="C1", name="Gouda", price=Decimal("3.99"))
    bread = make_product(product_id="B1", name="Sourdough", price=Decimal("2.50"))
    b = Store.objects.create(code="B", name="Altstadt", address="2 Market Sq")
    StoreProduct.objects.create(store=b, product=cheese, price=Decimal("4.49"), stock=5)
    StoreProduct.objects.create(store=b, product=bread, stock=9, is_listed=False)
    home = get_home_store()
    shop_staff.stores.add(home, b)
    return {"home": home, "B": b, "cheese": cheese, "bread": bread}


def print_action(client, products, **extra):
    return client.post(
        PRODUCTS,
        {"action": "print_shelf_labels", "_selected_action": [p.pk for p in products], **extra},
    )


def test_in_a_chain_the_action_asks_for_the_store_first(chain, shop_staff_client):
    page = print_action(shop_staff_client, [chain["cheese"], chain["bread"]])
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert "Print shelf labels for which store?" in html
    assert 'value="B"' in html and f'value="{chain["home"].code}"' in html
    assert html.count('name="_selected_action"') == 2


def test_a_label_for_store_b_shows_its_price_name_and_qr(chain, shop_staff_client):
    response = print_action(shop_staff_client, [chain["cheese"], chain["bread"]], store="B")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert page_count(pdf) == 1
    assert decode_page(pdf, 1) == ["https://shop.example/p/C1?store=B"]  # the bread is skipped
    text = pdf_text(pdf)
    assert "€4.49" in text and "€4.49 per item" in text and "€3.99" not in text
    assert "Altstadt" in text and "Sourdough" not in text
    # The manager reads what was left out on the next admin page.
    listing = shop_staff_client.get(PRODUCTS).content.decode()
    assert "No label for 1 product(s) not listed in store B Altstadt: B1 Sourdough." in listing


def test_the_home_store_label_in_a_chain_names_the_home_store(chain, shop_staff_client):
    home = chain["home"]
    response = print_action(shop_staff_client, [chain["bread"]], store=home.code)
    assert decode_page(response.content, 1) == [f"https://shop.example/p/B1?store={home.code}"]
    assert "€2.50" in pdf_text(response.content) and home.name in pdf_text(response.content)


def test_nothing_listed_prints_nothing_and_says_so(chain, shop_staff_client):
    response = print_action(shop_staff_client, [chain["bread"]], store="B")
    assert response.status_code == 302  # back to the list, no PDF
    listing = shop_staff_client.get(PRODUCTS).content.decode()
    assert "not listed in store B Altstadt: B1 Sourdough" in listing


def test_a_store_the_user_may_not_print_for_is_asked_again(chain, shop_staff, shop_staff_client):
    Store.objects.filter(code="B").update(is_active=False)
    shop_staff.stores.add(Store.objects.create(code="C", name="Hafen"))
    response = print_action(shop_staff_client, [chain["cheese"]], store="B")  # closed now
    assert response["Content-Type"].startswith("text/html")
    assert "Select a valid choice" in response.content.decode()


def test_the_product_page_link_asks_then_prints_for_the_store(chain, shop_staff_client):
    url = f"{PRODUCTS}{chain['cheese'].pk}/label/"
    asked = shop_staff_client.get(url)
    assert asked["Content-Type"].startswith("text/html") and 'method="get"' in asked.text
    printed = shop_staff_client.get(url, {"store": "B"})
    assert decode_page(printed.content, 1) == ["https://shop.example/p/C1?store=B"]
    unlisted = shop_staff_client.get(f"{PRODUCTS}{chain['bread'].pk}/label/", {"store": "B"})
    assert unlisted.status_code == 302
    assert unlisted["Location"] == f"{PRODUCTS}{chain['bread'].pk}/change/"


def test_with_one_store_the_label_is_unchanged(shop_staff_client):
    cheese = make_product(product_id="C1", name="Gouda", price=Decimal("3.99"))
    response = print_action(shop_staff_client, [cheese])  # nobody is asked
    assert response["Content-Type"] == "application/pdf"
    assert decode_page(response.content, 1) == ["https://shop.example/p/C1"]
    text = pdf_text(response.content)
    assert "€3.99" in text and get_home_store().name not in text


def test_with_one_open_store_of_two_the_qr_names_no_store(chain, shop_staff_client):
    Store.objects.filter(code="B").update(is_active=False)
    response = print_action(shop_staff_client, [chain["cheese"]])
    assert decode_page(response.content, 1) == ["https://shop.example/p/C1"]


def test_a_sheet_of_many_labels_takes_a_fixed_number_of_queries(
    chain, django_assert_max_num_queries
):
    products = [make_product() for _ in range(30)]
    StoreProduct.objects.bulk_create(StoreProduct(store=chain["B"], product=p) for p in products)
    with django_assert_max_num_queries(2):  # the chain check, the products with their rows
        sheet = render_labels_for(Product.objects.all(), store=chain["B"])
    assert page_count(sheet.pdf) == 2 and [p.product_id for p in sheet.skipped] == ["B1"]


def test_the_label_qr_api_names_the_store(chain, client):
    png = client.get("/p/C1/qr.png?store=B")
    assert png.status_code == 200
    image = Image.open(io.BytesIO(png.content)).convert("RGB")
    assert [r.text for r in zxingcpp.read_barcodes(image)] == ["https://shop.example/p/C1?store=B"]
    unknown = client.get("/p/C1/qr.svg?store=nowhere")
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_store"


def test_entrance_posters_decode_to_each_store_entrance(chain, chain_manager_client):
    manager = chain_manager_client
    Store.objects.filter(code="B").update(opening_hours="Mon-Sat 8:00-20:00")
    stores = [chain["home"], chain["B"]]
    response = manager.post(
        "/admin/catalog/store/",
        {"action": "print_entrance_posters", "_selected_action": [s.pk for s in stores]},
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert page_count(pdf) == 2
    home, b = sorted(stores, key=lambda s: s.code)
    assert decode_page(pdf, 1, dpi=100) == [f"https://shop.example/s/{home.code}"]
    assert decode_page(pdf, 2, dpi=100) == ["https://shop.example/s/B"]
    text = pdf_text(pdf, 2 if b.code == "B" else 1)
    assert "Altstadt" in text and "2 Market Sq" in text and "Mon-Sat 8:00-20:00" in text


def test_a_promotion_poster_is_printed_for_a_store(chain, chain_manager_client):
    manager = chain_manager_client
    promo = make_promotion(code="dairy10", name="10% off dairy")
    selected = {"action": "print_posters", "_selected_action": [promo.pk]}
    asked = manager.post("/admin/promotions/promotion/", selected)
    assert "Print promotion posters for which store?" in asked.content.decode()
    printed = manager.post("/admin/promotions/promotion/", {**selected, "store": "B"})
    assert decode_page(printed.content, 1, dpi=150) == [
        "https://shop.example/promo/dairy10?store=B"
    ]
    assert "Altstadt" in pdf_text(printed.content)


def test_the_entrance_poster_prints_in_german():
    from catalog.posters import render_entrance_posters

    pdf = render_entrance_posters([get_home_store()], language="de")
    assert "Scannen und in diesem Markt mit dem Handy einkaufen" in pdf_text(pdf)
