"""The admin index shows the manager dashboard with the shop's figures."""

from decimal import Decimal

import pytest

from tests.factories import make_product

pytestmark = pytest.mark.django_db


def test_dashboard_lists_stock_to_reorder(manager_client, shop_staff_client):
    make_product(product_id="D1", name="Oat Milk", stock=Decimal(0), reorder_level=Decimal(4))
    make_product(product_id="D2", name="Eggs", stock=Decimal(3), reorder_level=Decimal(6))
    make_product(product_id="D3", name="Rice", stock=Decimal(60), reorder_level=Decimal(6))
    for client in (manager_client, shop_staff_client):
        page = client.get("/admin/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "Stock to reorder" in html
        assert "1 out of stock" in html and "1 low" in html
        assert "D1 Oat Milk" in html and "D2 Eggs" in html and "Rice" not in html


def _sale(
    product,
    *,
    days_ago: int,
    total: str,
    status: str = "succeeded",
    refunded="0",
    discounts=(),
    quantity="1",
):
    from datetime import timedelta

    from django.utils import timezone

    from checkout.models import Order, OrderLine

    order = Order.objects.create(
        transaction_id=f"t{Order.objects.count()}",
        status=status,
        payment_method="card",
        gateway="simulated",
        currency="EUR",
        subtotal=Decimal(total),
        discount_total=Decimal(0),
        total=Decimal(total),
        refunded_amount=Decimal(refunded),
    )
    # created_at is auto_now_add: move it afterwards to the day the sale happened
    noon = timezone.localtime().replace(hour=12, minute=0) - timedelta(days=days_ago)
    Order.objects.filter(pk=order.pk).update(created_at=noon)
    OrderLine.objects.create(
        transaction=order,
        product=product,
        product_code=product.product_id,
        name=product.name,
        unit=product.unit,
        quantity=Decimal(quantity),
        unit_price=product.price,
        discount=Decimal(0),
        line_total=Decimal(total),
        discounts=list(discounts),
    )
    return order


def test_dashboard_shows_sales_top_products_payments_and_uptake(manager_client):
    from tests.factories import make_promotion

    promo = make_promotion(code="dairy10", name="10% off dairy")
    cheese = make_product(product_id="C1", name="Gouda", price=Decimal("12.00"))
    bread = make_product(product_id="B1", name="Sourdough", price=Decimal("3.00"))
    used = [{"promotion_id": "dairy10", "amount": "1.20", "reason": "10% off"}]
    _sale(cheese, days_ago=0, total="12.00", discounts=used)
    _sale(bread, days_ago=0, total="3.00")
    _sale(
        cheese,
        days_ago=3,
        total="24.00",
        quantity="2",
        refunded="12.00",
        discounts=used,
        status="partially_refunded",
    )
    _sale(bread, days_ago=20, total="1000.00", quantity="300")
    _sale(bread, days_ago=40, total="99.00")  # outside every window
    _sale(bread, days_ago=0, total="7.00", status="pending")
    _sale(bread, days_ago=1, total="8.00", status="failed")
    _sale(bread, days_ago=1, total="9.00", status="refunded", refunded="9.00")

    html = manager_client.get("/admin/").content.decode()
    # today 12 + 3; 7 days adds 24 - 12 refunded; 30 days adds 1,000
    assert "€15.00" in html and "2 sales · average basket €7.50" in html
    assert "€27.00" in html and "3 sales · average basket €9.00" in html
    assert "€1,027.00" in html and "4 sales" in html
    assert html.count("<rect ") == 30 and "sales-chart" in html  # one bar per day
    assert html.index("B1 Sourdough") < html.index("C1 Gouda")  # 1,003 beats 36 in revenue
    assert "1 pending" in html and "1 failed" in html and "1 refunded" in html
    assert "10% off dairy" in html and "2 (50 %)" in html and "€2.40" in html
    assert promo.name in html


def test_a_short_sale_asks_staff_to_count_and_the_count_closes_it(shop_staff_client, settings):
    from catalog.models import StockCountRequest
    from catalog.services import StockLine, take_stock

    settings.STOCK_POLICY = "record"
    cheese = make_product(product_id="C9", name="Gouda", stock=Decimal(1))
    take_stock([StockLine(cheese.pk, Decimal(3))], reference="tx-short")

    html = shop_staff_client.get("/admin/").content.decode()
    assert "Products to count" in html and "1 to count" in html and "C9 Gouda" in html
    count_url = f"/admin/catalog/product/{cheese.pk}/stock/"
    assert count_url in html
    listing = shop_staff_client.get("/admin/catalog/stockcountrequest/?state=open")
    assert listing.status_code == 200 and "tx-short" in listing.content.decode()

    counted = shop_staff_client.post(count_url, {"stock": "4", "reason": "count", "note": ""})
    assert counted.status_code == 302
    request = StockCountRequest.objects.get()
    assert request.counted_stock == Decimal(4) and request.closed_by.username == "sam"
    assert "Nothing to count" in shop_staff_client.get("/admin/").content.decode()
