from django.contrib import admin

from sotiem.audit.admin import ReadOnlyAdmin
from sotiem.immunizations.models import Appointment, Dose, Vaccine
from sotiem.people.admin import PersonAdmin


@admin.register(Vaccine)
class VaccineAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "primary_doses", "min_interval_days", "icd11_code", "eu_product_code"]


@admin.register(Dose)
class DoseAdmin(ReadOnlyAdmin):
    list_display = ["administered_on", "vaccine", "site", "dose_number_derived", "status", "source"]
    list_filter = ["status", "vaccine"]
    search_fields = ["public_id", "source_record_id", "lot_number"]
    raw_id_fields = ["person", "site", "session"]

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).restrict(request.user, "view")


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    list_display = ["due_on", "dose_number", "vaccine", "status", "fulfilled_by"]
    list_filter = ["status"]
    raw_id_fields = ["person", "site", "fulfilled_by"]

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).restrict(request.user, "view")


class DoseInline(admin.TabularInline):
    model = Dose
    fk_name = "person"
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "administered_on",
        "vaccine",
        "site",
        "session",
        "lot_number",
        "dose_number_stated",
        "dose_number_derived",
        "status",
        "status_reason",
        "source",
        "source_record_id",
    )

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class AppointmentInline(admin.TabularInline):
    model = Appointment
    fk_name = "person"
    extra = 0
    can_delete = False
    fields = readonly_fields = ("due_on", "dose_number", "vaccine", "status", "fulfilled_by")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


# A person's page shows their doses and appointments; people sits above immunizations, so they are added here.
PersonAdmin.inlines = [*PersonAdmin.inlines, DoseInline, AppointmentInline]
