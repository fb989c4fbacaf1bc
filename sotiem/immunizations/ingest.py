"""Ingestion without loss: every record sent is held exactly once, or refused with a reason the sender can read.

All channels (the JSON API, spreadsheet imports, HL7 VXU) call `ingest_records`. The batch is stored in the
inbox and committed first; then, in one transaction, each record is answered:

- `accepted`  stored now (with data-quality flags when something is implausible but the dose happened);
- `duplicate` this sender's record id with the same content is already held: same dose id, nothing changes;
- `conflict`  the record id is held with different content: nothing changes, the error says what differs;
- `rejected`  each invalid field is named, with a stable code and a reason in the reader's language
              (the request's Accept-Language; the codes are the same in every language).

Acknowledgements are built only after the transaction commits, so an answered record is never lost.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sotiem.audit.actors import Actor
from sotiem.audit.services import audit_record
from sotiem.immunizations.models import Dose, InboxBatch, InboxStatus, Vaccine
from sotiem.immunizations.selectors import vaccine_find, vaccines_by_id
from sotiem.immunizations.services import DoseIn, dose_record_batch
from sotiem.lib.dates import DateError, parse_date, parse_partial_date
from sotiem.lib.i18n import Text
from sotiem.lib.ids import check_national_id
from sotiem.lib.phones import PhoneError, normalize_phone
from sotiem.lib.records import (
    CONTENT_FIELDS,
    FIELD_SPECS,
    FIELDS,
    MAX_DOSE_NUMBER,
    FieldSpec,
    RecordFlag,
    RecordStatus,
)
from sotiem.people.identity import identify_persons
from sotiem.people.models import DatePrecision, IdScheme, Relationship, Sex
from sotiem.people.services import ContactIn, IdentifierIn, PersonIn, person_in_problems
from sotiem.people.signals import person_changed_on_commit
from sotiem.places.models import Site
from sotiem.places.selectors import commune_find, province_find, sites_by_code, unit_get
from sotiem.places.services import SessionIn, sessions_find_or_create_many

MAX_JSON_DEPTH = 32  # a batch is depth 1, a record 2; nothing deeper can be a field
MAX_NUMBER_DIGITS = 100  # longer than any field: kept as its digits (never an int) and refused by its record

ID_SCHEMES = frozenset(IdScheme.values)
SEX_WORDS: dict[str, str] = {
    "nam": Sex.MALE,
    "m": Sex.MALE,
    "male": Sex.MALE,
    "trai": Sex.MALE,
    "nu": Sex.FEMALE,
    "nữ": Sex.FEMALE,
    "f": Sex.FEMALE,
    "female": Sex.FEMALE,
    "gai": Sex.FEMALE,
}


@dataclass(frozen=True)
class Sender:
    """Who sends: records are held under `source`; a site key may send only its site, a team only its province."""

    source: str
    site: Site | None = None
    province_code: str = ""
    label: str = ""


@dataclass
class RecordResult:
    record_id: str
    status: RecordStatus
    dose_id: str | None = None
    person_id: str | None = None
    content_hash: str = ""
    errors: list[dict[str, str]] = field(default_factory=list)
    flags: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "status": self.status,
            "dose_id": self.dose_id,
            "person_id": self.person_id,
            "content_hash": self.content_hash,
            "errors": self.errors,
            "flags": self.flags,
        }


def issue(field_name: str, code: str, message: object) -> dict[str, str]:
    """One error or flag of a record: the field, a stable code, and the message in the active language."""
    return {"field": field_name, "code": str(code), "message": str(message)}  # str(): a flag's plain word


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


class BodyError(Exception):
    """A body that is not JSON as RFC 8259 defines it, or nested deeper than MAX_JSON_DEPTH: refused whole."""


class LongNumber(str):
    """A JSON integer of more than MAX_NUMBER_DIGITS digits, kept as its digits: no field can hold one."""


def _json_depth(value: Any) -> int:
    """How deep the arrays and objects of a parsed JSON value nest (a batch is 1, its records 2); iterative."""
    if not isinstance(value, list | dict):
        return 0
    deepest, stack = 0, [(value, 1)]
    while stack and deepest <= MAX_JSON_DEPTH:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        for child in item if isinstance(item, list) else item.values():
            if type(child) is list or type(child) is dict:
                stack.append((child, depth + 1))
    return deepest


def _json_constant(name: str) -> Any:
    raise BodyError(_("%(name)s is not a JSON number (RFC 8259)") % {"name": name})


def _json_int(digits: str) -> int | LongNumber:
    return LongNumber(digits) if len(digits) > MAX_NUMBER_DIGITS else int(digits)


def records_json(body: bytes) -> Any:
    """A request body read strictly as JSON; raises BodyError with the reason when it is not, or nests too deep.

    NaN and Infinity are refused (not JSON); nesting deeper than Python's recursion limit stops the C parser
    with RecursionError (no stack is exhausted), anything deeper than MAX_JSON_DEPTH is refused after parsing;
    an integer too long for any field is kept as a `LongNumber`, refused by its record alone.
    """
    too_deep = BodyError(
        _("The JSON nests deeper than %(depth)s levels; at most %(depth)s are read")
        % {"depth": MAX_JSON_DEPTH}
    )
    try:
        value = json.loads(body, parse_constant=_json_constant, parse_int=_json_int)
    except (
        RecursionError
    ) as exc:  # the C parser counts its depth against the recursion limit, and stops there
        raise too_deep from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BodyError(_("The body is not valid JSON (%(error)s)") % {"error": exc}) from exc
    if _json_depth(value) > MAX_JSON_DEPTH:
        raise too_deep
    return value


_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")  # tab, LF and CR are kept


def _escaped(text: str) -> str:
    """Text safe to show and store in a message: control characters and lone surrogates as \\uXXXX."""
    return _UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _value_problem(value: Any, spec: FieldSpec) -> tuple[str, str] | None:
    """(code, message) when a JSON value cannot be this field; None when it can be read as one."""
    if type(value) is str:  # the usual case, kept quick: NFC at most triples a text, so short text fits
        if not _UNSTORABLE.search(value) and len(value) * 3 <= spec.max_length:
            return None
    elif value is None or isinstance(value, bool):
        return None
    if isinstance(value, dict | list):
        return "not_text", _("The value must be text or a number")
    if isinstance(value, LongNumber) or (
        isinstance(value, int) and value.bit_length() > 3 * MAX_NUMBER_DIGITS
    ):
        return "number_too_long", _("The number has too many digits to be any field")
    if isinstance(value, float) and not math.isfinite(value):
        return "number_out_of_range", _("The number is out of range (infinite or not a number)")
    if spec.kind == "key" and isinstance(value, float):
        return (
            "not_a_key",
            _(
                "A record id must be text or a whole number, not a decimal (-0.0 and 1.10 would read as other ids)"
            ),
        )
    if (
        spec.kind == "count"
        and isinstance(value, int | float)
        and not (float(value).is_integer() and 1 <= value <= MAX_DOSE_NUMBER)
    ):
        return (
            "invalid_number",
            _("Dose number %(number)s is not a number from 1 to %(max)s")
            % {"number": value, "max": MAX_DOSE_NUMBER},
        )
    if isinstance(value, str):
        bad = _UNSTORABLE.search(value)
        if bad:
            point = ord(bad.group())
            if 0xD800 <= point <= 0xDFFF:
                return (
                    "lone_surrogate",
                    _("Character %(position)s is %(point)s, half of a UTF-16 pair: not text")
                    % {"position": bad.start() + 1, "point": f"U+{point:04X}"},
                )
            return (
                "control_character",
                _("Character %(position)s is the control character %(point)s")
                % {"position": bad.start() + 1, "point": f"U+{point:04X}"},
            )
    length = len(_text(value))
    if length > spec.max_length:
        return "too_long", _("%(length)s characters; at most %(max)s") % {
            "length": length,
            "max": spec.max_length,
        }
    return None


def _value_errors(record: dict[str, Any]) -> list[dict[str, str]]:
    """Every known field whose value cannot be that field; checked before anything is hashed or written."""
    errors = []
    for name, value in record.items():
        spec = FIELD_SPECS.get(name)
        problem = _value_problem(value, spec) if spec else None
        if problem:
            errors.append(issue(name, *problem))
    return errors


def canonical(record: dict[str, Any]) -> dict[str, str]:
    """The record's content as compared and hashed: every field as trimmed NFC text, absent = null = ""."""
    return {name: _text(record.get(name)) for name in CONTENT_FIELDS}


def content_hash(canon: dict[str, str]) -> str:
    body = json.dumps(canon, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(body.encode()).hexdigest()


@dataclass
class Prepared:
    """A record checked without the database: what a worker process can do (picklable, no model instances).

    `errors` are the first checks (vaccine, date, dose number, person fields); the site is checked against the
    database afterwards, and only when neither fails do `late_errors` (name, future birth, person checks) count.
    """

    index: int
    record_id: str
    canon: dict[str, str]
    hash: str
    structure_errors: list[dict[str, str]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    late_errors: list[dict[str, str]] = field(default_factory=list)
    vaccine_id: int | None = None
    administered_on: dt.date | None = None
    dose_number: int | None = None
    site_code: str = ""
    lot_number: str = ""
    flags: list[dict[str, str]] = field(default_factory=list)
    person: PersonIn | None = None  # its commune as an id in `commune_id`, hydrated by the database stage
    commune_id: int | None = None


@dataclass
class Parsed:
    """A record that can be a dose: what it says, resolved against the registry's reference data."""

    index: int
    record_id: str
    canon: dict[str, str]
    hash: str
    person: PersonIn
    vaccine: Vaccine
    site: Site
    administered_on: dt.date
    dose_number: int | None
    lot_number: str
    flags: list[dict[str, str]]


@functools.lru_cache(maxsize=20000)
def _place(province_text: str, commune_text: str) -> tuple[int | None, bool]:
    """(commune unit id, whether what was written resolved); units never change, so cached per process."""
    province = province_find(province_text) if province_text else None
    commune = None
    if commune_text:
        commune = commune_find(commune_text, province=province) if province else None
        if commune is None and province is not None and province.era == "2025":
            commune = commune_find(commune_text, province=province_find(province_text, era="2021"))
    resolved = (not province_text or province is not None) and (not commune_text or commune is not None)
    return (commune.pk if commune else None), resolved


# The reason a date is refused is cached as lib's `Text`, translated only when a message is built from it, so the
# cache serves every language.
@functools.lru_cache(maxsize=4096)
def _date(text: str) -> dt.date | Text | str:
    """A date of vaccination, or the reason it is not one (few distinct values in a file: cached)."""
    try:
        return parse_date(text)
    except DateError as exc:
        return exc.args[0] if exc.args else str(exc)


@functools.lru_cache(maxsize=65536)
def _birth(text: str) -> tuple[dt.date, str] | Text | str:
    try:
        partial = parse_partial_date(text)
    except DateError as exc:
        return exc.args[0] if exc.args else str(exc)
    return partial.value, partial.precision


def prepare_records(records: list[Any], *, today: dt.date | None = None) -> list[Prepared]:
    """Every check that needs no database, for a batch: structure, content hash, fields, flags, the person.

    Pure and picklable both ways, so imports run it in worker processes while the database stage stores the
    previous batch.
    """
    today = today or timezone.localdate()
    out = []
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            out.append(
                Prepared(
                    index=index, record_id="", canon={}, hash="", structure_errors=_structure_errors(record)
                )
            )
            continue
        value_errors = _value_errors(record)
        if value_errors:  # never hashed: its text may not even be encodable; "" is its content hash
            rid = record.get("record_id")
            if isinstance(rid, str) and not isinstance(rid, LongNumber):
                shown = _escaped(rid)
            else:
                shown = "" if _value_problem(rid, FIELD_SPECS["record_id"]) else _text(rid)
            out.append(
                Prepared(
                    index=index,
                    record_id=shown,
                    canon={},
                    hash="",
                    structure_errors=value_errors + _structure_errors(record, checked=True),
                )
            )
            continue
        canon = canonical(record)
        item = Prepared(
            index=index,
            record_id=_text(record.get("record_id")),
            canon=canon,
            hash=content_hash(canon),
            structure_errors=_structure_errors(record),
        )
        if not item.structure_errors:
            _check_fields(item, today)
        out.append(item)
    return out


def _check_fields(item: Prepared, today: dt.date) -> None:
    errors, flags, c = item.errors, item.flags, item.canon

    if not c["vaccine"]:
        errors.append(issue("vaccine", "required", _("The vaccine is missing")))
    else:
        vaccine = vaccine_find(c["vaccine"])
        if vaccine is None:
            errors.append(
                issue(
                    "vaccine",
                    "unknown_vaccine",
                    _("“%(vaccine)s” is not a vaccine of the catalogue") % {"vaccine": c["vaccine"]},
                )
            )
        else:
            item.vaccine_id = vaccine.pk

    if not c["administered_on"]:
        errors.append(issue("administered_on", "required", _("The date of vaccination is missing")))
    else:
        given = _date(c["administered_on"])
        if not isinstance(given, dt.date):
            errors.append(issue("administered_on", "invalid_date", given))
        else:
            item.administered_on = given
    item.site_code = c["site_code"]
    item.lot_number = c["lot_number"]

    if c["dose_number"]:
        if (
            c["dose_number"].isascii()
            and c["dose_number"].isdigit()
            and 1 <= int(c["dose_number"]) <= MAX_DOSE_NUMBER
        ):
            item.dose_number = int(c["dose_number"])
        else:
            errors.append(
                issue(
                    "dose_number",
                    "invalid_number",
                    _("Dose number “%(number)s” is not a number from 1 to %(max)s")
                    % {"number": c["dose_number"], "max": MAX_DOSE_NUMBER},
                )
            )

    if not c["full_name"] and not c["national_id"]:
        errors.append(issue("full_name", "required", _("The vaccinated person's name is missing")))
    birth_date: dt.date | None = None
    precision: str = DatePrecision.DAY
    if c["birth_date"]:
        born = _birth(c["birth_date"])
        if not isinstance(born, tuple):
            errors.append(issue("birth_date", "invalid_date", born))
        else:
            birth_date, precision = born
    else:
        flags.append(issue("birth_date", RecordFlag.BIRTH_DATE_MISSING, _("The birth date is missing")))
    sex: str = Sex.UNKNOWN
    if c["sex"]:
        sex = SEX_WORDS.get(c["sex"].lower(), "")
        if not sex:
            errors.append(
                issue(
                    "sex", "invalid_sex", _("Sex “%(sex)s” is not one of Nam/Nữ or M/F") % {"sex": c["sex"]}
                )
            )
    if errors:
        return
    administered_on = item.administered_on
    vaccine = vaccines_by_id()[item.vaccine_id] if item.vaccine_id else None
    assert vaccine is not None and administered_on is not None

    late = item.late_errors
    if not c["full_name"]:
        late.append(issue("full_name", "required", _("The vaccinated person's name is missing")))
        return

    identifiers: tuple[IdentifierIn, ...] = ()
    national_id = c["national_id"]
    if national_id.isdigit() and len(national_id) in (8, 11):
        # a number typed into Excel loses its leading zero (079190000123 -> 79190000123)
        national_id = "0" + national_id
        flags.append(
            issue(
                "national_id",
                RecordFlag.ID_LEADING_ZERO_RESTORED,
                _("The ID number's lost leading zero was restored"),
            )
        )
    if national_id:
        check = check_national_id(
            national_id,
            sex=sex if sex in (Sex.MALE, Sex.FEMALE) else None,
            birth_year=birth_date.year if birth_date and precision != "month" else None,
        )
        if check.scheme in ID_SCHEMES:
            identifiers = (IdentifierIn(scheme=check.scheme, value=national_id),)
        if not check.valid:
            flags.append(
                issue(
                    "national_id",
                    RecordFlag.ID_INCONSISTENT if check.scheme in ID_SCHEMES else RecordFlag.ID_INVALID,
                    "; ".join(map(str, check.errors)) or _("Invalid ID"),
                )
            )
    contacts: tuple[ContactIn, ...] = ()
    if c["phone"]:
        try:
            contacts = (ContactIn(phone=normalize_phone(c["phone"]), relationship=Relationship.UNSTATED),)
        except PhoneError as exc:
            flags.append(issue("phone", RecordFlag.PHONE_INVALID, exc))
    commune_id, resolved = (
        _place(c["province"], c["commune"]) if (c["province"] or c["commune"]) else (None, True)
    )
    if not resolved:
        flags.append(
            issue(
                "commune",
                RecordFlag.ADDRESS_UNRESOLVED,
                _("The province/commune written (“%(province)s”, “%(commune)s”) was not found")
                % {"province": c["province"], "commune": c["commune"]},
            )
        )
    if not c["lot_number"]:
        flags.append(issue("lot_number", RecordFlag.LOT_MISSING, _("The vaccine lot number is missing")))
    if administered_on > today:
        flags.append(
            issue(
                "administered_on",
                RecordFlag.DOSE_IN_FUTURE,
                _("The date of vaccination is in the future"),
            )
        )
    if birth_date and administered_on < birth_date:
        flags.append(
            issue(
                "administered_on",
                RecordFlag.DOSE_BEFORE_BIRTH,
                _("The date of vaccination is before the birth date"),
            )
        )
    if vaccine.approved_on and administered_on < vaccine.approved_on:
        flags.append(
            issue(
                "administered_on",
                RecordFlag.BEFORE_APPROVAL,
                _("Given before %(vaccine)s was approved in Vietnam (%(date)s)")
                % {"vaccine": vaccine.name, "date": f"{vaccine.approved_on:%d/%m/%Y}"},
            )
        )
    if birth_date and birth_date > today:
        late.append(issue("birth_date", "birth_in_future", _("The birth date is in the future")))
        return

    person = PersonIn(
        full_name=c["full_name"],
        birth_date=birth_date,
        birth_precision=precision,
        sex=sex,
        address=c["address"],
        identifiers=identifiers,
        contacts=contacts,
    )
    problems = person_in_problems(person)  # the service's own checks, so one record can never fail a batch
    if problems:
        late.extend(issue("full_name", "invalid_person", p) for p in problems)
        return
    item.person = person
    item.commune_id = commune_id


class _Sites:
    """The sites a batch names, read once, and whether this sender may send for each."""

    def __init__(self, prepared: list[Prepared], sender: Sender):
        self.sender = sender
        codes = {p.site_code for p in prepared if p.site_code}
        self.by_code = sites_by_code(codes)

    def check(self, code: str) -> tuple[Site | None, list[dict[str, str]]]:
        own = self.sender.site
        code = code or (own.code if own else "")
        if not code:
            return None, [issue("site_code", "required", _("The site code is missing"))]
        site = self.by_code.get(code) or (own if own and own.code == code else None)
        if site is None:
            return None, [
                issue(
                    "site_code",
                    "unknown_site",
                    _("No site with code “%(code)s” (import it first: sotiem import-sites)") % {"code": code},
                )
            ]
        if own is not None and site.pk != own.pk:
            return None, [
                issue(
                    "site_code",
                    "not_your_site",
                    _("This key may send only doses of site %(site)s") % {"site": own.code},
                )
            ]
        if self.sender.province_code and site.province.code != self.sender.province_code:
            return None, [
                issue(
                    "site_code",
                    "not_your_province",
                    _("Site %(site)s is outside this sender's province %(province)s")
                    % {"site": site.code, "province": self.sender.province_code},
                )
            ]
        return site, []


def _resolve(item: Prepared, sites: _Sites) -> tuple[Parsed | None, list[dict[str, str]]]:
    """The database stage of the checks: the site; then the record as a Parsed, or every reason it is refused."""
    site, site_errors = sites.check(item.site_code)
    if item.errors or site_errors:
        errors = list(item.errors)
        position = next(
            (i for i, e in enumerate(errors) if e["field"] not in ("vaccine", "administered_on")), len(errors)
        )
        errors[position:position] = site_errors
        return None, errors
    if item.late_errors:
        return None, item.late_errors
    assert item.person is not None and item.vaccine_id is not None and item.administered_on is not None
    assert site is not None
    person = item.person
    if item.commune_id is not None:
        person = replace(person, commune=unit_get(item.commune_id))
    return Parsed(
        index=item.index,
        record_id=item.record_id,
        canon=item.canon,
        hash=item.hash,
        person=person,
        vaccine=vaccines_by_id()[item.vaccine_id],
        site=site,
        administered_on=item.administered_on,
        dose_number=item.dose_number,
        lot_number=item.lot_number,
        flags=item.flags,
    ), []


def _structure_errors(record: Any, *, checked: bool = False) -> list[dict[str, str]]:
    """Not an object, unknown fields, no record id; `checked`: the values were refused already (not read again)."""
    if not isinstance(record, dict):
        return [issue("", "not_an_object", _("A record must be a JSON object"))]
    errors = []
    unknown = sorted(set(record) - set(FIELDS))
    if unknown:
        names = _escaped(", ".join(unknown))
        names = names if len(names) <= 200 else names[:200] + "…"  # only the message is shortened
        errors.append(
            issue(
                _escaped(unknown[0])[:64],
                "unknown_field",
                _("Fields not in the template: %(names)s") % {"names": names},
            )
        )
    if checked:
        return errors
    rid = _text(record.get("record_id"))
    if not rid:
        errors.append(issue("record_id", "required", _("The record id is missing")))
    return errors


def _differences(held: dict[str, str] | None, sent: dict[str, str]) -> list[dict[str, str]]:
    if not held:
        return [issue("", "conflict", _("This record id is held with different content"))]
    fields = [name for name in CONTENT_FIELDS if held.get(name, "") != sent.get(name, "")]
    return [
        issue(
            name,
            "conflict",
            _(
                "Differs from the record held: “%(held)s” → “%(sent)s”; a correction is a separate, audited act"
            )
            % {"held": held.get(name, ""), "sent": sent.get(name, "")},
        )
        for name in fields
    ]


def _store(
    parsed: list[Parsed], results: list[RecordResult | None], sender: Sender, actor: Actor, batch: InboxBatch
) -> None:
    """Identify the persons, find the sessions and record the doses of records that passed every check.

    The batch's writes are audited by one `ingest.batch` event naming every dose and session it created (persons
    created get their own `person.create` events); each dose points at the batch, whose payload is kept as sent.
    """
    reason = f"received from {sender.source}"
    identified = identify_persons(items=[p.person for p in parsed], actor=actor, reason=reason)
    sessions_created: list[list[Any]] = []
    sessions = sessions_find_or_create_many(
        items=[SessionIn(site=p.site, date=p.administered_on) for p in parsed],
        actor=actor,
        batch_audit=sessions_created,
    )
    doses_created: list[list[Any]] = []
    doses = dose_record_batch(
        items=[
            DoseIn(
                person=who.person,
                vaccine=p.vaccine,
                site=p.site,
                administered_on=p.administered_on,
                lot_number=p.lot_number,
                dose_number=p.dose_number,
                session=sessions[(p.site.pk, p.administered_on, "")],
                source_record_id=p.record_id,
                content_hash=p.hash,
                sent_record=p.canon,
                quality_flags=p.flags,
            )
            for p, who in zip(parsed, identified, strict=True)
        ],
        source=sender.source,
        actor=actor,
        reason=reason,
        inbox_batch=batch,
        batch_audit=doses_created,
    )
    audit_record(
        actor=actor,
        action="ingest.batch",
        obj=batch,
        reason=reason,
        after={
            "source": sender.source,
            "channel": batch.channel,
            "doses": doses_created,
            "sessions": sessions_created,
            "persons_created": sorted({w.person.pk for w in identified if w.created}),
        },
    )
    # a new dose on a person who already holds a certificate reissues it (after commit; new persons hold none)
    person_changed_on_commit(person_ids=[w.person.pk for w in identified if not w.created])
    for p, who, dose in zip(parsed, identified, doses, strict=True):
        results[p.index] = RecordResult(
            record_id=p.record_id,
            status=RecordStatus.ACCEPTED,
            dose_id=str(dose.public_id),
            person_id=str(who.person.public_id),
            content_hash=p.hash,
            flags=dose.quality_flags,
        )


def _process(
    sender: Sender,
    records: list[Any],
    actor: Actor,
    batch: InboxBatch,
    prepared: list[Prepared] | None = None,
) -> list[RecordResult]:
    results: list[RecordResult | None] = [None] * len(records)
    if prepared is None:
        prepared = prepare_records(records)
    canons = [p.canon for p in prepared]
    ids = [p.record_id for p in prepared]
    readable = {
        p.record_id for p in prepared if p.record_id and not p.structure_errors
    }  # refused ids: never queried
    held = {
        d["source_record_id"]: d
        for d in Dose.objects.filter(  # the exclude lets the partial unique index serve
            source=sender.source, source_record_id__in=readable
        )
        .exclude(source_record_id="")
        .values("source_record_id", "public_id", "person__public_id", "content_hash", "sent_record")
    }
    sites = _Sites(prepared, sender)

    first_in_batch: dict[str, int] = {}
    parsed: list[Parsed] = []
    for index, item in enumerate(prepared):
        rid, digest, canon = item.record_id, item.hash, item.canon
        if item.structure_errors:
            results[index] = RecordResult(
                record_id=rid, status=RecordStatus.REJECTED, content_hash=digest, errors=item.structure_errors
            )
            continue
        if rid in held:
            prior = held[rid]
            same = prior["content_hash"] == digest
            results[index] = RecordResult(
                record_id=rid,
                status=RecordStatus.DUPLICATE if same else RecordStatus.CONFLICT,
                dose_id=str(prior["public_id"]),
                person_id=str(prior["person__public_id"]),
                content_hash=prior["content_hash"],
                errors=[] if same else _differences(prior["sent_record"], canon),
            )
            continue
        if rid in first_in_batch:
            continue  # answered after the first occurrence is stored
        first_in_batch[rid] = index
        resolved, errors = _resolve(item, sites)
        if resolved is None:
            results[index] = RecordResult(
                record_id=rid, status=RecordStatus.REJECTED, content_hash=digest, errors=errors
            )
        else:
            parsed.append(resolved)

    if parsed:
        try:
            with transaction.atomic():
                _store(parsed, results, sender, actor, batch)
        except ValidationError:
            # a check the parser did not foresee refused the batch: store record by record, so only the
            # record at fault is refused and every good one next to it is kept
            for one in parsed:
                try:
                    with transaction.atomic():
                        _store([one], results, sender, actor, batch)
                except ValidationError as exc:
                    results[one.index] = RecordResult(
                        record_id=one.record_id,
                        status=RecordStatus.REJECTED,
                        content_hash=one.hash,
                        errors=[issue("", "invalid", m) for m in exc.messages],
                    )

    for index, rid in enumerate(ids):  # later copies of a record id inside the same batch
        if results[index] is None:
            first = results[first_in_batch[rid]]
            assert first is not None
            same = first.content_hash == prepared[index].hash
            if first.status == RecordStatus.REJECTED:
                results[index] = RecordResult(
                    record_id=rid,
                    status=RecordStatus.REJECTED,
                    content_hash=first.content_hash,
                    errors=first.errors,
                )
            else:
                results[index] = RecordResult(
                    record_id=rid,
                    status=RecordStatus.DUPLICATE if same else RecordStatus.CONFLICT,
                    dose_id=first.dose_id,
                    person_id=first.person_id,
                    content_hash=first.content_hash,
                    errors=[] if same else _differences(canons[first_in_batch[rid]], canons[index]),
                )
    return [r for r in results if r is not None]


INBOX_ESCAPE = "$record_json"


def _unstorable(value: Any) -> bool:
    """Whether a JSON value holds what a database JSON column refuses (PostgreSQL: NUL, lone surrogates, NaN)."""
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list):
        return any(_unstorable(v) for v in value)
    if isinstance(value, dict):
        if INBOX_ESCAPE in value:
            return True
        try:  # a record of text only (the usual case): one search
            return _UNSTORABLE.search("".join(value) + "".join(value.values())) is not None
        except TypeError:
            return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    return False


def inbox_payload(records: list[Any]) -> list[Any]:
    """The records as the inbox keeps them: as sent, except that a record the database could not hold is kept as
    its JSON text ({"$record_json": "..."}, ASCII-escaped), so a re-run reads it, and refuses it, exactly again."""
    return [{INBOX_ESCAPE: json.dumps(r, allow_nan=True)} if _unstorable(r) else r for r in records]


def inbox_records(payload: list[Any]) -> list[Any]:
    """The records of an inbox payload, as they were sent (the inverse of `inbox_payload`)."""
    return [
        json.loads(r[INBOX_ESCAPE], parse_int=_json_int)
        if isinstance(r, dict) and set(r) == {INBOX_ESCAPE} and isinstance(r[INBOX_ESCAPE], str)
        else r
        for r in payload
    ]


def ingest_records(
    *, sender: Sender, records: list[Any], channel: str, actor: Actor, prepared: list[Prepared] | None = None
) -> list[RecordResult]:
    """Hold each record exactly once (or refuse it with reasons); answers in order, after the commit.

    `prepared` is `prepare_records(records)` when the caller already ran it (in a worker process).
    """
    batch = InboxBatch.objects.create(
        source=sender.source, channel=channel, payload=inbox_payload(records), record_count=len(records)
    )
    return process_inbox_batch(batch=batch, sender=sender, actor=actor, prepared=prepared)


def process_inbox_batch(
    *, batch: InboxBatch, sender: Sender, actor: Actor, prepared: list[Prepared] | None = None
) -> list[RecordResult]:
    """Process one stored batch; a failure leaves it in the inbox with its error, to be re-run."""
    last_error: Exception | None = None
    for _attempt in range(3):
        try:
            with transaction.atomic():
                results = _process(sender, inbox_records(batch.payload), actor, batch, prepared)
                InboxBatch.objects.filter(pk=batch.pk).update(
                    status=InboxStatus.PROCESSED,
                    processed_at=timezone.now(),
                    error="",
                    attempts=batch.attempts + 1,
                )
            return results
        except (
            IntegrityError
        ) as exc:  # the same record id stored concurrently: re-read, it is now a duplicate
            last_error = exc
        except Exception as exc:
            InboxBatch.objects.filter(pk=batch.pk).update(
                status=InboxStatus.FAILED, error=repr(exc)[:2000], attempts=batch.attempts + 1
            )
            raise
    InboxBatch.objects.filter(pk=batch.pk).update(status=InboxStatus.FAILED, error=repr(last_error)[:2000])
    assert last_error is not None
    raise last_error


def inbox_rerun(*, batch: InboxBatch, sender: Sender, actor: Actor) -> list[RecordResult]:
    """Process again a batch left in the inbox (failed, or received before a crash); safe to repeat."""
    if batch.channel == "hl7-raw":
        raise ValueError("raw HL7 text is kept for reference; its records were stored as their own batch")
    return process_inbox_batch(batch=batch, sender=sender, actor=actor)
