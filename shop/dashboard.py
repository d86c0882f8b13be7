"""Figures for the manager dashboard on the admin index. Every figure is one SQL aggregate, so the
page stays fast with hundreds of thousands of orders (see bench/dashboard.py).

Each figure is for one store (`store`) or, with None, the whole chain: the stores added up, which
in a shop with one store is that store, read by the very queries it always ran."""

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from catalog.models import StockCountRequest, Store, StoreProduct
from checkout.models import ExitAudit, Order, OrderLine, OrderTax, RefundLine
from checkout.selectors import return_taxes
from frontend.models import CspViolation
from grocery.money import ZERO, round_money, sum_money
from promotions.models import Promotion


def _no_jit(selector):
    """Run a dashboard query with PostgreSQL's JIT off.

    The planner overestimates rows from jsonb_array_elements and aggregates over a month of
    sales, so it JIT-compiles queries that run in ~100 ms: measured 3.4 s of compiling for a
    2.8 s query (bench/dashboard.py). SET LOCAL keeps the change inside this transaction.
    """

    @wraps(selector)
    def run(*args, **kwargs):
        if connection.vendor != "postgresql":
            return selector(*args, **kwargs)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
            return selector(*args, **kwargs)

    return run


@dataclass(frozen=True)
class SalesFigure:
    label: str
    revenue: Decimal
    orders: int

    @property
    def average_basket(self) -> Decimal:
        return (self.revenue / self.orders).quantize(Decimal("0.01")) if self.orders else ZERO


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _in_store(rows, store: Store | None, path: str = "store"):
    """Rows of one store (through `path` to it), or all of them for the whole chain."""
    return rows if store is None else rows.filter(**{path: store})


def _paid_since(since: datetime, store: Store | None = None):
    return _in_store(Order.objects.filter(status__in=Order.PAID, created_at__gte=since), store)


def _net_revenue():
    # Refunds come off the day's takings; fully refunded sales are no longer "paid".
    return Coalesce(Sum(F("total") - F("refunded_amount")), ZERO)


@_no_jit
def get_sales_figures(today: date, store: Store | None = None) -> list[SalesFigure]:
    starts = {
        "Today": _day_start(today),
        "Last 7 days": _day_start(today - timedelta(days=6)),
        "Last 30 days": _day_start(today - timedelta(days=29)),
    }
    aggregates = {}
    for n, since in enumerate(starts.values()):
        aggregates[f"revenue_{n}"] = Coalesce(
            Sum(F("total") - F("refunded_amount"), filter=Q(created_at__gte=since)), ZERO
        )
        aggregates[f"count_{n}"] = Count("pk", filter=Q(created_at__gte=since))
    row = _paid_since(starts["Last 30 days"], store).aggregate(**aggregates)
    return [
        SalesFigure(label, row[f"revenue_{n}"], row[f"count_{n}"]) for n, label in enumerate(starts)
    ]


@_no_jit
def get_daily_sales(
    today: date, days: int = 30, store: Store | None = None
) -> list[tuple[date, Decimal]]:
    """Net revenue per local calendar day, oldest first, days without sales included as zero."""
    first = today - timedelta(days=days - 1)
    rows = (
        _paid_since(_day_start(first), store)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(revenue=_net_revenue())
        .values_list("day", "revenue")
    )
    found = dict(rows)
    return [
        (first + timedelta(days=i), found.get(first + timedelta(days=i), ZERO)) for i in range(days)
    ]


@_no_jit
def list_top_products(
    today: date, days: int = 30, limit: int = 8, store: Store | None = None
) -> list[dict]:
    lines = OrderLine.objects.filter(
        transaction__status__in=Order.PAID,
        transaction__created_at__gte=_day_start(today - timedelta(days=days - 1)),
    )
    return list(
        _in_store(lines, store, "transaction__store")
        .values("product_id", "product_code", "name", "unit")
        .annotate(quantity=Sum("quantity"), revenue=Sum("line_total"))
        .order_by("-revenue")[:limit]
    )


@_no_jit
def get_payment_status_counts(
    today: date, days: int = 30, store: Store | None = None
) -> dict[str, int]:
    orders = Order.objects.filter(created_at__gte=_day_start(today - timedelta(days=days - 1)))
    counts = _in_store(orders, store).aggregate(
        pending=Count("pk", filter=Q(status__in=Order.OPEN)),
        failed=Count("pk", filter=Q(status=Order.Status.FAILED)),
        refunded=Count("pk", filter=Q(status=Order.Status.REFUNDED)),
        succeeded=Count("pk", filter=Q(status__in=Order.PAID)),
    )
    return counts


_UPTAKE_SQL = {
    "postgresql": """
        SELECT d.value->>'promotion_id', COUNT(DISTINCT l.transaction_id),
               SUM((d.value->>'amount')::numeric)
        FROM checkout_orderline l
        JOIN checkout_order t ON t.id = l.transaction_id
        CROSS JOIN LATERAL jsonb_array_elements(l.discounts) d
        WHERE t.status = ANY(%s) AND t.created_at >= %s {store}
        GROUP BY 1 ORDER BY 3 DESC LIMIT %s
    """,
    "sqlite": """
        SELECT json_extract(d.value, '$.promotion_id'), COUNT(DISTINCT l.transaction_id),
               SUM(CAST(json_extract(d.value, '$.amount') AS REAL))
        FROM checkout_orderline l
        JOIN checkout_order t ON t.id = l.transaction_id, json_each(l.discounts) d
        WHERE t.status IN %s AND t.created_at >= %s {store}
        GROUP BY 1 ORDER BY 3 DESC LIMIT %s
    """,
}


@_no_jit
def list_promotion_uptake(
    today: date, days: int = 30, limit: int = 8, store: Store | None = None
) -> list[dict]:
    """Per promotion: paid orders that used it, their share of all paid ones, money given."""

    since = _day_start(today - timedelta(days=days - 1))
    sql = _UPTAKE_SQL["postgresql" if connection.vendor == "postgresql" else "sqlite"]
    sql = sql.format(store="" if store is None else "AND t.store_id = %s")
    in_store = [] if store is None else [store.pk]
    statuses = tuple(str(s) for s in Order.PAID)
    if connection.vendor != "postgresql":
        sql = sql.replace("IN %s", "IN (" + ", ".join(["%s"] * len(statuses)) + ")")
        params = [*statuses, since, *in_store, limit]
    else:
        params = [list(statuses), since, *in_store, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    paid = _paid_since(since, store).count()
    names = {}
    for promo in Promotion.objects.filter(
        Q(code__in=[r[0] for r in rows])
        | Q(pk__in=[int(r[0]) for r in rows if str(r[0]).isdigit()])
    ):
        names[promo.code] = names[str(promo.pk)] = promo
    return [
        {
            "promotion": names.get(str(code)),
            "code": code,
            "orders": used,
            "share": round(100 * used / paid) if paid else 0,
            "discount": Decimal(str(given or 0)).quantize(Decimal("0.01")),
        }
        for code, used, given in rows
    ]


def _stocked_rows(store: Store | None):
    """The stock rows the alerts watch too (catalog.alerts): listed, active products in open
    stores; a row's blank reorder level is the catalogue's."""
    rows = StoreProduct.objects.filter(
        is_listed=True, product__is_active=True, store__is_active=True
    ).annotate(level=Coalesce("reorder_level", "product__reorder_level"))
    return _in_store(rows, store)


_OUT = Q(stock__lte=0)
_LOW = Q(stock__gt=0, stock__lte=F("level"))


@_no_jit
def list_stock_problems(limit: int = 8, store: Store | None = None) -> dict:
    """Products out of stock or low in the store; for the whole chain, each store's added up (a
    product low in two stores counts, and is listed, twice)."""
    rows = _stocked_rows(store)
    counts = rows.aggregate(out_count=Count("pk", filter=_OUT), low_count=Count("pk", filter=_LOW))
    fields = {
        "product_pk": F("product__pk"),
        "product_code": F("product__product_id"),
        "name": F("product__name"),
        "unit": F("product__unit"),
        "store_code": F("store__code"),
    }
    out = rows.filter(_OUT).order_by("product__product_id", "store__code")
    low = rows.filter(_LOW).order_by("stock", "product__product_id", "store__code")
    return {
        **counts,
        "out": list(out.values("stock", "level", **fields)[:limit]),
        "low": list(low.values("stock", "level", **fields)[:limit]),
    }


def list_count_requests(limit: int = 8, store: Store | None = None) -> dict:
    """Products a sale found short (STOCK_POLICY=record), oldest first: staff should count them,
    with the stock the request's store records now."""
    open_requests = _in_store(StockCountRequest.objects.filter(closed_at__isnull=True), store)
    stock_there = StoreProduct.objects.filter(store=OuterRef("store"), product=OuterRef("product"))
    return {
        "count": open_requests.count(),
        "open": list(
            open_requests.select_related("product", "store")
            .annotate(stock_there=Subquery(stock_there.values("stock")[:1]))
            .order_by("opened_at", "id")[:limit]
        ),
    }


@_no_jit
def list_store_figures(today: date, stores: list[Store], days: int = 30) -> list[dict]:
    """The chain view's table: per store, net revenue and paid orders of the last `days` days
    and its stock problems; in two aggregates, whatever the number of stores."""
    sales = {
        row["store"]: row
        for row in _paid_since(_day_start(today - timedelta(days=days - 1)))
        .values("store")
        .annotate(revenue=_net_revenue(), orders=Count("pk"))
    }
    stock = {
        row["store"]: row
        for row in _stocked_rows(None)
        .values("store")
        .annotate(out=Count("pk", filter=_OUT), low=Count("pk", filter=_LOW))
    }
    # A store closed since still shows while its sales are in the window: the table adds up.
    if closed := set(sales) - {store.pk for store in stores}:
        stores = sorted([*stores, *Store.objects.filter(pk__in=closed)], key=lambda s: s.code)
    return [
        {
            "store": store,
            "revenue": sales.get(store.pk, {}).get("revenue", ZERO),
            "orders": sales.get(store.pk, {}).get("orders", 0),
            "out": stock.get(store.pk, {}).get("out", 0),
            "low": stock.get(store.pk, {}).get("low", 0),
        }
        for store in stores
    ]


def list_csp_violations(limit: int = 8) -> dict:
    """Payment page integrity: the most recently seen kinds of CSP violation browsers reported.
    On a shop whose pages run only its own scripts, any row is worth a look (an injected script,
    a browser extension, or a page change that forgot the policy)."""

    return {
        "recent": list(CspViolation.objects.order_by("-last_seen")[:limit]),
        "kinds": CspViolation.objects.count(),
    }


@_no_jit
def list_exit_audits(today: date, days: int = 7, store: Store | None = None) -> dict:
    """Exit audits per local day in the store (all of them for the chain): how many, how many
    found a discrepancy, and the value charged or written off. One aggregate."""
    first = today - timedelta(days=days - 1)
    discrepancy = ~Q(missing=[], extra=[])
    audits = ExitAudit.objects.filter(created_at__gte=_day_start(first))
    rows = (
        _in_store(audits, store, "transaction__store")
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(
            audits=Count("pk"),
            discrepancies=Count("pk", filter=discrepancy),
            charged=Coalesce(Sum("amount", filter=Q(outcome=ExitAudit.Outcome.CHARGED)), ZERO),
            written_off=Coalesce(
                Sum("amount", filter=Q(outcome=ExitAudit.Outcome.WRITTEN_OFF)), ZERO
            ),
        )
        .order_by("-day")
    )
    days_found = [
        {**row, "rate": round(100 * row["discrepancies"] / row["audits"]) if row["audits"] else 0}
        for row in rows
    ]
    audits = sum(d["audits"] for d in days_found)
    flagged = sum(d["discrepancies"] for d in days_found)
    return {
        "days": days_found,
        "audits": audits,
        "rate": round(100 * flagged / audits) if audits else 0,
        "charged": sum_money(d["charged"] for d in days_found),
        "written_off": sum_money(d["written_off"] for d in days_found),
        "store": store.code if store else settings.STORE_ID,
    }


@dataclass(frozen=True)
class VatRow:
    """One day and rate of the VAT report: sales, and returns given back that day."""

    day: date
    rate: Decimal
    net: Decimal
    tax: Decimal
    gross: Decimal
    returned_net: Decimal = ZERO
    returned_tax: Decimal = ZERO
    returned_gross: Decimal = ZERO


@_no_jit
def list_vat_by_day(first: date, last: date, store: Store | None = None) -> list[VatRow]:
    """Sales per VAT rate per local day (what the receipts printed: OrderTax of every order that
    was paid, refunded or not), and returns by line per rate on the day they were refunded, each
    return rounded per rate as its receipt shows it. Refunds of an amount name no lines, so no
    rate: they are not in this report. Oldest first, highest rate first."""
    tz = timezone.get_current_timezone()
    since, until = _day_start(first), _day_start(last + timedelta(days=1))
    sold = OrderTax.objects.filter(
        transaction__status__in=(*Order.PAID, Order.Status.REFUNDED),
        transaction__created_at__gte=since,
        transaction__created_at__lt=until,
    )
    sold = (
        _in_store(sold, store, "transaction__store")
        .annotate(day=TruncDate("transaction__created_at", tzinfo=tz))
        .values("day", "rate")
        .annotate(net=Sum("net"), tax=Sum("tax"), gross=Sum("gross"))
    )
    # Sums of amounts held to the cent, brought back to the cent: SQLite sums them as REALs.
    rows = {
        (r["day"], r["rate"]): VatRow(
            r["day"], r["rate"], *(round_money(r[k]) for k in ("net", "tax", "gross"))
        )
        for r in sold
    }
    returned = RefundLine.objects.filter(
        refund__created_at__gte=since, refund__created_at__lt=until
    )
    returned = _in_store(returned, store, "refund__transaction__store").select_related(
        "refund", "order_line"
    )
    by_refund: dict[int, list] = {}
    for line in returned:
        by_refund.setdefault(line.refund_id, []).append(line)
    for lines in by_refund.values():
        day = timezone.localtime(lines[0].refund.created_at, tz).date()
        for entry in return_taxes(lines):
            row = rows.get((day, entry.rate)) or VatRow(day, entry.rate, ZERO, ZERO, ZERO)
            rows[(day, entry.rate)] = replace(
                row,
                returned_net=row.returned_net + entry.net,
                returned_tax=row.returned_tax + entry.tax,
                returned_gross=row.returned_gross + entry.gross,
            )
    return [rows[key] for key in sorted(rows, key=lambda k: (k[0], -k[1]))]


def get_vat_by_rate(rows: list[VatRow]) -> list[VatRow]:
    """The days' rows added up per rate (the dashboard's panel)."""
    totals: dict[Decimal, VatRow] = {}
    for row in rows:
        t = totals.get(row.rate) or VatRow(row.day, row.rate, ZERO, ZERO, ZERO)
        totals[row.rate] = VatRow(
            row.day,
            row.rate,
            t.net + row.net,
            t.tax + row.tax,
            t.gross + row.gross,
            t.returned_net + row.returned_net,
            t.returned_tax + row.returned_tax,
            t.returned_gross + row.returned_gross,
        )
    return [totals[rate] for rate in sorted(totals, reverse=True)]
