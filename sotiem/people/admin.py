from django.contrib import admin

from sotiem.accounts.scoping import has_national
from sotiem.audit.admin import ReadOnlyAdmin
from sotiem.audit.models import AuditEvent
from sotiem.audit.services import audit_record
from sotiem.people.models import ContactPoint, Identifier, Person


class IdentifierInline(admin.TabularInline):
    model = Identifier
    extra = 0
    can_delete = False
    readonly_fields = ["scheme", "value", "validated", "validation_note", "active"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class ContactPointInline(admin.TabularInline):
    model = ContactPoint
    extra = 0
    can_delete = False
    readonly_fields = ["phone", "relationship", "active", "detached_at"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    """Persons in the admin are scoped like everywhere else: an official sees only their jurisdiction."""

    list_display = ["full_name", "birth_date", "sex", "province_code", "status"]
    list_filter = ["status", "sex"]
    search_fields = ["name_key", "public_id"]
    inlines = [IdentifierInline, ContactPointInline]  # immunizations/admin.py adds doses and appointments

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).restrict(request.user, "view")

    def change_view(self, request, object_id, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        """Opening a person's record is a read of personal data: it is logged like every other read."""
        person = self.get_queryset(request).filter(pk=object_id).first() if str(object_id).isdigit() else None
        if person is not None:
            audit_record(actor=request.user, action="person.read", obj=person, person_id=person.pk)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit log, scoped: a national official sees it all, others only events of persons they may see."""

    list_display = ["created_at", "actor_label", "action", "object_type", "object_id", "reason"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor_label", "reason"]

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        qs = super().get_queryset(request)
        if has_national(request.user, "view"):
            return qs
        return qs.filter(person_id__in=Person.objects.restrict(request.user, "view").values("pk"))
