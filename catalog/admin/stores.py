"""The chain's stores in the manager portal: their entrance posters, and their prices and stock
as CSV, exported by an action on the selected stores (or all of them), imported all or nothing
through the services. A store manager sees, exports and imports only the stores they work in
(StoreScopedAdmin)."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from catalog.admin.downloads import csv_download
from catalog.admin.scoped import StoreScopedAdmin
from catalog.forms import ImportForm
from catalog.imports.csv_format import ImportRejected
from catalog.imports.store_csv import COLUMNS, export_rows, import_store_prices
from catalog.models import Store, StoreProduct
from catalog.posters import render_entrance_posters
from catalog.selectors import CHAIN_WIDE_PERMISSION, stores_of
from catalog.services import StoreProductRow, import_store_products, save_store


@admin.register(Store)
class StoreAdmin(StoreScopedAdmin, admin.ModelAdmin):
    store_field = "pk"
    list_display = ("code", "name", "address", "price_list", "is_active")
    list_filter = ("is_active", "price_list")
    list_select_related = ("price_list",)
    search_fields = ("code", "name")
    actions = ("print_entrance_posters", "export_prices_csv")
    filter_horizontal = ("staff",)
    change_list_template = "admin/catalog/store/change_list.html"

    def _chain_wide(self, request) -> bool:
        return request.user.has_perm(CHAIN_WIDE_PERMISSION)

    def get_readonly_fields(self, request, obj=None):
        # The code is in URLs, carts, orders and printed exit codes: it never changes. Who works
        # where and which price list a store follows are the chain manager's to say (a store manager
        # could otherwise let anyone in, or reprice every store on the list).
        fixed = ("code",) if obj is not None else ()
        return fixed if self._chain_wide(request) else (*fixed, "staff", "price_list")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "staff":  # not the thousands of customer accounts
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True, is_active=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_add_permission(self, request):
        # A new store would be nobody's but the chain's: only a chain manager opens one.
        return self._chain_wide(request) and super().has_add_permission(request)

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
        if not queryset.exists():  # selected stores that are not theirs were filtered out
            self.message_user(request, "None of the selected stores is yours.", messages.WARNING)
            return None
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
        return csv_download(export_rows(stores_of(request.user)), "store-prices")

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


@admin.register(StoreProduct)
class StoreProductAdmin(StoreScopedAdmin, admin.ModelAdmin):
    """A product as one store sells it: its price there, reorder level and listing. Stock is a
    counted figure: it changes by a count (the stock API, the CSV import), audited, not here."""

    list_display = ("store", "product", "price", "stock", "reorder_level", "is_listed")
    list_filter = (("store", admin.RelatedOnlyFieldListFilter), "is_listed")
    list_select_related = ("store", "product")
    search_fields = ("^product__product_id", "product__name")
    raw_id_fields = ("product",)
    fields = ("store", "product", "price", "stock", "reorder_level", "is_listed")
    list_per_page = 100

    def get_readonly_fields(self, request, obj=None):
        return ("store", "product", "stock") if obj is not None else ("stock",)

    # A row goes with its product (delete_products); on its own, unlist it: deleting it here
    # would skip the services (stock history, the cached payload).
    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        raise PermissionDenied

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "show_delete": False}
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        row = StoreProductRow(
            store=obj.store,
            product_pk=obj.product_id,
            product_id=obj.product.product_id,
            data={field: getattr(obj, field) for field in ("price", "reorder_level", "is_listed")},
        )
        import_store_products([row], user=request.user, note="admin")
        obj.pk = StoreProduct.objects.get(store=obj.store, product=obj.product).pk
