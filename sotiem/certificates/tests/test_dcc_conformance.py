"""The EU DCC test vectors (eu-digital-green-certificates/dgc-testdata) through the hcert pipeline.

Every case file is one test. Each EXPECTED* flag a case sets is checked with the step of our pipeline
that corresponds to it, on the layer of the case that flag is about, and a flag whose inputs the case
lacks is not checked (as the upstream harness does). A case we do not reproduce is listed, with the
flags and the reason, in NOT_REPRODUCED and marked xfail(strict=True): it must keep failing exactly
there, and any other disagreement is a plain failure.

Run `python -m sotiem.certificates.tests.test_dcc_conformance` to print the counts quoted in
docs/dcc-conformance.md. The vectors are vendored in testdata/dcc (source, commit and licence in its README).
"""

import base64
import binascii
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any

import cbor2
import pytest

from sotiem.certificates.hcert import (
    CoseError,
    Sign1,
    SignatureError,
    b45decode,
    b45encode,
    decode_sign1,
    decompress,
    expiry_problem,
    find_signer,
    hcert_problem,
    jsonable,
    key_usage_problem,
    kid_for,
    load_dsc,
    parse_clock,
    unprefix,
    verify_hc1,
)
from sotiem.lib.testdata import vendored

DCC_TESTDATA = vendored("dcc")  # refused at collection when absent: never a silent skip

# ---- the cases we do not reproduce, and why: the only such list ----------------------------------------
#
# The upstream harness checks neither value sets nor `format: date`, and its own known_issues.csv marks
# every NL schema test (issue #107) and BG 1-2, HU 3, FR test_pcr_ok as expected failures. We validate
# against the declared schema release: its structure fails, while format and value-set deviations are
# warnings beside a valid result (the DCC specification leaves them to business rules), and an empty code
# is a missing one. Where a case expects otherwise, it is listed here.

_SCHEMA = frozenset({"EXPECTEDSCHEMAVALIDATION"})
_DECODE = frozenset({"EXPECTEDDECODE", "EXPECTEDVALIDJSON"})


def _listed(
    folder: str, stems: str, flags: frozenset[str], reason: str
) -> dict[str, tuple[frozenset[str], str]]:
    """NOT_REPRODUCED entries for several files of one folder that fail for one reason."""
    return {f"{folder}/{stem}.json": (flags, reason) for stem in stems.split()}


_NL = "NL/2DCode/raw"
NOT_REPRODUCED: dict[str, tuple[frozenset[str], str]] = {
    "PL/1.3.0/2DCode/raw/6.json": (
        frozenset({"EXPECTEDEXPIRATIONCHECK"}),
        "exp (2023-05-24T11:19:03Z) is 47 s after the DSC's notAfter; we refuse exp > notAfter (pitfall 3)",
    ),
    "FR/2DCode/raw/test_pcr_ok.json": (
        _DECODE,
        "JSON says sc/dr 12:34:56Z, COSE and CBOR say 14:34:56Z: two hours apart (upstream issue #141)",
    ),
    **_listed(
        "PL/1.3.0/2DCode/raw", "1 5", _DECODE, "the JSON field names another person than COSE and CBOR"
    ),
    "HU/2DCode/raw/3.json": (
        _SCHEMA,
        "t.ci is longer than the 50 characters of the declared 1.0.0 (upstream issue #340)",
    ),
    "BG/2DCode/raw/1.json": (_SCHEMA, "'r': null where the schema wants an array (upstream issue #298)"),
    "BG/2DCode/raw/2.json": (
        _SCHEMA,
        "'t': null beside r (upstream issue #298); its r.df date-time is only a warning",
    ),
    # Codes outside the value sets are warnings (issue 12 item 9: the DCC specification leaves them to business
    # rules), so these come out valid with a warning where the issuing country expects a schema failure.
    **{
        f"PL/{ver}/2DCode/raw/{n}.json": (_SCHEMA, f"{what} is only a warning; PL expects a schema failure")
        for ver in ("1.0.0", "1.2.1", "1.3.0")
        for n, what in (
            (7, "the RAT device '9999'"),
            (8, "the country 'XY'"),
            (9, "the manufacturer 'ORG-99999999'"),
        )
    },
    **_listed(
        _NL,
        """001-NL-test 002-NL-test 003-NL-test 009-NL-test 010-NL-test 011-NL-test 017-NL-test 018-NL-test
        019-NL-test 025-NL-test 026-NL-test 027-NL-test 033-NL-test 034-NL-test 035-NL-test 041-NL-test
        042-NL-test 043-NL-test 049-NL-test 050-NL-test 051-NL-test 057-NL-test 058-NL-test 059-NL-test
        073-NL-vaccination 074-NL-vaccination 075-NL-vaccination 081-NL-vaccination 082-NL-vaccination
        083-NL-vaccination 089-NL-vaccination 090-NL-vaccination 091-NL-vaccination 097-NL-vaccination
        098-NL-vaccination 099-NL-vaccination 105-NL-vaccination 106-NL-vaccination 107-NL-vaccination
        113-NL-vaccination 114-NL-vaccination 115-NL-vaccination 121-NL-vaccination 122-NL-vaccination
        123-NL-vaccination 129-NL-vaccination 130-NL-vaccination 131-NL-vaccination 145-NL-recovery
        146-NL-recovery 147-NL-recovery 153-NL-recovery 154-NL-recovery 155-NL-recovery 161-NL-recovery
        162-NL-recovery 163-NL-recovery 169-NL-recovery 170-NL-recovery 171-NL-recovery 177-NL-recovery
        178-NL-recovery 179-NL-recovery 185-NL-recovery 186-NL-recovery 187-NL-recovery 193-NL-recovery
        194-NL-recovery 195-NL-recovery 201-NL-recovery 202-NL-recovery 203-NL-recovery
        217-NL-test+wrong_key 218-NL-test+wrong_key 219-NL-test+wrong_key 225-NL-test+wrong_key
        226-NL-test+wrong_key 227-NL-test+wrong_key 233-NL-test+wrong_key 234-NL-test+wrong_key
        235-NL-test+wrong_key 241-NL-test+wrong_key 242-NL-test+wrong_key 243-NL-test+wrong_key
        249-NL-test+wrong_key 250-NL-test+wrong_key 251-NL-test+wrong_key 257-NL-test+wrong_key
        258-NL-test+wrong_key 259-NL-test+wrong_key 265-NL-test+wrong_key 266-NL-test+wrong_key
        267-NL-test+wrong_key 273-NL-test+wrong_key 274-NL-test+wrong_key 275-NL-test+wrong_key""",
        _SCHEMA,
        "declares ver 1.0.0, whose schema wants a full dob, but has '1963', '1964-01' or '1963-00' (issue #107)",
    ),
    **_listed(
        _NL,
        "004-NL-test 016-NL-test 021-NL-test 040-NL-test 052-NL-test 061-NL-test 220-NL-test+wrong_key "
        "228-NL-test+wrong_key 232-NL-test+wrong_key 236-NL-test+wrong_key 248-NL-test+wrong_key "
        "253-NL-test+wrong_key 260-NL-test+wrong_key 277-NL-test+wrong_key",
        _SCHEMA,
        "an empty t.tr names no test result and is refused as a missing code, yet expected valid (issue #107)",
    ),
    **_listed(
        _NL,
        "007-NL-test 023-NL-test 039-NL-test 047-NL-test 055-NL-test 063-NL-test 068-NL-test 069-NL-test "
        "231-NL-test+wrong_key 247-NL-test+wrong_key 255-NL-test+wrong_key 271-NL-test+wrong_key "
        "287-NL-test+wrong_key",
        _SCHEMA,
        "t.tt 'a test' is only a value-set warning; expected invalid by NL's own rules (e.g. dob 2023-01-01) (issue #107)",
    ),
    **_listed(
        _NL,
        "076-NL-vaccination 084-NL-vaccination 093-NL-vaccination 101-NL-vaccination 124-NL-vaccination "
        "085-NL-vaccination 132-NL-vaccination",
        _SCHEMA,
        "an empty v.vp or v.ma names no vaccine and is refused as a missing code, yet expected valid (issue #107)",
    ),
    **_listed(
        _NL,
        "005-NL-test 020-NL-test 045-NL-test 060-NL-test 216-NL-test+wrong_key 240-NL-test+wrong_key "
        "245-NL-test+wrong_key 252-NL-test+wrong_key 264-NL-test+wrong_key 120-NL-vaccination "
        "144-NL-recovery 165-NL-recovery 189-NL-recovery 192-NL-recovery",
        _SCHEMA,
        "an empty co fails the schema pattern [A-Z]{1,10}, yet expected valid (issue #107)",
    ),
    **_listed(
        _NL,
        "104-NL-vaccination 109-NL-vaccination",
        _SCHEMA,
        "v.sd 0 is below the schema minimum 1, yet expected valid (issue #107)",
    ),
    **_listed(
        _NL,
        "087-NL-vaccination 111-NL-vaccination 119-NL-vaccination 127-NL-vaccination 151-NL-recovery "
        "159-NL-recovery 167-NL-recovery 175-NL-recovery 183-NL-recovery 191-NL-recovery 199-NL-recovery "
        "207-NL-recovery 208-NL-recovery 212-NL-recovery 213-NL-recovery",
        _SCHEMA,
        "schema- and value-set-valid, expected invalid by NL's own rules (e.g. dob 2023-01-01) (issue #107)",
    ),
}


def _case_paths() -> list[str]:
    """Every test case, as a path relative to the test-data root (folder case kept: IE/2DCode/Raw)."""
    paths = []
    for path in sorted(DCC_TESTDATA.rglob("*.json")):
        relative = path.relative_to(DCC_TESTDATA).as_posix()
        if (
            relative.startswith("_meta/") or "/" not in relative
        ):  # the root 6.json is a claims dump, not a case
            continue
        paths.append(relative)
    return paths


@dataclass
class Case:
    """One test vector with its expectations normalised."""

    path: str
    data: dict[str, Any]
    expected: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str) -> "Case":
        """Read a case; nested EXPECTEDRESULTS (ES 1001-1003) are flattened, non-flag keys ignored."""
        data = json.loads((DCC_TESTDATA / path).read_text(encoding="utf-8"))
        results = dict(data.get("EXPECTEDRESULTS") or {})
        nested = results.pop("EXPECTEDRESULTS", None)
        if isinstance(nested, dict):
            results.update(nested)
        expected = {flag: value for flag, value in results.items() if isinstance(value, bool)}
        return cls(path=path, data=data, expected=expected)

    def raw(self, key: str) -> bytes | None:
        """A hex field as bytes (None when absent; b'' marks hex that does not decode)."""
        text = self.data.get(key)
        if text is None:
            return None
        try:
            return binascii.unhexlify(text)
        except (binascii.Error, ValueError):
            return b""

    @cached_property
    def certificate(self) -> bytes | None:
        """The DSC as DER (the CERTIFICATE field is bare base64)."""
        text = self.data.get("TESTCTX", {}).get("CERTIFICATE")
        return base64.b64decode(text) if text else None

    @cached_property
    def clock(self) -> datetime | None:
        """The validation clock of the case."""
        text = self.data.get("TESTCTX", {}).get("VALIDATIONCLOCK")
        return parse_clock(text) if text else None

    @cached_property
    def cose(self) -> bytes | None:
        """The COSE layer: the COSE field, else what our pipeline unwraps from PREFIX (None if it cannot)."""
        if "COSE" in self.data:
            return self.raw("COSE")
        try:
            return decompress(b45decode(unprefix(self.data.get("PREFIX", ""))))
        except ValueError:
            return None

    @cached_property
    def sign1(self) -> Sign1 | None:
        """The COSE layer decoded (None when absent or undecodable)."""
        if not self.cose:
            return None
        try:
            return decode_sign1(self.cose)
        except CoseError:
            return None

    @cached_property
    def trust(self) -> dict[bytes, list[bytes]]:
        """The trust list of the case: its DSC under kid = SHA-256(DER)[:8] (never the header's own kid)."""
        return {kid_for(self.certificate): [self.certificate]} if self.certificate else {}


# ---- semantic comparison of DCC payloads (the JSON field, the CBOR field, the COSE payload) ----------


def _normal(value: Any) -> Any:
    """A DCC value reduced for comparison: date-times as UTC instants to the second, dates as strings."""
    if isinstance(value, dict):
        return {str(key): _normal(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(item) for item in value]
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).replace(microsecond=0)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and len(value) > 10 and value[4:5] == "-" and value[10:11] in "Tt ":
        try:
            return parse_clock(value).astimezone(UTC).replace(microsecond=0)
        except ValueError:
            return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _same_dcc(left: Any, right: Any) -> bool:
    """Whether two DCC payloads hold the same data (key order, date encoding and time zones aside)."""
    return _normal(jsonable(left)) == _normal(jsonable(right))


def _cbor_dcc(case: Case) -> Any:
    """The DCC in the CBOR field, which holds either the DCC or the whole CWT claim set."""
    item = cbor2.loads(case.raw("CBOR"))
    if isinstance(item, dict) and -260 in item:
        return item[-260][1]
    return item


# ---- one check per flag: True/False is what our pipeline says, None means the inputs are missing ----


def check_unprefix(case: Case) -> bool | None:
    """PREFIX is 'HC1:' + BASE45."""
    if "PREFIX" not in case.data or "BASE45" not in case.data:
        return None
    try:
        return unprefix(case.data["PREFIX"]) == case.data["BASE45"]
    except ValueError:
        return False


def check_b45decode(case: Case) -> bool | None:
    """BASE45 decodes to COMPRESSED."""
    if "BASE45" not in case.data or "COMPRESSED" not in case.data:
        return None
    try:
        return b45decode(case.data["BASE45"]) == case.raw("COMPRESSED")
    except ValueError:
        return False


def check_compression(case: Case) -> bool | None:
    """COMPRESSED inflates to COSE."""
    if "COMPRESSED" not in case.data or "COSE" not in case.data:
        return None
    try:
        return decompress(case.raw("COMPRESSED")) == case.raw("COSE")
    except ValueError:
        return False


def check_picture(case: Case) -> bool | None:
    """The QR image reads back as PREFIX."""
    image = case.data.get("2DCODE") or case.data.get("_2DCODE")
    if not image or "PREFIX" not in case.data:
        return None
    import zxingcpp
    from PIL import Image

    try:
        with Image.open(io.BytesIO(base64.b64decode(image))) as picture:
            found = zxingcpp.read_barcodes(picture, formats=zxingcpp.BarcodeFormat.QRCode)
    except (OSError, ValueError):
        return False
    return bool(found) and found[0].text == case.data["PREFIX"]


def check_decode(case: Case) -> bool | None:
    """COSE decodes to a CWT whose DCC is the JSON and the CBOR of the case."""
    if case.cose is None:
        return None
    if case.sign1 is None:
        return False
    hcert = case.sign1.hcert
    if "JSON" in case.data and not _same_dcc(hcert, case.data["JSON"]):
        return False
    if "CBOR" in case.data:
        try:
            return _same_dcc(hcert, _cbor_dcc(case))
        except Exception:  # an unreadable CBOR field is a decode failure whatever it raises
            return False
    return True


def check_valid_json(case: Case) -> bool | None:
    """The CBOR field holds the same DCC as the JSON field."""
    if "CBOR" not in case.data or "JSON" not in case.data:
        return None
    try:
        return _same_dcc(_cbor_dcc(case), case.data["JSON"])
    except Exception:
        return False


def check_valid_object(case: Case) -> bool | None:
    """The JSON field is a JSON object (the only reading of this flag that needs no Java model)."""
    return None if "JSON" not in case.data else isinstance(case.data["JSON"], dict)


def check_encode(case: Case) -> bool | None:
    """Our encoders reproduce the text layers: b45encode(COMPRESSED) is BASE45, and 'HC1:' + it is PREFIX."""
    if "COMPRESSED" not in case.data or "BASE45" not in case.data:
        return None
    text = b45encode(case.raw("COMPRESSED"))
    return text == case.data["BASE45"] and ("PREFIX" not in case.data or case.data["PREFIX"] == "HC1:" + text)


def check_verify(case: Case) -> bool | None:
    """The COSE kid (protected, else unprotected) names the case's DSC and its key verifies the signature."""
    if case.cose is None or case.certificate is None:
        return None
    sign1 = case.sign1
    if sign1 is None or sign1.kid not in case.trust:
        return False
    try:
        find_signer(sign1, case.trust[sign1.kid])
    except SignatureError:
        return False
    return True


def check_expiration(case: Case) -> bool | None:
    """DSC.notBefore <= iat <= clock <= exp <= DSC.notAfter."""
    if case.cose is None or case.certificate is None:
        return None
    if case.sign1 is None:
        return False
    return expiry_problem(case.sign1.claims, load_dsc(case.certificate), case.clock.timestamp()) is None


def check_key_usage(case: Case) -> bool | None:
    """The DSC's extended key usage allows the certificate type."""
    if case.cose is None or case.certificate is None:
        return None
    if case.sign1 is None:
        return False
    return key_usage_problem(case.sign1.hcert, load_dsc(case.certificate)) is None


def check_schema(case: Case) -> bool | None:
    """The DCC passes what its schema release makes mandatory (from the COSE layer, else CBOR).

    Format and value-set deviations are warnings, so they pass: SCHEMAVALIDATION false is reproduced only by
    a mandatory failure, and a case that expects one for a value-set code alone is listed in NOT_REPRODUCED.
    """
    if case.cose is not None:
        return case.sign1 is not None and hcert_problem(jsonable(case.sign1.hcert)) is None
    if "CBOR" in case.data:
        try:
            dcc = _cbor_dcc(case)
        except Exception:
            return False
        return isinstance(dcc, dict) and hcert_problem(jsonable(dcc)) is None
    return None


CHECKS: dict[str, Callable[[Case], bool | None]] = {
    "EXPECTEDUNPREFIX": check_unprefix,
    "EXPECTEDB45DECODE": check_b45decode,
    "EXPECTEDCOMPRESSION": check_compression,
    "EXPECTEDPICTUREDECODE": check_picture,
    "EXPECTEDDECODE": check_decode,
    "EXPECTEDVALIDJSON": check_valid_json,
    "EXPECTEDVALIDOBJECT": check_valid_object,
    "EXPECTEDENCODE": check_encode,
    "EXPECTEDVERIFY": check_verify,
    "EXPECTEDEXPIRATIONCHECK": check_expiration,
    "EXPECTEDKEYUSAGE": check_key_usage,
    "EXPECTEDSCHEMAVALIDATION": check_schema,
}

# Which flag speaks for each verify_hc1 step, for the end-to-end run of PREFIX.
STEP_FLAGS = {
    "prefix": "EXPECTEDUNPREFIX",
    "base45": "EXPECTEDB45DECODE",
    "zlib": "EXPECTEDCOMPRESSION",
    "cose": "EXPECTEDDECODE",
    "kid": "EXPECTEDVERIFY",
    "signature": "EXPECTEDVERIFY",
    "key-usage": "EXPECTEDKEYUSAGE",
    "expiry": "EXPECTEDEXPIRATIONCHECK",
    "schema": "EXPECTEDSCHEMAVALIDATION",
}


def disagreements(case: Case) -> dict[str, str]:
    """Flag -> what our pipeline found instead, for every checked flag we do not reproduce."""
    wrong = {}
    for flag, expected in case.expected.items():
        check = CHECKS.get(flag)
        outcome = None if check is None else check(case)
        if outcome is not None and outcome != expected:
            wrong[flag] = f"expected {expected}, pipeline says {outcome}"
    return wrong


def end_to_end(case: Case) -> dict[str, str]:
    """Run PREFIX through verify_hc1, both ways: failing at a step whose flag the case expects True is a
    disagreement, and so is coming out valid (with or without warnings) when the case expects False of any
    flag the chain speaks for."""
    if "PREFIX" not in case.data or case.certificate is None or case.clock is None:
        return {}
    result = verify_hc1(case.data["PREFIX"], clock=case.clock, trust=case.trust)
    if result.valid:
        warned = (
            f" (warnings: {'; '.join(w.path + ' ' + w.reason for w in result.warnings)})"
            if result.warnings
            else ""
        )
        return {
            flag: f"verify_hc1 on PREFIX says valid{warned}"
            for flag in STEP_FLAGS.values()
            if case.expected.get(flag) is False
        }
    flag = STEP_FLAGS.get(result.step or "")
    if flag and case.expected.get(flag) is True:
        return {flag: f"verify_hc1 on PREFIX fails at {result.step}: {result.reason}"}
    return {}


class NotReproduced(AssertionError):
    """A listed case disagrees exactly where NOT_REPRODUCED says it does."""


def _params() -> list[Any]:
    """One pytest param per case file, xfail(strict) for the listed ones."""
    params = []
    for path in _case_paths():
        marks = []
        if path in NOT_REPRODUCED:
            marks.append(pytest.mark.xfail(strict=True, raises=NotReproduced, reason=NOT_REPRODUCED[path][1]))
        params.append(pytest.param(path, id=path, marks=marks))
    return params


@pytest.mark.parametrize("path", _params())
def test_the_pipeline_reproduces_the_case(path: str) -> None:
    case = Case.load(path)
    wrong = end_to_end(case) | disagreements(case)
    listed = NOT_REPRODUCED.get(path)
    unexpected = {flag: why for flag, why in wrong.items() if not listed or flag not in listed[0]}
    assert not unexpected, f"{path}: {unexpected}"
    if listed and set(wrong) == set(listed[0]):
        raise NotReproduced(f"{path}: {wrong}")


def test_every_vendored_case_is_a_test() -> None:
    assert len(_case_paths()) == 581  # 582 files; the root 6.json is no case


def test_no_listed_case_is_missing() -> None:
    assert set(NOT_REPRODUCED) <= set(_case_paths()) and set(VALID_WITH_WARNINGS) <= set(_case_paths())


# The 17 certificates their issuing countries mark valid (VERIFY, EXPIRATIONCHECK and SCHEMAVALIDATION true)
# that verify_hc1 refused at the schema step before issue 12 item 9: each now verifies, with these warnings.
_DT = (("/v/0/dt", "format"),)
VALID_WITH_WARNINGS: dict[str, tuple[tuple[str, str], ...]] = {
    **{f"SM/2DCode/raw/{n}.json": (("/v/0/ma", "value-set"),) for n in range(1, 6)},  # 'ORG-1000030215'
    "GE/2DCode/raw/1.json": (("/v/0/ma", "value-set"),),  # 'SinovacBiotech'
    "IE/2DCode/Raw/2.json": (("/t/0/tt", "value-set"),),  # 'COVID-19 test'
    "IE/2DCode/Raw/3.json": (("/t/0/tt", "value-set"),),
    **{f"PL/{ver}/2DCode/raw/{n}.json": _DT for ver in ("1.0.0", "1.2.1", "1.3.0") for n in (11, 12, 13)},
}


@pytest.mark.parametrize("path", sorted(VALID_WITH_WARNINGS))
def test_a_certificate_its_country_marks_valid_verifies_with_warnings_not_a_refusal(path: str) -> None:
    case = Case.load(path)
    assert all(
        case.expected[flag]
        for flag in ("EXPECTEDVERIFY", "EXPECTEDEXPIRATIONCHECK", "EXPECTEDSCHEMAVALIDATION")
    )
    result = verify_hc1(case.data["PREFIX"], clock=case.clock, trust=case.trust)
    assert (result.valid, result.step, result.reason) == (True, None, "valid, with warnings")
    assert tuple((warning.path, warning.code) for warning in result.warnings) == VALID_WITH_WARNINGS[path]
    assert all(warning.reason for warning in result.warnings)


def test_the_schema_step_refuses_no_other_case_its_country_marks_valid_and_unexpired() -> None:
    """The 17 above were all such refusals; none is left, apart from listed structural failures."""
    refused = []
    for path in _case_paths():
        case = Case.load(path)
        flags = ("EXPECTEDVERIFY", "EXPECTEDEXPIRATIONCHECK", "EXPECTEDSCHEMAVALIDATION")
        if "PREFIX" not in case.data or not all(case.expected.get(flag) for flag in flags):
            continue
        result = verify_hc1(case.data["PREFIX"], clock=case.clock, trust=case.trust)
        if result.step == "schema" and path not in NOT_REPRODUCED:
            refused.append(path)
    assert refused == []


def summary() -> dict[str, Any]:
    """Counts for docs/dcc-conformance.md: cases, and per flag how many were checked/true/false/skipped."""
    per_flag: dict[str, dict[str, int]] = {}
    cases = _case_paths()
    end_to_end_runs = end_to_end_valid = end_to_end_warned = 0
    for path in cases:
        case = Case.load(path)
        for flag, expected in case.expected.items():
            counts = per_flag.setdefault(flag, {"set": 0, "checked": 0, "true": 0, "false": 0, "agree": 0})
            counts["set"] += 1
            check = CHECKS.get(flag)
            outcome = None if check is None else check(case)
            if outcome is None:
                continue
            counts["checked"] += 1
            counts["true" if expected else "false"] += 1
            counts["agree"] += outcome == expected
        if "PREFIX" in case.data and case.certificate is not None:
            end_to_end_runs += 1
            result = verify_hc1(case.data["PREFIX"], clock=case.clock, trust=case.trust)
            end_to_end_valid += result.valid
            end_to_end_warned += result.valid and bool(result.warnings)
    return {
        "cases": len(cases),
        "listed": len(NOT_REPRODUCED),
        "flags": per_flag,
        "end_to_end": (end_to_end_runs, end_to_end_valid, end_to_end_warned),
    }


if __name__ == "__main__":
    report = summary()
    runs, valid, warned = report["end_to_end"]
    print(
        f"cases: {report['cases']} ({report['listed']} listed); verify_hc1 on PREFIX: {runs} runs, {valid} valid ({warned} with warnings)"
    )
    print("| flag | set | checked | expected true | expected false | reproduced |")
    print("|---|---|---|---|---|---|")
    for flag, counts in sorted(report["flags"].items()):
        print(
            f"| {flag} | {counts['set']} | {counts['checked']} | {counts['true']} | {counts['false']} | {counts['agree']} |"
        )
