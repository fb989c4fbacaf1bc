"""The dose record contract, written once: its fields and their limits, the answer each record gets, the batch.

Every channel (the JSON API, spreadsheets, HL7 VXU, the synthetic generator) sends records of these fields in
this order; `ingest` checks them against `RECORD_FIELDS` and answers each with a `RecordStatus`. Pure Python,
so that any layer may read it; the API's request schema is built from it by `batch_json_schema`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class FieldSpec:
    """One field of the dose record contract: its longest text, what it holds, and the column that bounds it."""

    name: str
    max_length: int
    kind: str = (
        "text"  # "text"; "count": a whole number from 1 to MAX_DOSE_NUMBER; "key": text or a whole number
    )
    column: str = (
        ""  # "app.Model.field" whose max_length this is; "" for text that is only looked up or parsed
    )


MAX_DOSE_NUMBER = 20
MAX_BATCH = 1000
# Every channel's records are checked against this table before anything is hashed or written; a test holds
# each `column` limit equal to the model's max_length, so a record can never be cut or refused by the database.
RECORD_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("record_id", 64, kind="key", column="immunizations.Dose.source_record_id"),
    FieldSpec("full_name", 200, column="people.Person.name_as_given"),
    FieldSpec("birth_date", 40),
    FieldSpec("sex", 20),
    FieldSpec("national_id", 32, column="people.Identifier.value"),
    FieldSpec("phone", 40),
    FieldSpec("province", 160, column="places.AdminUnit.full_name"),
    FieldSpec("commune", 160, column="places.AdminUnit.full_name"),
    FieldSpec("address", 300, column="people.Person.address"),
    FieldSpec("vaccine", 200, column="immunizations.Vaccine.product"),
    FieldSpec("dose_number", 16, kind="count"),
    FieldSpec("administered_on", 40),
    FieldSpec("site_code", 32, column="places.Site.code"),
    FieldSpec("lot_number", 40, column="immunizations.Dose.lot_number"),
)
FIELD_SPECS: dict[str, FieldSpec] = {spec.name: spec for spec in RECORD_FIELDS}
# The field names in the order every channel writes them (spreadsheet template, HL7 backlog, synthetic CSVs).
FIELDS: tuple[str, ...] = tuple(spec.name for spec in RECORD_FIELDS)
# What a record says about the dose: everything but the sender's own key; the content hash covers these.
CONTENT_FIELDS: tuple[str, ...] = FIELDS[1:]


class RecordStatus(StrEnum):
    """The answer each record gets; a StrEnum, so JSON, CSV reports and stored values hold the plain word."""

    ACCEPTED = "accepted"  # stored now (with data-quality flags when something is implausible)
    DUPLICATE = "duplicate"  # this sender's record id with the same content is already held
    CONFLICT = "conflict"  # the record id is held with different content; nothing changes
    REJECTED = "rejected"  # invalid; each invalid field is named with a reason


# The answers that store nothing: the sender must correct and resend.
REFUSED: frozenset[RecordStatus] = frozenset({RecordStatus.REJECTED, RecordStatus.CONFLICT})


class RecordFlag(StrEnum):
    """Data-quality flags on an accepted record: the dose happened, but something in it needs a look."""

    BIRTH_DATE_MISSING = "birth_date_missing"
    ID_LEADING_ZERO_RESTORED = "id_leading_zero_restored"  # a number typed into Excel lost its leading zero
    ID_INCONSISTENT = "id_inconsistent"  # a known ID scheme whose check fails (sex, birth year, province)
    ID_INVALID = "id_invalid"  # no known ID scheme
    PHONE_INVALID = "phone_invalid"
    ADDRESS_UNRESOLVED = "address_unresolved"  # the province/commune written was not found
    LOT_MISSING = "lot_missing"
    DOSE_IN_FUTURE = "dose_in_future"
    DOSE_BEFORE_BIRTH = "dose_before_birth"
    BEFORE_APPROVAL = "before_approval"  # given before the vaccine was approved in Vietnam
    INTERVAL_TOO_SHORT = "interval_too_short"  # from the person's history: under the minimum interval
    DOSE_NUMBER_MISMATCH = (
        "dose_number_mismatch"  # from the person's history: stated and derived numbers differ
    )


def batch_json_schema() -> dict[str, Any]:
    """The JSON Schema of a batch as the API accepts it: a list of at most MAX_BATCH records of these fields.

    A value may arrive as text or a number (a spreadsheet's dose number, an ID typed as digits) or null; its
    limit is the length of its text. Only `record_id` is required: a record without the others is answered,
    field by field, as `rejected`.
    """
    return {
        "type": "array",
        "maxItems": MAX_BATCH,
        "items": {
            "type": "object",
            "required": ["record_id"],
            "properties": {
                spec.name: {"type": ["string", "number", "null"], "maxLength": spec.max_length}
                for spec in RECORD_FIELDS
            },
        },
    }
