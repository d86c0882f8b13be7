"""Reads of promotions, and the cached set of promotions that are running or about to.

The set (every active promotion that has not ended yet, as engine rules plus what the API shows)
lives in the shared cache under a version token, and each process keeps a memo of it:

- correct at validity boundaries without any invalidation: the set holds upcoming promotions too,
  and every read filters by valid_from <= now < valid_until, so a promotion starts and stops at
  its exact second whatever the cache holds;
- changes: promotions.signals deletes the version token once a write commits; the next reader
  sets a fresh token *before* loading from the database, so a snapshot stored under a token is
  never older than the token itself;
- the checkout (discounts_for) checks the token on every call: one cache round trip, so a change
  counts at the very next quote. The product lookup (promotions_for_product) trusts the memo for
  PROMOTIONS_MEMO_SECONDS (default 1 s): no round trip at all on the hot path, and a manager's
  edit shows in product responses on every web process within a second.
- with LOCAL_CACHE on and tracking (grocery.local_cache), the product lookup reads the token from
  process memory instead, which Redis clears the moment the token changes: no round trip and no
  memo period, so an edit shows within milliseconds. The checkout still asks Redis every time.
- a cache outage turns into a database read at most once per memo period per process.

Stores: the one set serves every store. Each promotion carries the codes of the stores it runs
in (None: all of them), and every read names its store (None: the home store, as a request that
names none), so a store's reader skips the others' promotions with one set lookup each.
"""

import json
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Category, Product, Store, home_store_code
from catalog.selectors import check_works_in, sees_every_store, stores_of, with_store_row
from grocery import local_cache
from grocery.cache import cache_delete, cache_get, cache_set
from grocery.money import round_money, sum_money
from promotions.engine import UNIT_KINDS, Discount, Line, Rule, apply_promotions
from promotions.errors import PromotionNotFound, PromotionNotInStore
from promotions.models import AppliesTo, Promotion, Status, normal_coupon_code

VERSION_KEY = "promotions:version"
SPLICED_PER_MEMO = 20_000  # product bodies whose promotions a process remembers (~2 MB)
local_cache.track(VERSION_KEY, void_on_new_epoch=True)


def _snapshot_key(token: str) -> str:
    return f"promotions:snapshot:{token}"


@dataclass(frozen=True)
class Gate:
    """Who may have a promotion: decided here, before the engine, which knows no customers."""

    coupon_code: str | None = None  # applies only when this code is given
    members_only: bool = False
    min_basket: Decimal | None = None  # goods before discounts

    def admits(self, shopper: "Shopper", basket: Decimal) -> bool:
        return (
            (not self.coupon_code or self.coupon_code in shopper.coupons)
            and (shopper.member or not self.members_only)
            and (self.min_basket is None or basket >= self.min_basket)
        )


OPEN = Gate()


@dataclass(frozen=True)
class Shopper:
    """What a basket's buyer brings to the gates: a member account, coupon codes (normalised)."""

    member: bool = False
    coupons: frozenset[str] = frozenset()


ANONYMOUS = Shopper()


@dataclass(frozen=True)
class Live:
    """One promotion in the cached set: the engine's rule and the product response's summary."""

    rule: Rule
    summary: dict  # {"id", "name", "description", "valid_until", "url"}
    gate: Gate = OPEN
    stores: frozenset[str] | None = None  # the codes of the stores it runs in; None: every store

    def runs_in(self, store: str) -> bool:
        return self.stores is None or store in self.stores


@dataclass
class _Memo:
    token: str
    loaded_at: datetime  # promotions that ended before this are not in the set
    promotions: list[Live]
    checked: float = field(default_factory=time.monotonic)
    by_product: dict[str, list[Live]] = field(default_factory=dict)
    by_category: dict[str, list[Live]] = field(default_factory=dict)
    # product_json_with_promotions: (store, body) -> (its promotions as JSON, valid until); the
    # store is in the key because two stores may serve the same bytes but run other promotions
    spliced: dict[tuple[str | None, bytes], tuple[bytes, datetime]] = field(default_factory=dict)

    def __post_init__(self):
        for live in self.promotions:
            if live.gate.coupon_code:  # for those who hold the code, not shown on every product
                continue
            for product_id in live.rule.product_ids:
                self.by_product.setdefault(product_id, []).append(live)
            for slug in live.rule.categories:
                self.by_category.setdefault(slug, []).append(live)


_memo: _Memo | None = None
_memo_lock = threading.Lock()


def forget_active_promotions() -> None:
    """Every process drops the cached set (this one at once, the others within a memo period)."""
    global _memo
    _memo = None
    cache_delete(VERSION_KEY)
    if (local := local_cache.running()) is not None:
        local.invalidate([VERSION_KEY])


def promotion_url(code: str, *, store: str | None = None) -> str:
    """The promotion's page; a poster printed for one store of a chain names it (a code)."""
    url = f"{settings.PUBLIC_BASE_URL}/promo/{code}"
    return f"{url}?store={store}" if store else url


def coupon_url(coupon_code: str) -> str:
    """A printed coupon's QR: the PWA's coupon link, which puts the code on the cart."""
    return f"{settings.PUBLIC_BASE_URL}/c/{coupon_code}"


def promotion_qr_url(code: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}{reverse('promotion-qr', args=[code, 'svg'])}"


def last_day(promotion: Promotion) -> str:
    """The contract's valid_until is a date: the shop's last local day of the promotion."""
    return timezone.localdate(promotion.valid_until - timedelta(microseconds=1)).isoformat()


def _rule(promotion: Promotion) -> Rule:
    return Rule(
        promotion_id=promotion.code,
        name=promotion.name,
        kind=promotion.kind,
        valid_from=promotion.valid_from,
        valid_until=promotion.valid_until,
        product_ids=frozenset(p.product_id for p in promotion.products.all())
        if promotion.applies_to == AppliesTo.PRODUCTS
        else frozenset(),
        categories=frozenset(c.slug for c in promotion.categories.all())
        if promotion.applies_to == AppliesTo.CATEGORIES
        else frozenset(),
        whole_basket=promotion.applies_to == AppliesTo.BASKET,
        percent=promotion.percent,
        amount=promotion.amount,
        buy_quantity=promotion.buy_quantity,
        free_quantity=promotion.free_quantity,
        bundle_quantity=promotion.bundle_quantity,
        pay_quantity=promotion.pay_quantity,
        bundle_price=promotion.bundle_price,
        threshold=promotion.threshold,
        priority=promotion.priority,
        stackable=promotion.stackable,
        active=promotion.is_active,
    )


def _summary(promotion: Promotion) -> dict:
    return {
        "id": promotion.code,
        "name": promotion.name,
        "description": promotion.description,
        "valid_until": last_day(promotion),
        "url": promotion_url(promotion.code),
    }


def _gate(promotion: Promotion) -> Gate:
    return Gate(
        coupon_code=normal_coupon_code(promotion.coupon_code or "") or None,
        members_only=promotion.for_members,
        min_basket=promotion.min_basket,
    )


def _stores(promotion: Promotion) -> frozenset[str] | None:
    return frozenset(s.code for s in promotion.stores.all()) or None


def _load(since: datetime) -> list[Live]:
    promotions = Promotion.objects.not_ended(since).prefetch_related(
        Prefetch("products", queryset=Product.objects.only("id", "product_id")),
        Prefetch("categories", queryset=Category.objects.only("id", "slug")),
        Prefetch("stores", queryset=Store.objects.only("id", "code")),
    )
    return [Live(_rule(p), _summary(p), _gate(p), _stores(p)) for p in promotions]


def _current(max_age: float) -> _Memo:
    global _memo
    memo = _memo
    if memo is not None and time.monotonic() - memo.checked < max_age:
        return memo
    token = cache_get(VERSION_KEY)
    if memo is not None and token is not None and memo.token == token:
        memo.checked = time.monotonic()
        return memo
    with _memo_lock:  # one thread of this process rebuilds; the others wait for its result
        token = cache_get(VERSION_KEY)  # again: another thread may have rebuilt meanwhile
        if _memo is not None and token is not None and _memo.token == token:
            _memo.checked = time.monotonic()
            return _memo
        if token is None:
            token = uuid.uuid4().hex
            cache_set(VERSION_KEY, token)  # before loading: see the module docstring
        snapshot = cache_get(_snapshot_key(token))
        if snapshot is None:
            loaded_at = timezone.now()
            snapshot = (loaded_at, _load(loaded_at))
            cache_set(_snapshot_key(token), snapshot)
        _memo = _Memo(token=token, loaded_at=snapshot[0], promotions=snapshot[1])
        return _memo


def _current_for_lookup() -> _Memo:
    """The product lookup's set: the token from process memory when the local cache is tracking."""
    local = local_cache.current()
    if local is None:
        return _current(settings.PROMOTIONS_MEMO_SECONDS)
    if local.epoch() is None:  # not tracking, or a message unhandled yet: ask Redis
        return _current(0.0)
    token = local.get(VERSION_KEY, lambda: cache_get(VERSION_KEY))
    memo = _memo
    if memo is not None and token is not None and memo.token == token:
        return memo
    return _current(0.0)


def list_live_promotions(
    at: datetime | None = None, *, store: str | None = None, max_age: float = 0.0
) -> list[Live]:
    """Promotions running at `at` (default now) in a store (by code; the home store for None),
    exact to the microsecond, from the cache."""
    at = at or timezone.now()
    store = store or home_store_code()
    memo = _current(max_age)
    # A moment before the set was loaded: it may miss what ended since.
    found = _load(at) if at < memo.loaded_at else memo.promotions
    return [live for live in found if live.rule.is_live(at) and live.runs_in(store)]


def discounts_for(
    lines: Sequence[Line],
    at: datetime | None = None,
    *,
    shopper: Shopper = ANONYMOUS,
    store: str | None = None,
) -> list[Discount]:
    """The discounts the promotions running in a store (by code; the home store for None) give
    these lines (the cart, quote and checkout use this): coupons only with their code, member
    prices only for members, minimum baskets met."""
    at = at or timezone.now()
    # What the receipt's subtotal says: each line's price rounded to the cent, as price_for does.
    basket = sum_money(round_money(line.unit_price * line.quantity) for line in lines)
    rules = [
        live.rule
        for live in list_live_promotions(at, store=store)
        if live.gate.admits(shopper, basket)
    ]
    return apply_promotions(lines, rules, at) if rules else []


def promotions_for_product(
    payload: dict, at: datetime | None = None, *, store: str | None = None
) -> list[dict]:
    """The promotions running in a store (by code; the home store for None) that name this
    product or its category, for product responses.

    Basket-wide promotions are not listed on every product; multibuys and the like are not
    listed on products sold by weight, which they never apply to.
    """
    at = at or timezone.now()
    return _promotions_shown(payload, _memo_at(at), at, store or home_store_code())[0]


def _memo_at(at: datetime) -> _Memo:
    memo = _current_for_lookup()
    if at < memo.loaded_at:  # a moment before the set was loaded: it may miss what ended since
        return _Memo(token="", loaded_at=at, promotions=_load(at))
    return memo


def _promotions_shown(
    payload: dict, memo: _Memo, at: datetime, store: str
) -> tuple[list[dict], datetime]:
    """The summaries shown in a store at `at`, and the next moment one of them may start or stop."""
    found = memo.by_product.get(payload["product_id"], []) + memo.by_category.get(
        payload["category"]["slug"], []
    )
    weighed = payload.get("unit", "each") != "each"
    unique = [
        live
        for live in {live.rule.promotion_id: live for live in found}.values()
        if live.runs_in(store) and not (weighed and live.rule.kind in UNIT_KINDS)
    ]
    unique.sort(key=lambda live: (-live.rule.priority, live.rule.promotion_id))
    boundaries = (
        moment
        for live in unique
        for moment in (live.rule.valid_from, live.rule.valid_until)
        if moment > at
    )
    shown = [live.summary for live in unique if live.rule.is_live(at)]
    return shown, min(boundaries, default=datetime.max.replace(tzinfo=UTC))


def with_promotions(payload: dict, *, store: str | None = None) -> dict:
    """The product plus the promotions running on it now in a store (by code; the home store for
    None), from a per-process memo: no extra query."""
    return {**payload, "promotions": promotions_for_product(payload, store=store)}


def product_json_with_promotions(
    body: bytes, at: datetime | None = None, *, store: str | None = None
) -> bytes:
    """A cached product body (JSON bytes, without promotions) with its running promotions added.

    For a product view that serves cached bytes: the promotions are added on every read rather
    than stored in the product's cache entry, so they start and end at their exact second and a
    promotion change never has to forget thousands of product entries. The memo of the set keeps
    each body's promotions until the next start or end among them, so a repeated scan skips
    parsing the body (a third of the lookup's own cost).
    """
    at = at or timezone.now()
    memo = _memo_at(at)
    key = (store, body)  # None stands for the home store here: resolved on a miss only
    known = memo.spliced.get(key)
    if known is None or at >= known[1]:
        shown, until = _promotions_shown(json.loads(body), memo, at, store or home_store_code())
        known = (json.dumps(shown, separators=(",", ":")).encode(), until)
        if len(memo.spliced) >= SPLICED_PER_MEMO:
            memo.spliced.clear()  # bounded: the bodies it keeps alive are the local cache's own
        memo.spliced[key] = known
    return body[: body.rindex(b"}")] + b',"promotions":' + known[0] + b"}"


def list_active_promotions(
    at: datetime | None = None, *, store: str | None = None
) -> list[Promotion]:
    """For GET /api/promotions: the rows of the promotions running now in a store (by code; the
    home store for None), ids from the cache."""
    codes = [
        live.rule.promotion_id
        for live in list_live_promotions(at, store=store, max_age=0.0)
        if not live.gate.coupon_code  # a coupon is for those who hold its code
    ]
    return list(Promotion.objects.filter(code__in=codes).order_by("-priority", "code"))


def get_promotion(code: str, *, store: Store | None = None) -> Promotion:
    """A promotion by its public id; with a store, only one that runs there (a customer's read)."""
    try:
        promotion = Promotion.objects.get(code=code)
    except Promotion.DoesNotExist:
        raise PromotionNotFound(detail_id=code) from None
    if store is not None and not runs_in_store(promotion, store):
        raise PromotionNotInStore(
            _("Promotion %(id)s does not run in %(store)s.") % {"id": code, "store": store.name},
            id=code,
            store=store.code,
        )
    return promotion


def runs_in_store(promotion: Promotion, store: Store) -> bool:
    """Whether a promotion runs in the store: none chosen means every store."""
    stores = {s.code for s in promotion.stores.all()}
    return not stores or store.code in stores


def promotion_status(promotion: Promotion, at: datetime | None = None) -> tuple[Status, str]:
    """Status and a sentence a customer who scanned an old or early poster can read."""
    at = at or timezone.now()
    status = promotion.status(at)
    if status == Status.ACTIVE:
        return status, f"Running until {last_day(promotion)}."
    if status == Status.UPCOMING:
        first = timezone.localdate(promotion.valid_from).isoformat()
        return status, f"This promotion has not started yet: it starts on {first}."
    if not promotion.is_active:
        return status, "This promotion has been withdrawn."
    return status, f"This promotion ended on {last_day(promotion)}."


def covered_products(promotion: Promotion, *, store: Store) -> QuerySet[Product]:
    """The active products a promotion applies to that the store lists (weighed ones are left out
    of unit deals), each carrying its row in the store as `here` (catalog.selectors.in_store)."""
    products = (
        with_store_row(Product.objects.filter(is_active=True), store)
        .filter(here__is_listed=True)
        .select_related("category")
    )
    if promotion.applies_to == AppliesTo.PRODUCTS:
        products = products.filter(promotions=promotion)
    elif promotion.applies_to == AppliesTo.CATEGORIES:
        products = products.filter(category__in=promotion.categories.all())
    if promotion.kind in UNIT_KINDS:
        products = products.filter(unit="each")
    return products.order_by("product_id")


# --- who manages which promotions ---------------------------------------------------------------


def staff_promotions(user, promotions: QuerySet[Promotion]) -> QuerySet[Promotion]:
    """The promotions a staff member sees in the portal: those that run in one of their stores
    (catalog.selectors.stores_of), including those for every store; a chain manager sees all."""
    if sees_every_store(user):
        return promotions
    links = Promotion.stores.through.objects
    theirs = links.filter(store__in=stores_of(user)).values("promotion")
    return promotions.filter(Q(pk__in=theirs) | ~Q(pk__in=links.values("promotion")))


def stores_not_theirs(user, stores: Sequence[Store]) -> list[Store]:
    """Of the stores a promotion runs in (none: every store), those `user` does not work in. A
    staff member creates, changes and deletes only promotions that run in their own stores, so
    one for every store is a chain manager's, or in a shop with one store its staff's (whose
    store is every store)."""
    mine = set(stores_of(user).values_list("pk", flat=True))
    return [s for s in (stores or Store.objects.order_by("code")) if s.pk not in mine]


def check_manages_promotion_in(user, stores: Sequence[Store]) -> None:
    """Raise NotYourStore (403) naming the first store of `stores` (none: every store) that is
    not the user's."""
    if others := stores_not_theirs(user, stores):
        check_works_in(user, others[0])
