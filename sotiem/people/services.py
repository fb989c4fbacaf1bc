"""Writes for persons, identifiers and contact points; each audited in its own transaction."""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from sotiem.audit.actors import Actor, Agent
from sotiem.audit.services import audit_record, audit_record_entries, require_reason, snapshot
from sotiem.db.bulk import insert_objects
from sotiem.lib.ids import check_bhyt, check_cccd, check_cmnd, check_national_id
from sotiem.lib.names import name_key, normalize_name
from sotiem.lib.phones import PhoneError, normalize_phone
from sotiem.people.matching import block_keys
from sotiem.people.models import (
    BirthDateLock,
    BirthDateTry,
    ContactPoint,
    DatePrecision,
    Identifier,
    IdScheme,
    Person,
    PhoneChallenge,
    Relationship,
    ReviewCandidate,
    Sex,
    birth_date_lock_keys,
)
from sotiem.people.signals import person_changed_on_commit
from sotiem.people.sms import sms_send
from sotiem.places.models import AdminUnit
from sotiem.places.selectors import codes_2025_of

PERSON_FIELDS = [
    "full_name",
    "name_as_given",
    "name_key",
    "birth_date",
    "birth_precision",
    "sex",
    "commune_id",
    "province_code",
    "commune_code",
    "address",
    "status",
    "merged_into_id",
]


@dataclass(frozen=True)
class IdentifierIn:
    scheme: str | None  # None: guess from the value's shape
    value: str


@dataclass(frozen=True)
class ContactIn:
    phone: str
    relationship: str = Relationship.SELF


def check_identifier(
    scheme: str | None, value: str, *, sex: str, birth_year: int | None
) -> tuple[str, str, bool, str]:
    """(scheme, normalised value, passed its checks, notes) for an identifier; raises only when no scheme fits.

    The notes are words in the active language, so the cache holds one answer per language.
    """
    return _check_identifier(scheme, value, sex=sex, birth_year=birth_year, language=get_language() or "")


@functools.lru_cache(maxsize=65536)
def _check_identifier(
    scheme: str | None,
    value: str,
    *,
    sex: str,
    birth_year: int | None,
    language: str,  # noqa: ARG001 (a key of the cache: the notes are written in it)
) -> tuple[str, str, bool, str]:
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
        raise ValidationError(
            check.errors[0] if check.errors else _("Invalid ID %(value)s") % {"value": repr(value)}
        )
    note = "; ".join([*check.errors, *check.warnings])
    return chosen, check.value or value.strip(), check.valid, note


def _place_fields(commune: AdminUnit | None) -> dict[str, str]:
    province_code, commune_code = codes_2025_of(commune)
    return {"province_code": province_code, "commune_code": commune_code}


@dataclass(frozen=True)
class PersonIn:
    """What a person registration carries: demographics plus the identifiers and phones they gave."""

    full_name: str
    birth_date: dt.date | None
    birth_precision: str = DatePrecision.DAY
    sex: str = Sex.UNKNOWN
    commune: AdminUnit | None = None
    address: str = ""
    identifiers: tuple[IdentifierIn, ...] = ()
    contacts: tuple[ContactIn, ...] = ()


SEXES = frozenset(Sex.values)
PRECISIONS = frozenset(DatePrecision.values)
RELATIONSHIPS = frozenset(Relationship.values)


def _limit(field_name: str) -> int | None:
    return getattr(Person._meta.get_field(field_name), "max_length", None)


def _fits(field_name: str, value: str) -> bool:
    limit = _limit(field_name)
    return limit is None or len(value) <= limit


def _person_checked_name(item: PersonIn, today: dt.date) -> str:
    """The normalised name, after every check of the person's own fields (raises ValidationError).

    Text longer than its column is refused, never cut: the registry keeps what was sent or says why it did not.
    """
    name = normalize_name(item.full_name)
    if not name:
        raise ValidationError(_("The full name is missing"))
    _check_lengths(name, item.full_name, item.address, item.birth_date, item.birth_precision)
    if item.sex not in SEXES:
        raise ValidationError(_("Unknown sex %(sex)s (M, F or U)") % {"sex": repr(item.sex)})
    if item.birth_precision not in PRECISIONS:
        raise ValidationError(
            _("Unknown birth date precision %(precision)s") % {"precision": repr(item.birth_precision)}
        )
    if item.birth_date and item.birth_date > today:
        raise ValidationError(
            _("The birth date %(date)s is in the future") % {"date": f"{item.birth_date:%d/%m/%Y}"}
        )
    return name


def _check_lengths(
    name: str, full_name: str, address: str, birth_date: dt.date | None, precision: str
) -> None:
    """Text longer than its column is refused, never cut: the registry keeps what was sent or says why not."""
    given = unicodedata.normalize("NFC", full_name).strip()
    if not (_fits("full_name", name) and _fits("name_as_given", given) and _fits("name_key", name_key(name))):
        raise ValidationError(
            _("The full name is over %(limit)s characters") % {"limit": _limit("full_name")}
        )
    # the matching keys join the first and last words; shorter names always fit (folding never lengthens)
    if len(name) > 100 and not all(
        _fits("block_key", key) for key in block_keys(name, birth_date, precision, "00")
    ):
        raise ValidationError(
            _("The family and given names are too long to be matched (their first and last words)")
        )
    if not _fits("address", address.strip()):
        raise ValidationError(_("The address is over %(limit)s characters") % {"limit": _limit("address")})


def _person_row(item: PersonIn, today: dt.date) -> Person:
    name = _person_checked_name(item, today)
    place = _place_fields(item.commune)
    block, birth = block_keys(name, item.birth_date, item.birth_precision, place["province_code"])
    return Person(
        full_name=name,
        name_as_given=unicodedata.normalize("NFC", item.full_name).strip(),
        name_key=name_key(name),
        block_key=block,
        birth_key=birth,
        birth_date=item.birth_date,
        birth_precision=item.birth_precision,
        sex=item.sex,
        commune=item.commune,
        address=item.address.strip(),
        **place,
    )


def _identifier_row(person: Person, scheme: str | None, value: str) -> Identifier:
    birth_year = person.birth_date.year if person.birth_date else None
    chosen, normalised, valid, note = check_identifier(scheme, value, sex=person.sex, birth_year=birth_year)
    return Identifier(person=person, scheme=chosen, value=normalised, validated=valid, validation_note=note)


def _contact_row(person: Person, phone: str, relationship: str) -> ContactPoint:
    return ContactPoint(person=person, phone=_checked_phone(phone, relationship), relationship=relationship)


def _checked_phone(phone: str, relationship: str) -> str:
    if relationship not in RELATIONSHIPS:
        raise ValidationError(
            _("Unknown relationship %(relationship)s") % {"relationship": repr(relationship)}
        )
    try:
        return normalize_phone(phone)
    except PhoneError as exc:
        raise ValidationError(str(exc)) from exc


def person_in_problems(item: PersonIn) -> list[str]:
    """Why `person_create_many` would refuse this item (empty when it would not); nothing is written."""
    try:
        _person_checked_name(item, timezone.localdate())
        birth_year = item.birth_date.year if item.birth_date else None
        for ident in item.identifiers:
            if ident.value.strip():
                check_identifier(ident.scheme, ident.value, sex=item.sex, birth_year=birth_year)
        for contact in item.contacts:
            if contact.phone.strip():
                _checked_phone(contact.phone, contact.relationship)
    except ValidationError as exc:
        return list(exc.messages)
    return []


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
    actor: Actor,
    reason: str = "",
) -> Person:
    """Register a person with the identifiers and phones they gave; identifiers that fail checks are kept, flagged."""
    item = PersonIn(
        full_name=full_name,
        birth_date=birth_date,
        birth_precision=birth_precision,
        sex=sex,
        commune=commune,
        address=address,
        identifiers=tuple(identifiers),
        contacts=tuple(contacts),
    )
    return person_create_many(items=[item], actor=actor, reason=reason)[0]


@transaction.atomic
def person_create_many(*, items: list[PersonIn], actor: Actor, reason: str = "") -> list[Person]:
    """Register many persons in one transaction, each checked and audited exactly as by `person_create`.

    Any invalid item refuses the whole batch (the error names its position), so callers that must keep the
    good rows next to a bad one validate row by row first.
    """
    today = timezone.localdate()
    persons: list[Person] = []
    for index, item in enumerate(items):
        try:
            persons.append(_person_row(item, today))
        except ValidationError as exc:
            raise ValidationError(f"#{index + 1}: {'; '.join(exc.messages)}") from exc
    insert_objects(persons)
    identifiers: list[Identifier] = []
    contacts: list[ContactPoint] = []
    per_person: list[tuple[list[Identifier], list[ContactPoint]]] = []
    for index, (person, item) in enumerate(zip(persons, items, strict=True)):
        try:
            ids = {
                (i.scheme, i.value): i
                for i in (
                    _identifier_row(person, x.scheme, x.value) for x in item.identifiers if x.value.strip()
                )
            }
            phones = {
                c.phone: c
                for c in (
                    _contact_row(person, x.phone, x.relationship) for x in item.contacts if x.phone.strip()
                )
            }
        except ValidationError as exc:
            raise ValidationError(f"#{index + 1}: {'; '.join(exc.messages)}") from exc
        identifiers.extend(ids.values())
        contacts.extend(phones.values())
        per_person.append((list(ids.values()), list(phones.values())))
    insert_objects(identifiers)
    insert_objects(contacts)
    audit_record_entries(
        actor=actor,
        action="person.create",
        object_type=Person._meta.label_lower,
        reason=reason,
        entries=[
            (
                str(person.pk),
                str(person)[:200],
                person.pk,
                {
                    **snapshot(person, PERSON_FIELDS),
                    "identifiers": [f"{i.scheme}:{i.value}" for i in ids],
                    "contacts": [f"{c.phone}:{c.relationship}" for c in phones],
                },
            )
            for person, (ids, phones) in zip(persons, per_person, strict=True)
        ],
    )
    return persons


def _identifier_add(person: Person, scheme: str | None, value: str) -> Identifier:
    row = _identifier_row(person, scheme, value)
    ident, _created = Identifier.objects.get_or_create(
        person=person,
        scheme=row.scheme,
        value=row.value,
        defaults={"validated": row.validated, "validation_note": row.validation_note},
    )
    return ident


def _contact_add(person: Person, phone: str, relationship: str) -> ContactPoint:
    row = _contact_row(person, phone, relationship)
    found = ContactPoint.objects.filter(person=person, phone=row.phone, active=True).first()
    if found:
        return found
    row.save()
    return row


@transaction.atomic
def identifier_add(
    *, person: Person, scheme: str | None, value: str, actor: Actor, reason: str
) -> Identifier:
    """Attach an identifier to a person; a failed check is stored as a note, never silently dropped."""
    ident = _identifier_add(person, scheme, value)
    audit_record(
        actor=actor,
        action="identifier.add",
        obj=ident,
        person_id=person.pk,
        after=snapshot(ident),
        reason=reason,
    )
    return ident


@transaction.atomic
def contact_point_add(
    *, person: Person, phone: str, relationship: str = Relationship.SELF, actor: Actor, reason: str = ""
) -> ContactPoint:
    """Record a phone a person gave; other persons with the same phone are untouched (a phone is not identity)."""
    contact = _contact_add(person, phone, relationship)
    audit_record(
        actor=actor,
        action="contact.add",
        obj=contact,
        person_id=person.pk,
        after=snapshot(contact),
        reason=reason,
    )
    return contact


@transaction.atomic
def contact_point_detach(*, contact: ContactPoint, actor: Actor, reason: str) -> ContactPoint:
    """Detach a person from a phone ("not my family member"); the person's doses and identity are not touched."""
    require_reason(reason)
    before = snapshot(contact)
    contact.active = False
    contact.detached_at = timezone.now()
    contact.save(update_fields=["active", "detached_at"])
    audit_record(
        actor=actor,
        action="contact.detach",
        obj=contact,
        person_id=contact.person_id,
        before=before,
        after=snapshot(contact),
        reason=reason,
    )
    return contact


@transaction.atomic
def person_update(*, person: Person, actor: Actor, reason: str, **changes: Any) -> Person:
    """Correct a person's demographic fields (name, birth date and precision, sex, address), with a reason."""
    allowed = {"full_name", "birth_date", "birth_precision", "sex", "commune", "address"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(_("Cannot change fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    require_reason(reason)
    if person.is_merged():
        raise ValidationError(_("This person was merged; correct the survivor"))
    before = snapshot(person, PERSON_FIELDS)
    for field, value in changes.items():
        setattr(person, field, value)
    if "full_name" in changes:
        person.name_as_given = unicodedata.normalize("NFC", str(changes["full_name"])).strip()
        person.full_name = normalize_name(person.full_name)
        person.name_key = name_key(person.full_name)
    if "full_name" in changes or "address" in changes:
        _check_lengths(
            person.full_name,
            person.name_as_given,
            str(person.address),
            person.birth_date,
            person.birth_precision,
        )
    if "commune" in changes:
        for field, value in _place_fields(person.commune).items():
            setattr(person, field, value)
    person.block_key, person.birth_key = block_keys(
        person.full_name, person.birth_date, person.birth_precision, person.province_code
    )
    if person.sex not in Sex.values:
        raise ValidationError(_("Unknown sex %(sex)s (M, F or U)") % {"sex": repr(person.sex)})
    person.save()
    audit_record(
        actor=actor,
        action="person.update",
        obj=person,
        person_id=person.pk,
        before=before,
        after=snapshot(person, PERSON_FIELDS),
        reason=reason,
    )
    person_changed_on_commit(person_ids=[person.pk])  # the certificate carries the name and birth date
    return person


@transaction.atomic
def review_candidates_queue(
    *, candidates: list[ReviewCandidate], actor: Actor, reason: str = ""
) -> list[ReviewCandidate]:
    """Put pairs of persons in the officials' review queue; a pair already asked (decided or not) is not asked again."""
    wanted = {(c.person_a_id, c.person_b_id): c for c in candidates}
    if not wanted:
        return []
    if any(a >= b for a, b in wanted):
        raise ValidationError(_("A pair's first person must have the lower id"))
    asked = set(
        ReviewCandidate.objects.filter(
            person_a_id__in={a for a, _ in wanted}, person_b_id__in={b for _, b in wanted}
        ).values_list("person_a_id", "person_b_id")
    )
    fresh = [c for pair, c in wanted.items() if pair not in asked]
    insert_objects(fresh)
    audit_record_entries(
        actor=actor,
        action="review.queue",
        object_type=ReviewCandidate._meta.label_lower,
        reason=reason,
        entries=[
            (
                str(c.pk),
                f"{c.person_a_id}~{c.person_b_id}",
                c.person_b_id,
                {
                    "person_a": c.person_a_id,
                    "person_b": c.person_b_id,
                    "origin": c.origin,
                    "weight": c.weight,
                    "model_version": c.model_version,
                },
            )
            for c in fresh
        ],
    )
    return fresh


# -- citizens proving a phone with a one-time code -----------------------------------------------------------

UNVERIFIED_CITIZEN = Agent.citizen("citizen:unverified")  # someone who has not (yet) proved a phone


def citizen_actor(phone: str) -> Agent:
    """The audit actor of whoever proved this phone (E.164)."""
    return Agent.citizen(f"citizen:{phone}")


CHALLENGE_WINDOW = dt.timedelta(minutes=15)
CHALLENGES_PER_WINDOW = 3
CODE_TEXT = gettext_lazy("sotiem code: %(code)s (valid %(minutes)s minutes)")


def _code_hash(public_id: Any, code: str) -> str:
    # keyed: a plain hash of a 6-digit code is reversed in a second by anyone who reads the table. The key is derived
    # from SECRET_KEY for this use alone, and production refuses to start without a SECRET_KEY of its own (settings).
    return salted_hmac("sotiem.people.phone_challenge", f"{public_id}:{code}", algorithm="sha256").hexdigest()


@transaction.atomic
def phone_challenge_start(*, phone: str) -> PhoneChallenge:
    """Send a one-time code to a phone (at most 3 a phone in 15 minutes); only the code's keyed hash is stored."""
    try:
        e164 = normalize_phone(phone)
    except PhoneError as exc:
        raise ValidationError(str(exc)) from exc
    now = timezone.now()
    recent = list(
        PhoneChallenge.objects.filter(phone=e164, created_at__gt=now - CHALLENGE_WINDOW)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    if len(recent) >= CHALLENGES_PER_WINDOW:
        minutes = max(
            1, -(-int((recent[-CHALLENGES_PER_WINDOW] + CHALLENGE_WINDOW - now).total_seconds()) // 60)
        )
        raise ValidationError(
            _(
                "Please wait %(minutes)s min before asking for a new code (at most %(count)s codes in 15 minutes)"
            )
            % {"minutes": minutes, "count": CHALLENGES_PER_WINDOW}
        )
    code = f"{secrets.randbelow(10**6):06d}"
    challenge = PhoneChallenge(phone=e164, created_at=now, expires_at=now + PhoneChallenge.LIFETIME)
    challenge.code_hash = _code_hash(challenge.public_id, code)
    challenge.save()
    audit_record(
        actor=UNVERIFIED_CITIZEN,
        action="phone.challenge",
        obj=challenge,
        after={"phone": e164, "expires_at": challenge.expires_at},
    )
    # written now, in the language of the request that asked for the code
    text = CODE_TEXT % {"code": code, "minutes": int(PhoneChallenge.LIFETIME.total_seconds() // 60)}
    transaction.on_commit(lambda: sms_send(phone=e164, text=text))
    return challenge


@transaction.atomic
def phone_challenge_verify(*, challenge: PhoneChallenge, code: str) -> bool:
    """Whether `code` proves the challenge's phone; refused when expired, already used or after 5 tries."""
    locked = PhoneChallenge.objects.select_for_update().get(pk=challenge.pk)  # two tries at once count as two
    if locked.verified_at is not None:
        outcome = "already_verified"
    elif locked.is_expired():
        outcome = "expired"
    elif locked.attempts_left() == 0:
        outcome = "too_many_attempts"
    else:
        locked.attempts += 1
        given = _code_hash(locked.public_id, code.strip()[:32])
        outcome = "verified" if hmac.compare_digest(given, locked.code_hash) else "wrong_code"
        if outcome == "verified":
            locked.verified_at = timezone.now()
        locked.save(update_fields=["attempts", "verified_at"])
    challenge.attempts, challenge.verified_at = locked.attempts, locked.verified_at
    actor = citizen_actor(locked.phone) if outcome == "verified" else UNVERIFIED_CITIZEN
    audit_record(
        actor=actor,
        action="phone.verify",
        obj=locked,
        after={"phone": locked.phone, "outcome": outcome, "attempts": locked.attempts},
    )
    return outcome == "verified"


# -- citizens opening a certificate with a birth date ---------------------------------------------------------

LOCK_MEMORY = dt.timedelta(days=30)  # a lock within this long before makes the next one last twice as long
_TRY_FIELD = {"person": "person_id", "phone": "phone", "address": "address"}


@dataclass(frozen=True)
class BirthDateOutcome:
    tries_left: int  # before a lock: the fewest left of the person's, the phone's and the address's
    lock: BirthDateLock | None  # the lock this try began (the one ending last when several did)


@transaction.atomic
def birth_date_try_record(*, person: Person, phone: str, address: str) -> BirthDateOutcome:
    """Count a wrong birth date for the person, the phone and the client address; lock each that reached its limit.

    The counts live in the database, so a new code or a new session does not start them over, and a right birth
    date does not reset them (whoever holds one person's birth date cannot buy more guesses at another's).
    """
    Person.objects.select_for_update().filter(
        pk=person.pk
    ).exists()  # two tries at once are counted one by one
    now = timezone.now()
    actor = citizen_actor(phone)
    wrong = BirthDateTry.objects.create(person=person, phone=phone, address=address, created_at=now)
    audit_record(
        actor=actor,
        action="birth_date.wrong",
        obj=wrong,
        person_id=person.pk,
        after={"phone": phone, "address": address},
    )
    left: list[int] = []
    locks: list[BirthDateLock] = []
    for scope, key in birth_date_lock_keys(person_id=person.pk, phone=phone, address=address).items():
        limits = settings.SOTIEM_BIRTH_DATE_LIMITS[scope]
        window = dt.timedelta(hours=limits["window_hours"])
        earlier = list(
            BirthDateLock.objects.filter(scope=scope, key=key, started_at__gt=now - LOCK_MEMORY)
            .order_by("-until")
            .values_list("until", flat=True)
        )
        # tries before the end of the last lock were paid for by that lock
        counted = BirthDateTry.objects.filter(
            **{_TRY_FIELD[scope]: key}, created_at__gt=max([now - window, *earlier[:1]])
        )
        times = sorted(counted.values_list("created_at", flat=True))
        if len(times) < limits["tries"]:
            left.append(limits["tries"] - len(times))
            continue
        strike = len(earlier) + 1
        until = times[0] + min(window * 2 ** (strike - 1), dt.timedelta(hours=limits["max_hours"]))
        lock = BirthDateLock.objects.create(
            scope=scope,
            key=key,
            person=person,
            started_at=now,
            until=max(until, now + dt.timedelta(minutes=1)),
            strike=strike,
        )
        audit_record(
            actor=actor,
            action="birth_date.lock",
            obj=lock,
            person_id=person.pk,
            after={"scope": scope, "key": key, "until": lock.until, "strike": strike, "tries": len(times)},
        )
        locks.append(lock)
    if locks:
        return BirthDateOutcome(tries_left=0, lock=max(locks, key=lambda lock: lock.until))
    return BirthDateOutcome(tries_left=min(left), lock=None)
