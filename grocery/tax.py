"""VAT: tax classes (their rates in percent: settings.VAT_RATES) and the breakdown per rate.

Shelf prices include VAT, so a receipt's amounts are gross: the tax inside a rate's gross is
gross × rate / (100 + rate), rounded once per rate, and net is what is left. Summing per rate
before rounding is what the EU directive asks (the taxable amount per rate) and is what makes
Σ gross = total and Σ net + Σ tax = total hold to the cent.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import models

from grocery.money import ZERO, json_money, round_money

HUNDRED = Decimal(100)


class TaxClass(models.TextChoices):
    STANDARD = "standard", "standard rate"
    REDUCED = "reduced", "reduced rate"
    ZERO = "zero", "zero rate"


@dataclass(frozen=True)
class TaxEntry:
    rate: Decimal  # percent
    net: Decimal
    tax: Decimal
    gross: Decimal

    def payload(self) -> dict:
        return {
            "rate": float(self.rate),
            "net": json_money(self.net),
            "tax": json_money(self.tax),
            "gross": json_money(self.gross),
        }


def tax_in(gross: Decimal, rate: Decimal) -> Decimal:
    return round_money(gross * rate / (HUNDRED + rate)) if rate else ZERO


def taxes_for(parts: Iterable[tuple[Decimal, Decimal]]) -> list[TaxEntry]:
    """(rate, gross) parts -> one entry per rate used, highest rate first."""
    by_rate: dict[Decimal, Decimal] = {}
    for rate, gross in parts:
        by_rate[rate] = by_rate.get(rate, ZERO) + gross
    entries = []
    for rate in sorted(by_rate, reverse=True):
        gross = by_rate[rate]
        tax = tax_in(gross, rate)
        entries.append(TaxEntry(rate=rate, net=gross - tax, tax=tax, gross=gross))
    return entries


def taxes_payload(entries: Iterable[TaxEntry]) -> list[dict]:
    return [entry.payload() for entry in entries]
