"""A German customer (browser language de-DE) buys a crate of mineral water with its deposit and
a loaf on offer, hands in a deposit-return voucher and pays through Stripe (the local fake): every
screen in German, money written the German way, and a receipt with two VAT rates whose figures
are worked out by hand below. axe-core checks each screen (WCAG 2.1 AA)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from checkout.models import Order, VoucherRedemption
from checkout.services.returns import ReturnedLine, return_lines
from tests.factories import make_category, make_product, make_promotion, make_voucher_code
from tests.fixtures.browser import ConsoleWatch, axe_violations
from tests.frontend.test_stripe_checkout import FAKE_STRIPE_JS, STRIPE_JS

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]

WATER = "Mineralwasser Naturell, Mehrwegkasten 12 × 0,7 l Glasflaschen"
BREAD = "Roggenmischbrot aus dem Steinofen 750 g"
EUR = "\xa0€"  # Intl writes "10,03 €" with a no-break space

# By hand, in cents. Water 599 (19 %) and its deposit 330 (19 %); bread 249 (7 %) less 10 %
# (24.9, rounded half up: 25) = 224. The voucher's 150 is spread over 599, 330 and 224 (1153)
# in proportion, largest remainder first: 77.93 / 42.93 / 29.14 -> 77, 42, 29 and the two cents
# left go to the deposit (.931) and the water (.927): 78, 43, 29.
#   19 %: 599 - 78 + 330 - 43 = 808; VAT 808 × 19/119 = 129.01 -> 129; net 679
#    7 %: 224 - 29 = 195; VAT 195 × 7/107 = 12.76 -> 13; net 182
#   total 599 + 330 + 249 - 25 - 150 = 1003 = 808 + 195
TOTAL = f"10,03{EUR}"
VAT_ROWS = [
    ["19 %", f"6,79{EUR}", f"1,29{EUR}", f"8,08{EUR}"],
    ["7 %", f"1,82{EUR}", f"0,13{EUR}", f"1,95{EUR}"],
]


@pytest.fixture
def goods():
    bakery = make_category("Backwaren")
    bakery.tax_class = "reduced"
    bakery.save()
    water = make_product(
        product_id="W12",
        name=WATER,
        description="Natürliches Mineralwasser ohne Kohlensäure aus der Region.",
        price=Decimal("5.99"),
        deposit=Decimal("3.30"),
        category=make_category("Getränke"),
        stock=Decimal(20),
    )
    bread = make_product(
        product_id="B1",
        name=BREAD,
        description="Kräftiges Brot mit 70 % Roggen.",
        price=Decimal("2.49"),
        category=bakery,
        stock=Decimal(20),
    )
    make_promotion(code="brot", name="Brotzeit", description="10 % auf Brot", products=[bread])
    return water, bread


@pytest.fixture
def german_page(browser):
    context = browser.new_context(locale="de-DE", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    yield page
    context.close()


def add(page, base_url, product):
    page.goto(f"{base_url}/p/{product.product_id}")
    expect(page.locator("#product-name")).to_have_text(product.name)
    page.get_by_role("button", name="In den Warenkorb").click()
    expect(page.locator("#toast")).to_contain_text(f"1 × {product.name} hinzugefügt")


def test_a_german_customer_buys_a_crate_returns_a_voucher_and_reads_two_vat_rates(
    live_server, german_page, goods, fake_stripe, settings, shot
):
    settings.STRIPE_TIMEOUT_SECONDS = 10  # a busy machine, not a slow gateway, is being tested
    page = german_page
    water, bread = goods
    console = ConsoleWatch(page)
    page.route(
        STRIPE_JS, lambda route: route.fulfill(body=FAKE_STRIPE_JS, content_type="text/javascript")
    )
    voucher = make_voucher_code("1.50")

    # the product screen, German from the browser's language: the shell, the switch, the price
    add(page, live_server.url, bread)
    page.goto(f"{live_server.url}/p/{water.product_id}")
    assert page.evaluate("document.documentElement.lang") == "de"
    expect(page.get_by_label("Sprache")).to_have_value("de")
    expect(page.locator("#product-price")).to_have_text(f"5,99{EUR}")
    expect(page.locator("#product-deposit")).to_have_text(f"zzgl. 3,30{EUR} Pfand")
    expect(page.get_by_role("link", name="Warenkorb")).to_be_visible()
    assert axe_violations(page) == []
    shot(page, "product-de")
    page.get_by_role("button", name="In den Warenkorb").click()
    expect(page.locator("#toast")).to_contain_text(f"1 × {WATER} hinzugefügt")

    # the customer types the reverse vending machine's voucher on the scan screen
    page.goto(f"{live_server.url}/scan")
    expect(page.locator("h1")).to_have_text("Produkt scannen")
    page.get_by_label("Nummer unter dem Strichcode, Regalnummer oder PLU von loser Ware").fill(
        voucher
    )
    page.get_by_role("button", name="Suchen").click()

    # the cart: the deposit and the voucher as lines of their own, the offer's reason in German
    expect(page).to_have_url(f"{live_server.url}/cart")
    expect(page.locator("h1")).to_have_text("Ihr Warenkorb")
    expect(page.locator("#cart-total")).to_have_text(TOTAL)
    deposit = page.locator(".deposit-line")
    expect(deposit).to_contain_text(f"Pfand: {WATER}")
    expect(deposit).to_contain_text(f"3,30{EUR}")
    expect(page.locator(".voucher-line")).to_contain_text(f"Pfandbon {voucher}")
    expect(page.locator(".voucher-line")).to_contain_text(f"−1,50{EUR}")
    expect(page.get_by_role("list", name="Pfand und Pfandbons")).to_be_visible()
    bread_line = page.locator(f'.cart-line[data-product="{bread.product_id}"]')
    expect(bread_line.locator(".discount")).to_have_text(f"Brotzeit: 10 % Rabatt−0,25{EUR}")
    totals = page.locator(".totals")
    expect(totals).to_contain_text(f"Zwischensumme8,48{EUR}")  # 5.99 + 2.49
    expect(totals).to_contain_text(f"Rabatte−0,25{EUR}")
    expect(totals).to_contain_text(f"Pfand3,30{EUR}")
    expect(totals).to_contain_text(f"Pfandbons−1,50{EUR}")
    assert axe_violations(page) == []
    shot(page, "cart-deposit-voucher-de")

    # checkout through Stripe's Payment Element (the fake)
    page.get_by_role("link", name="Zur Kasse").click()
    expect(page.locator("h1")).to_have_text("Kasse")
    expect(page.locator("#pay-total")).to_have_text(TOTAL)
    expect(page.locator("#voucher-total")).to_have_text(f"−1,50{EUR}")
    expect(page.get_by_label("Test card (fake Payment Element)")).to_be_visible()
    assert axe_violations(page) == []
    shot(page, "checkout-de")
    page.get_by_role("button", name=f"{TOTAL} bezahlen").click()

    # the receipt: German words, the deposit and voucher lines, VAT per rate, totals by hand
    expect(page.locator("h1")).to_have_text("Bezahlt. Vielen Dank!", timeout=20_000)
    expect(page.locator("#receipt-total")).to_have_text(TOTAL)
    expect(page.get_by_text("Bezahlt gesamt")).to_be_visible()
    expect(page.locator(".receipt-lines .discount")).to_have_text(
        f"Brotzeit: 10 % Rabatt−0,25{EUR}"
    )
    expect(page.locator(".receipt-lines .deposit-line")).to_contain_text(f"Pfand: {WATER}")
    expect(page.locator(".receipt-lines .deposit-line")).to_contain_text(f"1 × 3,30{EUR}")
    expect(page.locator(".receipt-lines .voucher-line")).to_contain_text(f"Pfandbon {voucher}")
    expect(page.locator(".receipt-lines .voucher-line")).to_contain_text(f"−1,50{EUR}")
    table = page.get_by_role("table", name="Enthaltene MwSt.")
    expect(table.get_by_role("columnheader")).to_have_text(["Satz", "Netto", "MwSt.", "Brutto"])
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    for row, cells in zip(rows.all(), VAT_ROWS, strict=True):
        expect(row.locator("th, td")).to_have_text(cells)
    assert axe_violations(page) == []
    shot(page, "receipt-de")

    order = Order.objects.get()
    assert order.status == Order.Status.SUCCEEDED and order.total == Decimal("10.03")
    assert [(t.rate, t.net, t.tax, t.gross) for t in order.taxes.order_by("-rate")] == [
        (Decimal(19), Decimal("6.79"), Decimal("1.29"), Decimal("8.08")),
        (Decimal(7), Decimal("1.82"), Decimal("0.13"), Decimal("1.95")),
    ]
    assert VoucherRedemption.objects.get().code == voucher
    assert [i["amount"] for i in fake_stripe.intents.values()] == [1003]

    # the shop takes the loaf back: the receipt shows the return and its VAT, in German
    loaf = order.lines.get(product_code=bread.product_id)
    return_lines(order=order, lines=[ReturnedLine(loaf.pk, Decimal(1), restock=True)])
    page.reload()
    returned = page.get_by_role("region", name="Rückgabe")
    expect(returned.get_by_role("heading")).to_contain_text("Zurückgegeben am")
    expect(returned).to_contain_text(f"1 × {BREAD}")
    expect(returned.locator(".total-row")).to_have_text(f"Erstattet 1,95{EUR}")  # what it cost
    refunded_vat = returned.get_by_role("table", name="Erstattete MwSt.")
    expect(refunded_vat.locator("tbody tr th, tbody tr td")).to_have_text(
        ["7 %", f"1,82{EUR}", f"0,13{EUR}", f"1,95{EUR}"]
    )
    assert axe_violations(page) == []
    shot(page, "receipt-return-de")
    assert console.errors == []
