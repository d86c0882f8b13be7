"""Cart, promotion, payment with the simulated gateway and the receipt, in real Chromium."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from catalog.models import Product
from checkout.models import Order
from tests.factories import make_product, make_promotion
from tests.fixtures.browser import ConsoleWatch

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def basket():
    """Two products, one of them in a 10 % offer."""
    apples = make_product(name="Organic Apples 1 kg", price=Decimal("2.00"), stock=Decimal(50))
    bread = make_product(name="Sourdough Loaf", price=Decimal("3.00"), stock=Decimal(20))
    offer = make_promotion(
        code="apples-10", name="Apple week", description="10% off organic apples", products=[apples]
    )
    return apples, bread, offer


def add_to_cart(page, base_url, product, quantity=1):
    page.goto(f"{base_url}/p/{product.product_id}")
    expect(page.locator("#product-name")).to_have_text(product.name)
    for _ in range(quantity - 1):
        page.get_by_role("button", name="More").click()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#toast")).to_contain_text(f"Added {quantity} × {product.name}")


def fill_cart_and_open_checkout(page, base_url, basket, shot=None):
    apples, bread, _ = basket
    add_to_cart(page, base_url, apples, quantity=2)
    add_to_cart(page, base_url, bread)
    page.get_by_role("link", name="Cart").click()
    expect(page.locator("#cart-total")).to_have_text("€6.60")  # 2 × 2.00 − 10 % + 3.00
    expect(page.locator("#discount-total")).to_have_text("−€0.40")
    if shot:
        shot(page, "cart")
    page.get_by_role("link", name="Go to checkout").click()
    expect(page.get_by_text("Simulated payment: no real money moves")).to_be_visible()
    expect(page.locator("#pay-total")).to_have_text("€6.60")


def only_declines(errors):
    """Chromium logs a fetch answered 402 (a declined card) as a console error; nothing else may be."""
    return [e for e in errors if not ("status of 402" in e and "/api/checkout" in e)]


def test_two_products_an_offer_and_a_paid_receipt_with_exit_qr(live_server, page, basket, shot):
    apples, bread, offer = basket
    console = ConsoleWatch(page)
    requested = []
    page.on("request", lambda request: requested.append(request.url))

    # the product screen names the offer that applies
    page.goto(f"{live_server.url}/p/{apples.product_id}")
    expect(page.get_by_role("link", name="Apple week 10% off organic apples")).to_be_visible()
    fill_cart_and_open_checkout(page, live_server.url, basket, shot)
    expect(page.locator(".cart-line, .discount").first).to_be_visible()
    shot(page, "checkout")

    # when the customer pays with the test card that succeeds
    page.get_by_label("Succeeds", exact=True).check()
    page.get_by_role("button", name="Pay €6.60").click()

    # then the receipt shows the items, the discount, the total and a readable exit QR
    expect(page.locator("h1")).to_have_text("Paid. Thank you!", timeout=15_000)
    expect(page.locator("#receipt-total")).to_have_text("€6.60")
    expect(page.get_by_text("Apple week: 10% off")).to_be_visible()
    expect(page.locator(".receipt-lines li")).to_have_count(2)
    qr = page.locator("#exit-qr")
    expect(qr).to_be_visible()
    page.wait_for_function("() => document.querySelector('#exit-qr').naturalWidth > 0")
    shot(page, "receipt")

    order = Order.objects.get()
    assert order.status == Order.Status.SUCCEEDED
    assert order.total == Decimal("6.60")
    assert page.url == f"{live_server.url}/receipts/{order.transaction_id}"
    assert Product.objects.get(pk=apples.pk).stock == 48
    # the cart is empty now, on the phone and on the server
    expect(page.locator("#cart-badge")).to_be_hidden()

    # and the receipt is listed among this phone's receipts
    page.get_by_role("link", name="Receipts", exact=True).click()
    expect(page.locator(".receipt-list li")).to_have_count(1)
    expect(page.locator(".receipt-list")).to_contain_text("€6.60")
    shot(page, "receipts")
    assert console.errors == []
    # everything came from the shop's own server: no CDN, and no Stripe.js with the simulated gateway
    assert requested and all(url.startswith(live_server.url) for url in requested)


def test_declined_card_says_so_and_a_retry_pays_once(live_server, page, basket, shot):
    apples, _, _ = basket
    console = ConsoleWatch(page)
    fill_cart_and_open_checkout(page, live_server.url, basket)

    # when the card is declined
    page.get_by_label("Card declined").check()
    page.get_by_role("button", name="Pay €6.60").click()

    # then the customer is told, nothing was charged and the cart is intact
    expect(page.locator("#pay-status")).to_contain_text("declined", timeout=15_000)
    expect(page.locator("#pay-status")).to_contain_text("Nothing was charged")
    expect(page.get_by_role("button", name="Try again: pay €6.60")).to_be_enabled()
    shot(page, "checkout-declined")
    assert Order.objects.get().status == Order.Status.FAILED
    assert Product.objects.get(pk=apples.pk).stock == 50

    # when they retry with a card that works, a new attempt pays once
    page.get_by_label("Succeeds", exact=True).check()
    page.get_by_role("button", name="Try again: pay €6.60").click()
    expect(page.locator("h1")).to_have_text("Paid. Thank you!", timeout=15_000)
    statuses = sorted(Order.objects.values_list("status", flat=True))
    assert statuses == [Order.Status.FAILED, Order.Status.SUCCEEDED]
    assert Product.objects.get(pk=apples.pk).stock == 48
    assert only_declines(console.errors) == []


def test_slow_bank_shows_progress_and_a_double_tap_charges_once(live_server, page, basket, shot):
    apples, _, _ = basket
    console = ConsoleWatch(page)
    fill_cart_and_open_checkout(page, live_server.url, basket)

    # when the bank is slow and the customer taps Pay twice
    page.get_by_label("Slow bank").check()
    page.get_by_role("button", name="Pay €6.60").dblclick()

    # then they see that it is slow, the button is locked, and one payment is made
    expect(page.locator("#pay-status")).to_contain_text("slow to answer", timeout=10_000)
    expect(page.locator("#pay")).to_be_disabled()
    shot(page, "checkout-slow")
    expect(page.locator("h1")).to_have_text("Paid. Thank you!", timeout=20_000)
    order = Order.objects.get()
    assert order.status == Order.Status.SUCCEEDED
    assert Product.objects.get(pk=apples.pk).stock == 48
    assert console.errors == []


def test_needs_authentication_then_confirms(live_server, page, basket):
    console = ConsoleWatch(page)
    fill_cart_and_open_checkout(page, live_server.url, basket)
    page.get_by_label("Needs authentication").check()
    page.get_by_role("button", name="Pay €6.60").click()
    expect(page.get_by_text("Your bank asks you to confirm this payment.")).to_be_visible(
        timeout=15_000
    )
    page.get_by_role("button", name="Confirm payment").click()
    expect(page.locator("h1")).to_have_text("Paid. Thank you!", timeout=15_000)
    assert Order.objects.get().status == Order.Status.SUCCEEDED
    assert console.errors == []


def test_checkout_offline_says_it_needs_the_network(live_server, page, context, basket):
    apples, _, _ = basket
    add_to_cart(page, live_server.url, apples)
    # The worker must control this page before the next navigation: a navigation already under
    # way when it claims its pages is missed by the claim, and /cart would stay uncontrolled.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.goto(f"{live_server.url}/cart")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    expect(page.locator("#cart-total")).to_have_text("€1.80")

    context.set_offline(True)
    page.get_by_role("button", name=f"More {apples.name}").click()
    # the change is kept on the phone, priced as an estimate, and checkout is held back
    expect(page.get_by_text("You are offline: your cart is saved on this phone.")).to_be_visible()
    expect(page.get_by_role("link", name="Go to checkout")).to_have_attribute(
        "aria-disabled", "true"
    )
    page.reload()
    expect(page.locator(".cart-line input")).to_have_value("2")
    page.goto(f"{live_server.url}/checkout")
    expect(page.get_by_text("Paying needs the network.")).to_be_visible()

    # back online, the change reaches the server and the offer is priced again
    context.set_offline(False)
    page.goto(f"{live_server.url}/cart")
    expect(page.locator("#cart-total")).to_have_text("€3.60")
