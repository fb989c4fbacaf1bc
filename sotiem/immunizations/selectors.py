"""Reads of doses, appointments and the catalogue."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from sotiem.immunizations.models import Appointment, Dose, DoseStatus, Vaccine
from sotiem.lib.names import name_key


def vaccine_find(text: str) -> Vaccine | None:
    """A catalogue vaccine from its code or any common name people write (AstraZeneca, Vero Cell, ...)."""
    key = name_key(text or "")
    if not key:
        return None
    by_code = Vaccine.objects.filter(code__iexact=(text or "").strip()).first()
    if by_code:
        return by_code
    for vaccine in Vaccine.objects.all():
        if key in vaccine.aliases or key.replace(" ", "") in {a.replace(" ", "") for a in vaccine.aliases}:
            return vaccine
    return None


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
