"""Domain errors and the one place that turns any API error into JSON.

Every error body has the same shape: {"code": "...", "message": "...", "detail": {...}}.
"""

from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class DomainError(Exception):
    """A business rule said no. Subclasses set code, status and a message."""

    code = "error"
    status_code = status.HTTP_400_BAD_REQUEST
    message = _("The request could not be processed.")

    def __init__(self, message: str | None = None, **detail):
        self.message = str(message or self.message)  # in the language of the request, now
        self.detail = detail
        super().__init__(self.message)


class NotFound(DomainError):
    code = "not_found"
    status_code = status.HTTP_404_NOT_FOUND
    message = _("Not found.")


def error_body(code: str, message: str, detail=None) -> dict:
    return {"code": code, "message": message, "detail": detail or {}}


def _flatten(detail) -> str:
    """The first human sentence of a DRF validation error, for the top-level message."""
    if isinstance(detail, dict):
        for field, value in detail.items():
            inner = _flatten(value)
            return inner if field == "non_field_errors" else f"{field}: {inner}"
    if isinstance(detail, list) and detail:
        return _flatten(detail[0])
    return str(detail)


def json_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.detail), status=exc.status_code)
    response = exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django's 500 handling log it
    if isinstance(exc, exceptions.ValidationError):
        body = error_body("invalid", _flatten(exc.detail), exc.detail)
    elif isinstance(exc, exceptions.Throttled):
        # DRF's handler has set the Retry-After header; the body says the same for clients
        # that only read JSON.
        body = error_body(
            "throttled", "Too many requests: try again shortly.", {"retry_after": exc.wait}
        )
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "error"
        body = error_body(code, str(getattr(exc, "detail", exc)))
    response.data = body
    return response


def not_found_view(request, exception=None):
    return JsonResponse(error_body("not_found", "Not found.", {"path": request.path}), status=404)


def server_error_view(request):
    return JsonResponse(error_body("server_error", "Internal server error."), status=500)
