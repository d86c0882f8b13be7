"""How a request names its customer: the signed-in user, else the device's cart token (an
X-Cart-Token header or the cookie the API sets). Shared by the cart API and the rate limits."""

CART_COOKIE = "cart_token"
CART_HEADER = "X-Cart-Token"


def cart_token_of(request) -> str | None:
    return request.headers.get(CART_HEADER) or request.COOKIES.get(CART_COOKIE) or None
