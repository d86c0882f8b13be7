from datetime import timedelta

from django import template
from django.utils import timezone

from grocery.charts import daily_bars_svg
from grocery.pdf import money_text
from shop import dashboard

register = template.Library()


@register.filter
def money(amount) -> str:
    """Money with thousands separators for figures a manager scans: €12,345.67."""
    return money_text(amount, grouped=True)


@register.inclusion_tag("admin/shop_dashboard.html", takes_context=True)
def shop_dashboard(context):
    """The manager dashboard; each panel only for those allowed to see what it is about."""
    user = context["request"].user
    today = timezone.localdate()
    panels = {"today": today}
    if user.has_perm("checkout.view_order"):
        daily = dashboard.get_daily_sales(today)
        panels.update(
            sales=dashboard.get_sales_figures(today),
            chart=daily_bars_svg(daily, today=today),
            top_products=dashboard.list_top_products(today),
            payments=dashboard.get_payment_status_counts(today),
            vat=dashboard.get_vat_by_rate(
                dashboard.list_vat_by_day(today - timedelta(days=29), today)
            ),
        )
        panels["exit_audits"] = dashboard.list_exit_audits(today)
        if user.has_perm("promotions.view_promotion"):
            panels["uptake"] = dashboard.list_promotion_uptake(today)
    if user.has_perm("catalog.view_product"):
        panels["stock"] = dashboard.list_stock_problems()
        panels["counts"] = dashboard.list_count_requests()
        panels["can_count"] = user.has_perm("catalog.adjust_stock")
    if user.has_perm("frontend.view_cspviolation"):
        panels["integrity"] = dashboard.list_csp_violations()
    return panels
