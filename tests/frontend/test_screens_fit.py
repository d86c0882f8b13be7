"""Screens that fit: the cart and the checkout on 360, 390 and 430 px phones, in English and in
German with long German names, in real Chromium. No amount wraps (a line price split as "€2.4" /
"1" reads as two prices), nothing scrolls sideways, the TEST legend sits inside its border, money
is written the customer's way (2,41 € in German), and axe-core finds no WCAG 2.1 AA violation."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from catalog.models import ProductTranslation, Unit
from catalog.services import save_product_translations
from tests.factories import make_category, make_product, make_promotion
from tests.fixtures.browser import ConsoleWatch

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parents[1] / "fixtures" / "vendor" / "axe.min.js").read_text()
WIDTHS = (360, 390, 430)
LANGUAGES = {  # how a total is written: €1,247.93 / 1.247,93 €
    "en-GB": re.compile(r"^€\d{1,3}(,\d{3})*\.\d\d$"),
    "de-DE": re.compile(r"^\d{1,3}(\.\d{3})*,\d\d\xa0€$"),
}
YOGHURT_PRICE = {"en-GB": "€2.41", "de-DE": "2,41\xa0€"}

# Every amount on the screen, each of which must stay on one line.
AMOUNTS = ".line-total, .discount > b, .totals dd, .deposit-line b"
DEPOSIT_LINE = {  # the name the customer read, in their language
    "en-GB": "Deposit: Still mineral water, returnable glass bottles 12 × 0.7 l",
    "de-DE": "Pfand: Mineralwasserkastenmehrwegglasflaschen Naturell 12 × 0,7 l",
}
ONE_LINE = """selector => [...document.querySelectorAll(selector)].filter(el => {
  const style = getComputedStyle(el);
  const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
  return el.getBoundingClientRect().height > line * 1.5;
}).map(el => el.textContent)"""


@pytest.fixture
def basket():
    """Long German names, a weighed product and two offers: the widest lines a shop prints."""
    dairy = make_category("Molkereiprodukte")
    yoghurt = make_product(
        name="Bio-Vollmilch-Joghurt mit Erdbeer-Rhabarber-Zubereitung 3,8 % Fett 500 g",
        price=Decimal("2.41"),
        category=dairy,
    )
    water = make_product(
        name="Still mineral water, returnable glass bottles 12 × 0.7 l",
        price=Decimal("1234.56"),  # a four-digit total: the widest amount that must not wrap
        deposit=Decimal("3.30"),
        category=dairy,
    )
    # German customers read the German name; the others the shop's own.
    save_product_translations(
        product=water,
        saved=[
            ProductTranslation(
                language="de", name="Mineralwasserkastenmehrwegglasflaschen Naturell 12 × 0,7 l"
            )
        ],
    )
    cheese = make_product(
        name="Allgäuer Bergkäse am Stück, mindestens zwölf Monate gereift",
        unit=Unit.KG,
        price=Decimal("24.90"),
        category=dairy,
    )
    make_promotion(
        code="joghurt",
        name="Joghurtwoche",
        description="Zehn Prozent Rabatt auf alle Bio-Vollmilch-Joghurtzubereitungen",
        products=[yoghurt],
    )
    make_promotion(
        code="kaese",
        name="Käsetheke",
        description="Zehn Prozent auf Bergkäse",
        products=[cheese],
    )
    return yoghurt, water, cheese


def axe_violations(page) -> list[str]:
    page.evaluate(AXE)
    found = page.evaluate(
        """() => axe.run(document, {runOnly: {type: "tag",
             values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
           .then(r => r.violations.map(v => `${v.id}: ${v.nodes.map(n => n.target).join(" ")}`))"""
    )
    return found


def fill_cart(page, base_url, basket, locale):
    for product in basket:
        german = product.translations.filter(language="de").first()
        name = german.name if german and locale == "de-DE" else product.name
        page.goto(f"{base_url}/p/{product.product_id}")
        expect(page.locator("#product-name")).to_have_text(name)
        if product == basket[0]:
            expect(page.locator("#product-price")).to_have_text(YOGHURT_PRICE[locale])
        page.locator("#add").click()
        expect(page.locator("#toast")).to_contain_text(name)


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_cart_and_checkout_fit_every_phone_in_both_languages(
    live_server, browser, basket, locale, shot
):
    # bypass_csp: axe-core is injected by the test, not served by the shop
    context = browser.new_context(locale=locale, bypass_csp=True, is_mobile=True, has_touch=True)
    page = context.new_page()
    console = ConsoleWatch(page)
    money = LANGUAGES[locale]
    language = locale[:2]
    page.set_viewport_size({"width": WIDTHS[0], "height": 800})
    fill_cart(page, live_server.url, basket, locale)

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{live_server.url}/cart")
        expect(page.locator("#cart-total")).to_have_text(money)
        expect(page.locator(".cart-line .discount").first).to_be_visible()
        expect(page.locator(".deposit-line .line-head span")).to_have_text(DEPOSIT_LINE[locale])
        assert page.evaluate("document.documentElement.lang") == (
            "de" if language == "de" else "en-gb"
        )
        assert page.evaluate(ONE_LINE, AMOUNTS) == [], f"an amount wraps at {width} px"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert axe_violations(page) == [], f"cart, {locale}, {width} px"
        shot(page, f"cart-{language}-{width}")

        page.locator("#to-checkout").click()
        expect(page.locator("#pay-total")).to_have_text(money)
        assert page.evaluate(ONE_LINE, AMOUNTS) == [], f"an amount wraps at {width} px"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        legend, box = (
            page.locator(selector).bounding_box()
            for selector in (".test-gateway legend", ".test-gateway")
        )
        assert legend["y"] >= box["y"] + 2, "the TEST legend sits across the dashed border"
        assert legend["x"] + legend["width"] <= box["x"] + box["width"]
        assert axe_violations(page) == [], f"checkout, {locale}, {width} px"
        shot(page, f"checkout-{language}-{width}")
    assert console.errors == []
    context.close()
