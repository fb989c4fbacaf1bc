"""FHIR R4 Immunization examples: what a FHIR channel will read is there, and each vaccine code system is accounted for.

The examples are vendored in testdata/fhir/ (FHIR-Converter output for the HL7 messages in testdata/hl7/, and
resources extracted from them and from the SMART Health Card bundles) and testdata/shc/ (the SHC spec's
bundles). They are read with the standard library only: sotiem has no FHIR channel yet, and these tests pin
down what it will rely on. Converter timestamps are shifted to the generating machine's zone (pitfall 24 in
testdata/README.md), so only the shape of dates is checked there, not their values.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from sotiem.interop.hl7_codes import canonical_cvx, catalogue_vaccine
from sotiem.lib.testdata import vendored

FHIR = vendored("fhir")  # refused at collection when absent: never a silent skip
SHC = vendored("shc")
CONVERTER = FHIR / "microsoft-fhir-converter"
RESOURCES = FHIR / "resources"

# Each vendored bundle and how many Immunizations it holds.
BUNDLES: dict[str, tuple[Path, int]] = {
    "msconv-vxu/IZ_1_1.1_Admin_Child_Max_Message": (
        CONVERTER / "vxu-expected-bundles" / "IZ_1_1.1_Admin_Child_Max_Message-expected.json",
        1,
    ),
    "msconv-vxu/VXU": (CONVERTER / "vxu-expected-bundles" / "VXU-expected.json", 3),
    "msconv-vxu/VXU-V04-01": (CONVERTER / "vxu-expected-bundles" / "VXU-V04-01-expected.json", 1),
    "msconv-vxu/VXU-V04-02": (CONVERTER / "vxu-expected-bundles" / "VXU-V04-02-expected.json", 3),
    "shc/example-00": (SHC / "examples" / "example-00-a-fhirBundle.json", 3),
    "shc/example-01": (SHC / "examples" / "example-01-a-fhirBundle.json", 3),
    "shc/example-03": (SHC / "examples" / "example-03-a-fhirBundle.json", 2),
    "shc-fixture/covid-vaccines-bundle": (SHC / "fixtures" / "covid-vaccines-bundle.json", 3),
    "shc-fixture/revoked-bundle": (SHC / "fixtures" / "revoked-bundle.json", 2),
}
# Single resources, outside any bundle (the converter's STU3 to R4 output).
SINGLES: dict[str, Path] = {
    "msconv-stu3tor4/Immunization": CONVERTER / "stu3-to-r4" / "Immunization-r4-expected.json",
    "msconv-stu3tor4/Patient": CONVERTER / "stu3-to-r4" / "Patient-r4-expected.json",
}

CVX_SYSTEM = "http://hl7.org/fhir/sid/cvx"
# Vaccine code systems seen in the examples that sotiem's catalogue (keyed by CVX) does not map, and why.
NOT_MAPPED_SYSTEMS = {
    # FHIR-Converter's placeholder for HL7 table 0292; a channel must not guess that a URI means CVX.
    "http://example.com/v2-to-fhir-converter/CodeSystem/CVX": "converter placeholder, not the HL7 CVX URI",
    "http://hl7.org/fhir/sid/ndc": "NDC product codes; the HL7 channel keeps them as NDC:<code>, uncatalogued",
    "urn:oid:1.2.36.1.2001.1005.17": "Australian Immunisation Register vaccine codes (FLUVAX)",
}
STATUSES = {"completed", "entered-in-error", "not-done"}  # FHIR R4 immunization-status
FHIR_DATE_TIME = re.compile(
    r"(\d{4})(-(\d{2})(-(\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?"
)  # R4 dateTime: a partial date, or a full date with a zoned time


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _immunizations() -> dict[str, dict[str, Any]]:
    """Every vendored Immunization, keyed by where it is: bundle entries, single resources, extracted files."""
    found = {}
    for source, (path, _) in BUNDLES.items():
        for index, entry in enumerate(_json(path)["entry"]):
            if entry["resource"]["resourceType"] == "Immunization":
                found[f"{source}#{index}"] = entry["resource"]
    found["msconv-stu3tor4/Immunization"] = _json(SINGLES["msconv-stu3tor4/Immunization"])
    for path in sorted(RESOURCES.glob("Immunization-*.json")):
        found[f"resources/{path.name}"] = _json(path)
    return found


IMMUNIZATIONS = _immunizations()


def _codings() -> list[tuple[str, str]]:
    return [
        (coding["system"], coding["code"])
        for immunization in IMMUNIZATIONS.values()
        for coding in immunization["vaccineCode"]["coding"]
    ]


def test_the_examples_are_all_there() -> None:
    in_bundles = sum(1 for key in IMMUNIZATIONS if "#" in key)
    extracted = sum(1 for key in IMMUNIZATIONS if key.startswith("resources/"))
    assert (in_bundles, extracted) == (sum(count for _, count in BUNDLES.values()), 22)


@pytest.mark.parametrize("key", sorted(IMMUNIZATIONS))
def test_an_example_immunization_has_what_a_fhir_channel_reads(key: str) -> None:
    immunization = IMMUNIZATIONS[key]
    assert immunization["resourceType"] == "Immunization"
    assert immunization["status"] in STATUSES

    codings = immunization["vaccineCode"]["coding"]
    assert codings
    for coding in codings:
        assert isinstance(coding["system"], str) and coding["system"].strip()
        assert isinstance(coding["code"], str) and coding["code"].strip()

    occurrences = {k: v for k, v in immunization.items() if k.startswith("occurrence")}
    assert len(occurrences) == 1, occurrences  # occurrence[x] is required and single
    if "occurrenceString" in occurrences:
        assert occurrences["occurrenceString"].strip()
    else:
        match = FHIR_DATE_TIME.fullmatch(occurrences["occurrenceDateTime"])
        assert match is not None, occurrences
        if match[5]:
            dt.date.fromisoformat(occurrences["occurrenceDateTime"][:10])  # a real calendar day

    reference = immunization["patient"]["reference"]
    assert re.fullmatch(r"Patient/[A-Za-z0-9\-.]{1,64}|resource:\d+|urn:uuid:[0-9a-f-]{36}", reference)


@pytest.mark.parametrize("source", sorted(BUNDLES))
def test_each_immunization_in_a_bundle_points_at_a_patient_in_that_bundle(source: str) -> None:
    path, expected_count = BUNDLES[source]
    bundle = _json(path)
    assert bundle["resourceType"] == "Bundle"
    patients = set()
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Patient":
            patients.add(entry["fullUrl"])
            if "id" in resource:
                patients.add(f"Patient/{resource['id']}")
    immunizations = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Immunization"
    ]
    assert len(immunizations) == expected_count
    assert patients and all(i["patient"]["reference"] in patients for i in immunizations)


def test_each_extracted_resource_is_the_entry_it_was_taken_from() -> None:
    manifest = _json(RESOURCES / "MANIFEST.json")
    listed = {item["file"] for item in manifest}
    assert listed == {path.name for path in RESOURCES.glob("*.json")} - {"MANIFEST.json"}
    assert len(listed) == 32
    for item in manifest:
        resource = _json(RESOURCES / item["file"])
        assert resource["resourceType"] == item["resourceType"]
        if item["from"] in SINGLES:
            assert resource == _json(SINGLES[item["from"]])
        else:
            path, _ = BUNDLES[item["from"]]
            assert resource == _json(path)["entry"][item["entry_index"]]["resource"], item["file"]


def test_every_vaccine_code_system_is_cvx_or_listed_as_not_mapped() -> None:
    assert {system for system, _ in _codings()} == {CVX_SYSTEM, *NOT_MAPPED_SYSTEMS}


def test_the_cvx_codes_found_are_cdc_codes_and_the_covid_ones_map_to_the_catalogue() -> None:
    cvx = sorted({code for system, code in _codings() if system == CVX_SYSTEM})
    assert cvx == ["207", "229"]  # Moderna original and bivalent, from the SHC examples
    assert {code: (canonical_cvx(code), catalogue_vaccine(code)) for code in cvx} == {
        "207": ("207", "MODERNA"),
        "229": ("229", "MODERNA"),
    }
    # The converter's placeholder system carries influenza CVX codes: real CDC codes, outside the COVID-19
    # catalogue, so a FHIR channel that reads them as CVX would refuse them as the HL7 channel does.
    placeholder = sorted(
        {code for system, code in _codings() if system.endswith("/v2-to-fhir-converter/CodeSystem/CVX")}
    )
    assert placeholder == ["140", "88"]
    assert all(canonical_cvx(code) == code and catalogue_vaccine(code) is None for code in placeholder)
