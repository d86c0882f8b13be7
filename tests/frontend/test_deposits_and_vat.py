"""A crate of mineral water with its deposit, a deposit-return voucher and a receipt with two VAT
rates, in real Chromium; axe-core checks the changed screens (WCAG 2.1 AA)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from checkout.models import Order, VoucherRedemption
from tests.factories import make_category, make_product, make_voucher_code
from tests.fixtures.browser import ConsoleWatch, axe_violations

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def goods():
    bakery = make_category("Bakery")
    bakery.tax_class = "reduced"
    bakery.save()
    water = make_product(
        product_id="W12",
        name="Mineral water, crate of 12 × 0.7 l",
        price=Decimal("5.99"),
        deposit=Decimal("3.30"),
        category=make_category("Drinks"),
        stock=Decimal(20),
    )
    bread = make_product(
        product_id="B1", name="Rye bread", price=Decimal("2.49"), category=bakery, stock=Decimal(20)
    )
    return water, bread


def add(page, base_url, product):
    page.goto(f"{base_url}/p/{product.product_id}")
    expect(page.locator("#product-name")).to_have_text(product.name)
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#toast")).to_contain_text(f"Added 1 × {product.name}")


def test_a_crate_with_its_deposit_a_voucher_and_a_receipt_with_two_vat_rates(
    live_server, page, goods, shot
):
    water, bread = goods
    console = ConsoleWatch(page)
    voucher = make_voucher_code("1.50")
    add(page, live_server.url, water)
    add(page, live_server.url, bread)

    # the customer scans (here: types) the reverse vending machine's voucher
    page.goto(f"{live_server.url}/scan")
    page.get_by_label("Type the code under the barcode").fill(voucher)
    page.get_by_role("button", name="Find").click()

    # the cart shows the deposit and the voucher as lines of their own
    expect(page).to_have_url(f"{live_server.url}/cart")
    expect(page.locator(".deposit-line")).to_contain_text("Deposit: Mineral water")
    expect(page.locator(".deposit-line")).to_contain_text("€3.30")
    expect(page.locator(".voucher-line")).to_contain_text(f"Deposit voucher {voucher}")
    expect(page.locator(".voucher-line")).to_contain_text("−€1.50")
    expect(page.locator("#cart-total")).to_have_text("€10.28")  # 5.99 + 3.30 + 2.49 − 1.50
    assert axe_violations(page) == []
    shot(page, "cart-deposit-voucher")

    page.get_by_role("link", name="Go to checkout").click()
    expect(page.locator("#pay-total")).to_have_text("€10.28")
    expect(page.locator("#voucher-total")).to_have_text("−€1.50")
    page.get_by_label("Succeeds", exact=True).check()
    page.get_by_role("button", name="Pay €10.28").click()

    # the receipt: deposit and voucher lines, and VAT per rate (19 % and 7 %)
    expect(page.locator("h1")).to_have_text("Paid. Thank you!", timeout=15_000)
    expect(page.locator("#receipt-total")).to_have_text("€10.28")
    table = page.get_by_role("table", name="VAT included")
    expect(table.get_by_role("row")).to_have_count(3)
    expect(table.get_by_role("row").nth(1)).to_contain_text("19 %")
    expect(table.get_by_role("row").nth(2)).to_contain_text("7 %")
    expect(page.locator(".deposit-line")).to_contain_text("€3.30")
    expect(page.locator(".voucher-line")).to_contain_text("−€1.50")
    assert axe_violations(page) == []
    shot(page, "receipt-vat-deposit-voucher")

    order = Order.objects.get()
    assert order.total == Decimal("10.28") and order.status == "succeeded"
    assert sorted(order.taxes.values_list("rate", flat=True)) == [Decimal(7), Decimal(19)]
    assert VoucherRedemption.objects.get().code == voucher
    assert console.errors == []
