"""Price lists in the manager portal: a list with the stores that follow it, and its entries (a
paginated list of their own, products picked by search: a list may price all 10,000 products),
set one by one or imported from CSV. Every write goes through catalog.services, which reprices
the stores following the list and forgets their cached products only."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from catalog.admin.scoped import ChainWideAdmin
from catalog.forms import ImportForm
from catalog.imports.csv_format import ImportRejected
from catalog.imports.price_list_csv import COLUMNS, import_price_list
from catalog.models import PriceList, PriceListEntry, Store
from catalog.services import (
    assign_price_list,
    delete_price_list_entries,
    save_price_list,
    set_price_list_entries,
)


class PriceListForm(forms.ModelForm):
    stores = forms.ModelMultipleChoiceField(
        Store.objects.all(),
        required=False,
        widget=FilteredSelectMultiple("stores", is_stacked=False),
        help_text="The stores that sell at this list's prices (a store follows one list at most; "
        "choosing it here takes it off its former list). A store's own price still comes first.",
    )

    class Meta:
        model = PriceList
        fields = ("code", "name", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["stores"].initial = list(self.instance.stores.all())


@admin.register(PriceList)
class PriceListAdmin(ChainWideAdmin, admin.ModelAdmin):
    form = PriceListForm
    list_display = ("code", "name", "is_active", "followed_by", "entry_count")
    list_filter = ("is_active",)
    search_fields = ("code", "name")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(entry_count=Count("entries"))
            .prefetch_related("stores")
        )

    def get_fields(self, request, obj=None):
        # The entries are priced on their own pages once the list exists. Who may only look
        # sees the stores as text (the form's field is not the model's).
        stores = "stores" if self.has_change_permission(request, obj) else "followed_by"
        return ("code", "name", "is_active", stores) + (("entries",) if obj else ())

    def get_readonly_fields(self, request, obj=None):
        return ("entries", "followed_by")

    @admin.display(description="stores")
    def followed_by(self, obj):
        return ", ".join(store.code for store in obj.stores.all()) or "–"

    @admin.display(description="entries", ordering="entry_count")
    def entry_count(self, obj):
        return obj.entry_count

    @admin.display(description="entries")
    def entries(self, obj):
        listed = reverse("admin:catalog_pricelistentry_changelist")
        added = reverse("admin:catalog_pricelistentry_add")
        imported = reverse("admin:catalog_pricelist_import", args=[obj.pk])
        return format_html(
            '{} products priced: <a href="{}?price_list__id__exact={}">see and change them</a>'
            ' · <a href="{}?price_list={}">add one</a> · <a href="{}">import a CSV</a>',
            obj.entries.count(),
            listed,
            obj.pk,
            added,
            obj.pk,
            imported,
        )

    def save_model(self, request, obj, form, change):
        save_price_list(price_list=obj)
        chosen = set(form.cleaned_data["stores"])
        following = set(obj.stores.all())
        if chosen - following:
            assign_price_list(stores=chosen - following, price_list=obj)
        if following - chosen:
            assign_price_list(stores=following - chosen, price_list=None)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/import/", wrap(self.import_view), name="catalog_pricelist_import"),
            *super().get_urls(),
        ]

    def import_view(self, request, pk):
        if not self.has_change_permission(request):
            raise PermissionDenied
        price_list = get_object_or_404(PriceList, pk=pk)
        form = ImportForm(request.POST or None, request.FILES or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            name, text = form.cleaned_data["file"]
            try:
                lines, changed = import_price_list(text, price_list=price_list)
            except ImportRejected as exc:
                errors = exc.errors
            else:
                self.message_user(
                    request,
                    f"Imported {lines} line(s) of {name}: {changed} price(s) changed.",
                    messages.SUCCESS,
                )
                return redirect("admin:catalog_pricelist_change", pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Import prices into {price_list}",
            "opts": self.opts,
            "original": price_list,
            "form": form,
            "columns": COLUMNS,
            "errors": errors,
        }
        return TemplateResponse(request, "admin/catalog/pricelist/import_entries.html", context)


@admin.register(PriceListEntry)
class PriceListEntryAdmin(ChainWideAdmin, admin.ModelAdmin):
    list_display = ("product", "price_list", "price")
    list_editable = ("price",)
    list_filter = ("price_list",)
    list_select_related = ("product", "price_list")
    search_fields = ("product__product_id", "product__name")
    autocomplete_fields = ("product",)
    list_per_page = 100

    def get_readonly_fields(self, request, obj=None):
        # An entry is a product's price in a list: to price another product, add its own entry.
        return ("price_list", "product") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        set_price_list_entries(
            price_list=obj.price_list, prices={obj.product.product_id: obj.price}
        )
        obj.pk = (
            PriceListEntry.objects.filter(price_list=obj.price_list, product=obj.product)
            .values_list("pk", flat=True)
            .get()
        )

    def delete_model(self, request, obj):
        delete_price_list_entries(PriceListEntry.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        delete_price_list_entries(queryset)
