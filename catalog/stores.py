"""Which store a request is in: the one place that reads it.

A request names its store by the URL (`/s/{store}`, `?store=`), an `X-Store` header or the cookie
the store's entrance QR leaves (STORE_COOKIE); a cart endpoint falls back to the cart's store.
Naming none means the home store (settings.STORE_ID, the code exit codes always carried): in a
database with one store, the one migrated from the single-shop days, nobody ever names it.
"""

from django.conf import settings

from catalog.errors import UnknownStore
from catalog.models import Store, get_home_store, home_store_code

STORE_HEADER_META = "HTTP_X_STORE"  # the X-Store header, as WSGI names it
STORE_PARAM = "store"
STORE_COOKIE = "store"


def store_code_of(request) -> str | None:
    """The store code a request names, or None: URL, then header, then the entrance's cookie."""
    match = getattr(request, "resolver_match", None)
    if match is not None and (code := match.kwargs.get("store")):
        return code
    # META rather than request.GET and request.headers: building those two on every product
    # lookup cost 12 us, a quarter of what the lookup adds to a bare view (docs/benchmarks.md).
    meta = request.META
    if meta.get("QUERY_STRING") and (code := request.GET.get(STORE_PARAM)):
        return code
    return meta.get(STORE_HEADER_META) or request.COOKIES.get(STORE_COOKIE) or None


def get_store(code: str | None) -> Store:
    """An open store by its code, the home store for None. Raises UnknownStore (404)."""
    if code is None or code == home_store_code():
        store = get_home_store()
    else:
        store = Store.objects.filter(code=code).first()
    if store is None or not store.is_active:
        raise UnknownStore(f"No open store with the code {code}.", store=code)
    return store


def resolve_store(request) -> Store:
    """The store a request names, or the home store."""
    return get_store(store_code_of(request))


def cache_store_code(request) -> str:
    """The store a cached product payload is looked up under, with no query: the code named, else
    the home store's. Only a database miss checks the store exists (catalog.selectors)."""
    return store_code_of(request) or home_store_code()


def list_open_stores() -> list[Store]:
    """The stores a customer can shop in, as the PWA's store switch lists them."""
    return list(Store.objects.filter(is_active=True).order_by("name", "code"))


def remember_store(response, store: Store) -> None:
    """Leave the store on this phone: the cookie every later request without a store falls back
    to. Readable by the PWA (not httponly): it names its cached answers by it (sw.js)."""
    response.set_cookie(
        STORE_COOKIE,
        store.code,
        max_age=settings.CART_COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )
