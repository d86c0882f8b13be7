"""The records the code writes, shown read-only: stock movements, count requests, stock alerts,
catalog imports (with the progress of a running one). The first three are a store's: staff see
those of the stores they work in (StoreScopedAdmin)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from catalog.admin.scoped import StoreScopedAdmin
from catalog.imports.runner import get_progress
from catalog.models import CatalogImport, StockAlert, StockCountRequest, StockMovement
from grocery.admin import ReadOnlyAdmin, ReadOnlyMixin


@admin.register(StockMovement)
class StockMovementAdmin(StoreScopedAdmin, ReadOnlyAdmin):
    """The audit log: read-only, written by catalog.services only."""

    list_display = (
        "created_at",
        "product",
        "delta",
        "resulting_stock",
        "reason",
        "reference",
        "user",
        "note",
    )
    list_filter = ("reason", "created_at")
    list_select_related = ("product", "user")
    search_fields = ("product__product_id", "product__name", "reference")
    raw_id_fields = ("product",)
    list_per_page = 100
    show_full_result_count = False  # the table grows with every sale; skip the second COUNT


class CountStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "To count"), ("closed", "Counted")]

    def queryset(self, request, queryset):
        if self.value() in ("open", "closed"):
            return queryset.filter(closed_at__isnull=self.value() == "open")
        return queryset


@admin.register(StockCountRequest)
class StockCountRequestAdmin(StoreScopedAdmin, ReadOnlyAdmin):
    """Sales that took more than the recorded stock ask for a count here (STOCK_POLICY=record).
    Recording the counted figure (set_stock) closes the request."""

    list_display = (
        "opened_at",
        "product",
        "stock_before",
        "sold",
        "stock_now",
        "reference",
        "count_link",
        "closed_at",
        "counted_stock",
        "closed_by",
    )
    list_filter = (CountStateFilter,)
    list_select_related = ("product", "closed_by")
    search_fields = ("product__product_id", "product__name", "reference")

    @admin.display(description="stock now", ordering="product__stock")
    def stock_now(self, request_row):
        return f"{request_row.product.stock.normalize():f}"

    @admin.display(description="count")
    def count_link(self, request_row):
        if not request_row.is_open:
            return "counted"
        url = reverse("admin:catalog_product_adjust_stock", args=[request_row.product_id])
        return format_html('<a class="button" href="{}">Record count</a>', url)


@admin.register(StockAlert)
class StockAlertAdmin(StoreScopedAdmin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("day", "product", "stock", "sent_at")
    list_filter = ("day",)
    list_select_related = ("product",)
    search_fields = ("product__product_id", "product__name")
    date_hierarchy = "day"


@admin.register(CatalogImport)
class CatalogImportAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "file_name", "status", "rows", "created", "updated", "user")
    list_filter = ("status",)
    change_form_template = "admin/catalog/catalogimport/status.html"
    fields = (
        "file_name",
        "status",
        "rows",
        "created",
        "updated",
        "unchanged",
        "user",
        "created_at",
        "finished_at",
    )
    readonly_fields = fields

    def get_urls(self):
        return [
            path(
                "<int:pk>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="catalog_catalogimport_progress",
            ),
            *super().get_urls(),
        ]

    def progress_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return JsonResponse(get_progress(get_object_or_404(CatalogImport, pk=pk)))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        catalog_import = get_object_or_404(CatalogImport, pk=object_id)
        extra_context = {
            **(extra_context or {}),
            "catalog_import": catalog_import,
            "progress": get_progress(catalog_import),
            "progress_url": reverse("admin:catalog_catalogimport_progress", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)
