"""DCC payload validation: the JSON schema of the release the certificate declares, plus the value sets.

Value sets are not part of the schema from 1.3.0 on (and were only references before), so codes are
checked here against the eHN value sets copied in data/dcc/valuesets (see data/dcc/SOURCE.md).
"""

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema_rs

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
def _validator(release: str) -> Any:
    """The compiled validator of one release (format 'date'/'date-time' checked, which is off by default)."""
    (path,) = (DATA / "releases" / release).glob("*combined-schema.json")
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


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


def _coded_problem(hcert: Mapping[str, Any]) -> str | None:
    """The first code outside its value set, if any."""
    for kind, fields in _coded_sets().items():
        for index, entry in enumerate(hcert.get(kind) or ()):
            for field, name, codes in fields:
                code = entry.get(field)
                if code is not None and code not in codes:
                    return f"{kind}[{index}].{field} {code!r} is not in the {name} value set"
            # The device (ma) only names a rapid antigen test; NAAT certificates often carry "" or "N/A".
            device = entry.get("ma")
            if kind == "t" and entry.get("tt") == RAPID_ANTIGEN_TEST and device is not None and device not in value_set(RAT_DEVICES):
                return f"t[{index}].ma {device!r} is not a known rapid antigen test device"
    return None


def hcert_problem(hcert: Mapping[str, Any]) -> str | None:
    """Why a DCC (as JSON) fails its schema release or a value set; None when it passes."""
    validator = _validator(schema_release(hcert.get("ver")))
    if validator.is_valid(hcert):
        # One certificate type per DCC; schemas before 1.3.0 do not say so themselves (vector DGC2).
        if sum(kind in hcert for kind in _CODED_FIELDS) != 1:
            return "a DCC carries exactly one of v, t and r"
        return _coded_problem(hcert)
    error = next(iter(validator.iter_errors(hcert)))
    where = "/".join(str(part) for part in error.instance_path) or "DCC"
    return f"{where}: {error.message}"
