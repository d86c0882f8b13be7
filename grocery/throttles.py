"""Rate limits for the API's write paths: per customer, with a per-address ceiling above them.

Rates live in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (set from the environment in settings)
and are read on every request, so a test or an operator's override takes effect at once.

Counting is a fixed window on one cache counter (an atomic INCR on Redis), not DRF's list of
timestamps: at the per-address ceiling that list would hold thousands of entries, read and
rewritten on every request, and two concurrent requests could both slip through its
read-modify-write. A fixed window lets a client spend up to twice the rate across a window
edge, which is fine for a ceiling against floods.

The counters live in the shared cache and fail open: when Redis is out (or hangs), requests
are served unthrottled rather than refused, through the same circuit breaker as every other
cache call (grocery.cache).
"""

import hashlib
import time

from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from grocery.cache import cache_count
from grocery.customer import cart_token_of


def client_address(request) -> str:
    """The client's address (REST_FRAMEWORK's NUM_PROXIES says how many proxies to skip), for
    the throttles and for the admin's login lockout alike."""
    return BaseThrottle().get_ident(request)


class WindowRateThrottle(BaseThrottle):
    """At most N requests per window for one key; subclasses say whose key and which rate."""

    scope: str = ""

    def rate_scope(self, view) -> str:
        return self.scope

    def ident(self, request) -> str:
        return self.get_ident(request)

    def rate(self, view) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.rate_scope(view))

    def allow_request(self, request, view) -> bool:
        rate = self.rate(view)
        if rate is None:
            return True
        limit, seconds = parse_rate(rate)
        now = time.time()
        window = int(now // seconds)
        self.retry_after = (window + 1) * seconds - now
        key = f"throttle:{self.rate_scope(view)}:{self.ident(request)}:{window}"
        count = cache_count(key, timeout=seconds)
        return count is None or count <= limit  # None: the cache is out, so let it through

    def wait(self) -> float:
        return self.retry_after


def parse_rate(rate: str) -> tuple[int, int]:
    """'60/min' -> (60, 60); the period's first letter counts, as in DRF ('s', 'm', 'h', 'd')."""
    number, period = rate.split("/")
    return int(number), {"s": 1, "m": 60, "h": 3600, "d": 86_400}[period[0]]


class CustomerRateThrottle(WindowRateThrottle):
    """Per customer: the signed-in user, else the cart token, else the address.

    A view names its scope in `throttle_scope` ("cart", "quote", "checkout"), so that scanning
    fast does not use up the checkout's allowance.
    """

    def rate_scope(self, view) -> str:
        return view.throttle_scope

    def ident(self, request) -> str:
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        if token := cart_token_of(request):
            # Hashed: the token is a bearer secret, and a client may send any length.
            return "cart:" + hashlib.sha256(token.encode()).hexdigest()[:32]
        return f"ip:{self.get_ident(request)}"


class AddressRateThrottle(WindowRateThrottle):
    """One ceiling for everything throttled that comes from one address, whatever the tokens:
    a client minting a new cart token per request still meets it."""

    scope = "address"


CUSTOMER_THROTTLES = [CustomerRateThrottle, AddressRateThrottle]
