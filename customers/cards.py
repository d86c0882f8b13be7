"""Loyalty card numbers: EAN-13 in the shop's in-store range (LOYALTY_CARD_PREFIX), the rest of
the digits random, so a card number says nothing about its account and cannot be guessed from
another one; the check digit catches a mistyped number before the database is asked."""

import secrets

from django.conf import settings


def check_digit(first_twelve: str) -> str:
    """EAN-13: digits weighted 1, 3, 1, 3, ... from the left; the check makes the sum a multiple
    of ten."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first_twelve))
    return str(-total % 10)


def new_card_number() -> str:
    prefix = settings.LOYALTY_CARD_PREFIX
    body = prefix + "".join(str(secrets.randbelow(10)) for _ in range(12 - len(prefix)))
    return body + check_digit(body)


def looks_like_card_number(value: str) -> bool:
    """13 digits in the card range: meant as a card (valid or mistyped), not a free label."""
    return (
        len(value) == 13
        and value.isascii()
        and value.isdigit()
        and value.startswith(settings.LOYALTY_CARD_PREFIX)
    )


def has_valid_check_digit(number: str) -> bool:
    return check_digit(number[:12]) == number[12]
