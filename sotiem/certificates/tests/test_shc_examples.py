"""SMART Health Cards: the spec's example cards decode, verify against the example issuer's keys and carry CVX doses.

The data is vendored in testdata/shc/ (sources and licences in its README). The decoder below is written from
the SMART Health Cards specification, independently of any SHC library: numeric QR (`shc:/`, two digits per
character, offset 45) → compact JWS → ES256 over the raw r||s signature (JOSE, not DER) → raw DEFLATE payload
(no zlib header) → FHIR bundle. It checks what a verifier has to check on the bytes; issuer discovery, x5c
chains and clock rules are out of its scope (pitfall 16 in testdata/README.md: the example x5c expired in 2022).
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from sotiem.interop.hl7_codes import canonical_cvx, catalogue_vaccine
from sotiem.lib.testdata import vendored

SHC = vendored("shc")  # refused at collection when absent: never a silent skip
EXAMPLES = SHC / "examples"
NEGATIVES = SHC / "validation-sdk-testdata"
ISSUER = "https://spec.smarthealth.cards/examples/issuer"
CVX_SYSTEM = "http://hl7.org/fhir/sid/cvx"
KEY_WITHOUT_CHAIN = "3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s"
KEY_WITH_CHAIN = "EBKOr72QQDcTBUuVzAzkfBTGew0ZA16GuWty64nS-sw"

# Per example card: the signing key, the number of QR chunks and the doses (CVX, date) in bundle order.
CARDS: dict[str, tuple[str, int, list[tuple[str, str]]]] = {
    "00": (KEY_WITHOUT_CHAIN, 1, [("207", "2021-01-01"), ("207", "2021-01-29"), ("229", "2022-09-05")]),
    "01": (KEY_WITH_CHAIN, 1, [("207", "2021-01-01"), ("207", "2021-01-29"), ("229", "2022-09-05")]),
    "02": (KEY_WITHOUT_CHAIN, 3, []),  # a lab result, the only example split across QR chunks
    "03": (KEY_WITHOUT_CHAIN, 1, [("207", "2021-03-01"), ("207", "2021-03-29")]),
}
VACCINATION_CARDS = [name for name, (_, _, doses) in CARDS.items() if doses]


class CardRefused(ValueError):
    """The card's bytes are not a valid SMART Health Card from a known key."""


def _b64url(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise CardRefused("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def numeric_qr_to_jws(chunks: list[str]) -> str:
    """The compact JWS carried by the `shc:/` numeric QR texts, in chunk order (`shc:/i/n/` when split)."""
    parts: dict[int, str] = {}
    totals: set[int] = set()
    for chunk in chunks:
        match = re.fullmatch(r"shc:/(?:(\d+)/(\d+)/)?(\d*)", chunk.strip())
        if match is None:
            raise CardRefused("QR text does not start with shc:/")
        index, total, digits = int(match[1] or 1), int(match[2] or 1), match[3]
        if len(digits) % 2:
            raise CardRefused("odd number of digits")
        values = [int(digits[i : i + 2]) for i in range(0, len(digits), 2)]
        if any(value > 77 for value in values):  # "z" (122) - 45
            raise CardRefused("digit pair above 77")
        parts[index] = "".join(chr(value + 45) for value in values)
        totals.add(total)
    if len(totals) != 1 or sorted(parts) != list(range(1, totals.pop() + 1)):
        raise CardRefused("QR chunks incomplete or inconsistent")
    return "".join(parts[index] for index in sorted(parts))


def issuer_keys(jwks_path: Path) -> dict[str, ec.EllipticCurvePublicKey]:
    """The issuer's ES256 public keys by kid, from a JWK set."""
    keys = {}
    for jwk in json.loads(jwks_path.read_text(encoding="utf-8"))["keys"]:
        assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("EC", "P-256", "ES256", "sig"), jwk["kid"]
        numbers = ec.EllipticCurvePublicNumbers(
            int.from_bytes(_b64url(jwk["x"]), "big"), int.from_bytes(_b64url(jwk["y"]), "big"), ec.SECP256R1()
        )
        keys[jwk["kid"]] = numbers.public_key()
    return keys


def verify_jws(jws: str, keys: dict[str, ec.EllipticCurvePublicKey]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, payload) of a compact SHC JWS whose ES256 signature verifies with one of the keys."""
    pieces = jws.split(".")
    if len(pieces) != 3:
        raise CardRefused("not a compact JWS")
    header_b64, payload_b64, signature_b64 = pieces
    header = json.loads(_b64url(header_b64))
    if header.get("alg") != "ES256":
        raise CardRefused("alg is not ES256")
    if header.get("zip") != "DEF":
        raise CardRefused("zip is not DEF")
    key = keys.get(header.get("kid", ""))
    if key is None:
        raise CardRefused("no key with this kid in the issuer's JWK set")
    signature = _b64url(signature_b64)
    if len(signature) != 64:  # JOSE wants raw r||s; a DER signature (70-72 bytes) is a known wrong encoding
        raise CardRefused("signature is not a 64-byte r||s pair")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        key.verify(der, f"{header_b64}.{payload_b64}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as error:
        raise CardRefused("signature does not verify") from error
    inflater = zlib.decompressobj(wbits=-15)  # raw DEFLATE: the spec forbids the zlib wrapper
    try:
        payload = inflater.decompress(_b64url(payload_b64)) + inflater.flush()
    except zlib.error as error:
        raise CardRefused("payload is not raw DEFLATE") from error
    if not inflater.eof or inflater.unused_data:
        raise CardRefused("payload is not one complete raw DEFLATE stream")
    return header, json.loads(payload)


KEYS = issuer_keys(SHC / "issuer" / ".well-known" / "jwks.json")


def _example(name: str, part: str) -> str:
    (path,) = EXAMPLES.glob(f"example-{name}-{part}*")
    return path.read_text(encoding="utf-8")


def _qr_chunks(name: str) -> list[str]:
    return [
        path.read_text(encoding="utf-8")
        for path in sorted(EXAMPLES.glob(f"example-{name}-f-qr-code-numeric-value-*.txt"))
    ]


def _card_jws(path: Path) -> list[str]:
    return list(json.loads(path.read_text(encoding="utf-8"))["verifiableCredential"])


def _immunizations(payload: dict[str, Any]) -> list[dict[str, Any]]:
    bundle = payload["vc"]["credentialSubject"]["fhirBundle"]
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Immunization"]


def test_the_issuer_publishes_the_two_example_keys() -> None:
    assert sorted(KEYS) == sorted([KEY_WITHOUT_CHAIN, KEY_WITH_CHAIN])


@pytest.mark.parametrize("name", sorted(CARDS))
def test_each_encoding_of_an_example_card_carries_the_same_jws_and_it_verifies(name: str) -> None:
    kid, chunk_count, _ = CARDS[name]
    jws = _example(name, "d-jws").strip()
    chunks = _qr_chunks(name)
    assert len(chunks) == chunk_count
    assert numeric_qr_to_jws(chunks) == jws
    assert _card_jws(EXAMPLES / f"example-{name}-e-file.smart-health-card") == [jws]

    header, payload = verify_jws(jws, KEYS)

    assert header == {"zip": "DEF", "alg": "ES256", "kid": kid}
    assert payload == json.loads(_example(name, "c-jws-payload-minified"))
    assert payload["iss"] == ISSUER
    assert "https://smarthealth.cards#health-card" in payload["vc"]["type"]


@pytest.mark.parametrize("name", VACCINATION_CARDS)
def test_a_vaccination_card_holds_completed_cvx_doses_with_dates_for_its_patient(name: str) -> None:
    _, payload = verify_jws(numeric_qr_to_jws(_qr_chunks(name)), KEYS)
    bundle = payload["vc"]["credentialSubject"]["fhirBundle"]
    # The signed bundle is the published one, and the expanded payload is the same JSON pretty-printed.
    assert bundle == json.loads(_example(name, "a-fhirBundle"))
    assert json.loads(_example(name, "b-jws-payload-expanded")) == payload
    patients = [e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
    assert patients == ["resource:0"]

    immunizations = _immunizations(payload)
    doses = []
    for immunization in immunizations:
        assert immunization["status"] == "completed"
        assert immunization["patient"] == {"reference": "resource:0"}
        (coding,) = immunization["vaccineCode"]["coding"]
        assert coding["system"] == CVX_SYSTEM
        doses.append((coding["code"], immunization["occurrenceDateTime"]))

    assert doses == CARDS[name][2]
    for code, _ in doses:
        # Moderna's original and bivalent products: both name the same product in sotiem's catalogue.
        assert canonical_cvx(code) == code and catalogue_vaccine(code) == "MODERNA"


def test_the_lab_card_reassembles_from_three_chunks_and_holds_no_immunization() -> None:
    _, payload = verify_jws(numeric_qr_to_jws(_qr_chunks("02")), KEYS)
    types = {e["resource"]["resourceType"] for e in payload["vc"]["credentialSubject"]["fhirBundle"]["entry"]}
    assert "DiagnosticReport" in types and "Immunization" not in types
    with pytest.raises(CardRefused, match="incomplete"):
        numeric_qr_to_jws(_qr_chunks("02")[:2])


@pytest.mark.parametrize("position", [0, 1, "middle", -1])
def test_a_payload_with_one_byte_changed_fails_verification(position: int | str) -> None:
    header_b64, payload_b64, signature_b64 = _example("00", "d-jws").strip().split(".")
    payload = bytearray(_b64url(payload_b64))
    index = len(payload) // 2 if position == "middle" else int(position)
    payload[index] ^= 0x01
    forged = base64.urlsafe_b64encode(bytes(payload)).rstrip(b"=").decode("ascii")
    with pytest.raises(CardRefused, match="signature does not verify"):
        verify_jws(f"{header_b64}.{forged}.{signature_b64}", KEYS)


def test_a_card_is_refused_by_the_key_that_did_not_sign_it() -> None:
    header_b64, payload_b64, signature_b64 = _example("00", "d-jws").strip().split(".")
    header = json.loads(_b64url(header_b64)) | {"kid": KEY_WITH_CHAIN}
    swapped = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode("ascii")
    with pytest.raises(CardRefused, match="signature does not verify"):
        verify_jws(f"{swapped}.{payload_b64}.{signature_b64}", KEYS)


def test_the_revocation_list_revokes_example_03_and_not_example_00() -> None:
    crl = json.loads((SHC / "issuer" / ".well-known" / "crl" / f"{KEY_WITHOUT_CHAIN}.json").read_text())
    assert (crl["kid"], crl["method"]) == (KEY_WITHOUT_CHAIN, "rid")
    # A CRL entry "rid" revokes every card with that rid; "rid.T" only those issued (nbf) before T.
    revoked = dict(entry.partition(".")[::2] for entry in crl["rids"])

    def is_revoked(payload: dict[str, Any]) -> bool:
        rid = payload["vc"].get("rid")
        if rid not in revoked:
            return False
        return not revoked[rid] or payload["nbf"] < int(revoked[rid])

    statuses = {
        name: is_revoked(verify_jws(_example(name, "d-jws").strip(), KEYS)[1]) for name in ("00", "03")
    }
    assert statuses == {"00": False, "03": True}


# The validation SDK's vectors that break the bytes this decoder checks, with the refusal each must get.
# (Its other vectors test issuer URLs, clocks, FHIR profiles and QR images, beyond this decoder; not vendored.)
NEGATIVE_VECTORS = {
    "test-example-00-d-jws-der-signature.txt": "64-byte r\\|\\|s",
    "test-example-00-d-jws-der-signature-r-neg.txt": "64-byte r\\|\\|s",
    "test-example-00-d-jws-der-signature-s-neg.txt": "64-byte r\\|\\|s",
    "test-example-00-d-jws-der-signature-rs-neg.txt": "64-byte r\\|\\|s",
    "test-example-00-d-jws-invalid-signature.txt": "signature does not verify",
    "test-example-00-d-jws-no_jws_header_alg.txt": "alg is not ES256",
    "test-example-00-d-jws-no_jws_header_zip.txt": "zip is not DEF",
    "test-example-00-d-jws-no_jws_header_kid.txt": "no key with this kid",
    "test-example-00-d-jws-issuer-kid-mismatch.txt": "no key with this kid",
    "test-example-00-d-jws-wrong_jws_header_kid.txt": "no key with this kid",
    "test-example-00-d-jws-no_deflate.txt": "zip is not DEF",  # uncompressed payload, header says so
    "test-example-00-e-file-no_deflate.smart-health-card": "zip is not DEF",
    "test-example-00-e-file-invalid_deflate.smart-health-card": "not raw DEFLATE",
    "test-example-00-e-file-multi-jws-issues.smart-health-card": "alg is not ES256",  # the 1st of 2 JWS
    "test-example-00-f-qr-code-numeric-value-0-number-too-big.txt": "above 77",
    "test-example-00-f-qr-code-numeric-value-0-odd-count.txt": "odd number of digits",
    "test-example-00-f-qr-code-numeric-value-0-wrong_qr_header.txt": "shc:/",
}
POSITIVE_VECTORS = ["test-example-00-e-file-multi-jws.smart-health-card"]


def _verify_vector(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".smart-health-card":
        return [verify_jws(jws, KEYS)[1] for jws in _card_jws(path)]
    if "-f-qr-code-" in path.name:
        return [verify_jws(numeric_qr_to_jws([text]), KEYS)[1]]
    return [verify_jws(text.strip(), KEYS)[1]]


@pytest.mark.parametrize("name", sorted(NEGATIVE_VECTORS))
def test_a_broken_card_from_the_validation_sdk_is_refused(name: str) -> None:
    with pytest.raises(CardRefused, match=NEGATIVE_VECTORS[name]):
        _verify_vector(NEGATIVES / name)


@pytest.mark.parametrize("name", POSITIVE_VECTORS)
def test_a_file_with_two_cards_verifies_both(name: str) -> None:
    payloads = _verify_vector(NEGATIVES / name)
    assert len(payloads) == 2 and all(payload["iss"] == ISSUER for payload in payloads)


def test_every_vendored_vector_is_exercised() -> None:
    vendored_vectors = {path.name for path in NEGATIVES.iterdir() if path.name.startswith("test-")}
    assert vendored_vectors == set(NEGATIVE_VECTORS) | set(POSITIVE_VECTORS)
