"""docs/payment-page-scripts.md is the inventory of the payment page's scripts: generated, and
checked here so that it cannot drift from the files or from what the pages send."""

import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from frontend.management.commands import payment_page_scripts

DOC_HASH = re.compile(r"^\| `([^`]+)` .*\| `(sha384-[A-Za-z0-9+/=]+)` \|$", re.M)


def test_the_inventory_matches_the_scripts():
    call_command("payment_page_scripts", "--check")  # CommandError names the fix when stale


def test_a_changed_script_makes_the_check_fail(tmp_path, monkeypatch):
    stale = tmp_path / "payment-page-scripts.md"
    stale.write_text(payment_page_scripts.DOC.read_text().replace("sha384-", "sha384-X", 1))
    monkeypatch.setattr(payment_page_scripts, "DOC", stale)
    with pytest.raises(CommandError, match="out of date"):
        call_command("payment_page_scripts", "--check")


@pytest.mark.django_db
def test_the_page_sends_the_hashes_the_inventory_lists(settings):
    listed = dict(DOC_HASH.findall(payment_page_scripts.DOC.read_text()))
    html = Client().get("/checkout").content.decode()
    assert f'src="/static/frontend/app.js" integrity="{listed["frontend/app.js"]}"' in html
    for module in ("frontend/scanner.js", "vendor/ponyfill.js", "vendor/zxing-exported.js"):
        assert f'"/static/{module}": "{listed[module]}"' in html  # the import map
