from django.utils.translation import gettext_lazy as _
from rest_framework import status

from grocery.errors import DomainError, NotFound


class PromotionNotFound(NotFound):
    code = "promotion_not_found"
    message = "No promotion with that id."


class PromotionNotInStore(NotFound):
    """Like a product a store does not list: the promotion runs in other stores only."""

    code = "promotion_not_in_store"
    message = _("This promotion does not run in this store.")


class TooManyActivePromotions(DomainError):
    code = "too_many_active_promotions"
    status_code = status.HTTP_409_CONFLICT
    message = "Too many promotions would run at the same moment."
