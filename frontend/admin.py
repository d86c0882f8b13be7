from django.contrib import admin

from frontend.models import CspViolation
from grocery.admin import ReadOnlyAdmin


@admin.register(CspViolation)
class CspViolationAdmin(ReadOnlyAdmin):
    list_display = ["last_seen", "document_path", "directive", "blocked_uri", "count"]
    list_filter = ["directive", "document_path"]
    search_fields = ["blocked_uri", "source_file", "sample"]
    date_hierarchy = "last_seen"

    def has_delete_permission(self, request, obj=None):
        # Clearing the list once a cause is fixed makes room for new kinds (the table is capped).
        return request.user.has_perm("frontend.delete_cspviolation")
