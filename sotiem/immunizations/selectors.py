"""Reads of doses, appointments and the catalogue, and of a person with their doses."""

from __future__ import annotations

import functools
from typing import Any

from django.db.models import QuerySet

from sotiem.audit.models import AuditEvent
from sotiem.audit.selectors import audit_event_list
from sotiem.immunizations.models import Appointment, Dose, DoseStatus, InboxBatch, Vaccine
from sotiem.lib.names import name_key
from sotiem.people.models import Person


@functools.lru_cache(maxsize=1)
def _catalogue() -> tuple[dict[int, Vaccine], dict[str, Vaccine]]:
    """The catalogue by id and by every written form; it changes only by migration, so read once per process."""
    by_id: dict[int, Vaccine] = {}
    by_name: dict[str, Vaccine] = {}
    for vaccine in Vaccine.objects.all():
        by_id[vaccine.pk] = vaccine
        by_name[vaccine.code.lower()] = vaccine
        for alias in vaccine.aliases:
            by_name.setdefault(alias, vaccine)
            by_name.setdefault(alias.replace(" ", ""), vaccine)
    return by_id, by_name


def vaccines_by_id() -> dict[int, Vaccine]:
    """Every catalogue vaccine by primary key (cached; see `_catalogue`)."""
    return _catalogue()[0]


def vaccine_find(text: str) -> Vaccine | None:
    """A catalogue vaccine from its code or any common name people write (AstraZeneca, Vero Cell, ...)."""
    key = name_key(text or "")
    if not key:
        return None
    by_name = _catalogue()[1]
    return by_name.get((text or "").strip().lower()) or by_name.get(key) or by_name.get(key.replace(" ", ""))


def dose_list(*, viewer: Any, person: Any = None, include_voided: bool = True) -> QuerySet[Dose]:
    """Doses the viewer may see, optionally of one person, oldest first."""
    qs = Dose.objects.restrict(viewer, "view").select_related("vaccine", "site", "session")
    if person is not None:
        qs = qs.filter(person=person)
    if not include_voided:
        qs = qs.exclude(status=DoseStatus.VOIDED)
    return qs.order_by("administered_on", "id")


def appointment_list(*, viewer: Any, person: Any = None) -> QuerySet[Appointment]:
    """Appointments the viewer may see (never counted as doses)."""
    qs = Appointment.objects.restrict(viewer, "view").select_related("vaccine", "fulfilled_by")
    if person is not None:
        qs = qs.filter(person=person)
    return qs


def person_history(*, viewer: Any, person: Person) -> QuerySet[AuditEvent]:
    """The audit trail of a person's record with the events of every batch their doses came in, if the viewer may
    see the person."""
    if not Person.objects.restrict(viewer, "view").filter(pk=person.pk).exists():
        return AuditEvent.objects.none()
    batch_ids = (
        Dose.objects.filter(person_id=person.pk, inbox_batch__isnull=False)
        .values_list("inbox_batch_id", flat=True)
        .distinct()
    )
    return audit_event_list(
        person_id=person.pk, batches=[(InboxBatch._meta.label_lower, str(pk)) for pk in batch_ids]
    )
