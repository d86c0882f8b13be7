"""Browser security headers for every response: the Content-Security-Policy (django-csp, base
policy in settings.CONTENT_SECURITY_POLICY), where violations are reported, and Permissions-Policy.

The base policy is the PWA's and it is strict: our own origin only, scripts with the page's nonce,
no inline styles. Two kinds of page need more, and get it by path rather than by loosening the
PWA's policy:
- the Django admin and Swagger UI style elements inline (their own <style> blocks and style
  attributes), and Swagger UI's CSS draws its icons as data: images;
- with PAYMENT_GATEWAY=stripe, the PWA loads Stripe.js and its Payment Element frames, with the
  origins Stripe documents for a Content-Security-Policy (docs.stripe.com/security/guide).
"""

from urllib.parse import urlsplit

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
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
    "bluetooth",
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


def permissions_policy() -> str:
    # Stripe's Payment Element offers wallets (Payment Request API) from inside its frame.
    payment = f'(self "{origin_of(settings.STRIPE_JS_URL)}")' if stripe_on() else "()"
    features = ["camera=(self)", f"payment={payment}", *(f"{f}=()" for f in DENIED_FEATURES)]
    return ", ".join(features)


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

    def process_response(self, request, response):
        response = super().process_response(request, response)
        if settings.CSP_REPORTING_API:
            report_url = request.build_absolute_uri(settings.CSP_REPORT_URL)
            response.headers.setdefault("Reporting-Endpoints", f'{REPORT_GROUP}="{report_url}"')
        response.headers.setdefault("Permissions-Policy", permissions_policy())
        return response
