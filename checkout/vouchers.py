"""Deposit-return vouchers: the EAN-13 the shop's reverse vending machine prints, read by the
layout in settings (P prefix, S store, N serial, A amount in cents, C check digit). Whether a
voucher was already redeemed is the database's to say (VoucherRedemption's unique code)."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from catalog.gtin import InvalidGtin, normalize_gtin
from checkout.errors import InvalidVoucher, VoucherOtherShop
from grocery.money import from_cents


@dataclass(frozen=True)
class Voucher:
    code: str
    amount: Decimal


def _digits(code: str, letter: str) -> str:
    return "".join(d for d, x in zip(code, settings.VOUCHER_LAYOUT, strict=True) if x == letter)


def parse_voucher(code: str) -> Voucher:
    code = (code or "").strip()
    if not (len(code) == 13 and code.isdigit()):
        raise InvalidVoucher("A deposit voucher is a 13-digit EAN-13.", voucher=code)
    try:
        normalize_gtin(code)
    except InvalidGtin as exc:
        raise InvalidVoucher(
            f"Voucher {code}: the check digit does not match.", voucher=code
        ) from exc
    if _digits(code, "P") != settings.VOUCHER_PREFIX:
        raise InvalidVoucher(f"{code} is not a deposit voucher.", voucher=code)
    if _digits(code, "S") != settings.VOUCHER_STORE:
        raise VoucherOtherShop(f"Voucher {code} was printed by another shop.", voucher=code)
    amount = from_cents(int(_digits(code, "A")))
    if amount <= 0:
        raise InvalidVoucher(f"Voucher {code} is worth nothing.", voucher=code)
    return Voucher(code=code, amount=amount)


def parse_vouchers(codes) -> list[Voucher]:
    vouchers = [parse_voucher(code) for code in codes]
    seen: set[str] = set()
    for voucher in vouchers:
        if voucher.code in seen:
            raise InvalidVoucher(f"Voucher {voucher.code} is listed twice.", voucher=voucher.code)
        seen.add(voucher.code)
    return vouchers
