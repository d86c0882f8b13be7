from rest_framework import status

from grocery.errors import DomainError, NotFound


class ProductNotFound(NotFound):
    code = "product_not_found"
    message = "No product with that code."


class OutOfStock(DomainError):
    code = "out_of_stock"
    status_code = status.HTTP_409_CONFLICT
    message = "Not enough stock."
