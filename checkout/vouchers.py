"""Deposit-return vouchers: the EAN-13 the shop's reverse vending machine prints, read by the
layout in settings (P prefix, S store, N serial, A amount in cents, C check digit). Whether a
voucher was already redeemed is the database's to say (VoucherRedemption's unique code)."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.gtin import InvalidGtin, normalize_gtin
from checkout.errors import InvalidVoucher, VoucherOtherShop
from grocery.money import from_cents


@dataclass(frozen=True)
class Voucher:
    code: str
    amount: Decimal


def _digits(code: str, letter: str) -> str:
    # Both are 13 long (checked first, and settings refuse another layout), so `strict` only
    # asserts it: not mutated.
    pairs = zip(code, settings.VOUCHER_LAYOUT, strict=True)  # pragma: no mutate
    return "".join(d for d, x in pairs if x == letter)


def parse_voucher(code: str) -> Voucher:
    code = (code or "").strip()
    if not (len(code) == 13 and code.isdigit()):
        raise InvalidVoucher(_("A deposit voucher is a 13-digit EAN-13."), voucher=code)
    try:
        normalize_gtin(code)
    except InvalidGtin as exc:
        raise InvalidVoucher(
            _("Voucher %(code)s: the check digit does not match.") % {"code": code}, voucher=code
        ) from exc
    if _digits(code, "P") != settings.VOUCHER_PREFIX:
        raise InvalidVoucher(_("%(code)s is not a deposit voucher.") % {"code": code}, voucher=code)
    if _digits(code, "S") != settings.VOUCHER_STORE:
        raise VoucherOtherShop(
            _("Voucher %(code)s was printed by another shop.") % {"code": code}, voucher=code
        )
    amount = from_cents(int(_digits(code, "A")))
    if amount <= 0:
        raise InvalidVoucher(_("Voucher %(code)s is worth nothing.") % {"code": code}, voucher=code)
    return Voucher(code=code, amount=amount)


def redeemed_message(codes: list[str]) -> str:
    """What the customer reads when vouchers were already spent, in their language."""
    return ngettext(
        "Voucher %(codes)s was already redeemed.",
        "Vouchers %(codes)s were already redeemed.",
        len(codes),
    ) % {"codes": ", ".join(codes)}


def parse_vouchers(codes) -> list[Voucher]:
    vouchers = [parse_voucher(code) for code in codes]
    seen: set[str] = set()
    for voucher in vouchers:
        if voucher.code in seen:
            raise InvalidVoucher(
                _("Voucher %(code)s is listed twice.") % {"code": voucher.code},
                voucher=voucher.code,
            )
        seen.add(voucher.code)
    return vouchers
