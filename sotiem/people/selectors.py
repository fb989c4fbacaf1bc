"""Reads of persons, always through the viewer's jurisdiction."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from sotiem.audit.models import AuditEvent
from sotiem.audit.selectors import audit_event_list
from sotiem.audit.services import audit_record
from sotiem.lib.names import name_key
from sotiem.people.models import ContactPoint, Person, PersonStatus


def person_list(*, viewer: Any, action: str = "view", name: str = "", include_merged: bool = False) -> QuerySet[Person]:
    """Persons the viewer may see (or change), optionally by name key prefix."""
    qs = Person.objects.restrict(viewer, action)
    if not include_merged:
        qs = qs.filter(status=PersonStatus.ACTIVE)
    if name:
        qs = qs.filter(name_key__startswith=name_key(name))
    return qs


def person_get(*, viewer: Any, public_id: uuid.UUID | str, action: str = "view") -> Person | None:
    """One person by public id, or None when absent or outside the viewer's jurisdiction; each read is logged."""
    person = Person.objects.restrict(viewer, action).filter(public_id=public_id).first()
    if person is not None:
        audit_record(actor=viewer, action="person.read", obj=person, person_id=person.pk)
    return person


def household_of(*, viewer: Any, phone: str) -> QuerySet[Person]:
    """The persons who gave this phone (a household view; it never makes them one person)."""
    ids = ContactPoint.objects.filter(phone=phone, active=True).values("person_id")
    return Person.objects.restrict(viewer, "view").filter(pk__in=ids).order_by("birth_date")


def person_history(*, viewer: Any, person: Person) -> QuerySet[AuditEvent]:
    """The audit trail of a person's record, if the viewer may see the person."""
    if not Person.objects.restrict(viewer, "view").filter(pk=person.pk).exists():
        return AuditEvent.objects.none()
    from sotiem.immunizations.models import Dose, InboxBatch  # doses point at people, not the other way

    batch_ids = (Dose.objects.filter(person_id=person.pk, inbox_batch__isnull=False)
                 .values_list("inbox_batch_id", flat=True).distinct())
    return audit_event_list(person_id=person.pk,
                            batches=[(InboxBatch._meta.label_lower, str(pk)) for pk in batch_ids])
