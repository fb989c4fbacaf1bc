from django.contrib import admin

from sotiem.audit.admin import ReadOnlyAdmin
from sotiem.immunizations.models import Appointment, Dose, Vaccine


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
