"""Writes for doses and appointments. Only `dose_record` creates a dose; nothing is ever hard-deleted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from sotiem.audit.services import audit_record, snapshot
from sotiem.immunizations.models import Appointment, AppointmentStatus, Dose, DoseStatus, Vaccine
from sotiem.people.models import Person
from sotiem.places.models import Site, SiteSession

DOSE_FIELDS = ["person_id", "vaccine_id", "site_id", "session_id", "administered_on", "lot_number",
               "dose_number_stated", "dose_number_derived", "source", "source_record_id", "status", "status_reason"]


def _require_reason(reason: str) -> None:
    if not (reason or "").strip():
        raise ValidationError("Cần nêu lý do / A reason is required")


def person_dose_numbers_recompute(*, person: Person) -> None:
    """Number a person's valid doses 1, 2, 3… by date; voided and disputed doses get no number."""
    number = 0
    for dose in Dose.objects.filter(person=person).order_by("administered_on", "id"):
        derived = None
        if dose.status == DoseStatus.VALID:
            number += 1
            derived = number
        if dose.dose_number_derived != derived:
            Dose.objects.filter(pk=dose.pk).update(dose_number_derived=derived)


@transaction.atomic
def dose_record(
    *,
    person: Person,
    vaccine: Vaccine,
    site: Site,
    administered_on: dt.date,
    lot_number: str = "",
    dose_number: int | None = None,
    session: SiteSession | None = None,
    source: str,
    source_record_id: str = "",
    actor: Any,
    reason: str = "",
) -> Dose:
    """Record one administration event; fulfils the matching appointment, if any, and renumbers the person's doses."""
    if person.is_merged():
        raise ValidationError("Hồ sơ đã gộp; ghi vào hồ sơ chính / This person was merged; record on the survivor")
    if administered_on is None:
        raise ValidationError("Thiếu ngày tiêm / The date of vaccination is missing")
    if session is not None and session.site_id != site.pk:
        raise ValidationError("Buổi tiêm không thuộc điểm tiêm này / The session belongs to another site")
    if dose_number is not None and not 1 <= dose_number <= 20:
        raise ValidationError(f"Mũi tiêm số {dose_number} không hợp lệ / Dose number {dose_number} is out of range")
    user = actor if getattr(actor, "pk", None) and not isinstance(actor, str) else None
    dose = Dose.objects.create(
        person=person, vaccine=vaccine, site=site, session=session, administered_on=administered_on,
        lot_number=(lot_number or "").strip()[:40], dose_number_stated=dose_number, source=source[:64],
        source_record_id=(source_record_id or "")[:64], recorded_by=user,
    )
    person_dose_numbers_recompute(person=person)
    dose.refresh_from_db(fields=["dose_number_derived"])
    appointment = None if dose.dose_number_derived is None else (
        Appointment.objects.filter(person=person, status=AppointmentStatus.SCHEDULED, fulfilled_by__isnull=True,
                                   dose_number=dose.dose_number_derived)
        .order_by("due_on").first()
    )
    if appointment is not None:
        appointment.fulfilled_by = dose
        appointment.save(update_fields=["fulfilled_by"])
    audit_record(actor=actor, action="dose.record", obj=dose, person_id=person.pk, after=snapshot(dose, DOSE_FIELDS),
                 reason=reason)
    return dose


def _dose_set_status(dose: Dose, status: str, *, allowed_from: set[str], refusal: str, actor: Any, reason: str,
                     action: str) -> Dose:
    _require_reason(reason)
    dose = Dose.objects.select_for_update().get(pk=dose.pk)  # decide on the row as committed, not a stale copy
    if dose.status not in allowed_from:
        raise ValidationError(refusal)
    before = snapshot(dose, DOSE_FIELDS)
    dose.status = status
    dose.status_reason = reason.strip()
    dose.save(update_fields=["status", "status_reason", "updated_at"])
    person_dose_numbers_recompute(person=dose.person)
    dose.refresh_from_db()
    audit_record(actor=actor, action=action, obj=dose, person_id=dose.person_id, before=before,
                 after=snapshot(dose, DOSE_FIELDS), reason=reason)
    return dose


@transaction.atomic
def dose_void(*, dose: Dose, actor: Any, reason: str) -> Dose:
    """Void a dose recorded in error; the row, its history and its provenance stay."""
    return _dose_set_status(dose, DoseStatus.VOIDED, allowed_from={DoseStatus.VALID, DoseStatus.DISPUTED},
                            refusal="Mũi tiêm đã bị hủy / The dose is already voided",
                            actor=actor, reason=reason, action="dose.void")


@transaction.atomic
def dose_restore(*, dose: Dose, actor: Any, reason: str) -> Dose:
    """Undo a void or settle a dispute in the dose's favour: it counts again."""
    return _dose_set_status(dose, DoseStatus.VALID, allowed_from={DoseStatus.VOIDED, DoseStatus.DISPUTED},
                            refusal="Mũi tiêm đang hợp lệ / The dose is already valid",
                            actor=actor, reason=reason, action="dose.restore")


@transaction.atomic
def dose_dispute(*, dose: Dose, actor: Any, reason: str) -> Dose:
    """A citizen says "I did not receive this dose": it stops counting at once, until an official decides."""
    return _dose_set_status(dose, DoseStatus.DISPUTED, allowed_from={DoseStatus.VALID},
                            refusal="Chỉ khiếu nại được mũi tiêm hợp lệ / Only a valid dose can be disputed",
                            actor=actor, reason=reason, action="dose.dispute")


@transaction.atomic
def appointment_schedule(*, person: Person, dose_number: int, due_on: dt.date, vaccine: Vaccine | None = None,
                         site: Site | None = None, actor: Any, reason: str = "") -> Appointment:
    """Plan a dose. The plan is never a dose: it stays an appointment, kept or missed."""
    if person.is_merged():
        raise ValidationError("Hồ sơ đã gộp / This person was merged")
    appointment = Appointment.objects.create(person=person, vaccine=vaccine, dose_number=dose_number,
                                             due_on=due_on, site=site)
    audit_record(actor=actor, action="appointment.schedule", obj=appointment, person_id=person.pk,
                 after=snapshot(appointment), reason=reason)
    return appointment


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, actor: Any, reason: str) -> Appointment:
    """Cancel a planned dose; the appointment row is kept."""
    _require_reason(reason)
    before = snapshot(appointment)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save(update_fields=["status"])
    audit_record(actor=actor, action="appointment.cancel", obj=appointment, person_id=appointment.person_id,
                 before=before, after=snapshot(appointment), reason=reason)
    return appointment


def today() -> dt.date:
    return timezone.localdate()
