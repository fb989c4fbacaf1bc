"""The values exchanged by the HL7 interface: issues, parse results and the backlog template."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sotiem.interop.hl7_er7 import iso_date
from sotiem.lib.i18n import Text, _
from sotiem.lib.records import FIELDS

# The registry's backlog template, in its column order.
BACKLOG_FIELDS: tuple[str, ...] = FIELDS

AckCode = Literal["AA", "AE", "AR"]
Severity = Literal["E", "W", "I"]

# HL7 table 0357 (message error condition codes) used in ERR-3: the standard's own names, never translated.
ERROR_CODE_TEXT: dict[str, str] = {
    "0": "Message accepted",
    "100": "Segment sequence error",
    "101": "Required field missing",
    "102": "Data type error",
    "103": "Table value not found",
    "200": "Unsupported message type",
    "201": "Unsupported event code",
    "202": "Unsupported processing id",
    "203": "Unsupported version id",
    "204": "Unknown key identifier",
    "205": "Duplicate key identifier",
    "206": "Application record locked",
    "207": "Application internal error",
}


@dataclass
class Hl7Issue:
    """One problem found in a message; becomes an ERR segment (ERR-2 location, ERR-3, ERR-4, ERR-8).

    `code` (HL7 table 0357) is what a sending system acts on and never changes; `message` is for the people
    reading the sender's log, in the language the ACK is written in (a `Text` is read when the ACK is built).
    """

    segment: str
    sequence: int | None
    field: int | None
    code: str
    severity: Severity
    message: str | Text


@dataclass
class VxuResult:
    """What parse_vxu() understood of one message and how it proposes to acknowledge it."""

    control_id: str
    message_type: str
    version: str
    sending_facility: str
    records: list[dict[str, str]]
    errors: list[Hl7Issue]
    ack_code: AckCode
    sending_application: str = ""
    processing_id: str = "P"
    # For each record, the 1-based occurrence of its RXA in the message (ERR-2 sequence for refusals).
    rxa_sequences: list[int] = field(default_factory=list)


def issue(
    segment: str, sequence: int | None, field: int | None, code: str, severity: Severity, message: str | Text
) -> Hl7Issue:
    """Shorthand for Hl7Issue with positional location (segment, occurrence, field)."""
    return Hl7Issue(
        segment=segment, sequence=sequence, field=field, code=code, severity=severity, message=message
    )


def date_field(
    raw: str,
    *,
    where: tuple[str, int, int],
    kind: Literal["administration", "birth"],
    issues: list[Hl7Issue],
    min_precision: str = "day",
) -> str:
    """The ISO form of an HL7 date field; a missing or invalid date is reported as an error.

    An invalid date is passed on as written so the registry's validator refuses it with its own reason
    rather than as a missing value.
    """
    segment, sequence, field = where
    position = f"{segment}-{field}"
    if not raw:
        if kind == "birth":
            missing = _("Missing birth date (%(position)s)", position=position)
        else:
            missing = _("Missing administration date (%(position)s)", position=position)
        issues.append(issue(segment, sequence, field, "101", "E", missing))
        return ""
    value = iso_date(raw, min_precision=min_precision)
    if value is None:
        if kind == "birth":
            invalid = _("Invalid birth date (%(position)s = %(raw)s)", position=position, raw=raw)
        else:
            invalid = _("Invalid administration date (%(position)s = %(raw)s)", position=position, raw=raw)
        issues.append(issue(segment, sequence, field, "102", "E", invalid))
        return raw
    return value
