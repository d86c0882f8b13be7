"""Reads of customers and their points."""

import re

from django.db.models import Sum

from customers.cards import has_valid_check_digit, looks_like_card_number
from customers.errors import (
    InsufficientPoints,
    InvalidCardNumber,
    NotYourAccount,
    SignInToRedeem,
    UnknownCard,
)
from customers.models import Customer, PointsEntry

ACCOUNT_ID = re.compile(r"[1-9][0-9]{0,8}")  # a user id as customer_id: digits, no leading zero


def get_customer_of(user) -> Customer | None:
    """The signed-in user's customer account; None for anonymous users and for staff."""
    if user is None or not user.is_authenticated:
        return None
    return Customer.objects.filter(user=user, deleted_at=None).first()


def points_balance(customer: Customer) -> int:
    total = PointsEntry.objects.filter(customer=customer).aggregate(total=Sum("points"))["total"]
    return total or 0


def list_points(customer: Customer, limit: int = 50):
    return PointsEntry.objects.filter(customer=customer).select_related("order")[:limit]


def get_card(number: str) -> Customer:
    if not has_valid_check_digit(number):
        raise InvalidCardNumber(card_number=number)
    customer = Customer.objects.filter(card_number=number).first()
    if customer is None:
        raise UnknownCard(card_number=number)
    return customer


def resolve_checkout_customer(*, customer_id: str, user, redeem_points: int = 0) -> Customer | None:
    """Whose loyalty account a checkout belongs to, from the SPEC's customer_id, and whether it
    may redeem `redeem_points` (only its signed-in owner, only points it holds: a 409 otherwise;
    the redeem itself checks again under the account's lock).

    - A loyalty card number (13 digits in the card range) names that card: a mistyped one is
      a 422, an unknown one a 404; a signed-in customer may only name their own card (403).
    - A signed-in customer's checkout is theirs: customer_id may be blank, their card number or
      their account id (their user id); naming another customer's account id is a 403.
    - Anything else is a free label stored as sent, as it always was: an anonymous checkout with
      customer_id "789" works exactly as before and collects no points.
    """
    customer = _named_customer(customer_id.strip(), user)
    if redeem_points:
        if customer is None or customer.user_id != user.pk:
            raise SignInToRedeem()
        balance = points_balance(customer)
        if redeem_points > balance:
            raise insufficient_points(redeem_points, balance)
    return customer


def insufficient_points(points: int, balance: int) -> InsufficientPoints:
    return InsufficientPoints(
        f"{points} points asked for, {balance} held.", requested=points, balance=balance
    )


def _named_customer(customer_id: str, user) -> Customer | None:
    mine = get_customer_of(user)
    if looks_like_card_number(customer_id):
        card = get_card(customer_id)
        if mine is not None and card.pk != mine.pk:
            raise NotYourAccount()
        return card
    if mine is None:
        return None
    if (
        ACCOUNT_ID.fullmatch(customer_id)
        and customer_id != str(user.pk)
        and Customer.objects.filter(user_id=int(customer_id)).exists()
    ):
        raise NotYourAccount()
    return mine


def get_customer_of_order(order) -> Customer | None:
    """The account an order's points go to: its signed-in customer's, else the card it named."""
    if order.user_id and (customer := Customer.objects.filter(user_id=order.user_id).first()):
        return customer
    if looks_like_card_number(order.customer_id):
        return Customer.objects.filter(card_number=order.customer_id).first()
    return None
