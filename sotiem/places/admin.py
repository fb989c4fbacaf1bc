from django.contrib import admin

from sotiem.audit.admin import ReadOnlyAdmin
from sotiem.places.models import AdminUnit, Site, SiteSession, UnitMapping


@admin.register(AdminUnit)
class AdminUnitAdmin(ReadOnlyAdmin):
    list_display = ["code", "full_name", "level", "era", "province_code"]
    list_filter = ["era", "level"]
    search_fields = ["code", "name", "key"]


@admin.register(UnitMapping)
class UnitMappingAdmin(ReadOnlyAdmin):
    list_display = ["old", "new", "is_default"]
    raw_id_fields = ["old", "new"]


@admin.register(Site)
class SiteAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kind", "province", "active"]
    list_filter = ["kind", "province"]
    search_fields = ["code", "name"]


@admin.register(SiteSession)
class SiteSessionAdmin(ReadOnlyAdmin):
    list_display = ["date", "site", "place_text", "commune"]
    list_filter = ["date"]
    search_fields = ["site__code", "site__name", "place_text"]
    date_hierarchy = "date"
