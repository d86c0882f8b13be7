"""The chain's stores in the manager portal. Per-store prices and stock are written by the
services (set_stock, the API's X-Store); their own screens come with store managers (phase 2)."""

from django.contrib import admin

from catalog.models import Store
from catalog.services import save_store


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "address", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name")

    def get_readonly_fields(self, request, obj=None):
        # The code is in URLs, carts, orders and printed exit codes: it never changes.
        return ("code",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        save_store(store=obj)

    def has_delete_permission(self, request, obj=None):
        return False  # orders and stock history name it: close it instead
