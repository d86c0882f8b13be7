from django.utils.translation import gettext_lazy as _
from rest_framework import status

from grocery.errors import DomainError, NotFound


class ProductNotFound(NotFound):
    code = "product_not_found"
    message = _("No product with that code.")


class OutOfStock(DomainError):
    code = "out_of_stock"
    status_code = status.HTTP_409_CONFLICT
    message = _("Not enough stock.")


class InvalidCode(DomainError):
    code = "invalid_code"
    message = _("A code is a GTIN (8, 12, 13 or 14 digits) or a PLU (4 or 5 digits).")


class CodeInUse(DomainError):
    """Every code finds one product: the message and detail name the product that has it."""

    code = "code_in_use"
    status_code = status.HTTP_409_CONFLICT
    message = _("That code already belongs to another product.")


class CodeNotFound(NotFound):
    code = "code_not_found"
    message = _("The product has no such further code.")


class UnknownStore(NotFound):
    code = "unknown_store"
    message = _("No open store with that code.")


class NotListedInStore(DomainError):
    code = "not_listed_in_store"
    status_code = status.HTTP_409_CONFLICT
    message = _("This store does not sell that product.")


class InvalidPrice(DomainError):
    code = "invalid_price"
    message = _("A price is never below zero.")


class NotYourStore(DomainError):
    """A staff member acting on a store they do not work for (catalog.selectors.stores_of)."""

    code = "not_your_store"
    status_code = status.HTTP_403_FORBIDDEN
    message = _("You do not work for that store.")
