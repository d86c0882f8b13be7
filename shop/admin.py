"""The portal as a whole: its branding and the accounts of customers and staff."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

admin.site.site_header = "Grocery manager portal"
admin.site.site_title = "Manager portal"
admin.site.index_title = "Today in the shop"

User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class ShopUserAdmin(UserAdmin):
    """Customers and staff accounts. Store managers may run accounts but not make superusers."""

    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "role",
        "date_joined",
        "last_login",
    )
    list_filter = ("is_staff", "is_active", "groups")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="role")
    def role(self, user):
        return ", ".join(g.name for g in user.groups.all()) or (
            "admin" if user.is_superuser else ""
        )

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False  # nor reset a superuser's password
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return ("is_superuser", "user_permissions", "last_login", "date_joined")
