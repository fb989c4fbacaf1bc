"""Warnings beside a valid result, through the verify endpoint, its OpenAPI schema and `sotiem certificate verify`."""

import base64
import io
import json

import pytest
from django.core.management import call_command

from sotiem.certificates import selectors
from sotiem.certificates.hcert import kid_for
from sotiem.certificates.hcert.cose import Signer
from sotiem.certificates.tests.test_hcert import CLOCK, make_dsc, sign, vaccination

pytestmark = pytest.mark.django_db

VERIFY = "/api/v1/certificates/verify"


@pytest.fixture
def foreign_signer(monkeypatch):
    """Another country's signer, put on the registry's trust list: (signer, DSC DER)."""
    key, der = make_dsc()
    monkeypatch.setattr(selectors, "trust_map", lambda now=None: {kid_for(der): [der]})
    return Signer.from_key(key, kid_for(der)), der


def test_the_verify_endpoint_answers_valid_with_each_warning_for_a_date_time_and_an_unknown_code(
    client, foreign_signer
):
    signer, _ = foreign_signer
    hc1 = sign(signer, vaccination(dt="2021-03-18T22:54:00+02:00", ma="ORG-1000030215")).hc1
    body = client.post(VERIFY, {"hc1": hc1, "at": CLOCK.isoformat()}, content_type="application/json").json()
    assert (body["valid"], body["step"], body["reason"]) == (True, None, "valid, with warnings")
    assert [(w["path"], w["code"]) for w in body["warnings"]] == [
        ("/v/0/dt", "format"),
        ("/v/0/ma", "value-set"),
    ]
    assert "date-time" in body["warnings"][0]["reason"] and "ORG-1000030215" in body["warnings"][1]["reason"]


@pytest.mark.parametrize(
    ("language", "reason"),
    [
        ("vi", "'ORG-1000030215' không có trong bộ giá trị vaccine-mah-manf"),
        ("en", "'ORG-1000030215' is not in the vaccine-mah-manf value set"),
    ],
)
def test_a_warning_keeps_its_code_and_gives_its_reason_in_the_language_asked_for(
    client, foreign_signer, language, reason
):
    signer, _ = foreign_signer
    hc1 = sign(signer, vaccination(ma="ORG-1000030215")).hc1
    answer = client.post(
        VERIFY,
        {"hc1": hc1, "at": CLOCK.isoformat()},
        content_type="application/json",
        headers={"accept-language": language},
    )
    assert answer["Content-Language"] == language
    assert answer.json()["warnings"] == [{"path": "/v/0/ma", "code": "value-set", "reason": reason}]


def test_the_verify_endpoint_still_refuses_what_the_specification_makes_mandatory(client, foreign_signer):
    signer, _ = foreign_signer
    hc1 = sign(signer, vaccination(dn=0)).hc1
    body = client.post(VERIFY, {"hc1": hc1, "at": CLOCK.isoformat()}, content_type="application/json").json()
    assert (body["valid"], body["step"], body["warnings"]) == (False, "schema", [])


def test_a_clean_certificate_has_an_empty_list_of_warnings(client, foreign_signer):
    signer, _ = foreign_signer
    body = client.post(
        VERIFY, {"hc1": sign(signer).hc1, "at": CLOCK.isoformat()}, content_type="application/json"
    ).json()
    assert (body["valid"], body["reason"], body["warnings"]) == (True, "valid", [])


def test_the_openapi_schema_documents_the_warnings_of_the_verify_answer(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    warnings = schemas["VerifyOut"]["properties"]["warnings"]
    assert warnings["items"]["$ref"].endswith("/VerifyWarning")
    assert set(schemas["VerifyWarning"]["required"]) == {"path", "code", "reason"}
    assert "value-set" in schemas["VerifyWarning"]["properties"]["code"]["description"]


def test_the_cli_prints_the_warnings_and_exits_0_for_a_valid_certificate(foreign_signer):
    signer, der = foreign_signer
    hc1 = sign(signer, vaccination(co="XX")).hc1
    out = io.StringIO()
    call_command(
        "certificate",
        "verify",
        hc1,
        "--at",
        CLOCK.isoformat(),
        "--dsc",
        base64.b64encode(der).decode(),
        stdout=out,
    )
    result = json.loads(out.getvalue())
    assert result["valid"] is True
    assert result["warnings"] == [
        {"path": "/v/0/co", "code": "value-set", "reason": "'XX' không có trong bộ giá trị country-2-codes"}
    ]
