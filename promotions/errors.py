from rest_framework import status

from grocery.errors import DomainError, NotFound


class PromotionNotFound(NotFound):
    code = "promotion_not_found"
    message = "No promotion with that id."


class TooManyActivePromotions(DomainError):
    code = "too_many_active_promotions"
    status_code = status.HTTP_409_CONFLICT
    message = "Too many promotions would run at the same moment."
