"""The dashboard of a chain: a chooser picks one store's figures or the whole chain (the default),
which adds the stores up and lists each; a shop with one store sees the page it always saw."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import StockCountRequest, Store, StoreProduct, get_home_store
from checkout.models import ExitAudit, Order, OrderLine
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def sale(store, product, total: str, *, status="succeeded", audit=None):
    order = Order.objects.create(
        transaction_id=f"t{Order.objects.count()}",
        store=store,
        status=status,
        payment_method="card",
        gateway="simulated",
        currency="EUR",
        subtotal=Decimal(total),
        discount_total=Decimal(0),
        total=Decimal(total),
    )
    OrderLine.objects.create(
        transaction=order,
        product=product,
        product_code=product.product_id,
        name=product.name,
        unit=product.unit,
        quantity=Decimal(1),
        unit_price=Decimal(total),
        discount=Decimal(0),
        line_total=Decimal(total),
    )
    if audit:
        ExitAudit.objects.create(transaction=order, outcome=audit, amount=Decimal("1.00"))
    return order


@pytest.fixture
def chain():
    """Home sold gouda for 10 + 20 (one audited, charged) and has 1 pending; store B sold bread
    for 5 and has 1 failed. Gouda is out in B, bread low at home; B has a count request."""
    home = get_home_store()
    b = Store.objects.create(code="B", name="Altstadt")
    gouda = make_product(product_id="G1", name="Gouda", stock=Decimal(40))
    bread = make_product(product_id="S1", name="Sourdough", stock=Decimal(3))  # low at home
    StoreProduct.objects.create(store=b, product=gouda, stock=0)
    StoreProduct.objects.create(store=b, product=bread, stock=50)
    sale(home, gouda, "10.00", audit=ExitAudit.Outcome.CHARGED)
    sale(home, gouda, "20.00")
    sale(home, bread, "7.00", status="pending")
    sale(b, bread, "5.00")
    sale(b, bread, "8.00", status="failed")
    StockCountRequest.objects.create(
        store=b, product=bread, reference="t-short", stock_before=1, sold=2
    )
    return {"home": home, "B": b}


def panel(html: str, anchor: str) -> str:
    return html.split(anchor, 1)[1].split("</section>", 1)[0]


def test_the_chain_view_adds_the_stores_up_and_lists_each(chain, chain_manager_client):
    html = chain_manager_client.get("/admin/").content.decode()
    assert 'id="store-chooser"' in html and "Whole chain (2 stores)" in html
    assert "€35.00" in html and "3 sales · average basket €11.67" in html  # 10 + 20 + 5
    assert "1 pending" in html and "1 failed" in html
    stores = panel(html, 'id="per-store"')
    home = chain["home"]
    assert f"{home.code} · {home.name}</a>" in stores and "B · Altstadt</a>" in stores
    rows = stores.split("<tr>")[2:]  # after the head
    home_row = next(row for row in rows if home.name in row)
    assert "€30.00" in home_row and '<span class="pill warn">1</span>' in home_row  # bread low
    b_row = next(row for row in rows if "Altstadt" in row)
    assert "€5.00" in b_row and '<span class="pill bad">1</span>' in b_row  # gouda out in B
    stock = panel(html, "<h2>Stock to reorder</h2>")
    assert "1 out of stock" in stock and "1 low" in stock  # B's gouda, home's bread
    assert "<th>Store</th>" in stock
    assert "Exit audits, whole chain" in html and "1 audit" in panel(html, 'id="exit-audits"')
    assert "S1 Sourdough" in panel(html, 'id="count-requests"')


def test_one_store_shows_only_its_figures(chain, chain_manager_client):
    html = chain_manager_client.get("/admin/?store=B").content.decode()
    assert '<option value="B" selected>' in html and 'id="per-store"' not in html
    sales = panel(html, "<h2>Sales (net of refunds)</h2>")
    assert "€5.00" in sales and "1 sale · average basket €5.00" in sales and "€30.00" not in sales
    top = panel(html, "<h2>Top products (30 days)</h2>")
    assert "S1 Sourdough" in top and "Gouda" not in top
    assert "0 pending" in html and "1 failed" in html
    stock = panel(html, "<h2>Stock to reorder</h2>")
    assert "1 out of stock" in stock and "0 low" in stock and "G1 Gouda" in stock
    assert "Exit audits, store B" in html and "0 audits" in panel(html, 'id="exit-audits"')
    counts = panel(html, 'id="count-requests"')
    assert "1 to count" in counts and "S1 Sourdough" in counts
    assert "?store=B" in panel(html, 'id="vat"')  # the CSV of this store

    home = chain_manager_client.get(f"/admin/?store={chain['home'].code}").content.decode()
    assert "2 sales · average basket €15.00" in home and "1 audit" in home
    assert "Nothing to count" in home and "S1 Sourdough" in panel(home, "Stock to reorder")


def test_the_vat_export_of_one_store(chain, chain_manager_client):
    from checkout.models import OrderTax

    for order in Order.objects.filter(status="succeeded"):
        OrderTax.objects.create(
            transaction=order, rate=Decimal(7), net=order.total, tax=0, gross=order.total
        )
    csv = chain_manager_client.get("/admin/reports/vat.csv?store=B").content.decode()
    assert ",5.00" in csv and ",30.00" not in csv
    unknown = chain_manager_client.get("/admin/reports/vat.csv?store=nowhere")
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_store"


def test_a_shop_with_one_store_sees_no_chooser(manager_client, django_assert_max_num_queries):
    gouda = make_product(product_id="G1", name="Gouda", stock=Decimal(0))
    sale(get_home_store(), gouda, "10.00")
    # The stores and is_chain added, one stock count saved, and whether the user may change
    # what every store shares (the price lists in the admin menu), asked once a request.
    with django_assert_max_num_queries(49):
        html = manager_client.get("/admin/").content.decode()
    assert "store-chooser" not in html and 'id="per-store"' not in html
    assert "€10.00" in html and "1 out of stock" in html and "<th>Store</th>" not in html
    assert f"Exit audits, store {get_home_store().code} (7 days)" in html


def test_the_chain_view_takes_as_many_queries_for_five_stores_as_for_two(
    chain, chain_manager_client
):
    with CaptureQueriesContext(connection) as two:
        assert chain_manager_client.get("/admin/").status_code == 200
    for n in range(3):
        store = Store.objects.create(code=f"X{n}", name=f"Extra {n}")
        sale(store, make_product(), "1.00")
    with CaptureQueriesContext(connection) as five:
        html = chain_manager_client.get("/admin/").content.decode()
    assert "Whole chain (5 stores)" in html and len(five) == len(two)


def test_closed_stores_sales_still_count_in_the_table(chain, chain_manager_client):
    Store.objects.filter(code="B").update(is_active=False)
    Store.objects.create(code="C", name="Hafen")
    html = chain_manager_client.get("/admin/").content.decode()
    assert "B · Altstadt</a> (closed)" in panel(html, 'id="per-store"')


def test_a_manager_of_some_stores_never_sees_the_chains_sums(chain, manager, manager_client):
    third = Store.objects.create(code="C", name="Bahnhof")
    manager.stores.add(chain["B"], third)  # not the home store, where 30.00 was sold
    html = manager_client.get("/admin/").content.decode()
    assert "Whole chain" not in html and 'id="per-store"' not in html
    assert '<option value="B" selected>' in html  # their first store, by code
    sales = panel(html, "<h2>Sales (net of refunds)</h2>")
    assert "€5.00" in sales and "€30.00" not in sales and "€35.00" not in sales
    # Asking for a store that is not theirs shows theirs, not the other's.
    other = manager_client.get(f"/admin/?store={chain['home'].code}").content.decode()
    assert "€30.00" not in panel(other, "<h2>Sales (net of refunds)</h2>")
    assert (
        manager_client.get(f"/admin/reports/vat.csv?store={chain['home'].code}").status_code == 404
    )
    assert 'filename="vat-B-' in manager_client.get("/admin/reports/vat.csv")["Content-Disposition"]


def test_staff_of_no_store_in_a_chain_see_no_figures(chain, manager_client):
    html = manager_client.get("/admin/").content.decode()
    assert "You do not work for any store yet" in html
    assert "Sales (net of refunds)" not in html and "€30.00" not in html
    assert manager_client.get("/admin/reports/vat.csv").status_code == 403
