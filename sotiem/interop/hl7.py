"""HL7 v2 immunization interface: VXU^V04 in, backlog-template dose records and ACK^V04 out.

Pure Python (no Django, no database). The registry calls split_messages() on a received payload,
parse_vxu() on each message, validates the records with its own rules, then answers with build_ack().
Parsing is tolerant (versions 2.4 to 2.8, CDC IIS profile habits) and never raises: anything the
interface cannot use is reported as an Hl7Issue, which becomes an ERR segment in the ACK.

Language: the ACK is read by the sending system, which acts on the codes (MSA-1, the HL7 table 0357 code of
ERR-3, the severity of ERR-4): these never change. ERR-8, the text for the people reading the sender's log, is
written in the active language when build_ack() runs: over HTTP the request's Accept-Language when it gives
one, else Vietnamese, the registry's default (see sotiem.interop.api).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

from sotiem.interop.hl7_codes import CVX_NO_VACCINE, canonical_cvx, catalogue_vaccine
from sotiem.interop.hl7_er7 import Er7Message, Segment, escape
from sotiem.interop.hl7_model import BACKLOG_FIELDS, ERROR_CODE_TEXT, AckCode, Hl7Issue, VxuResult, date_field
from sotiem.interop.hl7_model import issue as _issue
from sotiem.interop.hl7_person import person_fields
from sotiem.lib.i18n import Text, _

__all__ = [
    "BACKLOG_FIELDS",
    "Hl7Issue",
    "VxuResult",
    "build_ack",
    "parse_vxu",
    "split_messages",
]

BATCH_SEGMENTS = frozenset({"FHS", "BHS", "BTS", "FTS"})
DEFAULT_VERSION = "2.5.1"
LOINC_DOSE_NUMBER = "30973-2"
# RXA-20 completion statuses (table 0322) that record no dose: the event did not happen.
NOT_ADMINISTERED: dict[str, Text] = {
    "RE": _("Dose refused (RXA-20=RE); not recorded"),
    "NA": _("Dose not administered (RXA-20=NA); not recorded"),
}


def split_messages(payload: str | bytes) -> list[str]:
    """Split a received payload into messages (segments joined with CR). Never raises.

    Strips a UTF-8 BOM and MLLP framing, normalises CR/LF/CRLF, drops FHS/BHS/BTS/FTS batch wrappers
    and starts a message at each MSH. Text before the first MSH is kept as a message of its own so that
    parse_vxu() can reject it rather than it vanishing silently.
    """
    try:
        if isinstance(payload, bytes | bytearray):
            try:
                text = bytes(payload).decode("utf-8-sig")
            except UnicodeDecodeError:
                text = bytes(payload).decode("latin-1")
        else:
            text = str(payload)
        text = text.replace("\ufeff", "").replace("\x0b", "").replace("\x1c", "")
        messages: list[list[str]] = []
        for line in re.split(r"\r\n|\r|\n", text):
            if not line.strip():
                continue
            name = line.lstrip()[:3].upper()
            if name in BATCH_SEGMENTS:
                continue
            if name == "MSH" or not messages:
                messages.append([])
            messages[-1].append(line.lstrip() if name == "MSH" else line)
        return ["\r".join(lines) for lines in messages if lines]
    except Exception:  # pragma: no cover - defensive: a payload is never worth an exception here
        return []


def parse_vxu(message: str | bytes) -> VxuResult:
    """Read one VXU^V04 message into backlog-template records plus issues. Never raises."""
    try:
        return _parse(message)
    except Exception as exc:  # the interface must answer every input with an ACK
        header = _header_or_empty(message)
        issue = _issue(
            "MSH",
            1,
            None,
            "207",
            "E",
            _("Internal error while processing the message (%(error)s)", error=type(exc).__name__),
        )
        return _result(header, [], [issue], "AR")


def build_ack(
    *,
    result: VxuResult,
    now: datetime,
    ack_code: str | None = None,
    issues: list[Hl7Issue] | None = None,
    receiving_app: str = "SOTIEM",
    receiving_facility: str = "VN-NIR",
) -> str:
    """An ACK^V04 answering the message behind `result` (segments joined with CR).

    The registry may override the acknowledgment code and add issues found by its own validation
    (e.g. per-record refusals, located with result.rxa_sequences); without an override, added errors
    turn AA into AE.
    """
    # Issues the caller passes again (e.g. result.errors plus its own) are not repeated.
    all_issues = list(result.errors)
    all_issues.extend(i for i in issues or [] if i not in result.errors)
    code = ack_code or result.ack_code
    if ack_code is None and code == "AA" and any(i.severity == "E" for i in all_issues):
        code = "AE"
    if code not in ("AA", "AE", "AR"):
        raise ValueError(f"ack_code must be AA, AE or AR, not {code!r}")
    version = result.version if re.fullmatch(r"2\.\d(\.\d)?", result.version) else DEFAULT_VERSION
    timestamp = now.strftime("%Y%m%d%H%M%S") + (now.strftime("%z") if now.tzinfo else "")
    control_id = "ACK-" + (result.control_id or timestamp)
    # Z23 is the CDC IIS acknowledgment profile, defined from v2.5.1 on.
    profile = "Z23^CDCPHINVS" if tuple(int(n) for n in version.split(".")) >= (2, 5) else ""
    msh = [
        "MSH",
        "^~\\&",
        escape(receiving_app),
        escape(receiving_facility),
        escape(result.sending_application),
        escape(result.sending_facility),
        timestamp,
        "",
        "ACK^V04^ACK",
        escape(control_id),
        escape(result.processing_id or "P"),
        version,
        "",
        "",
        "NE",
        "NE",
        "",
        "UNICODE UTF-8",
        "",
        "",
        profile,
    ]
    segments = ["|".join(msh).rstrip("|"), f"MSA|{code}|{escape(result.control_id)}"]
    segments.extend(_err_segment(issue) for issue in all_issues)
    return "\r".join(segments)


# --- parsing -----------------------------------------------------------------------------------------


@dataclass
class _Header:
    control_id: str = ""
    message_type: str = ""
    version: str = ""
    sending_facility: str = ""
    sending_application: str = ""
    processing_id: str = "P"


@dataclass
class _DoseGroup:
    rxa: Segment
    orc: Segment | None
    observations: list[Segment] = field(default_factory=list)


def _parse(message: str | bytes) -> VxuResult:
    chunks = split_messages(message)
    if not chunks:
        return _reject(_Header(), "MSH", None, "100", _("Empty message (no MSH segment)"))
    if len(chunks) > 1:
        first = Er7Message.parse(chunks[0]) if chunks[0].startswith("MSH") else None
        return _reject(
            _read_header(first) if first else _Header(),
            "MSH",
            None,
            "100",
            _("Payload holds %(count)s messages; split them before parsing", count=len(chunks)),
        )
    text = chunks[0]
    if not text.startswith("MSH"):
        return _reject(_Header(), "MSH", None, "100", _("Message must start with MSH"))
    er7 = Er7Message.parse(text)
    if er7 is None:
        return _reject(
            _Header(),
            "MSH",
            1,
            "102",
            _("Invalid delimiters in MSH-1/MSH-2"),
            field=2,
        )
    header = _read_header(er7)
    issues: list[Hl7Issue] = []

    code, _sep, rest = header.message_type.partition("^")
    trigger = rest.partition("^")[0]
    if not code:
        return _reject(header, "MSH", 1, "101", _("Missing message type (MSH-9)"), field=9)
    if code != "VXU" or trigger not in ("V04", ""):
        return _reject(
            header,
            "MSH",
            1,
            "200",
            _("Unsupported message type %(type)s; only VXU^V04 is accepted", type=header.message_type),
            field=9,
        )
    if header.version and not re.fullmatch(r"2\.\d(\.\d)?", header.version):
        return _reject(
            header,
            "MSH",
            1,
            "203",
            _("Unsupported HL7 version %(version)s", version=header.version),
            field=12,
        )
    if not header.version:
        issues.append(
            _issue(
                "MSH",
                1,
                12,
                "101",
                "W",
                _("Missing version (MSH-12); read as %(version)s", version=DEFAULT_VERSION),
            )
        )
    if not header.control_id:
        issues.append(_issue("MSH", 1, 10, "101", "W", _("Missing message control id (MSH-10)")))
    if er7.unknown_lines:
        issues.append(
            _issue(
                "",
                None,
                None,
                "100",
                "W",
                _("Ignored %(count)s line(s) that are not HL7 segments", count=len(er7.unknown_lines)),
            )
        )

    pid = er7.first("PID")
    if pid is None:
        return _reject(header, "PID", None, "100", _("Missing PID segment"), issues=issues)
    groups = _dose_groups(er7)
    if not groups:
        return _reject(
            header,
            "RXA",
            None,
            "100",
            _("No RXA segment: the message reports no dose"),
            issues=issues,
        )

    person = person_fields(pid, issues)
    fallback_prefix = header.control_id or "HL7-" + hashlib.sha256(text.encode()).hexdigest()[:12]
    records: list[dict[str, str]] = []
    rxa_sequences: list[int] = []
    seen_ids: set[str] = set()
    for group in groups:
        dose = _dose(group, header, issues)
        if dose is None:
            continue
        record_id = (group.orc.get(3) if group.orc else "") or f"{fallback_prefix}-{group.rxa.sequence}"
        if record_id in seen_ids:
            record_id = f"{record_id}-{group.rxa.sequence}"
        seen_ids.add(record_id)
        record = {name: "" for name in BACKLOG_FIELDS}
        record.update(person)
        record.update(dose)
        record["record_id"] = record_id
        records.append(record)
        rxa_sequences.append(group.rxa.sequence)

    ack: AckCode = "AE" if any(i.severity == "E" for i in issues) else "AA"
    result = _result(header, records, issues, ack)
    result.rxa_sequences = rxa_sequences
    return result


def _read_header(er7: Er7Message) -> _Header:
    msh = er7.segments[0]
    message_type = "^".join(p for p in (msh.get(9, 1).upper(), msh.get(9, 2).upper()) if p)
    return _Header(
        control_id=msh.get(10),
        message_type=message_type,
        version=msh.get(12),
        sending_facility=msh.value(4).hd(1),
        sending_application=msh.value(3).hd(1),
        processing_id=msh.get(11) or "P",
    )


def _header_or_empty(message: str | bytes) -> _Header:
    try:
        chunks = split_messages(message)
        er7 = Er7Message.parse(chunks[0]) if chunks and chunks[0].startswith("MSH") else None
        return _read_header(er7) if er7 else _Header()
    except Exception:
        return _Header()


def _dose_groups(er7: Er7Message) -> list[_DoseGroup]:
    """RXAs with the ORC that precedes them and the OBXs that follow; an ORC orders one RXA only."""
    groups: list[_DoseGroup] = []
    orc: Segment | None = None
    current: _DoseGroup | None = None
    for segment in er7.segments:
        if segment.name == "ORC":
            orc, current = segment, None
        elif segment.name == "RXA":
            current = _DoseGroup(rxa=segment, orc=orc)
            groups.append(current)
            orc = None
        elif segment.name == "OBX" and current is not None:
            current.observations.append(segment)
    return groups


def _dose(group: _DoseGroup, header: _Header, issues: list[Hl7Issue]) -> dict[str, str] | None:
    """The dose fields of one RXA, or None when the RXA records no administered dose."""
    rxa = group.rxa
    where = ("RXA", rxa.sequence)
    status = rxa.get(20).upper()
    if status in NOT_ADMINISTERED:
        issues.append(_issue(*where, 20, "0", "W", NOT_ADMINISTERED[status]))
        return None
    action = rxa.get(21).upper()
    if action == "D":
        issues.append(
            _issue(
                *where,
                21,
                "207",
                "E",
                _("Delete requests (RXA-21=D) are not supported over HL7; void the dose in the registry"),
            )
        )
        return None
    vaccine, cvx = _vaccine(rxa, issues)
    if cvx == CVX_NO_VACCINE:
        issues.append(
            _issue(
                *where,
                5,
                "0",
                "W",
                _("CVX 998 'no vaccine administered'; not recorded"),
            )
        )
        return None
    if status == "PA":
        issues.append(
            _issue(
                *where,
                20,
                "0",
                "W",
                _("Dose partially administered (RXA-20=PA)"),
            )
        )
    administered_on = date_field(rxa.get(3), where=(*where, 3), kind="administration", issues=issues)
    return {
        "vaccine": vaccine,
        "dose_number": _dose_number(group.observations),
        "administered_on": administered_on,
        "site_code": _site_code(rxa, header),
        "lot_number": rxa.get(15),
    }


def _vaccine(rxa: Segment, issues: list[Hl7Issue]) -> tuple[str, str]:
    """(vaccine field, canonical CVX or "") from RXA-5, preferring a CVX coding over NDC or local codes."""
    where = ("RXA", rxa.sequence, 5)
    coded = rxa.value(5)
    codings = [(coded.get(c), coded.get(s).upper()) for c, s in ((1, 3), (4, 6)) if coded.get(c)]
    if not codings:
        issues.append(_issue(*where, "101", "E", _("Missing vaccine (RXA-5)")))
        return "", ""
    cvx = next((c for c, system in codings if system in ("CVX", "HL70292")), None)
    if cvx is None:
        ndc = next((c for c, system in codings if system.startswith("NDC")), None)
        if ndc is not None:
            return f"NDC:{ndc}", ""
        code, system = codings[0]
        if system or not code.isdigit() or len(code) > 3:
            issues.append(
                _issue(
                    *where,
                    "103",
                    "W",
                    _("Unsupported vaccine coding system (%(system)s); expected CVX or NDC", system=system)
                    if system
                    else _("Unsupported vaccine coding system (none); expected CVX or NDC"),
                )
            )
            return f"{system or 'LOCAL'}:{code}", ""
        issues.append(_issue(*where, "103", "W", _("RXA-5 has no coding system; read as CVX")))
        cvx = code
    canonical = canonical_cvx(cvx)
    if canonical is None:
        # only the message is shortened
        message = (
            _("CVX code %(code)s is not in the CDC table", code=cvx)
            if len(cvx) <= 20
            else _(
                "CVX code %(code)s… (%(length)s characters) is not in the CDC table",
                code=cvx[:20],
                length=len(cvx),
            )
        )
        issues.append(_issue(*where, "103", "W", message))
        canonical = cvx
    return catalogue_vaccine(canonical) or f"CVX:{canonical}", canonical


def _dose_number(observations: list[Segment]) -> str:
    for obx in observations:
        if obx.get(3) == LOINC_DOSE_NUMBER:
            return obx.get(5)
    return ""


def _site_code(rxa: Segment, header: _Header) -> str:
    """RXA-11 (administered-at), else RXA-27 (v2.6+): facility, else point of care; else MSH-4."""
    for location_field in (11, 27):
        location = rxa.value(location_field)
        site = location.hd(4) or location.get(1)
        if site:
            return site
    return header.sending_facility


def _result(
    header: _Header, records: list[dict[str, str]], issues: list[Hl7Issue], ack: AckCode
) -> VxuResult:
    return VxuResult(
        control_id=header.control_id,
        message_type=header.message_type,
        version=header.version,
        sending_facility=header.sending_facility,
        records=records,
        errors=issues,
        ack_code=ack,
        sending_application=header.sending_application,
        processing_id=header.processing_id,
    )


def _reject(
    header: _Header,
    segment: str,
    sequence: int | None,
    code: str,
    message: Text,
    *,
    field: int | None = None,
    issues: list[Hl7Issue] | None = None,
) -> VxuResult:
    rejection = _issue(segment, sequence, field, code, "E", message)
    return _result(header, [], [*(issues or []), rejection], "AR")


# --- acknowledgment ----------------------------------------------------------------------------------


def _err_segment(issue: Hl7Issue) -> str:
    """ERR in the v2.5+ layout: ERR-2 location, ERR-3 HL7 error code, ERR-4 severity, ERR-8 user message."""
    location = ""
    if issue.segment:
        parts = [issue.segment]
        if issue.sequence is not None or issue.field is not None:
            parts.append(str(issue.sequence or 1))
        if issue.field is not None:
            parts.append(str(issue.field))
        location = "^".join(escape(p) for p in parts)
    code_text = ERROR_CODE_TEXT.get(issue.code, "")
    error_code = f"{escape(issue.code)}^{escape(code_text)}^HL70357"
    return f"ERR||{location}|{error_code}|{issue.severity}||||{escape(str(issue.message))}"
