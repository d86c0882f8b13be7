"""With the Stripe gateway, checkout loads Stripe.js (and only then) and pays through the Payment
Element's payment method. Stripe is the one thing faked: its API by the local fake the checkout
suite uses, Stripe.js by a small script served in its place (no internet here)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from checkout.models import Order
from tests.factories import make_product
from tests.fixtures.browser import ConsoleWatch
from tests.fixtures.fake_stripe import FakeStripe
from tests.frontend.test_checkout_flow import add_to_cart, only_declines
from tests.frontend.test_csp import WATCH_VIOLATIONS, violations

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]

STRIPE_JS = "https://js.stripe.com/v3/"
# Stands in for Stripe.js: the calls the PWA makes, with the Payment Element as a select of
# Stripe's test payment methods.
FAKE_STRIPE_JS = """
window.Stripe = function (publishableKey) {
  window.stripeKey = publishableKey;
  let select;
  return {
    elements(options) {
      window.stripeElementsOptions = options;
      return {
        create(kind) {
          return { mount(el) {
            el.innerHTML = '<label for="fake-card">Test card (fake Payment Element)</label>' +
              '<select id="fake-card"><option>pm_card_visa</option><option>pm_card_chargeDeclined</option></select>';
            select = el.querySelector("select");
          } };
        },
        submit: async () => ({}),
      };
    },
    createPaymentMethod: async () => ({ paymentMethod: { id: select.value } }),
    handleNextAction: async () => ({ error: { message: "not supported by the fake" } }),
  };
};
"""


@pytest.fixture
def stripe_gateway(settings):
    for port in range(8330, 8340):  # this suite's band
        try:
            fake = FakeStripe(port).start()
            break
        except OSError:
            continue
    else:
        pytest.fail("no free port for the fake Stripe server")
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_API_BASE = fake.url
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    yield fake
    fake.stop()


def test_stripe_payment_element_pays_and_a_decline_is_explained(live_server, page, stripe_gateway):
    product = make_product(name="Olive Oil 750 ml", price=Decimal("7.49"))
    page.add_init_script(WATCH_VIOLATIONS)
    console = ConsoleWatch(page)
    stripe_js_loads = []

    def serve_fake_stripe_js(route):
        stripe_js_loads.append(route.request.url)
        route.fulfill(status=200, content_type="text/javascript", body=FAKE_STRIPE_JS)

    page.route(STRIPE_JS, serve_fake_stripe_js)
    add_to_cart(page, live_server.url, product)
    assert stripe_js_loads == []  # not on the other screens
    page.goto(f"{live_server.url}/checkout")

    # the Payment Element is mounted with the publishable key, the amount in cents and the currency
    expect(page.get_by_label("Test card (fake Payment Element)")).to_be_visible()
    assert stripe_js_loads == [STRIPE_JS]
    assert page.evaluate("window.stripeKey") == "pk_test_fake"
    options = page.evaluate("window.stripeElementsOptions")
    assert (options["amount"], options["currency"], options["mode"]) == (749, "eur", "payment")
    expect(page.get_by_text("Simulated payment")).to_have_count(0)

    # a declined card is explained and nothing is charged
    page.get_by_label("Test card (fake Payment Element)").select_option("pm_card_chargeDeclined")
    page.get_by_role("button", name="Pay €7.49").click()
    expect(page.locator("#pay-status")).to_contain_text("declined", timeout=15_000)
    assert Order.objects.get().status == Order.Status.FAILED

    # a good card pays, once
    page.get_by_label("Test card (fake Payment Element)").select_option("pm_card_visa")
    page.get_by_role("button", name="Try again: pay €7.49").click()
    expect(page.locator("h1")).to_have_text("Paid. Thank you!", timeout=15_000)
    paid = Order.objects.get(status=Order.Status.SUCCEEDED)
    assert paid.total == Decimal("7.49")
    assert [i["payment_method"] for i in stripe_gateway.intents.values()] == [
        "pm_card_chargeDeclined",
        "pm_card_visa",
    ]
    assert only_declines(console.errors) == []
    assert violations(page) == []  # Stripe.js came from the origin the policy allows
