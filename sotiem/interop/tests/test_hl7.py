"""The HL7 v2 immunization interface, against the public test messages in testdata/hl7 and inline VXUs.

No database: parse_vxu() and build_ack() are pure functions.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import hl7 as python_hl7
import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from sotiem.interop.hl7 import BACKLOG_FIELDS, Hl7Issue, VxuResult, build_ack, parse_vxu, split_messages
from sotiem.interop.hl7_codes import CATALOGUE_BY_CVX, CATALOGUE_MANUFACTURER_WORDS, cvx_table
from sotiem.interop.hl7_er7 import Delimiters, escape, unescape
from sotiem.lib.testdata import TESTDATA, vendored

HL7_DIR = TESTDATA / "hl7"
NOW = datetime(2021, 8, 16, 9, 30, tzinfo=timezone(timedelta(hours=7)))
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MISSING = "missing-testdata"


def require_testdata() -> Path:
    return vendored("hl7")


def vendored_messages() -> list[tuple[str, str | None]]:
    """(id, message) for every message of every .hl7 file, batch-wrapped ones included."""
    if not HL7_DIR.is_dir():
        return [(MISSING, None)]  # the tests then fail with require_testdata()'s message, never skip
    found = []
    for path in sorted(HL7_DIR.rglob("*.hl7")):
        for n, message in enumerate(split_messages(path.read_bytes()), start=1):
            found.append((f"{path.relative_to(HL7_DIR)}#{n}", message))
    return found


MESSAGES = vendored_messages()
MESSAGE_IDS = [name for name, _ in MESSAGES]


def message_text(message: str | None) -> str:
    require_testdata()
    assert message is not None
    return message


def vxu(*segments: str, control_id: str = "CTRL-1", version: str = "2.5.1") -> str:
    msh = (
        "MSH|^~\\&|EHR|BV-BACHMAI|SOTIEM|VN-NIR|20210815083000+0700||VXU^V04^VXU_V04|"
        f"{control_id}|P|{version}|||ER|AL|||||Z22^CDCPHINVS"
    )
    return "\r".join((msh, *segments))


PID_VN = (
    "PID|1||BN-778^^^BV-BACHMAI^MR~001203004567^^^BCA-CCCD^NNVNM||Nguyễn^An^Văn^^^^L||19900512|M|||"
    "12 Lê Lợi^^Quận 1^Hồ Chí Minh^^VNM^H^^Bến Nghé||^PRN^CP^^84^^912345678"
)


def rxa(
    cvx: str = "208", *, date: str = "20210815083000+0700", status: str = "CP", site: str = "TYT-BN"
) -> str:
    return (
        f"RXA|0|1|{date}||{cvx}^COVID-19 vaccine^CVX|0.3|mL^^UCUM||00^New record^NIP001||^^^{site}||||"
        f"FK1234|20211231|PFR^Pfizer^MVX|||{status}|A"
    )


def issue_codes(result: VxuResult, severity: str) -> list[tuple[str, int | None, str]]:
    return [(i.segment, i.field, i.code) for i in result.errors if i.severity == severity]


# --- the vendored test messages --------------------------------------------------------------------------


def test_the_vendored_hl7_testdata_is_present_and_every_listed_message_is_read() -> None:
    folder = require_testdata()
    manifest = json.loads((folder / "MANIFEST.json").read_text(encoding="utf-8"))
    assert len(MESSAGES) == len(manifest) == 78
    by_file = {name.split("#")[0] for name, _ in MESSAGES}
    assert by_file == {entry["file"] for entry in manifest}


@pytest.mark.parametrize(("name", "message"), MESSAGES, ids=MESSAGE_IDS)
def test_every_message_yields_records_or_a_reasoned_answer(name: str, message: str | None) -> None:
    result = parse_vxu(message_text(message))
    if result.records:
        assert result.ack_code in ("AA", "AE")
        for record in result.records:
            assert tuple(record) == BACKLOG_FIELDS
            assert all(isinstance(value, str) for value in record.values())
        assert len({r["record_id"] for r in result.records}) == len(result.records)
    elif result.ack_code == "AR":
        assert any(i.severity == "E" and i.message for i in result.errors), name
    else:
        # A VXU whose only RXAs report no dose (refused, not administered, CVX 998): accepted, nothing
        # to record, and the warnings say why.
        assert result.ack_code == "AA"
        assert result.errors and all(i.severity == "W" for i in result.errors)


def administered_rxas(message: str) -> int:
    """RXAs that report a dose, counted with python-hl7 as an independent reader."""
    parsed = python_hl7.parse(message)
    count = 0
    for segment in (s for s in parsed if str(s(0)) == "RXA"):
        status = str(segment(20)) if len(segment) > 20 else ""
        cvx = str(segment(5)(1)(1)) if len(segment) > 5 else ""
        if status.strip() not in ("RE", "NA") and cvx.strip() != "998":
            count += 1
    return count


@pytest.mark.parametrize(("name", "message"), MESSAGES, ids=MESSAGE_IDS)
def test_every_vxu_with_an_administered_dose_yields_dated_records_with_a_vaccine(
    name: str, message: str | None
) -> None:
    text = message_text(message)
    result = parse_vxu(text)
    if result.message_type != "VXU^V04" or administered_rxas(text) == 0:
        return
    dated = [r for r in result.records if ISO_DATE.fullmatch(r["administered_on"]) and r["vaccine"]]
    assert dated, f"{name}: {result.errors}"
    assert len(result.records) == administered_rxas(text)  # one record per administered RXA


@pytest.mark.parametrize(("name", "message"), MESSAGES, ids=MESSAGE_IDS)
def test_an_ack_for_every_message_parses_back_and_names_the_incoming_control_id(
    name: str, message: str | None
) -> None:
    result = parse_vxu(message_text(message))
    ack = python_hl7.parse(build_ack(result=result, now=NOW))
    assert str(ack(1)(9)) == "ACK^V04^ACK"
    assert str(ack.segment("MSA")(1)) == result.ack_code
    assert str(ack.segment("MSA")(2)) == result.control_id
    errs = ack.segments("ERR") if result.errors else []
    assert [str(err(3)(1)(1)) for err in errs] == [i.code for i in result.errors]
    assert [str(err(4)) for err in errs] == [i.severity for i in result.errors]


@pytest.mark.parametrize(("name", "message"), MESSAGES, ids=MESSAGE_IDS)
def test_acks_rsps_and_queries_are_rejected_as_unsupported_message_types(
    name: str, message: str | None
) -> None:
    text = message_text(message)
    if not re.search(r"\|(ACK|RSP|QBP)\^", text.split("\r", 1)[0]):
        return
    result = parse_vxu(text)
    assert result.ack_code == "AR"
    assert result.records == []
    assert [i.code for i in result.errors] == ["200"]


def test_the_nist_admin_child_message_gives_madelynn_snow_and_her_flu_dose() -> None:
    folder = require_testdata()
    result = parse_vxu(
        (folder / "microsoft-fhir-converter/IZ_1_1.1_Admin_Child_Max_Message.hl7").read_bytes()
    )
    assert (result.control_id, result.version, result.ack_code) == ("NIST-IZ-001.00", "2.5.1", "AA")
    [record] = result.records
    assert record == {
        "record_id": "IZ-783274",
        "full_name": "Snow Ainsley Madelynn",
        "birth_date": "2007-07-06",
        "sex": "F",
        "national_id": "",
        "phone": "6575558563",
        "province": "MA",
        "commune": "",
        "address": "32 Prescott Street Ave, Warwick",
        "vaccine": "CVX:140",
        "dose_number": "",
        "administered_on": "2012-08-14",
        "site_code": "X68",
        "lot_number": "Z0860BB",
    }


def test_the_nist_z22_message_gives_elise_wong_one_new_and_two_historical_doses() -> None:
    folder = require_testdata()
    result = parse_vxu((folder / "microsoft-fhir-converter/VXU.hl7").read_bytes())
    assert (result.control_id, result.sending_facility, result.ack_code) == (
        "NIST-IZ-AD-2.1_Send_V04_Z22",
        "NISTEHRFAC",
        "AA",
    )
    assert {(r["full_name"], r["birth_date"], r["sex"]) for r in result.records} == {
        ("Wong Elise", "1983-06-15", "F")
    }
    doses = [(r["record_id"], r["vaccine"], r["administered_on"], r["site_code"]) for r in result.records]
    assert doses == [
        ("13696", "NDC:49281-0215-88", "2015-06-24", "NIST-Clinic-1"),
        ("38760", "CVX:88", "2014-10-12", "NISTEHRFAC"),  # historical (RXA-9 = 01): still a dose
        ("35508", "CVX:88", "2013-11-12", "NISTEHRFAC"),
    ]


def test_batch_wrapped_v24_files_are_unwrapped_and_read() -> None:
    folder = require_testdata()
    [message] = split_messages((folder / "aira-smm-tester/after.hl7").read_bytes())
    assert message.startswith("MSH|") and "BHS" not in message and "BTS" not in message
    result = parse_vxu(message)
    assert (result.version, result.message_type, result.ack_code) == ("2.4", "VXU^V04", "AA")
    assert [r["vaccine"] for r in result.records] == ["CVX:115", "CVX:62", "CVX:115"]
    assert result.records[0]["national_id"] == "168711320"  # the SS identifier of PID-3


# --- inline messages -------------------------------------------------------------------------------------


def test_covid_cvx_codes_map_to_the_registry_catalogue() -> None:
    message = vxu(PID_VN, "ORC|RE||D-1^BV", rxa("208"), "ORC|RE||D-2^BV", rxa("210"), rxa("511"))
    result = parse_vxu(message)
    assert [r["vaccine"] for r in result.records] == ["PFIZER", "AZ", "CVX:511"]
    assert result.ack_code == "AA"


def test_a_vietnamese_patient_is_read_in_vietnamese_name_order_with_cccd_phone_and_address() -> None:
    obx = "OBX|1|NM|30973-2^Dose number in series^LN|1|2||||||F"
    result = parse_vxu(vxu(PID_VN, "ORC|RE||VN-DOSE-1^BV-BACHMAI", rxa("208"), obx))
    [record] = result.records
    assert record == {
        "record_id": "VN-DOSE-1",
        "full_name": "Nguyễn Văn An",
        "birth_date": "1990-05-12",
        "sex": "M",
        "national_id": "001203004567",
        "phone": "+84912345678",
        "province": "Hồ Chí Minh",
        "commune": "Bến Nghé",
        "address": "12 Lê Lợi, Quận 1",
        "vaccine": "PFIZER",
        "dose_number": "2",
        "administered_on": "2021-08-15",
        "site_code": "TYT-BN",
        "lot_number": "FK1234",
    }


def test_the_catalogue_mapping_agrees_with_the_cdc_cvx_table() -> None:
    table = cvx_table()
    for code, product in CATALOGUE_BY_CVX.items():
        row = table[code]
        text = f"{row.short_description} {row.full_name} {row.notes}".lower()
        assert any(word in text for word in CATALOGUE_MANUFACTURER_WORDS[product]), (code, product, text)
    covid = {code for code, row in table.items() if "COVID" in row.full_name.upper()}
    assert set(CATALOGUE_BY_CVX) <= covid


def test_a_refused_dose_is_not_recorded_and_is_reported_as_a_warning() -> None:
    refused = rxa("208", status="RE").replace("MVX|||RE|A", "MVX|00^Parental decision^NIP002||RE|A")
    result = parse_vxu(vxu(PID_VN, "ORC|RE||D-1^BV", refused, "ORC|RE||D-2^BV", rxa("210")))
    assert [r["record_id"] for r in result.records] == ["D-2"]
    assert result.rxa_sequences == [2]
    assert issue_codes(result, "W") == [("RXA", 20, "0")]
    assert result.ack_code == "AA"


def test_a_message_reporting_only_a_dose_not_given_is_accepted_with_nothing_to_record() -> None:
    result = parse_vxu(vxu(PID_VN, rxa("998", status="NA")))
    assert (result.records, result.ack_code) == ([], "AA")
    assert issue_codes(result, "W") == [("RXA", 20, "0")]


def test_cvx_998_no_vaccine_administered_is_not_a_dose() -> None:
    result = parse_vxu(vxu(PID_VN, rxa("998")))
    assert result.records == []
    assert issue_codes(result, "W") == [("RXA", 5, "0")]


def test_a_dose_without_date_or_vaccine_is_still_passed_on_with_errors() -> None:
    no_date = rxa("208", date="")
    no_vaccine = rxa("208").replace("208^COVID-19 vaccine^CVX", "")
    result = parse_vxu(vxu(PID_VN, no_date, no_vaccine))
    assert [(r["administered_on"], r["vaccine"]) for r in result.records] == [
        ("", "PFIZER"),
        ("2021-08-15", ""),
    ]
    assert issue_codes(result, "E") == [("RXA", 3, "101"), ("RXA", 5, "101")]
    assert str(result.errors[0].message) == "Thiếu ngày tiêm (RXA-3)"  # Vietnamese, the registry's default
    assert result.ack_code == "AE"


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("vi", ["Thiếu ngày tiêm (RXA-3)", "Thiếu vắc xin (RXA-5)"]),
        ("en", ["Missing administration date (RXA-3)", "Missing vaccine (RXA-5)"]),
    ],
)
def test_the_ack_texts_are_in_the_language_it_is_built_in_and_its_codes_in_none(language, texts) -> None:
    no_date = rxa("208", date="")
    no_vaccine = rxa("208").replace("208^COVID-19 vaccine^CVX", "")
    result = parse_vxu(vxu(PID_VN, no_date, no_vaccine))
    with translation.override(language):
        ack = python_hl7.parse(build_ack(result=result, now=NOW))
    errors = ack.segments("ERR")
    assert [str(err(3)) for err in errors] == ["101^Required field missing^HL70357"] * 2
    assert [ack.unescape(str(err(8))) for err in errors] == texts


def test_an_invalid_date_is_passed_on_as_written_with_a_data_type_error() -> None:
    result = parse_vxu(vxu(PID_VN, rxa("208", date="20211345")))
    assert result.records[0]["administered_on"] == "20211345"
    assert issue_codes(result, "E") == [("RXA", 3, "102")]


def test_record_ids_prefer_the_filler_order_number_then_the_control_id_and_position() -> None:
    message = vxu(PID_VN, "ORC|RE|P-1|F-1^BV", rxa(), rxa(), "ORC|RE||F-1^BV", rxa(), control_id="MSG-9")
    assert [r["record_id"] for r in parse_vxu(message).records] == ["F-1", "MSG-9-2", "F-1-3"]


def test_the_site_is_rxa_11_then_rxa_27_then_the_sending_facility() -> None:
    at_11 = rxa(site="TYT-A")
    at_27 = rxa(site="") + "||||||^^^TYT-B"
    nowhere = rxa(site="")
    result = parse_vxu(vxu(PID_VN, at_11, at_27, nowhere, version="2.6"))
    assert [r["site_code"] for r in result.records] == ["TYT-A", "TYT-B", "BV-BACHMAI"]


def test_ndc_coded_vaccines_and_unknown_cvx_codes_pass_through_for_the_registry_to_refuse() -> None:
    ndc = rxa().replace("208^COVID-19 vaccine^CVX", "59267-1000-01^Comirnaty^NDC")
    unknown = rxa("806")
    padded = rxa("3")
    result = parse_vxu(vxu(PID_VN, ndc, unknown, padded))
    assert [r["vaccine"] for r in result.records] == ["NDC:59267-1000-01", "CVX:806", "CVX:03"]
    assert issue_codes(result, "W") == [("RXA", 5, "103")]


def test_escape_sequences_are_decoded_in_text_values() -> None:
    d = Delimiters()
    assert unescape(r"A\F\B\S\C\T\D\R\E\E\F", d) == "A|B^C&D~E\\F"
    assert unescape("line\\.br\\two \\X41\\", d) == "line\ntwo A"
    assert unescape(escape("a|b^c&d~e\\f"), d) == "a|b^c&d~e\\f"
    pid = PID_VN.replace("12 Lê Lợi", r"12 Lê Lợi \T\ 14 Hai Bà Trưng")
    result = parse_vxu(vxu(pid, rxa().replace("FK1234", r"FK\F\12")))
    assert result.records[0]["address"] == "12 Lê Lợi & 14 Hai Bà Trưng, Quận 1"
    assert result.records[0]["lot_number"] == "FK|12"


def test_a_vxu_without_pid_or_without_rxa_is_rejected_with_a_reason() -> None:
    no_pid = parse_vxu(vxu(rxa()))
    no_rxa = parse_vxu(vxu(PID_VN))
    assert (no_pid.ack_code, [(i.segment, i.code) for i in no_pid.errors]) == ("AR", [("PID", "100")])
    assert (no_rxa.ack_code, [(i.segment, i.code) for i in no_rxa.errors]) == ("AR", [("RXA", "100")])


def test_both_msh_9_forms_and_all_supported_versions_are_read() -> None:
    for version in ("2.4", "2.5.1", "2.6", "2.8"):
        for message_type in ("VXU^V04", "VXU^V04^VXU_V04"):
            message = vxu(PID_VN, rxa(), version=version).replace("VXU^V04^VXU_V04", message_type)
            result = parse_vxu(message)
            assert (result.ack_code, result.version, result.message_type) == ("AA", version, "VXU^V04")


def test_crlf_lf_bom_and_batch_wrappers_are_normalised() -> None:
    message = vxu(PID_VN, rxa())
    batch = (
        "FHS|^~\\&|EHR\nBHS|^~\\&|EHR\n"
        + message.replace("\r", "\r\n")
        + "\r\n"
        + message
        + "\nBTS|2\nFTS|1\n"
    )
    parts = split_messages(b"\xef\xbb\xbf" + batch.encode("utf-8"))
    assert parts == [message, message]
    assert parse_vxu(b"\xef\xbb\xbf" + message.replace("\r", "\n").encode()).records


def test_a_payload_holding_two_messages_is_rejected_by_parse_vxu() -> None:
    result = parse_vxu(vxu(PID_VN, rxa()) + "\r" + vxu(PID_VN, rxa(), control_id="CTRL-2"))
    assert (result.ack_code, result.control_id, result.errors[0].code) == ("AR", "CTRL-1", "100")


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "hello",
        "MSH",
        "MSH|",
        "MSH|^~",
        "MSH|^~\\&|EHR|FAC",
        "MSH1^~\\&",
        "\ufeff",
        b"",
        b"\xef\xbb\xbf",
        b"\xef\xbb\xbfMSH|^~\\&|EHR|FAC|||2021||VXU^V04|X|P|2.5.1\rPID|",
        b"\xff\xfe\x00M\x00S\x00H",
        "MSH|^~\\&|||||||VXU^V04^VXU_V04|1|P|2.5.1\rPID|1\rRXA|",
        "MSH|^~\\&|||||||VXU^V04|1|P|9.9\rPID|1\rRXA|0|1|2021",
        "PID|1\rRXA|0|1|20210101||208^x^CVX",
    ],
)
def test_garbage_never_raises_and_is_answered(payload: str | bytes) -> None:
    split_messages(payload)
    result = parse_vxu(payload)
    assert result.ack_code in ("AA", "AE", "AR")
    if not result.records:
        assert result.ack_code == "AR" and result.errors
    ack = python_hl7.parse(build_ack(result=result, now=NOW))
    assert str(ack.segment("MSA")(1)) == result.ack_code


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.binary(), st.text().map(lambda s: "MSH|^~\\&|" + s)))
def test_parse_vxu_never_raises_on_arbitrary_input(payload: str | bytes) -> None:
    result = parse_vxu(payload)
    assert isinstance(result, VxuResult)
    build_ack(result=result, now=NOW)


def test_the_ack_swaps_sender_and_receiver_and_keeps_the_version() -> None:
    result = parse_vxu(vxu(PID_VN, rxa(), version="2.6"))
    ack = build_ack(result=result, now=NOW, receiving_app="SOTIEM", receiving_facility="VN-NIR")
    msh = ack.split("\r")[0].split("|")
    assert msh[2:6] == ["SOTIEM", "VN-NIR", "EHR", "BV-BACHMAI"]
    assert msh[6] == "20210816093000+0700"
    assert msh[8:12] == ["ACK^V04^ACK", "ACK-CTRL-1", "P", "2.6"]
    assert ack.split("\r")[1] == "MSA|AA|CTRL-1"


def test_the_registry_can_override_the_ack_code_and_add_its_own_issues() -> None:
    result = parse_vxu(vxu(PID_VN, rxa()))
    refusal = Hl7Issue("RXA", 1, 5, "103", "E", "Vắc xin không có trong danh mục | not in the catalogue")
    added = build_ack(result=result, now=NOW, issues=[refusal])
    overridden = build_ack(result=result, now=NOW, ack_code="AR", issues=[refusal])
    assert added.split("\r")[1] == "MSA|AE|CTRL-1"
    assert overridden.split("\r")[1] == "MSA|AR|CTRL-1"
    err = python_hl7.parse(added).segment("ERR")
    assert str(err(2)) == "RXA^1^5"
    assert str(err(3)) == "103^Table value not found^HL70357"
    assert str(err(4)) == "E"
    assert python_hl7.parse(added).unescape(str(err(8))) == refusal.message
    again = build_ack(result=result, now=NOW, issues=[*result.errors, refusal])
    assert again == added  # passing result.errors back does not repeat them


def test_an_ack_to_an_unreadable_message_still_parses() -> None:
    ack = build_ack(result=parse_vxu("hello"), now=datetime(2021, 1, 1, 12, 0))
    parsed = python_hl7.parse(ack)
    assert str(parsed.segment("MSA")(1)) == "AR"
    assert str(parsed(1)(12)) == "2.5.1"


def test_the_interface_modules_import_neither_django_nor_a_database() -> None:
    code = (
        "import sys, sotiem.interop.hl7 as m; "
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('django', 'sqlite3', 'psycopg')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_outgoing_field_carries_no_raw_control_character() -> None:
    # A sender's MSH-3 with a NUL came back raw in the ACK; it goes out as HL7's hexadecimal escape.
    assert escape("SITE\x00A\x1bB|C\rD") == "SITE\\X00\\A\\X1B\\B\\F\\C\\.br\\D"
