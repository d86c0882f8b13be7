"""GTIN and scanned-code parsing (biip does the GS1 rules; this module adapts it to the shop)."""

from dataclasses import dataclass
from decimal import Decimal

import biip
from biip.gtin import Gtin
from django.conf import settings


class InvalidGtin(ValueError):
    pass


def normalize_gtin(value: str) -> str:
    """Any valid GTIN-8/12/13/14 as the 14-digit form the GS1 Digital Link standard uses."""
    value = (value or "").strip()
    if not value.isdigit() or len(value) not in (8, 12, 13, 14):
        raise InvalidGtin("A GTIN has 8, 12, 13 or 14 digits.")
    try:
        gtin = Gtin.parse(value)
    except biip.ParseError as exc:
        raise InvalidGtin(f"{value} is not a valid GTIN: check digit does not match.") from exc
    return gtin.as_gtin_14()


# What a product code is: a GTIN on the pack, or a PLU typed for loose produce (IFPS numbers have
# 4 digits, 5 with a leading 9 for organic; shops use 4-5 digit codes of their own too).
GTIN, PLU = "gtin", "plu"
PLU_LENGTHS = (4, 5)


def is_plu(code: str) -> bool:
    return code.isdigit() and len(code) in PLU_LENGTHS


def normalize_code(value: str) -> tuple[str, str]:
    """A product code as stored, with its kind: a PLU as typed, a GTIN as its 14 digits."""
    value = (value or "").strip()
    if is_plu(value):
        return value, PLU
    if not value.isdigit() or len(value) not in (8, 12, 13, 14):
        raise InvalidGtin("A code is a GTIN (8, 12, 13 or 14 digits) or a PLU (4 or 5 digits).")
    return normalize_gtin(value), GTIN


@dataclass(frozen=True)
class ScannedCode:
    """What a scanned barcode or typed code points at."""

    gtin: str | None = None  # 14 digits, variable measure zeroed for scale labels
    product_id: str | None = None
    weight: Decimal | None = None  # kg, from a scale label
    price: Decimal | None = None  # from a price-embedded scale label
    plu: str | None = None  # 4-5 digits typed for loose produce (or a numeric shelf code)


def parse_scanned_code(code: str) -> ScannedCode:
    """Read a GTIN (any length), a scale's variable-measure EAN-13, a PLU or a shop product id."""
    code = (code or "").strip()
    if is_plu(code):
        return ScannedCode(plu=code, product_id=code)
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return ScannedCode(product_id=code)
    config = biip.ParseConfig(rcn_region=settings.RCN_REGION)
    try:
        result = biip.parse(code, config=config)
    except biip.ParseError:
        return ScannedCode(product_id=code)
    gtin = result.gtin
    if gtin is None:
        return ScannedCode(product_id=code)
    weight = getattr(gtin, "weight", None)
    price = getattr(gtin, "price", None)
    if weight is not None or price is not None:
        # A scale label: the item is the GTIN with its weight or price digits zeroed.
        return ScannedCode(
            gtin=gtin.without_variable_measure().as_gtin_14(), weight=weight, price=price
        )
    return ScannedCode(gtin=gtin.as_gtin_14(), product_id=code)
