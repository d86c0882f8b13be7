"""Bad input never reaches a view as a 500, and the API never answers in HTML.

RequestGuardMiddleware refuses, before any view runs, what no view can handle: a NUL byte in
the path or query (PostgreSQL rejects NUL in text, so a lookup would fail as a server error) and
an API body larger than DATA_UPLOAD_MAX_MEMORY_SIZE (Django would raise RequestDataTooBig
while reading it, which it renders as a bare 400). For /api/ paths it also turns any error
that did not come from our JSON handlers (Django's 405 from @require_GET, a CSRF or 404 page)
into the API's error shape, keeping the status and headers such as Allow.
"""

from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import JsonResponse

from grocery.errors import error_body

API_PREFIX = "/api/"
ERROR_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
}


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def has_nul(request) -> bool:
    query = request.META.get("QUERY_STRING", "")
    return "\x00" in request.path_info or b"\x00" in unquote_to_bytes(query.replace("+", " "))


def declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if has_nul(request):
            return JsonResponse(
                error_body("invalid", "The path or query contains a NUL byte."), status=400
            )
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if is_api(request) and limit is not None and declared_length(request) > limit:
            return JsonResponse(
                error_body("too_large", "The request body is too large.", {"max_bytes": limit}),
                status=413,
            )
        response = self.get_response(request)
        if is_api(request) and response.status_code >= 400 and not is_json(response):
            return as_json_error(response)
        return response


def is_json(response) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


def as_json_error(response):
    """The same status and headers, with the error shape as the body."""
    status = response.status_code
    code = ERROR_CODES.get(status, "server_error" if status >= 500 else "error")
    message = response.reason_phrase + "."
    converted = JsonResponse(error_body(code, message), status=status)
    for header, value in response.items():
        if header.lower() not in {"content-type", "content-length"}:
            converted[header] = value
    converted.cookies = response.cookies
    return converted
