"""Languages: the browser's language or the switch picks English or German for the app shell,
the PWA's message catalogue and the admin; an unknown language is a JSON 400; the compiled
catalogues are in step with their .po files and every text the PWA asks for is translated."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from frontend.i18n import js_messages

pytestmark = pytest.mark.django_db

FRONTEND = Path(settings.BASE_DIR) / "static" / "frontend"
# _("...") in the PWA's modules: what `makemessages -d djangojs` collects.
ASKED = re.compile(r'\b_\("((?:[^"\\]|\\.)*)"')


def test_the_browsers_language_picks_the_shell_and_its_catalogue(client):
    german = client.get("/cart", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    html = german.content.decode()
    assert '<html lang="de">' in html
    assert ">Warenkorb</span>" in html and "Zum Inhalt springen" in html
    assert '"locale": "de-DE"' in html and '"Ihr Warenkorb"' in html
    assert '"label": "je kg"' in html  # the unit vocabulary too

    english = client.get("/cart", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").content.decode()
    assert '<html lang="en-gb">' in english and ">Cart</span>" in english  # the default
    assert '"messages": {}' in english


def test_the_switch_remembers_the_choice_over_the_browsers_language(client):
    chosen = client.post("/api/language", {"language": "de"}, content_type="application/json")
    assert chosen.status_code == 200 and chosen.json() == {"language": "de"}
    assert chosen.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()
    assert '<html lang="de">' in page
    admin_login = client.get("/admin/login/").content.decode()
    assert "Anmelden" in admin_login  # the admin follows the same choice

    back = client.post("/api/language", {"language": "en"}, content_type="application/json")
    assert back.json() == {"language": "en-gb"}


def test_an_unknown_language_is_a_json_400_that_changes_nothing(client):
    refused = client.post("/api/language", {"language": "fr"}, content_type="application/json")
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "unknown_language" and "'fr'" in body["message"]
    assert body["detail"] == {"language": "fr"}
    assert settings.LANGUAGE_COOKIE_NAME not in refused.cookies
    catalogue = client.get("/api/i18n/klingon")
    assert (catalogue.status_code, catalogue.json()["code"]) == (400, "unknown_language")


def test_the_message_catalogue_api(client):
    german = client.get("/api/i18n/de").json()
    assert (german["language"], german["locale"]) == ("de", "de-DE")
    assert german["messages"]["Pay %(amount)s"] == "%(amount)s bezahlen"
    assert client.get("/api/i18n/en").json()["messages"] == {}


def test_every_text_the_pwa_asks_for_has_a_german_translation():
    asked = {text for path in FRONTEND.rglob("*.js") for text in ASKED.findall(path.read_text())}
    assert len(asked) > 100
    missing = sorted(asked - set(js_messages("de")))
    assert missing == [], "run makemessages -d djangojs -l de, translate, compile_translations"


def test_the_compiled_catalogues_are_up_to_date():
    """The .mo files are committed (no gettext on a fresh machine); polib checks they match."""
    call_command("compile_translations", check=True)
