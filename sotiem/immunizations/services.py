"""Writes for doses and appointments. Only `dose_record` creates a dose; nothing is ever hard-deleted."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sotiem.audit.actors import Actor, official_of
from sotiem.audit.services import (
    audit_record,
    audit_record_entries,
    require_reason,
    snapshot,
    snapshot_values,
)
from sotiem.db.bulk import insert_rows
from sotiem.immunizations.models import Appointment, AppointmentStatus, Dose, DoseStatus, InboxBatch, Vaccine
from sotiem.immunizations.selectors import vaccines_by_id
from sotiem.lib.records import RecordFlag
from sotiem.people.models import Person
from sotiem.people.signals import person_changed_on_commit
from sotiem.places.models import Site, SiteSession

DOSE_FIELDS = [
    "person_id",
    "vaccine_id",
    "site_id",
    "session_id",
    "administered_on",
    "lot_number",
    "dose_number_stated",
    "dose_number_derived",
    "source",
    "source_record_id",
    "content_hash",
    "status",
    "status_reason",
]


def persons_dose_numbers_recompute(*, person_ids: Iterable[int]) -> None:
    """Number each person's valid doses 1, 2, 3… by date; voided and disputed doses get no number."""
    changed: list[Dose] = []
    number: dict[int, int] = defaultdict(int)
    rows = (
        Dose.objects.filter(person_id__in=set(person_ids))
        .order_by("person_id", "administered_on", "id")
        .only("id", "person_id", "status", "dose_number_derived")
    )
    for dose in rows:
        derived = None
        if dose.status == DoseStatus.VALID:
            number[dose.person_id] += 1
            derived = number[dose.person_id]
        if dose.dose_number_derived != derived:
            dose.dose_number_derived = derived
            changed.append(dose)
    Dose.objects.bulk_update(changed, ["dose_number_derived"], batch_size=500)


def person_dose_numbers_recompute(*, person: Person) -> None:
    """Renumber one person's doses (see persons_dose_numbers_recompute)."""
    persons_dose_numbers_recompute(person_ids=[person.pk])


@dataclass(frozen=True)
class DoseIn:
    """One administration event as a sender reports it."""

    person: Person
    vaccine: Vaccine
    site: Site
    administered_on: dt.date
    lot_number: str = ""
    dose_number: int | None = None
    session: SiteSession | None = None
    source_record_id: str = ""
    content_hash: str = ""
    sent_record: dict[str, str] | None = None
    quality_flags: list[dict[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class DoseWritten:
    """What ingestion needs back from a recorded dose (no model instance per dose)."""

    pk: int
    public_id: uuid.UUID
    person_id: int
    vaccine_id: int
    administered_on: dt.date
    dose_number_stated: int | None
    dose_number_derived: int | None = None
    quality_flags: list[dict[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class _Held:
    """A valid dose already held, as the numbering sees it."""

    pk: int
    person_id: int
    vaccine_id: int
    administered_on: dt.date
    dose_number_stated: int | None
    dose_number_derived: int | None


LOT_TOO_LONG = gettext_lazy("The lot number is over %(limit)s characters")
RECORD_ID_TOO_LONG = gettext_lazy("The record id is over %(limit)s characters")


def _check_item(item: DoseIn) -> None:
    if item.person.is_merged():
        raise ValidationError(_("This person was merged; record on the survivor"))
    if item.administered_on is None:
        raise ValidationError(_("The date of vaccination is missing"))
    if item.session is not None and item.session.site_id != item.site.pk:
        raise ValidationError(_("The session belongs to another site"))
    if item.dose_number is not None and not 1 <= item.dose_number <= 20:
        raise ValidationError(_("Dose number %(number)s is out of range") % {"number": item.dose_number})
    # refused, never cut: a shortened lot number could name another lot in a recall
    for name, value, too_long in (
        ("lot_number", (item.lot_number or "").strip(), LOT_TOO_LONG),
        ("source_record_id", item.source_record_id or "", RECORD_ID_TOO_LONG),
    ):
        limit = getattr(Dose._meta.get_field(name), "max_length", None)
        if limit is not None and len(value) > limit:
            raise ValidationError(str(too_long) % {"limit": limit})


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
    actor: Actor,
    reason: str = "",
) -> Dose:
    """Record one administration event; fulfils the matching appointment, if any, and renumbers the person's doses."""
    item = DoseIn(
        person=person,
        vaccine=vaccine,
        site=site,
        administered_on=administered_on,
        lot_number=lot_number,
        dose_number=dose_number,
        session=session,
        source_record_id=source_record_id,
    )
    return dose_record_many(items=[item], source=source, actor=actor, reason=reason)[0]


@transaction.atomic
def dose_record_many(*, items: list[DoseIn], source: str, actor: Actor, reason: str = "") -> list[Dose]:
    """Record many administration events from one sender in one transaction, each as `dose_record` would.

    Any invalid item refuses the whole batch (the error names its position).
    """
    written = dose_record_batch(items=items, source=source, actor=actor, reason=reason)
    by_id = Dose.objects.in_bulk([w.pk for w in written])
    return [by_id[w.pk] for w in written]


DOSE_COLUMNS = [
    "public_id",
    "person_id",
    "vaccine_id",
    "site_id",
    "session_id",
    "administered_on",
    "lot_number",
    "dose_number_stated",
    "dose_number_derived",
    "source",
    "source_record_id",
    "content_hash",
    "quality_flags",
    "sent_record",
    "status",
    "status_reason",
    "recorded_by_id",
    "inbox_batch_id",
    "created_at",
    "updated_at",
]


@transaction.atomic
def dose_record_batch(
    *,
    items: list[DoseIn],
    source: str,
    actor: Actor,
    reason: str = "",
    inbox_batch: InboxBatch | None = None,
    batch_audit: list[list[Any]] | None = None,
) -> list[DoseWritten]:
    """`dose_record_many` for ingestion: the same checks, numbering, flags and appointments, written with one COPY
    per table and answered with light receipts instead of model instances.

    Audit: one `dose.record` event per dose; or, for a received batch (`inbox_batch` and `batch_audit` given),
    each dose points at its batch and is listed in `batch_audit` as [dose id, person id] for the caller's one
    event of the whole batch (whose payload the inbox keeps as sent).
    """
    user = official_of(actor)
    for index, item in enumerate(items):
        try:
            _check_item(item)
        except ValidationError as exc:
            raise ValidationError(f"#{index + 1}: {'; '.join(exc.messages)}") from exc
    written = [
        DoseWritten(
            pk=0,
            public_id=uuid.uuid4(),
            person_id=item.person.pk,
            vaccine_id=item.vaccine.pk,
            administered_on=item.administered_on,
            dose_number_stated=item.dose_number,
            quality_flags=list(item.quality_flags),
        )
        for item in items
    ]
    person_ids = {w.person_id for w in written}
    _number_and_flag(written, person_ids)
    now = timezone.now()
    source = source[:64]
    user_id = user.pk if user else None
    rows = [
        (
            w.public_id,
            w.person_id,
            w.vaccine_id,
            item.site.pk,
            item.session.pk if item.session else None,
            item.administered_on,
            (item.lot_number or "").strip(),
            item.dose_number,
            w.dose_number_derived,
            source,
            (item.source_record_id or ""),
            item.content_hash,
            w.quality_flags,
            item.sent_record,
            DoseStatus.VALID,
            "",
            user_id,
            inbox_batch.pk if inbox_batch else None,
            now,
            now,
        )
        for item, w in zip(items, written, strict=True)
    ]
    ids = insert_rows(Dose, DOSE_COLUMNS, rows)
    for w, pk in zip(written, ids, strict=True):
        w.pk = pk
    _fulfil_appointments(written, person_ids)
    if inbox_batch is not None and batch_audit is not None:
        batch_audit.extend([w.pk, w.person_id] for w in written)
        return written
    audit_record_entries(
        actor=actor,
        action="dose.record",
        object_type=Dose._meta.label_lower,
        reason=reason,
        entries=[
            (
                str(w.pk),
                f"{w.vaccine_id} {w.administered_on:%d/%m/%Y} ({DoseStatus.VALID})",
                w.person_id,
                snapshot_values(dict(zip(DOSE_COLUMNS, row, strict=True)), DOSE_FIELDS),
            )
            for w, row in zip(written, rows, strict=True)
        ],
    )
    return written


def _fulfil_appointments(doses: list[DoseWritten], person_ids: set[int]) -> None:
    open_appointments: dict[tuple[int, int], list[Appointment]] = defaultdict(list)
    for appointment in Appointment.objects.filter(
        person_id__in=person_ids, status=AppointmentStatus.SCHEDULED, fulfilled_by__isnull=True
    ).order_by("due_on"):
        open_appointments[(appointment.person_id, appointment.dose_number)].append(appointment)
    if not open_appointments:
        return
    fulfilled: list[Appointment] = []
    for dose in doses:
        waiting = open_appointments.get((dose.person_id, dose.dose_number_derived or 0))
        if waiting:
            appointment = waiting.pop(0)
            appointment.fulfilled_by_id = dose.pk
            fulfilled.append(appointment)
    Appointment.objects.bulk_update(fulfilled, ["fulfilled_by"], batch_size=500)


def _number_and_flag(new: list[DoseWritten], person_ids: set[int]) -> None:
    """Number the new doses among each person's valid doses, and flag what is out of sequence, before insert.

    Doses already held are renumbered only when a new dose lands before them (a late paper record).
    """
    held: dict[int, list[_Held]] = defaultdict(list)
    for row in (
        Dose.objects.filter(person_id__in=person_ids, status=DoseStatus.VALID)
        .order_by("administered_on", "id")
        .values_list(
            "id", "person_id", "vaccine_id", "administered_on", "dose_number_stated", "dose_number_derived"
        )
    ):
        held[row[1]].append(_Held(*row))
    vaccines = vaccines_by_id()
    mine: dict[int, list[DoseWritten]] = defaultdict(list)
    for dose in new:
        mine[dose.person_id].append(dose)
    renumbered: list[Dose] = []
    for person_id, fresh in mine.items():
        timeline: list[_Held | DoseWritten] = sorted(
            [*held.get(person_id, []), *fresh],
            key=lambda d: (
                d.administered_on,
                isinstance(d, DoseWritten),
                d.pk if isinstance(d, _Held) else 0,
            ),
        )
        previous: _Held | DoseWritten | None = None
        for number, entry in enumerate(timeline, start=1):
            if isinstance(entry, _Held):
                if entry.dose_number_derived != number:
                    renumbered.append(Dose(pk=entry.pk, dose_number_derived=number))
                entry.dose_number_derived = number
            else:
                entry.dose_number_derived = number
                entry.quality_flags = [*entry.quality_flags, *sequence_flags(entry, previous, vaccines)]
            previous = entry
    Dose.objects.bulk_update(renumbered, ["dose_number_derived"], batch_size=500)


class _Sequenced(Protocol):
    vaccine_id: int
    administered_on: dt.date
    dose_number_stated: int | None
    dose_number_derived: int | None


def sequence_flags(
    dose: _Sequenced, previous: _Sequenced | None, vaccines: dict[int, Vaccine]
) -> list[dict[str, str]]:
    """Data-quality flags from a dose's place in the person's history: too early, or a number out of sequence."""
    flags = []
    if previous is not None:
        before = vaccines[previous.vaccine_id]
        gap = (dose.administered_on - previous.administered_on).days
        if (
            before.min_interval_days
            and (dose.dose_number_derived or 0) <= before.primary_doses
            and gap < before.min_interval_days
        ):
            flags.append(
                {
                    "field": "administered_on",
                    "code": RecordFlag.INTERVAL_TOO_SHORT.value,
                    "message": _("%(gap)s days after the previous dose, under the minimum %(minimum)s days")
                    % {"gap": gap, "minimum": before.min_interval_days},
                }
            )
    if dose.dose_number_stated and dose.dose_number_stated != dose.dose_number_derived:
        flags.append(
            {
                "field": "dose_number",
                "code": RecordFlag.DOSE_NUMBER_MISMATCH.value,
                "message": _("Stated dose %(stated)s, but it is dose %(derived)s in the person's record")
                % {"stated": dose.dose_number_stated, "derived": dose.dose_number_derived},
            }
        )
    return flags


def _dose_set_status(
    dose: Dose, status: str, *, allowed_from: set[str], refusal: str, actor: Actor, reason: str, action: str
) -> Dose:
    require_reason(reason)
    dose = Dose.objects.select_for_update().get(
        pk=dose.pk
    )  # decide on the row as committed, not a stale copy
    if dose.status not in allowed_from:
        raise ValidationError(refusal)
    before = snapshot(dose, DOSE_FIELDS)
    dose.status = status
    dose.status_reason = reason.strip()
    dose.save(update_fields=["status", "status_reason", "updated_at"])
    person_dose_numbers_recompute(person=dose.person)
    dose.refresh_from_db()
    audit_record(
        actor=actor,
        action=action,
        obj=dose,
        person_id=dose.person_id,
        before=before,
        after=snapshot(dose, DOSE_FIELDS),
        reason=reason,
    )
    person_changed_on_commit(person_ids=[dose.person_id])  # the certificate follows the undisputed doses
    return dose


@transaction.atomic
def dose_void(*, dose: Dose, actor: Actor, reason: str) -> Dose:
    """Void a dose recorded in error; the row, its history and its provenance stay."""
    return _dose_set_status(
        dose,
        DoseStatus.VOIDED,
        allowed_from={DoseStatus.VALID, DoseStatus.DISPUTED},
        refusal=_("The dose is already voided"),
        actor=actor,
        reason=reason,
        action="dose.void",
    )


@transaction.atomic
def dose_restore(*, dose: Dose, actor: Actor, reason: str) -> Dose:
    """Undo a void or settle a dispute in the dose's favour: it counts again."""
    return _dose_set_status(
        dose,
        DoseStatus.VALID,
        allowed_from={DoseStatus.VOIDED, DoseStatus.DISPUTED},
        refusal=_("The dose is already valid"),
        actor=actor,
        reason=reason,
        action="dose.restore",
    )


@transaction.atomic
def dose_dispute(*, dose: Dose, actor: Actor, reason: str) -> Dose:
    """A citizen says "I did not receive this dose": it stops counting at once, until an official decides."""
    return _dose_set_status(
        dose,
        DoseStatus.DISPUTED,
        allowed_from={DoseStatus.VALID},
        refusal=_("Only a valid dose can be disputed"),
        actor=actor,
        reason=reason,
        action="dose.dispute",
    )


@transaction.atomic
def appointment_schedule(
    *,
    person: Person,
    dose_number: int,
    due_on: dt.date,
    vaccine: Vaccine | None = None,
    site: Site | None = None,
    actor: Actor,
    reason: str = "",
) -> Appointment:
    """Plan a dose. The plan is never a dose: it stays an appointment, kept or missed."""
    if person.is_merged():
        raise ValidationError(_("This person was merged"))
    appointment = Appointment.objects.create(
        person=person, vaccine=vaccine, dose_number=dose_number, due_on=due_on, site=site
    )
    audit_record(
        actor=actor,
        action="appointment.schedule",
        obj=appointment,
        person_id=person.pk,
        after=snapshot(appointment),
        reason=reason,
    )
    return appointment


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, actor: Actor, reason: str) -> Appointment:
    """Cancel a planned dose; the appointment row is kept."""
    require_reason(reason)
    before = snapshot(appointment)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="appointment.cancel",
        obj=appointment,
        person_id=appointment.person_id,
        before=before,
        after=snapshot(appointment),
        reason=reason,
    )
    return appointment
