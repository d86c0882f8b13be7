from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """An audit record: managers may read it, nobody edits or deletes it from the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
