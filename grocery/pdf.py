"""Shared bits for the PDFs the shop prints (shelf labels, promotion posters)."""

from decimal import Decimal
from functools import cache
from pathlib import Path

import reportlab
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import get_language
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

# DejaVu covers far more scripts than the PDF base fonts (product names in any European
# language); reportlab's bundled Vera is the fallback when the system has no DejaVu.
_FONT_CANDIDATES = {
    "Shop": ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "Vera.ttf"],
    "Shop-Bold": ["/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "VeraBd.ttf"],
}
CURRENCY_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF "}
SYMBOL_AFTER = frozenset({"de"})  # languages that write the symbol after the amount


@cache
def fonts() -> tuple[str, str]:
    """Register the label fonts once per process; returns (regular, bold) font names."""
    bundled = Path(reportlab.__file__).parent / "fonts"
    for name, candidates in _FONT_CANDIDATES.items():
        path = next(
            p for c in candidates if (p := Path(c) if c.startswith("/") else bundled / c).exists()
        )
        pdfmetrics.registerFont(TTFont(name, str(path)))
    return "Shop", "Shop-Bold"


def money_text(amount, *, grouped: bool = False) -> str:
    """An amount as the active language writes it: "€1,234.50" in English, "1.234,50 €" in German."""
    symbol = CURRENCY_SYMBOLS.get(settings.CURRENCY, settings.CURRENCY + " ")
    digits = number_format(Decimal(amount), 2, use_l10n=True, force_grouping=grouped)
    if get_language() in SYMBOL_AFTER:
        return f"{digits} {symbol.strip()}"
    return f"{symbol}{digits}"


def fit_lines(
    text: str, font: str, size: float, width: float, max_lines: int, min_size: float
) -> tuple[list[str], float]:
    """Wrap text into at most max_lines at the largest size down to min_size; cut with an ellipsis."""
    while True:
        lines = simpleSplit(text, font, size, width)
        if len(lines) <= max_lines or size <= min_size:
            break
        size -= 0.5
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and pdfmetrics.stringWidth(last + "…", font, size) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines, size
