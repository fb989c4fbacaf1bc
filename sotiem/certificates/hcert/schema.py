"""DCC payload validation: the JSON schema of the release the certificate declares, plus the value sets.

What the DCC specification makes mandatory fails: the schema's structure (required fields, types, patterns,
lengths, bounds) and exactly one of v, t, r. What it leaves to the business rules of the verifying country is
returned as a warning, so that a verifier shows it instead of turning the holder away:

- `format` (date, date-time) deviations whose value is still an ISO 8601 date or date-time, such as a `dt` given as
  a date-time (schemas 1.0.x-1.3.x; a value that is no ISO 8601 date at all fails, as the eHN business rules
  cannot compute with it);
- codes outside our copy of the value sets (an empty code is a missing one and fails). Value sets are not part of the schema (type string with a
  `valueset-uri` annotation only, never an enum); codes are checked here against the eHN value sets copied in
  data/dcc/valuesets (see data/dcc/SOURCE.md), which third countries and older issuers do not always follow.
"""

import functools
import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import jsonschema_rs

from sotiem.lib.i18n import Text, _

DATA = Path(__file__).resolve().parent.parent / "data" / "dcc"

# Which value set each coded field of an entry is checked against, per certificate type.
_CODED_FIELDS = {
    "v": {
        "tg": "disease-agent-targeted",
        "vp": "vaccine-prophylaxis",
        "mp": "vaccine-medicinal-product",
        "ma": "vaccine-mah-manf",
        "co": "country-2-codes",
    },
    "t": {"tg": "disease-agent-targeted", "tt": "test-type", "tr": "test-result", "co": "country-2-codes"},
    "r": {"tg": "disease-agent-targeted", "co": "country-2-codes"},
}


def _version(text: str) -> tuple[int, ...]:
    """A dotted version as a tuple of ints (ValueError if it is not one)."""
    return tuple(int(part) for part in text.split("."))


@functools.cache
def releases() -> tuple[str, ...]:
    """The schema releases shipped in data/dcc/releases, oldest first."""
    return tuple(sorted((path.name for path in (DATA / "releases").iterdir() if path.is_dir()), key=_version))


def schema_release(ver: Any) -> str:
    """The release to validate a certificate declaring ver against: that one, else the nearest older one."""
    return _release_for(ver) if isinstance(ver, str) else releases()[-1]


@functools.lru_cache(maxsize=64)
def _release_for(ver: str) -> str:
    """schema_release for a string, cached: every certificate of a batch declares the same few versions."""
    known = releases()
    try:
        wanted = _version(ver)
    except ValueError:
        return known[-1]
    older = [release for release in known if _version(release) <= wanted]
    return older[-1] if older else known[0]


@functools.cache
def _validator(release: str, formats: bool = True) -> Any:
    """The compiled validator of one release, with format 'date'/'date-time' checked (off by default) or not."""
    (path,) = (DATA / "releases" / release).glob("*combined-schema.json")
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=formats)


class SchemaWarning(NamedTuple):
    """A deviation the DCC specification leaves to business rules: where (JSON Pointer), what kind, and why.

    `code` is what a verifier acts on, the same in every language; `reason` is read in the active language."""

    path: str
    code: str  # "format" or "value-set"
    reason: Text


FORMAT = "format"
VALUE_SET = "value-set"


class SchemaCheck(NamedTuple):
    """The outcome of check_hcert: the mandatory problem (None when there is none) and the warnings."""

    problem: str | None
    warnings: tuple[SchemaWarning, ...] = ()


_PASSED = SchemaCheck(None)


def _pointer(parts: Any) -> str:
    """A JSON Pointer (RFC 6901) from path parts; '' is the whole DCC."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


@functools.cache
def value_set(name: str) -> frozenset[str]:
    """The codes of one value set."""
    data = json.loads((DATA / "valuesets" / f"{name}.json").read_text(encoding="utf-8"))
    return frozenset(data["valueSetValues"])


RAPID_ANTIGEN_TEST = "LP217198-3"
# The RAT device list lived on the DCC gateway; the repository ships only this example of it.
RAT_DEVICES = "test-manf-example"


@functools.cache
def _coded_sets() -> dict[str, list[tuple[str, str, frozenset[str]]]]:
    """Per certificate type: (field, value-set name, codes), loaded once."""
    return {
        kind: [(field, name, value_set(name)) for field, name in fields.items()]
        for kind, fields in _CODED_FIELDS.items()
    }


def _coded_findings(hcert: Mapping[str, Any]) -> tuple[str | None, list[SchemaWarning]]:
    """An empty code (a required code left out: fails), else every code outside its value set (warnings).

    The schema has already checked that codes are strings.
    """
    found = []
    for kind, fields in _coded_sets().items():
        for index, entry in enumerate(hcert.get(kind) or ()):
            for field, name, codes in fields:
                code = entry.get(field)
                if code == "":
                    return f"{kind}/{index}/{field}: empty, so the DCC names no {name} code", []
                if code is not None and code not in codes:
                    found.append(
                        SchemaWarning(
                            f"/{kind}/{index}/{field}",
                            VALUE_SET,
                            _(
                                "%(code)s is not in the %(value_set)s value set",
                                code=repr(code),
                                value_set=name,
                            ),
                        )
                    )
            # The device (ma) only names a rapid antigen test; NAAT certificates often carry "" or "N/A".
            device = entry.get("ma")
            if (
                kind == "t"
                and entry.get("tt") == RAPID_ANTIGEN_TEST
                and device is not None
                and device not in value_set(RAT_DEVICES)
            ):
                if device == "":
                    return f"t/{index}/ma: empty, so the rapid antigen test names no device", []
                reason = _(
                    "%(device)s is not a rapid antigen test device of our test-manf list (only an example of it)",
                    device=repr(device),
                )
                found.append(SchemaWarning(f"/t/{index}/ma", VALUE_SET, reason))
    return None, found


def _iso_8601(value: Any) -> bool:
    """Whether a value is an ISO 8601 date or date-time (so a date can still be read from it)."""
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _format_warning(error: Any) -> SchemaWarning | None:
    """The warning for a format error whose value is still an ISO 8601 date or date-time; None for any other."""
    if not isinstance(error.kind, jsonschema_rs.ValidationErrorKind.Format) or not _iso_8601(error.instance):
        return None
    wanted, given = error.kind.format, "date-time" if len(error.instance) > 10 else "date"
    value = repr(error.instance)
    if given == wanted:
        reason = _(
            "%(value)s is not written as the RFC 3339 %(format)s the schema says (format: %(format)s)",
            value=value,
            format=wanted,
        )
    else:
        reason = _(
            "%(value)s is a %(given)s where the schema says a %(format)s (format: %(format)s)",
            value=value,
            given=given,
            format=wanted,
        )
    return SchemaWarning(_pointer(error.instance_path), FORMAT, reason)


def _failure(error: Any) -> str:
    """A schema error as a reason: where, then what."""
    return f"{'/'.join(str(part) for part in error.instance_path) or 'DCC'}: {error.message}"


def check_hcert(hcert: Mapping[str, Any]) -> SchemaCheck:
    """A DCC (as JSON) against its schema release and the value sets: the mandatory problem, and the warnings."""
    release = schema_release(hcert.get("ver"))
    warnings: list[SchemaWarning] = []
    if not _validator(release).is_valid(hcert):  # the common case costs one validation, as before
        structure = _validator(release, formats=False)
        if not structure.is_valid(hcert):
            return SchemaCheck(_failure(next(iter(structure.iter_errors(hcert)))))
        for error in _validator(release).iter_errors(hcert):
            warning = _format_warning(error)
            if warning is None:
                return SchemaCheck(_failure(error))
            warnings.append(warning)
    # One certificate type per DCC; schemas before 1.3.0 do not say so themselves (vector DGC2).
    if sum(kind in hcert for kind in _CODED_FIELDS) != 1:
        return SchemaCheck("a DCC carries exactly one of v, t and r")
    problem, coded = _coded_findings(hcert)
    if problem:
        return SchemaCheck(problem)
    warnings += coded
    return SchemaCheck(None, tuple(warnings)) if warnings else _PASSED


def hcert_problem(hcert: Mapping[str, Any]) -> str | None:
    """Why a DCC (as JSON) fails what the specification makes mandatory; None when it passes (maybe with warnings)."""
    return check_hcert(hcert).problem
