"""Person fields of the backlog template, read from the PID segment of a VXU."""

from __future__ import annotations

import re

from sotiem.interop.hl7_er7 import Segment, Value
from sotiem.interop.hl7_model import Hl7Issue, date_field
from sotiem.interop.hl7_model import issue as _issue
from sotiem.lib.i18n import _

# PID-3 identifier types (table 0203) that denote a person-level national identifier.
NATIONAL_ID_TYPES = ("NI", "NN", "SS", "PPN")
# Identifier types that are local to one facility or payer even when the authority is Vietnamese.
LOCAL_ID_TYPES = frozenset({"MR", "PI", "PT", "AN", "VN", "PN", "SR", "MA", "MC", "DL", "BR", "EI"})
VIETNAMESE_AUTHORITY_WORDS = frozenset({"CCCD", "CMND", "VN", "VNM"})


def person_fields(pid: Segment, issues: list[Hl7Issue]) -> dict[str, str]:
    """full_name, birth_date, sex, national_id, phone, province, commune and address from PID."""
    full_name = _full_name(pid)
    if not full_name:
        issues.append(_issue("PID", pid.sequence, 5, "101", "E", _("Missing patient name (PID-5)")))
    birth_date = date_field(
        pid.get(7),
        where=("PID", pid.sequence, 7),
        kind="birth",
        issues=issues,
        min_precision="year",
    )
    raw_sex = pid.get(8).upper()
    if raw_sex and raw_sex not in ("M", "F", "U", "O", "A", "N"):
        issues.append(
            _issue(
                "PID",
                pid.sequence,
                8,
                "103",
                "W",
                _("Unknown administrative sex (PID-8 = %(sex)s)", sex=raw_sex),
            )
        )
    province, commune, address = _address(pid)
    return {
        "full_name": full_name,
        "birth_date": birth_date,
        "sex": raw_sex if raw_sex in ("M", "F") else "",
        "national_id": _national_id(pid),
        "phone": _phone(pid),
        "province": province,
        "commune": commune,
        "address": address,
    }


def _full_name(pid: Segment) -> str:
    """PID-5 (XPN family^given^middle) in Vietnamese order: family, middle, given. Legal name first."""
    names = [rep for rep in pid.repetitions(5) if rep.get(1) or rep.get(2)]
    if not names:
        return ""
    chosen = next((rep for rep in names if rep.get(7).upper() == "L"), names[0])
    parts = (chosen.get(1, 1), chosen.get(3), chosen.get(2))
    return " ".join(" ".join(parts).split())


def _national_id(pid: Segment) -> str:
    """The PID-3 identifier most likely to be the national one (CCCD/CMND), or ""."""
    best: tuple[int, int, str] | None = None
    for rep in pid.repetitions(3):
        ident = rep.get(1)
        if not ident:
            continue
        type_code = rep.get(5).upper()
        authority = " ".join(rep.get(4, sub) for sub in (1, 2, 3)).upper()
        words = set(re.split(r"[^A-Z0-9]+", authority))
        vietnamese = bool(words & VIETNAMESE_AUTHORITY_WORDS)
        national_type = type_code in NATIONAL_ID_TYPES or re.fullmatch(r"NN[A-Z]{3}", type_code) is not None
        if not national_type and not (vietnamese and type_code not in LOCAL_ID_TYPES):
            continue
        type_rank = NATIONAL_ID_TYPES.index(type_code) if type_code in NATIONAL_ID_TYPES else 1
        rank = (0 if vietnamese else 1, type_rank, ident)
        if best is None or rank[:2] < best[:2]:
            best = rank
    return best[2] if best else ""


def _phone(pid: Segment) -> str:
    """The first telephone number of PID-13 (home), else PID-14 (business); e-mail entries are skipped."""
    for number_field in (13, 14):
        for rep in pid.repetitions(number_field):
            if rep.get(2).upper() == "NET" or rep.get(3).upper() in ("INTERNET", "X.400"):
                continue
            number = _xtn_number(rep)
            if number:
                return number
    return ""


def _xtn_number(rep: Value) -> str:
    local = re.sub(r"\D", "", rep.get(7))
    if local:
        number = re.sub(r"\D", "", rep.get(6)) + local
        country = re.sub(r"\D", "", rep.get(5))
        return f"+{country}{number.lstrip('0')}" if country else number
    return rep.get(12) or rep.get(1)


def _address(pid: Segment) -> tuple[str, str, str]:
    """(province, commune, address) from the first non-empty PID-11 (XAD state, county, street+city)."""
    for rep in pid.repetitions(11):
        street = ", ".join(p for p in (rep.joined(1), rep.get(2)) if p)
        address = ", ".join(p for p in (street, rep.get(3)) if p)
        if address or rep.get(4) or rep.get(9):
            return rep.get(4), rep.get(9), address
    return "", "", ""
