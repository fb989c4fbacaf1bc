"""Writes for persons, identifiers and contact points; each audited in its own transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from sotiem.audit.services import audit_record, snapshot
from sotiem.lib.ids import check_bhyt, check_cccd, check_cmnd, check_national_id
from sotiem.lib.names import name_key, normalize_name
from sotiem.lib.phones import PhoneError, normalize_phone
from sotiem.people.models import ContactPoint, DatePrecision, Identifier, IdScheme, Person, Relationship, Sex
from sotiem.places.models import AdminUnit
from sotiem.places.selectors import codes_2025_of

PERSON_FIELDS = ["full_name", "name_key", "birth_date", "birth_precision", "sex", "commune_id", "province_code",
                 "commune_code", "address", "status", "merged_into_id"]


@dataclass(frozen=True)
class IdentifierIn:
    scheme: str | None  # None: guess from the value's shape
    value: str


@dataclass(frozen=True)
class ContactIn:
    phone: str
    relationship: str = Relationship.SELF


def _check_identifier(scheme: str | None, value: str, *, sex: str, birth_year: int | None) -> tuple[str, str, bool, str]:
    known_sex = sex if sex in (Sex.MALE, Sex.FEMALE) else None
    if scheme == IdScheme.CCCD:
        check = check_cccd(value, sex=known_sex, birth_year=birth_year)
    elif scheme == IdScheme.CMND:
        check = check_cmnd(value)
    elif scheme == IdScheme.BHYT:
        check = check_bhyt(value)
    else:
        check = check_national_id(value, sex=known_sex, birth_year=birth_year)
    chosen = scheme or check.scheme
    if chosen not in IdScheme.values:
        raise ValidationError(check.errors[0] if check.errors else f"Mã định danh không hợp lệ / Invalid ID {value!r}")
    note = "; ".join([*check.errors, *check.warnings])
    return chosen, check.value or value.strip(), check.valid, note


def _place_fields(commune: AdminUnit | None) -> dict[str, str]:
    province_code, commune_code = codes_2025_of(commune)
    return {"province_code": province_code, "commune_code": commune_code}


@transaction.atomic
def person_create(
    *,
    full_name: str,
    birth_date: dt.date | None,
    birth_precision: str = DatePrecision.DAY,
    sex: str = Sex.UNKNOWN,
    commune: AdminUnit | None = None,
    address: str = "",
    identifiers: Iterable[IdentifierIn] = (),
    contacts: Iterable[ContactIn] = (),
    actor: Any,
    reason: str = "",
) -> Person:
    """Register a person with the identifiers and phones they gave; identifiers that fail checks are kept, flagged."""
    name = normalize_name(full_name)
    if not name:
        raise ValidationError("Thiếu họ tên / The full name is missing")
    if sex not in Sex.values:
        raise ValidationError(f"Giới tính không hợp lệ / Unknown sex {sex!r} (M, F or U)")
    if birth_date and birth_date > timezone.localdate():
        raise ValidationError(f"Ngày sinh {birth_date:%d/%m/%Y} ở tương lai / The birth date is in the future")
    person = Person.objects.create(
        full_name=name, name_key=name_key(name), birth_date=birth_date, birth_precision=birth_precision, sex=sex,
        commune=commune, address=address.strip()[:300], **_place_fields(commune),
    )
    ids = [_identifier_add(person, item.scheme, item.value) for item in identifiers if item.value.strip()]
    phones = [_contact_add(person, item.phone, item.relationship) for item in contacts if item.phone.strip()]
    audit_record(actor=actor, action="person.create", obj=person, person_id=person.pk, reason=reason,
                 after={**snapshot(person, PERSON_FIELDS),
                        "identifiers": [f"{i.scheme}:{i.value}" for i in ids],
                        "contacts": [f"{c.phone}:{c.relationship}" for c in phones]})
    return person


def _identifier_add(person: Person, scheme: str | None, value: str) -> Identifier:
    birth_year = person.birth_date.year if person.birth_date else None
    chosen, normalised, valid, note = _check_identifier(scheme, value, sex=person.sex, birth_year=birth_year)
    ident, _ = Identifier.objects.get_or_create(
        person=person, scheme=chosen, value=normalised, defaults={"validated": valid, "validation_note": note}
    )
    return ident


def _contact_add(person: Person, phone: str, relationship: str) -> ContactPoint:
    if relationship not in Relationship.values:
        raise ValidationError(f"Quan hệ không hợp lệ / Unknown relationship {relationship!r}")
    try:
        e164 = normalize_phone(phone)
    except PhoneError as exc:
        raise ValidationError(str(exc)) from exc
    found = ContactPoint.objects.filter(person=person, phone=e164, active=True).first()
    return found or ContactPoint.objects.create(person=person, phone=e164, relationship=relationship)


@transaction.atomic
def identifier_add(*, person: Person, scheme: str | None, value: str, actor: Any, reason: str) -> Identifier:
    """Attach an identifier to a person; a failed check is stored as a note, never silently dropped."""
    ident = _identifier_add(person, scheme, value)
    audit_record(actor=actor, action="identifier.add", obj=ident, person_id=person.pk, after=snapshot(ident),
                 reason=reason)
    return ident


@transaction.atomic
def contact_point_add(*, person: Person, phone: str, relationship: str = Relationship.SELF, actor: Any,
                      reason: str = "") -> ContactPoint:
    """Record a phone a person gave; other persons with the same phone are untouched (a phone is not identity)."""
    contact = _contact_add(person, phone, relationship)
    audit_record(actor=actor, action="contact.add", obj=contact, person_id=person.pk, after=snapshot(contact),
                 reason=reason)
    return contact


@transaction.atomic
def contact_point_detach(*, contact: ContactPoint, actor: Any, reason: str) -> ContactPoint:
    """Detach a person from a phone ("not my family member"); the person's doses and identity are not touched."""
    if not reason.strip():
        raise ValidationError("Cần nêu lý do / A reason is required")
    before = snapshot(contact)
    contact.active = False
    contact.detached_at = timezone.now()
    contact.save(update_fields=["active", "detached_at"])
    audit_record(actor=actor, action="contact.detach", obj=contact, person_id=contact.person_id, before=before,
                 after=snapshot(contact), reason=reason)
    return contact


@transaction.atomic
def person_update(*, person: Person, actor: Any, reason: str, **changes: Any) -> Person:
    """Correct a person's demographic fields (name, birth date and precision, sex, address), with a reason."""
    allowed = {"full_name", "birth_date", "birth_precision", "sex", "commune", "address"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(f"Không sửa được trường / Cannot change fields: {', '.join(sorted(unknown))}")
    if not reason.strip():
        raise ValidationError("Cần nêu lý do / A reason is required")
    if person.is_merged():
        raise ValidationError("Hồ sơ đã gộp, hãy sửa hồ sơ chính / This person was merged; correct the survivor")
    before = snapshot(person, PERSON_FIELDS)
    for field, value in changes.items():
        setattr(person, field, value)
    if "full_name" in changes:
        person.full_name = normalize_name(person.full_name)
        person.name_key = name_key(person.full_name)
    if "commune" in changes:
        for field, value in _place_fields(person.commune).items():
            setattr(person, field, value)
    if person.sex not in Sex.values:
        raise ValidationError(f"Giới tính không hợp lệ / Unknown sex {person.sex!r}")
    person.save()
    audit_record(actor=actor, action="person.update", obj=person, person_id=person.pk, before=before,
                 after=snapshot(person, PERSON_FIELDS), reason=reason)
    return person
