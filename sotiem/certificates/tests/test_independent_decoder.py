"""A certificate issued by our Signer, read back by a decoder that shares no code with sotiem.

The decoding half uses only cbor2, zlib, the PyPI base45 package and cryptography, following the EU
DCC specification (HC1: prefix, base45, zlib, COSE_Sign1 tag 18, ES256 with raw r||s, CWT claims).
The second half runs the same kind of certificate, spoiled in one way each, through verify_hc1.
"""

import datetime as dt
import hashlib
import zlib

import base45
import cbor2
import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

START = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
ISSUED = int(START.timestamp()) + 3600
EXPIRES = ISSUED + 180 * 86400
CLOCK = START + dt.timedelta(days=7)
DCC = {
    "ver": "1.3.0",
    "nam": {"fn": "Trần", "fnt": "TRAN", "gn": "Văn Đức", "gnt": "VAN<DUC"},
    "dob": "1985-07-15",
    "v": [
        {
            "tg": "840539006",
            "vp": "J07BX03",
            "mp": "EU/1/21/1529",
            "ma": "ORG-100001699",
            "dn": 1,
            "sd": 2,
            "dt": "2021-08-20",
            "co": "VN",
            "is": "Bo Y te Viet Nam",
            "ci": "URN:UVCI:01:VN:BYT/0042A7#S",
        }
    ],
}


@pytest.fixture(scope="module")
def dsc():
    """An EC P-256 key and a self-signed X.509 signer certificate for it (DER), made as the other HC1 tests do."""
    from sotiem.certificates.tests.test_hcert import make_dsc

    return make_dsc(not_before=START, days=365)


def issue(dsc, hcert=DCC, *, expires_at=EXPIRES):
    """Issue with the code under test (the issuing half, with the `dsc` fixture, is the one that imports sotiem)."""
    from sotiem.certificates.hcert import Signer

    key, der = dsc
    signer = Signer.from_key(key, hashlib.sha256(der).digest()[:8])
    return signer.sign_claims(issuer="VN", issued_at=ISSUED, expires_at=expires_at, hcert=hcert)


def decode_independently(text: str, certificate_der: bytes) -> dict:
    """Read and check an HC1 text per the DCC specification, without any sotiem code."""
    assert text.startswith("HC1:")
    cose = cbor2.loads(zlib.decompress(base45.b45decode(text[4:])))
    assert isinstance(cose, cbor2.CBORTag) and cose.tag == 18
    protected_bytes, unprotected, payload, signature = cose.value
    protected = cbor2.loads(protected_bytes)
    assert protected[1] == -7  # ES256
    certificate = x509.load_der_x509_certificate(certificate_der)
    assert protected[4] == hashlib.sha256(certificate_der).digest()[:8]
    assert len(signature) == 64
    signed = cbor2.dumps(["Signature1", protected_bytes, b"", payload])
    der_signature = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    certificate.public_key().verify(der_signature, signed, ec.ECDSA(hashes.SHA256()))  # raises if forged
    return {"unprotected": dict(unprotected), "claims": cbor2.loads(payload), "signature": signature}


def test_an_independent_decoder_reads_and_verifies_what_we_issue(dsc):
    signed = issue(dsc)
    decoded = decode_independently(signed.hc1, dsc[1])
    assert decoded["unprotected"] == {}
    assert decoded["claims"] == {1: "VN", 4: EXPIRES, 6: ISSUED, -260: {1: DCC}}
    assert decoded["signature"] == signed.signature
    assert cbor2.dumps(decoded["claims"]) == signed.payload


def test_the_independent_decoder_rejects_a_forged_signature(dsc):
    other = ec.generate_private_key(ec.SECP256R1())
    forged = issue((other, dsc[1]))
    with pytest.raises(InvalidSignature):
        decode_independently(forged.hc1, dsc[1])


# ---- the same certificate, spoiled, through verify_hc1 -------------------------------------------------


def verify(text, dsc, **options):
    from sotiem.certificates.hcert import verify_hc1

    der = dsc[1]
    return verify_hc1(
        text, clock=options.pop("clock", CLOCK), trust={hashlib.sha256(der).digest()[:8]: [der]}, **options
    )


def repack(text: str, change) -> str:
    """Unwrap an HC1 text to its COSE bytes, change them, and wrap them again."""
    cose = zlib.decompress(base45.b45decode(text[4:]))
    return "HC1:" + base45.b45encode(zlib.compress(change(cose))).decode()


def test_the_issued_certificate_verifies(dsc):
    assert verify(issue(dsc).hc1, dsc).valid


def test_one_changed_payload_byte_fails_at_signature(dsc):
    signed = issue(dsc)
    at = zlib.decompress(base45.b45decode(signed.hc1[4:])).find(b"Bo Y te")  # inside the signed payload
    tampered = repack(signed.hc1, lambda cose: cose[:at] + b"b" + cose[at + 1 :])
    result = verify(tampered, dsc)
    assert (result.valid, result.step) == (False, "signature")


def test_a_wrong_prefix_fails_at_prefix(dsc):
    assert verify("HC2:" + issue(dsc).hc1[4:], dsc).step == "prefix"


def test_an_expired_certificate_fails_at_expiry(dsc):
    result = verify(issue(dsc).hc1, dsc, clock=dt.datetime.fromtimestamp(EXPIRES + 60, dt.UTC))
    assert (result.step, result.reason) == ("expiry", "expired")


def test_an_unknown_kid_fails_at_kid(dsc):
    from sotiem.certificates.hcert import verify_hc1

    result = verify_hc1(issue(dsc).hc1, clock=CLOCK, trust={b"\x00" * 8: [dsc[1]]})
    assert result.step == "kid"


@pytest.mark.parametrize("change", [{"dn": 0}, {"mp": ""}], ids=["dose-0", "empty-product"])
def test_a_schema_invalid_payload_fails_at_schema(dsc, change):
    hcert = {**DCC, "v": [{**DCC["v"][0], **change}]}
    assert verify(issue(dsc, hcert).hc1, dsc).step == "schema"


def test_a_made_up_product_is_a_warning_beside_a_valid_result(dsc):
    hcert = {**DCC, "v": [{**DCC["v"][0], "mp": "EU/1/21/0000"}]}
    result = verify(issue(dsc, hcert).hc1, dsc)
    assert result.valid and [(w.path, w.code) for w in result.warnings] == [("/v/0/mp", "value-set")]


def test_a_revoked_certificate_fails_at_revocation(dsc):
    signed = issue(dsc)
    revoked_uci = hashlib.sha256(DCC["v"][0]["ci"].encode()).digest()[:16]
    result = verify(signed.hc1, dsc, is_revoked=lambda hashes_: hashes_["UCI"] == revoked_uci)
    assert (result.valid, result.step) == (False, "revocation")
