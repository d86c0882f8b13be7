"""Accounts, optional: anonymous use (the cart token) stays the default. Email and password go
through Django's auth (its password validators, its hashers, its reset tokens); a signed-in
customer's session lasts CUSTOMER_SESSION_AGE on their phone.
"""

import uuid

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework.exceptions import ValidationError as InvalidInput

from checkout.services.carts import adopt_anonymous_cart, release_customer_records
from customers.cards import new_card_number
from customers.errors import (
    AccountLocked,
    EmailTaken,
    InvalidCredentials,
    InvalidResetLink,
    WrongPassword,
)
from customers.models import Customer
from customers.services.loyalty import forfeit_points

User = get_user_model()


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _check_password(password: str, user) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidInput({"password": list(exc.messages)}) from None


def sign_up(*, request, email: str, password: str, cart_token: str | None) -> Customer:
    """A new account, signed in at once; the device's cart and receipts become the account's."""
    email = normalize_email(email)
    user = User(username=email, email=email)
    _check_password(password, user)
    if User.objects.filter(username__iexact=email).exists():
        raise EmailTaken()
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            customer = _create_customer(user)
    except IntegrityError:
        raise EmailTaken() from None  # two sign-ups with one email raced
    _start_session(request, user, cart_token)
    return customer


def _create_customer(user) -> Customer:
    for _ in range(5):  # 10^10 numbers: a collision is rare, five in a row never happens
        try:
            with transaction.atomic():
                return Customer.objects.create(user=user, card_number=new_card_number())
        except IntegrityError:
            continue
    raise RuntimeError("Could not find a free loyalty card number.")


def sign_in(*, request, email: str, password: str, cart_token: str | None) -> Customer:
    """Only customers sign in here: a staff account gets the same answer as a wrong password
    (staff use the admin, whose sessions are short)."""
    user = authenticate(request, username=normalize_email(email), password=password)
    if getattr(request, "axes_locked_out", False):
        # Answered here in the API's error shape; axes' middleware would send its admin page.
        request.axes_locked_out = False
        raise AccountLocked(settings.AXES_COOLOFF_MESSAGE)
    customer = Customer.objects.filter(user=user).first() if user is not None else None
    if customer is None:
        raise InvalidCredentials()
    _start_session(request, user, cart_token)
    return customer


def _start_session(request, user, cart_token: str | None) -> None:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.set_expiry(settings.CUSTOMER_SESSION_AGE)
    adopt_anonymous_cart(user=user, token=cart_token)


def sign_out(*, request) -> None:
    logout(request)


def request_password_reset(*, email: str, reset_url: str) -> None:
    """Mail a reset link if a customer has this email. The caller answers the same either way,
    so the form tells nobody which emails have accounts."""
    email = normalize_email(email)
    customer = Customer.objects.select_related("user").filter(user__email__iexact=email).first()
    if customer is None or not customer.user.is_active:
        return
    user = customer.user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = f"{reset_url}?uid={uid}&token={token}"
    send_mail(
        subject="Reset your password",
        message=f"To choose a new password, open this link:\n\n{link}\n\n"
        "If you did not ask for it, ignore this email: your password stays as it is.",
        from_email=None,
        recipient_list=[user.email],
    )


def reset_password(*, uid: str, token: str, password: str) -> None:
    try:
        pk = int(urlsafe_base64_decode(uid).decode())
        user = User.objects.get(pk=pk, customer__isnull=False)
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError, User.DoesNotExist):
        raise InvalidResetLink() from None
    if not default_token_generator.check_token(user, token):
        raise InvalidResetLink()
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])  # changes the hash: the link works once


def delete_account(*, request, customer: Customer, password: str) -> None:
    """The customer leaves: nothing left points at them, what the shop must keep stays.

    Kept, with no personal link: their orders (totals, lines, VAT and payments are the shop's
    books), the ledger (append-only; a forfeit entry takes the balance to zero) and coupon uses
    (a coupon's "uses overall" counts rows, so they stay, still on the customer row, which keeps
    nothing personal: no user details, no card number that a checkout could name).
    Gone: the user's email, names and password, carts, sign-in records, the session."""
    user = customer.user
    if not user.check_password(password):
        raise WrongPassword()  # a phone left signed in must not lose its account in one tap
    email = user.email
    now = timezone.now()
    with transaction.atomic(durable=True):
        release_customer_records(user=user, card_number=customer.card_number, at=now)
        forfeit_points(customer=customer, reason="account deleted: points forfeited")
        customer.card_number = f"D{customer.pk:012d}"  # not a card: no checkout can name it
        customer.deleted_at = now
        customer.save(update_fields=["card_number", "deleted_at"])
        # The user row stays (the customer row hangs on it), emptied: the email is free to sign
        # up again as a new account.
        user.username = f"deleted-{uuid.uuid4().hex}"
        user.email = user.first_name = user.last_name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save(
            update_fields=["username", "email", "first_name", "last_name", "is_active", "password"]
        )
        for log in (AccessAttempt, AccessFailureLog, AccessLog):
            log.objects.filter(username__iexact=email).delete()
    logout(request)
