"""Languages: the browser's language or the switch picks English or German for the app shell,
the PWA's message catalogue and the admin; an unknown language is a JSON 400; the compiled
catalogues are in step with their .po files and every text the PWA asks for is translated."""

import ast
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

from frontend.i18n import js_messages

pytestmark = pytest.mark.django_db

FRONTEND = Path(settings.BASE_DIR) / "static" / "frontend"
# _("...") in the PWA's modules: what `makemessages -d djangojs` collects.
ASKED = re.compile(r'\b_\("((?:[^"\\]|\\.)*)"')
ROOT = Path(settings.BASE_DIR)
GERMAN = ROOT / "locale" / "de" / "LC_MESSAGES"
APPS = (
    "catalog",
    "checkout",
    "customers",
    "promotions",
    "recommendations",
    "frontend",
    "shop",
    "grocery",
)
# The calls `makemessages` collects from Python (and the engine's own gettext_noop).
GETTEXT = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"}
# {% translate "..." %} in templates.
TEMPLATE_TEXT = re.compile(r"""{%\s*(?:translate|trans)\s+(["'])(.*?)\1""")
# Words German writes as English does; anything else left as its msgid is a text never translated.
SAME_IN_GERMAN = {"Offline", "Code %(code)s"}


def python_texts() -> set[str]:
    """Every literal text our Python code hands to gettext (the first argument of the call)."""
    found = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", getattr(node.func, "attr", None)) in GETTEXT
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    found.add(node.args[0].value)
    return found


def template_texts() -> set[str]:
    return {
        text
        for app in APPS
        for path in (ROOT / app).rglob("templates/**/*.html")
        for _quote, text in TEMPLATE_TEXT.findall(path.read_text())
    }


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


def test_every_text_the_server_marks_has_a_german_translation():
    """A text wrapped in gettext but missing from locale/de (no makemessages after adding it)
    would reach German customers in English without any error: this names it."""
    catalogue = {e.msgid: e for e in polib.pofile(str(GERMAN / "django.po")) if not e.obsolete}
    marked = python_texts() | template_texts()
    assert {"Deposit: %(name)s", "%(name)s: %(percent)s%% off", "Skip to content"} <= marked
    missing = sorted(marked - set(catalogue))
    assert missing == [], "run makemessages -l de, translate, compile_translations"


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_no_german_text_is_left_in_english(domain):
    """compile_translations refuses empty and fuzzy entries; a msgstr copied from its msgid
    passes that check and still reads English."""
    entries = [e for e in polib.pofile(str(GERMAN / f"{domain}.po")) if not e.obsolete]
    same = sorted(
        e.msgid
        for e in entries
        if e.msgid not in SAME_IN_GERMAN
        and (e.msgstr == e.msgid or e.msgid_plural and e.msgstr_plural.get(0) == e.msgid)
    )
    assert same == []
