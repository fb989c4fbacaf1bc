from django.contrib import admin

from sotiem.accounts.models import Grant
from sotiem.audit.admin import ReadOnlyAdmin


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = ["user", "role", "level", "province_code", "commune_code", "site", "revoked_at"]
    list_filter = ["role", "level", "province_code"]
    search_fields = ["user__username"]
    raw_id_fields = ["site"]
