from django.contrib import admin

from sotiem.accounts.models import Grant
from sotiem.accounts.selectors import grant_list
from sotiem.audit.admin import ReadOnlyAdmin


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    """Grants are given and revoked by audited services; national officials see all, others their own."""

    list_display = ["user", "role", "level", "province_code", "commune_code", "site", "revoked_at"]
    list_filter = ["role", "level", "province_code"]
    search_fields = ["user__username"]

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return grant_list(viewer=request.user)
