"""Compile the .po catalogues in locale/ into the .mo files Django reads, without gettext's msgfmt
(a system program a fresh machine lacks): polib, a pure-Python wheel, writes the same format.

    manage.py compile_translations           # after editing a .po file; commit both
    manage.py compile_translations --check   # the test suite: fails when a .mo is out of date
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def catalogues() -> list[Path]:
    return sorted(
        p for root in settings.LOCALE_PATHS for p in Path(root).glob("*/LC_MESSAGES/*.po")
    )


def compiled(po_path: Path) -> bytes:
    po = polib.pofile(str(po_path))
    if untranslated := [e.msgid for e in po.untranslated_entries()]:
        raise CommandError(f"{po_path}: untranslated: {untranslated[:5]}")
    if fuzzy := [e.msgid for e in po.fuzzy_entries()]:
        raise CommandError(f"{po_path}: fuzzy (check, then drop the flag): {fuzzy[:5]}")
    return po.to_binary()


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po to .mo with polib (--check: only compare)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Fail if a .mo is out of date.")

    def handle(self, *args, check=False, **options):
        stale = []
        for po_path in catalogues():
            mo_path = po_path.with_suffix(".mo")
            body = compiled(po_path)
            if mo_path.exists() and mo_path.read_bytes() == body:
                continue
            if check:
                stale.append(str(mo_path))
            else:
                mo_path.write_bytes(body)
                self.stdout.write(f"Wrote {mo_path}")
        if stale:
            raise CommandError(
                f"Out of date: {', '.join(stale)}. Run: manage.py compile_translations"
            )
