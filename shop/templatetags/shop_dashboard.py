from datetime import timedelta

from django import template
from django.utils import timezone

from catalog.models import Store
from catalog.selectors import is_chain, list_staff_stores, sees_every_store
from grocery.charts import daily_bars_svg
from grocery.pdf import money_text
from shop import dashboard

register = template.Library()

CHAIN = ""  # the chooser's value for the whole chain


@register.filter
def money(amount) -> str:
    """Money with thousands separators for figures a manager scans: €12,345.67."""
    return money_text(amount, grouped=True)


def _dashboard_store(request, stores: list[Store], *, whole_chain: bool) -> Store | None:
    """The store the dashboard shows (?store=code), or None for all of them: the whole chain (for
    those who see every store), or the only store of a one-store shop (read exactly as before the
    chain). Staff of some stores of a chain see one of theirs at a time, never the chain's sums."""
    if len(stores) == 1:
        return stores[0] if is_chain() else None  # a manager of one store of a chain
    code = request.GET.get("store", CHAIN)
    chosen = next((store for store in stores if store.code == code), None)
    return chosen if chosen or whole_chain else stores[0]


@register.inclusion_tag("admin/shop_dashboard.html", takes_context=True)
def shop_dashboard(context):
    """The manager dashboard; each panel only for those allowed to see what it is about. With
    several stores to see, a chooser picks one store or the whole chain (the default)."""
    request = context["request"]
    user = request.user
    today = timezone.localdate()
    stores = list_staff_stores(user)
    if not stores:  # staff of no store (a chain whose manager has not given them one yet)
        return {"today": today, "no_store": True}
    whole_chain = sees_every_store(user)
    store = _dashboard_store(request, stores, whole_chain=whole_chain)
    chooser = stores if len(stores) > 1 else []
    panels = {
        "today": today,
        "store": store,
        "chooser": chooser,
        "whole_chain": whole_chain,
        "chain_view": chooser and not store,
    }
    if user.has_perm("checkout.view_order"):
        daily = dashboard.get_daily_sales(today, store=store)
        panels.update(
            sales=dashboard.get_sales_figures(today, store=store),
            chart=daily_bars_svg(daily, today=today),
            top_products=dashboard.list_top_products(today, store=store),
            payments=dashboard.get_payment_status_counts(today, store=store),
            vat=dashboard.get_vat_by_rate(
                dashboard.list_vat_by_day(today - timedelta(days=29), today, store=store)
            ),
        )
        panels["exit_audits"] = dashboard.list_exit_audits(today, store=store)
        if user.has_perm("promotions.view_promotion"):
            panels["uptake"] = dashboard.list_promotion_uptake(today, store=store)
    if panels["chain_view"] and user.has_perm("checkout.view_order"):
        panels["per_store"] = dashboard.list_store_figures(today, stores)
    if user.has_perm("catalog.view_product"):
        panels["stock"] = dashboard.list_stock_problems(store=store)
        panels["counts"] = dashboard.list_count_requests(store=store)
        panels["can_count"] = user.has_perm("catalog.adjust_stock")
    if user.has_perm("frontend.view_cspviolation"):
        panels["integrity"] = dashboard.list_csp_violations()
    return panels
