"""Reads of doses, appointments and the catalogue."""

from __future__ import annotations

import functools
from typing import Any

from django.db.models import QuerySet

from sotiem.immunizations.models import Appointment, Dose, DoseStatus, Vaccine
from sotiem.lib.names import name_key


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
