from django.utils.translation import gettext_lazy as _
from rest_framework import status

from grocery.errors import DomainError, NotFound


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status_code = status.HTTP_400_BAD_REQUEST
    message = _("The email or password is wrong.")


class AccountLocked(DomainError):
    code = "account_locked"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    message = _("This account is locked after too many failed sign-ins: try again later.")


class WrongPassword(DomainError):
    code = "wrong_password"
    status_code = status.HTTP_400_BAD_REQUEST
    message = _("The password is wrong: the account was not deleted.")


class EmailTaken(DomainError):
    code = "email_taken"
    status_code = status.HTTP_409_CONFLICT
    message = _("An account with this email already exists: sign in, or reset the password.")


class InvalidResetLink(DomainError):
    code = "invalid_reset_link"
    status_code = status.HTTP_400_BAD_REQUEST
    message = _("This password reset link is invalid or has expired: ask for a new one.")


class NotYourAccount(DomainError):
    code = "not_your_account"
    status_code = status.HTTP_403_FORBIDDEN
    message = _("customer_id names another customer's account.")


class SignInToRedeem(DomainError):
    code = "sign_in_to_redeem"
    status_code = status.HTTP_403_FORBIDDEN
    message = _("Sign in to redeem points: a card number alone only collects them.")


class InvalidCardNumber(DomainError):
    code = "invalid_card_number"
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    message = _("This loyalty card number's check digit does not match: a typo?")


class UnknownCard(NotFound):
    code = "unknown_card"
    message = _("No loyalty card has this number.")


class InsufficientPoints(DomainError):
    code = "insufficient_points"
    status_code = status.HTTP_409_CONFLICT
    message = _("Not enough points.")
