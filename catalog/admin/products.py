"""Products and categories in the manager portal: stock, shelf labels, CSV export and upload.
Forms are in catalog.forms; every write goes through catalog.services."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from catalog.admin.downloads import csv_download
from catalog.admin.printing import ask_store_page, store_to_print_for
from catalog.forms import (
    AdjustStockForm,
    CategoryForm,
    ImportForm,
    LatestMovementsFormSet,
    ProductCodeForm,
    ProductForm,
    ProductTranslationForm,
    validate_stock_figure,
)
from catalog.imports.csv_format import COLUMNS, export_rows
from catalog.imports.runner import start_catalog_import
from catalog.labels import render_labels_for
from catalog.models import (
    CatalogImport,
    Category,
    Product,
    ProductCode,
    ProductTranslation,
    StockMovement,
    StockState,
    home_store_code,
    product_url,
)
from catalog.selectors import list_staff_stores, stores_of, works_in
from catalog.services import (
    delete_categories,
    delete_products,
    save_category,
    save_product,
    save_product_codes,
    save_product_translations,
    set_stock,
)
from grocery.admin import ReadOnlyInline
from grocery.pdf import money_text


class StockLevelFilter(admin.SimpleListFilter):
    title = "stock level"
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return [
            ("low", "Low (at or under reorder level)"),
            ("out", "Out of stock"),
            ("ok", "In stock"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "low":
            return queryset.low()
        if self.value() == "out":
            return queryset.out()
        if self.value() == "ok":
            return queryset.in_stock()
        return queryset


class StockMovementInline(ReadOnlyInline):
    model = StockMovement
    formset = LatestMovementsFormSet
    fields = ("created_at", "delta", "resulting_stock", "reason", "reference", "note", "user")
    readonly_fields = fields
    verbose_name_plural = "latest stock movements"
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(store__in=stores_of(request.user))


class ProductCodeInline(admin.TabularInline):
    model = ProductCode
    form = ProductCodeForm
    fields = ("code", "kind")
    readonly_fields = ("kind",)
    extra = 1
    verbose_name = "further code"
    verbose_name_plural = "further codes (other GTINs on the pack, PLUs typed for loose produce)"


class ProductTranslationInline(admin.TabularInline):
    model = ProductTranslation
    form = ProductTranslationForm
    extra = 1
    verbose_name = "name in another language"
    verbose_name_plural = "names in other languages (the app falls back to the ones above)"


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductForm
    list_display = (
        "product_id",
        "name",
        "category",
        "price_display",
        "stock_display",
        "reorder_level_display",
        "is_active",
    )
    list_display_links = ("product_id", "name")
    list_filter = (StockLevelFilter, "is_active", "category", "unit")
    list_select_related = ("category",)
    search_fields = ("^product_id", "name", "gtin", "codes__code")
    search_help_text = "Search by name, product number, barcode (GTIN) or PLU."
    list_per_page = 50
    ordering = ("product_id",)
    inlines = (ProductCodeInline, ProductTranslationInline, StockMovementInline)
    actions = ("print_shelf_labels", "export_selected_csv", "mark_active", "mark_inactive")
    readonly_fields = ("stock_summary", "qr_preview", "created_at", "updated_at")
    change_list_template = "admin/catalog/product/change_list.html"

    def get_fieldsets(self, request, obj=None):
        stock = ("new_stock", "stock_reason", "stock_note") if self._can_set_stock(request) else ()
        return [
            (
                None,
                {"fields": ("product_id", "name", "category", "description", "image", "is_active")},
            ),
            ("Price", {"fields": ("price", "unit", "tax_class")}),
            ("Deposit", {"fields": ("deposit", "deposit_tax_class")}),
            ("Stock", {"fields": (*(("stock_summary",) if obj else ()), *stock, "reorder_level")}),
            ("Barcode and shelf label", {"fields": ("gtin", *(("qr_preview",) if obj else ()))}),
            ("At the exit", {"fields": ("min_age", "control_weight")}),
            ("History", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if not self._can_set_stock(request):
            kwargs["exclude"] = ("stock", "new_stock", "stock_reason", "stock_note")
        return super().get_form(request, obj, change, **kwargs)

    # The stock figure and the labels on these pages are the home store's (the catalogue price):
    # staff who do not work there neither count nor print them here.
    def _can_set_stock(self, request) -> bool:
        return request.user.has_perm("catalog.adjust_stock") and works_in(
            request.user, home_store_code()
        )

    def has_adjust_stock_permission(self, request) -> bool:
        return self._can_set_stock(request)

    def has_print_labels_permission(self, request) -> bool:
        # Printed for a store of theirs, asked for when they have several (admin/printing.py).
        return request.user.has_perm("catalog.print_labels") and bool(
            list_staff_stores(request.user)
        )

    def save_model(self, request, obj, form, change):
        save_product(product=obj, user=request.user)
        figure = form.cleaned_data.get("new_stock")
        if figure is not None and figure != obj.stock and self._can_set_stock(request):
            set_stock(
                product=obj,
                stock=figure,
                user=request.user,
                reason=form.cleaned_data.get("stock_reason") or StockMovement.Reason.COUNT,
                note=form.cleaned_data.get("stock_note", ""),
            )

    def save_formset(self, request, form, formset, change):
        writers = {ProductCode: save_product_codes, ProductTranslation: save_product_translations}
        if formset.model not in writers:
            return super().save_formset(request, form, formset, change)
        rows = formset.save(commit=False)  # fills deleted_objects, writes nothing
        writers[formset.model](product=form.instance, saved=rows, deleted=formset.deleted_objects)
        return None

    def delete_model(self, request, obj):
        delete_products(Product.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        delete_products(queryset)

    # --- list columns --------------------------------------------------------------------------
    @admin.display(description="price", ordering="price")
    def price_display(self, product):
        suffix = {"each": "", "kg": " / kg", "100g": " / 100 g"}[product.unit]
        return f"{money_text(product.price)}{suffix}"

    @admin.display(description="stock", ordering="stock")
    def stock_display(self, product):
        unit = " kg" if product.sold_by_weight else ""
        figure = f"{product.stock.normalize():f}{unit}"
        badge = {StockState.OUT_OF_STOCK: "out", StockState.LOW: "low"}.get(product.stock_state)
        if badge:
            return format_html('<span class="stock-badge {0}">{1} · {0}</span>', badge, figure)
        return figure

    @admin.display(description="reorder at", ordering="reorder_level")
    def reorder_level_display(self, product):
        return f"{product.reorder_level.normalize():f}"

    @admin.display(description="stock now")
    def stock_summary(self, product):
        url = (
            reverse("admin:catalog_stockmovement_changelist") + f"?product__id__exact={product.pk}"
        )
        return format_html(
            '<strong>{}</strong> {} · reorder level {} · <a href="{}">all stock movements</a>',
            f"{product.stock.normalize():f}",
            "kg" if product.sold_by_weight else "units",
            f"{product.reorder_level.normalize():f}",
            url,
        )

    @admin.display(description="QR code")
    def qr_preview(self, product):
        url = product_url(product.product_id)
        return format_html(
            '<img src="{}" width="120" height="120" alt="QR code"><br><a href="{}">{}</a>',
            reverse("product-qr", args=[product.product_id, "svg"]),
            url,
            url,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_adjust_stock": self._can_set_stock(request),
            "can_print_labels": self.has_print_labels_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # --- actions ---------------------------------------------------------------------------------
    @admin.action(description="Print shelf labels (PDF)", permissions=["print_labels"])
    def print_shelf_labels(self, request, queryset):
        store, form = store_to_print_for(request, request.POST)
        if store is None:
            title = "Print shelf labels for which store?"
            count = queryset.count()
            return ask_store_page(
                request, self, form, title=title, count=count, action="print_shelf_labels"
            )
        return self._labels(request, queryset, store)

    def _labels(self, request, queryset, store):
        """The store's labels; the products it does not list are named in a message (shown on
        the next admin page) instead. None when there is nothing to print."""
        sheet = render_labels_for(queryset, store=store)
        if sheet.skipped:
            names = ", ".join(f"{p.product_id} {p.name}" for p in sheet.skipped[:10])
            more = f" and {len(sheet.skipped) - 10} more" if len(sheet.skipped) > 10 else ""
            self.message_user(
                request,
                f"No label for {len(sheet.skipped)} product(s) not listed in store "
                f"{store.code} {store.name}: {names}{more}.",
                messages.WARNING,
            )
        if sheet.pdf is None:
            return None
        response = HttpResponse(sheet.pdf, content_type="application/pdf")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'inline; filename="shelf-labels-{stamp}.pdf"'
        return response

    @admin.action(description="Export selected to CSV", permissions=["view"])
    def export_selected_csv(self, request, queryset):
        return csv_download(export_rows(queryset), "products-selected")

    @admin.action(description="Make active (on sale)", permissions=["change"])
    def mark_active(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.action(description="Make inactive (off sale)", permissions=["change"])
    def mark_inactive(self, request, queryset):
        self._set_active(request, queryset, False)

    def _set_active(self, request, queryset, active: bool):
        count = 0
        for product in queryset.exclude(is_active=active):
            product.is_active = active
            save_product(product=product, user=request.user)
            count += 1
        self.message_user(request, f"{count} product(s) made {'active' if active else 'inactive'}.")

    # --- extra pages: export all, import, adjust stock -------------------------------------------
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("export/", wrap(self.export_all_view), name="catalog_product_export"),
            path("import/", wrap(self.import_view), name="catalog_product_import"),
            path(
                "<int:pk>/stock/", wrap(self.adjust_stock_view), name="catalog_product_adjust_stock"
            ),
            path("<int:pk>/label/", wrap(self.label_view), name="catalog_product_label"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_import": request.user.has_perm("catalog.import_catalog"),
            "low_count": Product.objects.filter(is_active=True).low().count(),
            "out_count": Product.objects.filter(is_active=True).out().count(),
        }
        return super().changelist_view(request, extra_context)

    def export_all_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return csv_download(export_rows(Product.objects.select_related(None)), "products")

    def import_view(self, request):
        if not request.user.has_perm("catalog.import_catalog"):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            name, text = form.cleaned_data["file"]
            catalog_import = start_catalog_import(file_name=name, text=text, user=request.user)
            return redirect("admin:catalog_catalogimport_change", catalog_import.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": "Import products from CSV",
            "opts": self.opts,
            "form": form,
            "columns": COLUMNS,
            "inline_rows": settings.CATALOG_IMPORT_INLINE_ROWS,
            "recent": CatalogImport.objects.select_related("user")[:5],
        }
        return TemplateResponse(request, "admin/catalog/product/import.html", context)

    def label_view(self, request, pk: int):
        if not self.has_print_labels_permission(request):
            raise PermissionDenied
        product = get_object_or_404(Product, pk=pk)
        store, form = store_to_print_for(request, request.GET)
        if store is None:
            title = f"Print the shelf label of {product} for which store?"
            return ask_store_page(request, self, form, title=title, count=1)
        response = self._labels(request, Product.objects.filter(pk=pk), store)
        return response or redirect("admin:catalog_product_change", pk)

    def adjust_stock_view(self, request, pk: int):
        if not self._can_set_stock(request):
            raise PermissionDenied
        product = get_object_or_404(Product, pk=pk)
        form = AdjustStockForm(request.POST or None, initial={"stock": product.stock})
        if request.method == "POST" and form.is_valid():
            try:
                validate_stock_figure(form.cleaned_data["stock"], product.unit)
            except forms.ValidationError as exc:
                form.add_error("stock", exc)
            else:
                before = product.stock
                set_stock(
                    product=product,
                    stock=form.cleaned_data["stock"],
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                )
                self.message_user(
                    request,
                    f"Stock of {product} set from {before.normalize():f} to "
                    f"{product.stock.normalize():f}.",
                    messages.SUCCESS,
                )
                return redirect("admin:catalog_product_change", product.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Adjust stock: {product}",
            "opts": self.opts,
            "original": product,
            "form": form,
            "movements": product.movements.filter(store__in=stores_of(request.user)).select_related(
                "user"
            )[:10],
        }
        return TemplateResponse(request, "admin/catalog/product/adjust_stock.html", context)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = CategoryForm
    list_display = (
        "name",
        "slug",
        "tax_class",
        "min_age",
        "control_weight",
        "product_count",
        "active_count",
    )
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                product_count=Count("products"),
                active_count=Count("products", filter=Q(products__is_active=True)),
            )
        )

    @admin.display(description="products", ordering="product_count")
    def product_count(self, category):
        url = reverse("admin:catalog_product_changelist") + f"?category__id__exact={category.pk}"
        return format_html('<a href="{}">{}</a>', url, category.product_count)

    @admin.display(description="active", ordering="active_count")
    def active_count(self, category):
        return category.active_count

    def save_model(self, request, obj, form, change):
        save_category(category=obj)

    def delete_model(self, request, obj):
        delete_categories(Category.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        delete_categories(queryset)
