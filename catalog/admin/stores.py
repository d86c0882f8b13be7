"""The chain's stores in the manager portal: their entrance posters, and their prices and stock
as CSV, exported by an action on the selected stores (or all of them), imported all or nothing
through the services."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from catalog.admin.downloads import csv_download
from catalog.forms import ImportForm
from catalog.imports.csv_format import ImportRejected
from catalog.imports.store_csv import COLUMNS, export_rows, import_store_prices
from catalog.models import Store
from catalog.posters import render_entrance_posters
from catalog.services import save_store


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "address", "price_list", "is_active")
    list_filter = ("is_active", "price_list")
    list_select_related = ("price_list",)
    search_fields = ("code", "name")
    actions = ("print_entrance_posters", "export_prices_csv")
    change_list_template = "admin/catalog/store/change_list.html"

    def get_readonly_fields(self, request, obj=None):
        # The code is in URLs, carts, orders and printed exit codes: it never changes.
        return ("code",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        save_store(store=obj)

    def has_delete_permission(self, request, obj=None):
        return False  # orders and stock history name it: close it instead

    # Prices and stock are StoreProduct rows: their permissions, not the store's, decide.
    def has_export_prices_permission(self, request) -> bool:
        return request.user.has_perm("catalog.view_storeproduct")

    def has_import_prices_permission(self, request) -> bool:
        return request.user.has_perm("catalog.change_storeproduct")

    # A closed store is printed too: its posters go up before it opens (its QR answers then).
    @admin.action(description="Print entrance posters (A4 PDF)", permissions=["view"])
    def print_entrance_posters(self, request, queryset):
        response = HttpResponse(
            render_entrance_posters(queryset.order_by("code")), content_type="application/pdf"
        )
        response["Content-Disposition"] = 'inline; filename="store-entrance-posters.pdf"'
        return response

    @admin.action(description="Export prices and stock (CSV)", permissions=["export_prices"])
    def export_prices_csv(self, request, queryset):
        return csv_download(export_rows(queryset), "store-prices-selected")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("prices/export/", wrap(self.export_all_view), name="catalog_store_export_prices"),
            path("prices/import/", wrap(self.import_view), name="catalog_store_import_prices"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_export_prices": self.has_export_prices_permission(request),
            "can_import_prices": self.has_import_prices_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def export_all_view(self, request):
        if not self.has_export_prices_permission(request):
            raise PermissionDenied
        return csv_download(export_rows(Store.objects.all()), "store-prices")

    def import_view(self, request):
        if not self.has_import_prices_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            name, text = form.cleaned_data["file"]
            try:
                lines, changed = import_store_prices(
                    text, user=request.user, note=f"CSV import: {name}"[:200]
                )
            except ImportRejected as exc:
                errors = exc.errors
            else:
                self.message_user(
                    request,
                    f"Imported {lines} line(s) of {name}: {changed} store row(s) changed.",
                    messages.SUCCESS,
                )
                return redirect("admin:catalog_store_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Import store prices and stock from CSV",
            "opts": self.opts,
            "form": form,
            "columns": COLUMNS,
            "errors": errors,
        }
        return TemplateResponse(request, "admin/catalog/store/import_prices.html", context)
