from django.contrib import admin


class ReadOnlyMixin:
    """Rows the code writes: the admin shows them and adds or changes none. Deleting stays with
    the model's delete permission (ReadOnlyAdmin refuses that too)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """An audit record: managers may read it, nobody edits or deletes it from the admin."""

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    """Rows of the parent's history, shown under it and never edited there."""

    extra = 0
    can_delete = False
