"""The accountant's VAT export: sales and returns per VAT rate per day, as CSV."""

import csv
from datetime import date, timedelta

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from catalog.errors import UnknownStore
from catalog.selectors import is_chain, list_staff_stores, sees_every_store
from grocery.errors import error_body
from shop.dashboard import list_vat_by_day

COLUMNS = [
    "date",
    "vat_rate_percent",
    "net",
    "vat",
    "gross",
    "returned_net",
    "returned_vat",
    "returned_gross",
]


def _day(text: str | None, default: date) -> date:
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default


@require_GET
@staff_member_required
def vat_csv(request):
    """?from=YYYY-MM-DD&to=YYYY-MM-DD (default: the last 30 days), staff who may see orders;
    ?store={code} for one of their stores (default: the whole chain)."""
    if not request.user.has_perm("checkout.view_order"):
        raise PermissionDenied
    stores = list_staff_stores(request.user)
    store = None
    if code := request.GET.get("store"):
        store = next((s for s in stores if s.code == code), None)
        if store is None:
            exc = UnknownStore(f"No open store with the code {code}.", store=code)
            return JsonResponse(error_body(exc.code, exc.message, exc.detail), status=404)
    elif not sees_every_store(request.user) and is_chain():
        # Staff of some stores of a chain never get the chain's sums: their first store's.
        if not stores:
            raise PermissionDenied
        store = stores[0]
    today = timezone.localdate()
    last = _day(request.GET.get("to"), today)
    first = _day(request.GET.get("from"), last - timedelta(days=29))
    first = max(first, last - timedelta(days=366))  # one report is at most a year
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"vat-{store.code}-{first}-{last}" if store else f"vat-{first}-{last}"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(COLUMNS)
    for row in list_vat_by_day(first, last, store=store):
        writer.writerow(
            [
                row.day.isoformat(),
                f"{row.rate.normalize():f}",
                row.net,
                row.tax,
                row.gross,
                row.returned_net,
                row.returned_tax,
                row.returned_gross,
            ]
        )
    return response
