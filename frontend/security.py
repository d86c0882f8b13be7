"""Browser security headers for every response: the Content-Security-Policy (django-csp, base
policy in settings.CONTENT_SECURITY_POLICY), where violations are reported, and Permissions-Policy.

The base policy is the PWA's and it is strict: our own origin only, scripts with the page's nonce,
no inline styles. Two kinds of page need more, and get it by path rather than by loosening the
PWA's policy:
- the Django admin and Swagger UI use inline styles (<style> blocks in their templates, style
  attributes), and Swagger UI's CSS draws its icons as data: images;
- with PAYMENT_GATEWAY=stripe, the PWA loads Stripe.js and its Payment Element frames, with the
  origins Stripe documents for a Content-Security-Policy (docs.stripe.com/security/guide).
"""

from functools import lru_cache
from urllib.parse import urlsplit

from csp.constants import HEADER, UNSAFE_INLINE
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from csp.utils import build_policy
from django.conf import settings

# Pages that are not the PWA: staff pages built from Django's and drf-spectacular's templates.
INLINE_STYLE_PREFIXES = ("/admin/", "/api/docs/")
STRIPE_FRAMES = ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"]
STRIPE_SCRIPTS = ["https://*.js.stripe.com"]  # beside STRIPE_JS_URL's origin
STRIPE_API = "https://api.stripe.com"
REPORT_GROUP = "csp"

# Only the camera, only for our own pages; everything else the shop never uses is switched off,
# so an injected script cannot ask for it either.
DENIED_FEATURES = [
    "geolocation",
    "microphone",
    "usb",
    "serial",
    "hid",
    "midi",
    "magnetometer",
    "gyroscope",
    "accelerometer",
    "display-capture",
    "browsing-topics",
]


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def stripe_on() -> bool:
    return settings.PAYMENT_GATEWAY == "stripe"


@lru_cache(maxsize=8)
def permissions_policy(stripe_js_origin: str | None) -> str:
    # Stripe's Payment Element offers wallets (Payment Request API) from inside its frame.
    payment = f'(self "{stripe_js_origin}")' if stripe_js_origin else "()"
    features = ["camera=(self)", f"payment={payment}", *(f"{f}=()" for f in DENIED_FEATURES)]
    return ", ".join(features)


def _frozen(directives: dict) -> tuple:
    return tuple(sorted((k, v if isinstance(v, str) else tuple(v)) for k, v in directives.items()))


@lru_cache(maxsize=64)
def _policy_without_nonce(base_policy_id: int, update: tuple, replace: tuple) -> str:
    """Keyed by the base policy's identity too, so that overridden settings (tests) are seen."""
    return build_policy(update=dict(update), replace=dict(replace))


# Set by django-csp's decorators on a response: such a view's policy takes the general path.
VIEW_POLICY_ATTRS = ("_csp_config", "_csp_update", "_csp_replace", "_csp_exempt")


class SecurityHeadersMiddleware(CSPMiddleware):
    """django-csp's middleware plus the per-path additions above, the Reporting API endpoint when
    CSP_REPORTING_API is on, and Permissions-Policy."""

    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        update: dict = {}
        replace: dict = {}
        if request.path_info.startswith(INLINE_STYLE_PREFIXES):
            update["style-src"] = [UNSAFE_INLINE]
            update["img-src"] = ["data:"]
        elif stripe_on():
            update["script-src"] = [origin_of(settings.STRIPE_JS_URL), *STRIPE_SCRIPTS]
            update["connect-src"] = [STRIPE_API]
            replace["frame-src"] = STRIPE_FRAMES
        if settings.CSP_REPORTING_API:
            update["report-to"] = REPORT_GROUP
        parts.update = {**update, **(parts.update or {})}
        parts.replace = {**replace, **(parts.replace or {})}
        return parts

    def _policy_is_shared(self, request, response) -> bool:
        """Most responses (the API's JSON) use no nonce, so their policy depends only on the path
        and settings: built once instead of twice per request by django-csp (~0.1 ms each)."""
        return (
            getattr(request, "_csp_nonce", None) is None
            and HEADER not in response
            and not any(hasattr(response, attr) for attr in VIEW_POLICY_ATTRS)
            and not getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            and not settings.CONTENT_SECURITY_POLICY.get("EXCLUDE_URL_PREFIXES")
            and not (settings.DEBUG and response.status_code in (404, 500))  # django-csp skips
        )

    def process_response(self, request, response):
        if self._policy_is_shared(request, response):
            parts = self.get_policy_parts(request, response)
            response[HEADER] = _policy_without_nonce(
                id(settings.CONTENT_SECURITY_POLICY), _frozen(parts.update), _frozen(parts.replace)
            )
            # As django-csp does: a nonce asked for after the header is written is an error.
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        else:
            response = super().process_response(request, response)
        if settings.CSP_REPORTING_API:
            report_url = request.build_absolute_uri(settings.CSP_REPORT_URL)
            response.headers.setdefault("Reporting-Endpoints", f'{REPORT_GROUP}="{report_url}"')
        stripe_js_origin = origin_of(settings.STRIPE_JS_URL) if stripe_on() else None
        response.headers.setdefault("Permissions-Policy", permissions_policy(stripe_js_origin))
        return response
