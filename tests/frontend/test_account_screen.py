"""The account screen (/account) in real Chromium: sign up, sign out, sign in again with the
cart kept, the points and the loyalty card's QR; the customer's data downloaded and the account
deleted; the API's errors next to the fields; the emailed password reset link's page; WCAG AA in
English and German."""

import io
import json
import re
from decimal import Decimal

import pytest
import zxingcpp
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from PIL import Image
from playwright.sync_api import expect

from checkout.models import Cart
from customers.cards import new_card_number
from customers.models import Customer
from customers.services.loyalty import adjust_points
from tests.factories import make_product
from tests.fixtures.browser import ConsoleWatch, axe_violations
from tests.frontend.test_checkout_flow import add_to_cart

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]

EMAIL = "ann@example.com"
PASSWORD = "plum-tomato-42"


def besides_refusals(errors):
    """Chromium logs a fetch answered 400 as a console error: the refused sign-ins, sign-ups and
    deletions are meant; nothing else may be."""
    return [e for e in errors if not re.search(r"status of 400.*/api/account(/sign(in|up))?'", e)]


def fill(page, form, email, password):
    page.locator(f"#{form}-email").fill(email)
    page.locator(f"#{form}-password").fill(password)


def test_sign_up_sign_out_and_sign_in_again_keeping_the_cart(live_server, page, shot):
    bread = make_product(name="Sourdough Loaf", price=Decimal("3.00"), stock=Decimal(20))
    console = ConsoleWatch(page)

    # given a signed-out phone on the account screen, opened from the navigation
    page.goto(f"{live_server.url}/scan")
    page.get_by_role("link", name="Account").click()
    expect(page.locator("h1")).to_have_text("Account")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    expect(page.get_by_role("link", name="Account")).to_have_attribute("aria-current", "page")
    shot(page, "account-signed-out")
    assert axe_violations(page) == []

    # when a password the validators refuse is sent, the API's words sit next to the field
    fill(page, "signup", EMAIL, "12345678901")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#signup-password-error")).to_contain_text("entirely numeric")
    expect(page.locator("#signup-password")).to_have_attribute("aria-invalid", "true")
    assert Customer.objects.count() == 0

    # when they sign up
    fill(page, "signup", EMAIL, PASSWORD)
    page.get_by_role("button", name="Create account").click()

    # then they are signed in and see their card
    expect(page.get_by_text(f"Signed in as {EMAIL}")).to_be_visible()
    card_number = Customer.objects.get(user__email=EMAIL).card_number
    expect(page.locator("#card-number")).to_have_text(card_number)

    # when they sign out, the forms come back
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("#toast")).to_have_text("You are signed out.")

    # given points on the account and, signed out, a loaf in the phone's cart
    adjust_points(
        customer=Customer.objects.get(card_number=card_number),
        points=250,
        reason="welcome",
        user=None,
    )
    add_to_cart(page, live_server.url, bread)
    page.get_by_role("link", name="Account").click()

    # when the password is wrong, the API's message says so and nothing is signed in
    fill(page, "signin", EMAIL, "not-the-password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#signin-error")).to_have_text("The email or password is wrong.")
    expect(page.locator("#signin-password")).to_be_focused()

    # when they sign in with the right one
    fill(page, "signin", EMAIL, PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    # then the loaf is in the account's cart, on the server and on the phone
    expect(page.get_by_text(f"Signed in as {EMAIL}")).to_be_visible()
    user = get_user_model().objects.get(email=EMAIL)
    assert list(Cart.objects.get(customer=user).lines.values_list("product", flat=True)) == [
        bread.pk
    ]
    expect(page.locator("#cart-badge")).to_have_text("1")

    # and the points, what they are worth, the ledger and a card QR that reads as the card number
    expect(page.locator("#points-balance")).to_have_text("250 points")
    expect(page.locator("#points-value")).to_have_text("worth €2.50")
    expect(page.locator(".points-list li")).to_have_count(1)
    expect(page.locator(".points-list")).to_contain_text("Adjusted by staff")
    page.wait_for_function("() => document.querySelector('#card-qr').naturalWidth > 0")
    decoded = zxingcpp.read_barcodes(
        Image.open(io.BytesIO(page.locator("#card-qr").screenshot())),
        formats=zxingcpp.BarcodeFormat.QRCode,
    )
    assert [code.text for code in decoded] == [card_number]
    shot(page, "account-signed-in")
    assert axe_violations(page) == []

    page.get_by_role("link", name="Cart").click()
    expect(page.locator(".cart-line")).to_contain_text("Sourdough Loaf")
    assert besides_refusals(console.errors) == []


def test_download_my_data_then_delete_the_account(live_server, page, shot):
    console = ConsoleWatch(page)
    page.goto(f"{live_server.url}/account")
    fill(page, "signup", EMAIL, PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text(f"Signed in as {EMAIL}")).to_be_visible()
    customer = Customer.objects.get(user__email=EMAIL)
    adjust_points(customer=customer, points=120, reason="welcome", user=None)

    # the download is the export: their account and ledger, as a JSON file
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    assert re.fullmatch(
        r"grocery-account-\d{4}-\d{2}-\d{2}\.json", download.value.suggested_filename
    )
    exported = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert exported["account"]["email"] == EMAIL
    assert exported["points"]["balance"] == 120

    # deleting asks for the password again: a wrong one deletes nothing and says so
    page.get_by_text("Delete my account", exact=True).click()
    page.locator("#delete-password").fill("not-the-password")
    shot(page, "account-delete")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Delete my account for good").click()
    expect(page.locator("#delete-error")).not_to_be_empty()
    expect(page.locator("#delete-password")).to_be_focused()
    customer.refresh_from_db()
    assert customer.deleted_at is None

    # the right one deletes it and the phone is signed out
    page.locator("#delete-password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account for good").click()
    expect(page.locator("#toast")).to_have_text("Your account is deleted.")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    customer.refresh_from_db()
    assert customer.deleted_at is not None
    assert not get_user_model().objects.filter(email=EMAIL).exists()

    # and the old password opens nothing
    fill(page, "signin", EMAIL, PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#signin-error")).to_have_text("The email or password is wrong.")
    assert besides_refusals(console.errors) == []


def test_the_screen_in_german_passes_axe_signed_in_and_out(live_server, page):
    console = ConsoleWatch(page)
    page.goto(f"{live_server.url}/account")
    expect(page.locator("h1")).to_have_text("Account")
    with page.expect_navigation():
        page.locator("#language").select_option("de")

    # signed out, in German
    expect(page.locator("h1")).to_have_text("Konto")
    expect(page.get_by_role("heading", name="Ein Konto anlegen")).to_be_visible()
    assert axe_violations(page) == []
    # five tabs with German labels still fit a 360 px phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    tabs = page.locator(".tabbar a span").all()
    assert all(t.evaluate("e => e.scrollWidth <= e.clientWidth") for t in tabs)

    # a bad email is refused next to its field, in German
    fill(page, "signup", "not-an-email", PASSWORD)
    page.get_by_role("button", name="Konto anlegen").click()
    expect(page.locator("#signup-email-error")).not_to_be_empty()
    assert re.search(r"[Gg]ültige", page.locator("#signup-email-error").text_content())

    # signed in, in German
    fill(page, "signup", EMAIL, PASSWORD)
    page.get_by_role("button", name="Konto anlegen").click()
    expect(page.get_by_text(f"Angemeldet als {EMAIL}")).to_be_visible()
    expect(page.locator("#points-balance")).to_have_text("0 Punkte")
    expect(page.locator("#points-value")).to_have_text("im Wert von 0,00 €")
    page.wait_for_function("() => document.querySelector('#card-qr').naturalWidth > 0")
    assert axe_violations(page) == []

    # forgot password, signed out again: the same answer whatever the email
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    page.locator("#signin-email").fill(EMAIL)
    page.get_by_role("button", name="Passwort vergessen?").click()
    expect(page.locator("#reset-status")).to_contain_text("Falls es zu dieser E-Mail-Adresse")
    assert besides_refusals(console.errors) == []


def test_the_emailed_link_sets_a_new_password_to_sign_in_with(live_server, page):
    user = get_user_model().objects.create_user(username=EMAIL, email=EMAIL, password=PASSWORD)
    Customer.objects.create(user=user, card_number=new_card_number())
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    console = ConsoleWatch(page)

    # a forged link is refused, in the API's words
    page.goto(f"{live_server.url}/account/reset-password?uid={uid}&token=forged")
    expect(page.locator("h1")).to_have_text("Choose a new password")
    assert axe_violations(page) == []
    page.locator("#reset-password").fill("new-plum-tomato-7")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.locator("#reset-error")).to_have_text(
        "This password reset link is invalid or has expired: ask for a new one."
    )

    # the emailed one sets the password, and the account screen signs in with it
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.goto(f"{live_server.url}/account/reset-password?uid={uid}&token={token}")
    assert page.evaluate("() => Boolean(navigator.serviceWorker.controller)")
    # the worker keeps no address that holds the token
    kept = page.evaluate(
        "async () => (await (await caches.open('pages-v1')).keys()).map(r => r.url)"
    )
    assert kept and not [url for url in kept if token in url]
    page.locator("#reset-password").fill("new-plum-tomato-7")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.locator("#toast")).to_have_text("Your password is changed: sign in with it.")
    fill(page, "signin", EMAIL, "new-plum-tomato-7")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text(f"Signed in as {EMAIL}")).to_be_visible()
    assert [e for e in console.errors if "/api/account/password-reset/confirm" not in e] == []


def test_the_service_worker_never_caches_the_account(client):
    worker = client.get("/sw.js").content.decode()
    cached_api = re.compile(re.search(r"const CACHED_API = /(.+)/;", worker)[1])
    assert cached_api.match("/api/products/12345")  # the pattern is the one the worker uses
    for path in ("/api/account", "/api/account/points", "/api/account/card.svg"):
        assert not cached_api.match(path) and path not in worker
