"""The pure HC1 core: base45, names and UVCIs, the signer, revocation hashes and every verification step."""

import datetime as dt
import hashlib
import os
import struct
import zlib

import base45 as base45_package
import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from sotiem.certificates.hcert import (
    ES256,
    PS256,
    STEPS,
    b45decode,
    b45encode,
    check_hcert,
    decode_sign1,
    hcert_problem,
    kid_for,
    parse_clock,
    revocation_hashes,
    schema_release,
    transliterate_icao,
    uvci,
    uvci_check_character,
    uvci_valid,
    verify_hc1,
)
from sotiem.certificates.hcert.cose import Signer, bstr_head, sig_structure, zlib_compress

UTC = dt.UTC
START = dt.datetime(2025, 1, 1, tzinfo=UTC)
ISSUED = int((START + dt.timedelta(days=1)).timestamp())
EXPIRES = ISSUED + 365 * 86400
CLOCK = START + dt.timedelta(days=30)
VACCINATION_OID = x509.ObjectIdentifier("1.3.6.1.4.1.1847.2021.1.2")
TEST_OID = x509.ObjectIdentifier("1.3.6.1.4.1.1847.2021.1.1")
OLD_ARC_VACCINATION_OID = x509.ObjectIdentifier("1.3.6.1.4.1.0.1847.2021.1.2")


def make_dsc(key=None, *, usages=None, not_before=START, days=730):
    """A self-signed document signer certificate: (private key, DER)."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.COMMON_NAME, "DSC")]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + dt.timedelta(days=days))
    )
    if usages is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    return key, builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def vaccination(**changes):
    """A realistic DCC 1.3.0 vaccination payload of a Vietnamese citizen."""
    entry = {
        "tg": "840539006",
        "vp": "J07BX03",
        "mp": "EU/1/20/1528",
        "ma": "ORG-100030215",
        "dn": 2,
        "sd": 2,
        "dt": "2021-09-01",
        "co": "VN",
        "is": "Bo Y te Viet Nam",
        "ci": uvci(issuer="BYT", opaque="7F3A9C2E41D08B65"),
    }
    entry.update(changes)
    family, given_names = "Nguyễn", "Thị Minh Khai"
    return {
        "ver": "1.3.0",
        "nam": {
            "fn": family,
            "fnt": transliterate_icao(family),
            "gn": given_names,
            "gnt": transliterate_icao(given_names),
        },
        "dob": "1990-01-31",
        "v": [entry],
    }


@pytest.fixture(scope="module")
def issuer():
    """A P-256 DSC with its signer and trust list."""
    key, der = make_dsc()
    signer = Signer.from_key(key, kid_for(der))
    return signer, {kid_for(der): [der]}


def sign(signer, hcert=None, *, issued_at=ISSUED, expires_at=EXPIRES):
    return signer.sign_claims(
        issuer="VN", issued_at=issued_at, expires_at=expires_at, hcert=hcert or vaccination()
    )


def hc1_of(cose: bytes) -> str:
    return "HC1:" + b45encode(zlib.compress(cose, 9))


def cose_sign1(key, payload: bytes, *, protected: dict, unprotected: dict | None = None, tag=True, alg=ES256):
    """A COSE_Sign1 built by hand (for header and tagging variants our signer never produces)."""
    protected_bytes = cbor2.dumps(protected) if protected else b""
    to_sign = cbor2.dumps(["Signature1", protected_bytes, b"", payload])
    if alg == PS256:
        signature = key.sign(to_sign, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    else:
        r, s = decode_dss_signature(key.sign(to_sign, ec.ECDSA(hashes.SHA256())))
        size = (key.curve.key_size + 7) // 8
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    body = [protected_bytes, unprotected or {}, payload, signature]
    return cbor2.dumps(cbor2.CBORTag(18, body) if tag else body)


def claims(hcert=None, **changes):
    payload = {1: "VN", 4: EXPIRES, 6: ISSUED, -260: {1: hcert or vaccination()}}
    payload.update(changes)
    return cbor2.dumps(payload)


# ---- base45 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"AB", "BB8"),
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
        (b"", ""),
    ],
)
def test_base45_matches_the_rfc_9285_examples(data, text):
    assert b45encode(data) == text
    assert b45decode(text) == data


def test_base45_encodes_every_two_byte_chunk_as_the_rfc_defines():
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    every_chunk = struct.pack(">65536H", *range(65536))
    expected = "".join(alphabet[n % 45] + alphabet[n // 45 % 45] + alphabet[n // 2025] for n in range(65536))
    assert b45encode(every_chunk) == expected
    assert b45decode(expected) == every_chunk


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=1200))
def test_base45_round_trips_and_agrees_with_the_base45_package(data):
    text = b45encode(data)
    assert text == base45_package.b45encode(data).decode()
    assert b45decode(text) == data


@pytest.mark.parametrize(
    "text",
    ["A", "ABCD", "aB8", "BB#", "ÄB8", "GGW", "ZZZ", "::::", "GG", "BB8\n", "BBé"],
    ids=[
        "one-char",
        "length-4",
        "lower-case",
        "hash",
        "non-ascii",
        "65536",
        "72485",
        "tail-overflow",
        "tail-736",
        "newline",
        "accent",
    ],
)
def test_base45_decode_refuses_what_rfc_9285_does_not_allow(text):
    with pytest.raises(ValueError):
        b45decode(text)


# ---- names and UVCIs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "mrz"),
    [
        ("Nguyễn", "NGUYEN"),
        ("Thị Minh Khai", "THI<MINH<KHAI"),
        ("Đặng Văn Lâm", "DANG<VAN<LAM"),
        ("Trương Mỹ Lan", "TRUONG<MY<LAN"),
        ("Lê Thị Hồng Gấm", "LE<THI<HONG<GAM"),
        ("  Phạm   Ngọc Ánh ", "PHAM<NGOC<ANH"),
        ("d'Červenková Panklová", "DCERVENKOVA<PANKLOVA"),
        ("Jiřina-Maria Alena", "JIRINA<MARIA<ALENA"),
        ("Musterfrau-Gößinger", "MUSTERFRAU<GOESSINGER"),
        ("СТАМО ГЕОРГИЕВ", "STAMO<GEORGIEV"),
        ("Μενεξές", "MENEXES"),
    ],
)
def test_names_are_transliterated_as_icao_9303_wants(name, mrz):
    assert transliterate_icao(name) == mrz


@given(st.text(max_size=200))
def test_a_transliterated_name_always_fits_the_dcc_schema(name):
    mrz = transliterate_icao(name)
    assert len(mrz) <= 80
    assert set(mrz) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ<")


@pytest.mark.parametrize(
    "text",
    [
        "URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B",
        "URN:UVCI:01:DK:B986830007345F99AE898FB82C6C61F2#A",
        "URN:UVCI:01:GR:7UXL2ZTSS6KUZAF2XAAA3A4C4I#E",
        "URN:UVCI:01:HU:242100001023540659V1T20210614180542#S",
        "URN:UVCI:01:FR:Y4996KBJ4Q3Q#:",
        "URN:UVCI:01:FR:P4LU2647E8HN#/",
        "URN:UVCI:01:SM:112#N",
    ],
)
def test_uvcis_of_other_countries_carry_the_check_character_we_compute(text):
    assert uvci_valid(text)


def test_a_vietnamese_uvci_is_valid_and_a_changed_character_is_caught():
    text = uvci(issuer="BYT", opaque="7F3A9C2E41D08B65")
    assert text.startswith("URN:UVCI:01:VN:BYT/7F3A9C2E41D08B65#")
    assert text[-1] == uvci_check_character(text[:-2])
    assert uvci_valid(text)
    assert not uvci_valid(text.replace("7F3A", "7F3B"))
    assert not uvci_valid(text[:-2])  # no check character


@pytest.mark.parametrize(
    "parts",
    [
        {"issuer": "byt", "opaque": "1"},
        {"issuer": "BYT", "opaque": "A-1"},
        {"issuer": "BYT", "opaque": "9" * 80},
        {"issuer": "BYT", "opaque": "1", "country": "VNM"},
    ],
)
def test_uvci_refuses_parts_outside_its_alphabet_or_length(parts):
    with pytest.raises(ValueError):
        uvci(**parts)


# ---- signing ----------------------------------------------------------------------------------------------


def test_the_signer_emits_a_tagged_cose_sign1_with_the_kid_in_the_protected_header(issuer):
    signer, _ = issuer
    signed = sign(signer)
    assert signed.hc1.startswith("HC1:")
    compressed = b45decode(signed.hc1[4:])
    assert compressed[:2] == b"\x78\x01"  # zlib, level 0 by default (see ZLIB_LEVEL)
    cose = cbor2.loads(zlib.decompress(compressed))
    assert cose.tag == 18
    protected, unprotected, payload, signature = cose.value
    assert cbor2.loads(protected) == {1: ES256, 4: signer.kid}
    assert dict(unprotected) == {}
    assert payload == signed.payload
    assert signature == signed.signature and len(signature) == 64
    assert cbor2.loads(payload) == {1: "VN", 4: EXPIRES, 6: ISSUED, -260: {1: vaccination()}}


def test_the_signature_covers_the_cose_sig_structure(issuer):
    signer, _ = issuer
    signed = sign(signer)
    to_be_signed = cbor2.dumps(["Signature1", signer.protected, b"", signed.payload])
    r, s = int.from_bytes(signed.signature[:32], "big"), int.from_bytes(signed.signature[32:], "big")
    signer.key.public_key().verify(encode_dss_signature(r, s), to_be_signed, ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("length", [0, 23, 24, 255, 256, 65535, 65536])
def test_byte_string_heads_match_cbor2_at_every_size_boundary(length):
    payload = bytes(length)
    assert bstr_head(length) + payload == cbor2.dumps(payload)
    assert sig_structure(b"\xa1\x01\x26", payload) == cbor2.dumps(
        ["Signature1", b"\xa1\x01\x26", b"", payload]
    )


@pytest.mark.parametrize("size", [0, 1, 200, 65534, 65535, 65536, 140000])
def test_zlib_output_is_a_standard_stream(size):
    data = (os.urandom(200) + b"URN:UVCI:01:VN:BYT/" * 10) * (size // 390 + 1)
    data = data[:size]
    for level in (0, 1, 9):
        packed = zlib_compress(data, level)
        assert (
            zlib.decompress(packed) == data
            and packed[0] == 0x78
            and int.from_bytes(packed[:2], "big") % 31 == 0
        )
    assert zlib_compress(data, 0) == zlib_compress(data)  # stored is the default
    if 0 < size <= 1000:  # certificate sizes (zlib itself splits larger inputs into smaller blocks)
        assert zlib_compress(data, 0)[2:-4] == zlib.compress(data, 0)[2:-4]  # the block zlib itself stores


def test_sign_many_signs_each_item(issuer):
    signer, trust = issuer
    items = [
        {"issuer": "VN", "issued_at": ISSUED, "expires_at": EXPIRES, "hcert": vaccination(dn=n)}
        for n in (1, 2)
    ]
    signed = signer.sign_many(items)
    results = [verify_hc1(one.hc1, clock=CLOCK, trust=trust) for one in signed]
    assert [result.payload["hcert"]["v"][0]["dn"] for result in results] == [1, 2]


def test_the_signer_refuses_other_curves_short_kids_and_backwards_validity(issuer):
    with pytest.raises(ValueError):
        Signer.from_key(ec.generate_private_key(ec.SECP384R1()), b"12345678")
    with pytest.raises(ValueError):
        Signer.from_key(ec.generate_private_key(ec.SECP256R1()), b"1234")
    with pytest.raises(ValueError):
        sign(issuer[0], issued_at=EXPIRES, expires_at=ISSUED)


def test_the_kid_is_the_start_of_the_certificate_fingerprint():
    _, der = make_dsc()
    assert kid_for(der) == hashlib.sha256(der).digest()[:8]


# ---- revocation hashes ------------------------------------------------------------------------------------


def test_revocation_hashes_follow_the_dcc_revocation_hash_types():
    uci = "URN:UVCI:01:VN:BYT/7F3A9C2E41D08B65#K"
    signature = bytes(range(64))
    hashes_ = revocation_hashes(uci=uci, country="VN", signature=signature)
    assert hashes_ == {
        "UCI": hashlib.sha256(uci.encode()).digest()[:16],
        "COUNTRYCODEUCI": hashlib.sha256(("VN" + uci).encode()).digest()[:16],
        "SIGNATURE": hashlib.sha256(signature[:32]).digest()[:16],  # ECDSA: the r value only
    }
    rsa_signature = bytes(range(256))
    assert (
        revocation_hashes(uci=uci, country="VN", signature=rsa_signature, alg=PS256)["SIGNATURE"]
        == (hashlib.sha256(rsa_signature).digest()[:16])
    )


def test_verification_reports_the_revocation_hashes_of_the_certificate(issuer):
    signer, trust = issuer
    signed = sign(signer)
    result = verify_hc1(signed.hc1, clock=CLOCK, trust=trust)
    uci = vaccination()["v"][0]["ci"]
    assert result.hashes == revocation_hashes(uci=uci, country="VN", signature=signed.signature)


# ---- clocks -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-05-30T13:38:51.828334", "2021-05-30T13:38:51.828334+00:00"),
        ("2021-06-18T23:59:59+03:00", "2021-06-18T20:59:59+00:00"),
        ("2021-06-14T09:00:00Z", "2021-06-14T09:00:00+00:00"),
        ("2021-06-14T12:39:36.067Z", "2021-06-14T12:39:36.067000+00:00"),
        ("2021-07-02T07:42:23+0000", "2021-07-02T07:42:23+00:00"),
        ("2021-05-21T12:37:40.206113Z", "2021-05-21T12:37:40.206113+00:00"),
        ("2021-10-01T00:20:55", "2021-10-01T00:20:55+00:00"),
        ("2021-05-21T12:33:45.419+02:00", "2021-05-21T10:33:45.419000+00:00"),
        ("2021-06-27T16:07:54.889525+03:00", "2021-06-27T13:07:54.889525+00:00"),
        ("2021-06-08T20:17:27.9906293Z", "2021-06-08T20:17:27.990629+00:00"),
        ("2022-01-18T11:21:00.375+0000", "2022-01-18T11:21:00.375000+00:00"),
        ("2021-05-18T16:46:13.402912100Z", "2021-05-18T16:46:13.402912+00:00"),
        ("2021-06-09T18:33:10.0361019+03:00", "2021-06-09T15:33:10.036101+00:00"),
        ("2021-06-16T15:33:59.7342+03:00", "2021-06-16T12:33:59.734200+00:00"),
    ],
)
def test_every_validation_clock_shape_of_the_test_vectors_parses(text, expected):
    assert parse_clock(text).astimezone(UTC).isoformat() == expected


def test_a_clock_that_is_not_a_timestamp_is_refused():
    with pytest.raises(ValueError):
        parse_clock("yesterday")


# ---- verification, step by step ---------------------------------------------------------------------------


def test_a_certificate_we_issued_verifies_with_its_claims_as_json(issuer):
    signer, trust = issuer
    result = verify_hc1(sign(signer).hc1, clock=CLOCK, trust=trust)
    assert result.valid and result.step is None
    assert result.kid == signer.kid
    assert result.payload["iss"] == "VN"
    assert result.payload["iat"] == "2025-01-02T00:00:00Z"
    assert result.payload["exp"] == "2026-01-02T00:00:00Z"
    assert result.payload["hcert"] == vaccination()


def test_the_steps_are_named_in_pipeline_order():
    assert STEPS == (
        "prefix",
        "base45",
        "zlib",
        "cose",
        "kid",
        "signature",
        "key-usage",
        "expiry",
        "schema",
        "revocation",
    )


@pytest.mark.parametrize("prefix", ["HC2:", "HL0:", "hc1:", ""])
def test_another_context_identifier_fails_at_prefix(issuer, prefix):
    signer, trust = issuer
    result = verify_hc1(prefix + sign(signer).hc1[4:], clock=CLOCK, trust=trust)
    assert (result.valid, result.step) == (False, "prefix")


def test_a_character_outside_base45_fails_at_base45(issuer):
    signer, trust = issuer
    text = sign(signer).hc1
    assert verify_hc1(text[:10] + "a" + text[11:], clock=CLOCK, trust=trust).step == "base45"


@pytest.mark.parametrize("packing", ["none", "truncated", "raw-deflate"])
def test_missing_or_broken_zlib_fails_at_zlib_without_falling_back(issuer, packing):
    signer, trust = issuer
    cose = zlib.decompress(b45decode(sign(signer).hc1[4:]))
    data = {
        "none": cose,
        "truncated": zlib.compress(cose)[:-8],
        "raw-deflate": zlib.compress(cose)[2:-4],
    }[packing]
    assert verify_hc1("HC1:" + b45encode(data), clock=CLOCK, trust=trust).step == "zlib"


@pytest.mark.parametrize(
    "cose",
    [
        b"\xff\xff",
        cbor2.dumps(cbor2.CBORTag(18, [b"", {}, b""])),
        cbor2.dumps(cbor2.CBORTag(98, [b"", {}, b"", b""])),
        cbor2.dumps(cbor2.CBORTag(18, [b"", {}, cbor2.dumps({1: "VN"}), b""])),
        cbor2.dumps(cbor2.CBORTag(18, [b"", {}, cbor2.dumps([1, 2]), b""])),
    ],
    ids=["not-cbor", "three-items", "sign-tag-98", "no-hcert-claim", "payload-not-a-map"],
)
def test_a_malformed_cose_message_fails_at_cose(issuer, cose):
    assert verify_hc1(hc1_of(cose), clock=CLOCK, trust=issuer[1]).step == "cose"


@pytest.mark.parametrize("wrapping", ["untagged", "cwt-tag"])
def test_untagged_and_cwt_tagged_cose_messages_verify(issuer, wrapping):
    signer, trust = issuer
    signed = sign(signer)
    body = [signer.protected, {}, signed.payload, signed.signature]
    item = body if wrapping == "untagged" else cbor2.CBORTag(61, cbor2.CBORTag(18, body))
    assert verify_hc1(hc1_of(cbor2.dumps(item)), clock=CLOCK, trust=trust).valid


def test_a_kid_only_in_the_unprotected_header_is_used():
    key, der = make_dsc()
    cose = cose_sign1(key, claims(), protected={1: ES256}, unprotected={4: kid_for(der)})
    assert verify_hc1(hc1_of(cose), clock=CLOCK, trust={kid_for(der): [der]}).valid


def test_the_protected_kid_wins_over_a_wrong_unprotected_one():
    key, der = make_dsc()
    kid = kid_for(der)
    good = cose_sign1(key, claims(), protected={1: ES256, 4: kid}, unprotected={4: b"wrongkid"})
    bad = cose_sign1(key, claims(), protected={1: ES256, 4: b"wrongkid"}, unprotected={4: kid})
    assert verify_hc1(hc1_of(good), clock=CLOCK, trust={kid: [der]}).valid
    assert verify_hc1(hc1_of(bad), clock=CLOCK, trust={kid: [der]}).step == "kid"


def test_a_message_without_any_kid_fails_at_kid():
    key, der = make_dsc()
    cose = cose_sign1(key, claims(), protected={1: ES256})
    assert verify_hc1(hc1_of(cose), clock=CLOCK, trust={kid_for(der): [der]}).step == "kid"


def test_every_certificate_sharing_a_kid_is_tried(issuer):
    signer, trust = issuer
    ((kid, (der,)),) = trust.items()
    _, stranger = make_dsc()
    result = verify_hc1(sign(signer).hc1, clock=CLOCK, trust={kid: [stranger, b"not a certificate", der]})
    assert result.valid


def test_a_signature_by_another_key_under_our_kid_fails_at_signature(issuer):
    signer, trust = issuer
    impostor = Signer.from_key(ec.generate_private_key(ec.SECP256R1()), signer.kid)
    assert verify_hc1(sign(impostor).hc1, clock=CLOCK, trust=trust).step == "signature"


def test_an_rsa_pss_signature_verifies():
    key, der = make_dsc(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    cose = cose_sign1(key, claims(), protected={1: PS256, 4: kid_for(der)}, alg=PS256)
    assert verify_hc1(hc1_of(cose), clock=CLOCK, trust={kid_for(der): [der]}).valid


def test_an_algorithm_that_does_not_fit_the_key_fails_at_signature():
    key, der = make_dsc()
    mislabelled = cose_sign1(key, claims(), protected={1: PS256, 4: kid_for(der)})
    unknown = cose_sign1(key, claims(), protected={1: -8, 4: kid_for(der)})
    for cose in (mislabelled, unknown):
        assert verify_hc1(hc1_of(cose), clock=CLOCK, trust={kid_for(der): [der]}).step == "signature"


def test_a_der_encoded_ecdsa_signature_fails_at_signature():
    key, der = make_dsc()
    protected = cbor2.dumps({1: ES256, 4: kid_for(der)})
    payload = claims()
    der_signature = key.sign(cbor2.dumps(["Signature1", protected, b"", payload]), ec.ECDSA(hashes.SHA256()))
    cose = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, der_signature]))
    assert verify_hc1(hc1_of(cose), clock=CLOCK, trust={kid_for(der): [der]}).step == "signature"


@pytest.mark.parametrize(
    ("usages", "valid"),
    [
        (None, True),
        ([VACCINATION_OID], True),
        ([OLD_ARC_VACCINATION_OID], True),
        ([TEST_OID, VACCINATION_OID], True),
        ([TEST_OID], False),
        ([ExtendedKeyUsageOID.SERVER_AUTH], False),
    ],
    ids=["no-eku", "vaccination", "vaccination-old-arc", "test-and-vaccination", "test-only", "no-dcc-oid"],
)
def test_the_extended_key_usage_must_allow_a_vaccination_certificate(usages, valid):
    key, der = make_dsc(usages=usages)
    signer = Signer.from_key(key, kid_for(der))
    result = verify_hc1(sign(signer).hc1, clock=CLOCK, trust={kid_for(der): [der]})
    assert (result.valid, result.step) == (valid, None if valid else "key-usage")


@pytest.mark.parametrize(
    ("clock", "not_before", "expires_at", "reason"),
    [
        (dt.datetime.fromtimestamp(EXPIRES + 1, UTC), START, EXPIRES, "expired"),
        (START, START, EXPIRES, "issued in the future"),
        (CLOCK, START + dt.timedelta(days=2), EXPIRES, "issued before its signer certificate was valid"),
        (
            CLOCK,
            START,
            int((START + dt.timedelta(days=800)).timestamp()),
            "expires after its signer certificate",
        ),
    ],
    ids=["expired", "not-yet-issued", "before-dsc", "outlives-dsc"],
)
def test_validity_outside_the_certificate_or_signer_window_fails_at_expiry(
    clock, not_before, expires_at, reason
):
    key, der = make_dsc(not_before=not_before)
    signer = Signer.from_key(key, kid_for(der))
    result = verify_hc1(sign(signer, expires_at=expires_at).hc1, clock=clock, trust={kid_for(der): [der]})
    assert (result.step, result.reason) == ("expiry", reason)
    assert result.payload is not None  # the signature was good: the holder can still be shown what it says


def test_a_naive_clock_is_read_as_utc(issuer):
    signer, trust = issuer
    assert verify_hc1(sign(signer).hc1, clock=CLOCK.replace(tzinfo=None), trust=trust).valid


@pytest.mark.parametrize(
    "hcert",
    [
        vaccination(dn=0),
        vaccination(dn="2"),
        vaccination(mp=""),
        vaccination(dt="2021-02-30"),
        vaccination(dt="01/09/2021"),
        {**vaccination(), "dob": "31/01/1990"},
        {key: value for key, value in vaccination().items() if key != "dob"},
        {**vaccination(), "v": [{key: value for key, value in vaccination()["v"][0].items() if key != "ci"}]},
        {**vaccination(), "t": [{"tg": "840539006"}]},
    ],
    ids=[
        "dose-0",
        "dose-as-text",
        "empty-product",
        "no-such-day",
        "not-iso-8601",
        "bad-dob",
        "no-dob",
        "no-ci",
        "two-types",
    ],
)
def test_a_dcc_outside_what_the_specification_makes_mandatory_fails_at_schema(issuer, hcert):
    signer, trust = issuer
    result = verify_hc1(sign(signer, hcert).hc1, clock=CLOCK, trust=trust)
    assert (result.valid, result.step, result.warnings) == (False, "schema", ()), result.reason


@pytest.mark.parametrize(
    ("changes", "path", "code", "words"),
    [
        ({"mp": "EU/1/99/9999"}, "/v/0/mp", "value-set", "vaccine-medicinal-product"),
        ({"ma": "ORG-1000030215"}, "/v/0/ma", "value-set", "vaccine-mah-manf"),
        ({"co": "XX"}, "/v/0/co", "value-set", "country-2-codes"),
        (
            {"dt": "2021-09-01T10:00:00+07:00"},
            "/v/0/dt",
            "format",
            "a date-time where the schema says a date",
        ),
        ({"dt": "2021-09-01T10:00:00"}, "/v/0/dt", "format", "a date-time where the schema says a date"),
    ],
    ids=[
        "unknown-product",
        "unknown-manufacturer",
        "unknown-country",
        "date-time-for-date",
        "naive-date-time",
    ],
)
def test_a_value_set_or_format_deviation_is_a_warning_beside_a_valid_result(
    issuer, changes, path, code, words
):
    signer, trust = issuer
    result = verify_hc1(sign(signer, vaccination(**changes)).hc1, clock=CLOCK, trust=trust)
    assert (result.valid, result.step, result.reason) == (True, None, "valid, with warnings")
    ((warning),) = result.warnings
    with translation.override("en"):
        assert (warning.path, warning.code) == (path, code) and words in str(warning.reason)


def test_every_deviation_is_reported_not_only_the_first(issuer):
    signer, trust = issuer
    hcert = vaccination(mp="EU/1/99/9999", ma="Gamaleya Centre", dt="2021-09-01T10:00:00Z")
    result = verify_hc1(sign(signer, hcert).hc1, clock=CLOCK, trust=trust)
    assert result.valid and [(w.path, w.code) for w in result.warnings] == [
        ("/v/0/dt", "format"),
        ("/v/0/mp", "value-set"),
        ("/v/0/ma", "value-set"),
    ]


def test_a_certificate_with_warnings_is_still_refused_when_revoked_or_expired(issuer):
    signer, trust = issuer
    hc1 = sign(signer, vaccination(ma="ORG-1000030215")).hc1
    revoked = verify_hc1(hc1, clock=CLOCK, trust=trust, is_revoked=lambda hashes: True)
    assert (revoked.valid, revoked.step, len(revoked.warnings)) == (False, "revocation", 1)
    expired = verify_hc1(hc1, clock=CLOCK + dt.timedelta(days=400), trust=trust)
    assert (expired.valid, expired.step) == (False, "expiry")


def test_a_certificate_we_issue_carries_no_warning(issuer):
    signer, trust = issuer
    result = verify_hc1(sign(signer).hc1, clock=CLOCK, trust=trust)
    assert (result.valid, result.reason, result.warnings) == (True, "valid", ())


def test_schema_checks_can_be_switched_off(issuer):
    signer, trust = issuer
    hc1 = sign(signer, vaccination(dn=0)).hc1
    assert verify_hc1(hc1, clock=CLOCK, trust=trust, check_schema=False).valid


def test_an_unknown_rapid_antigen_device_is_a_warning_a_missing_one_fails_and_a_pcr_test_needs_none():
    person = {key: value for key, value in vaccination().items() if key != "v"}
    pcr = {
        "tg": "840539006",
        "tt": "LP6464-4",
        "sc": "2021-09-01T10:00:00Z",
        "tr": "260415000",
        "tc": "BV Bach Mai",
        "co": "VN",
        "is": "Bo Y te Viet Nam",
        "ci": uvci(issuer="BYT", opaque="T1"),
        "ma": "",
    }
    assert check_hcert({**person, "t": [pcr]}) == (None, ())
    rat = {**pcr, "tt": "LP217198-3", "ma": "9999"}
    problem, (warning,) = check_hcert({**person, "t": [rat]})
    assert problem is None and (warning.path, warning.code) == ("/t/0/ma", "value-set")
    with translation.override("en"):
        assert "rapid antigen" in str(warning.reason)
    assert "kháng nguyên nhanh" in str(warning.reason)  # Vietnamese, the registry's default
    assert check_hcert({**person, "t": [{**rat, "ma": "1232"}]}) == (None, ())
    assert "no device" in hcert_problem({**person, "t": [{**rat, "ma": ""}]})


@pytest.mark.parametrize(
    ("ver", "release"),
    [
        ("1.3.0", "1.3.0"),
        ("1.0.4", "1.0.1"),
        ("9.0.0", "1.3.3"),
        ("0.9.0", "1.0.0"),
        ("x", "1.3.3"),
        (None, "1.3.3"),
    ],
)
def test_the_schema_release_is_the_declared_one_or_the_nearest_older(ver, release):
    assert schema_release(ver) == release


def test_a_revoked_certificate_fails_at_revocation(issuer):
    signer, trust = issuer
    signed = sign(signer)
    revoked = revocation_hashes(uci=vaccination()["v"][0]["ci"], country="VN", signature=signed.signature)[
        "UCI"
    ]
    result = verify_hc1(signed.hc1, clock=CLOCK, trust=trust, is_revoked=lambda h: h["UCI"] == revoked)
    assert (result.valid, result.step) == (False, "revocation")


def test_decoding_handles_cbor2_frozendicts_inside_tags(issuer):
    signer, _ = issuer
    sign1 = decode_sign1(zlib.decompress(b45decode(sign(signer).hc1[4:])))
    assert sign1.kid == signer.kid and sign1.alg == ES256
    assert sign1.hcert["v"][0]["dn"] == 2


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_verification_never_raises_on_a_spoiled_certificate(issuer, data):
    signer, trust = issuer
    text = sign(signer).hc1
    cose = bytearray(zlib.decompress(b45decode(text[4:])))
    for _ in range(data.draw(st.integers(1, 4))):
        cose[data.draw(st.integers(0, len(cose) - 1))] = data.draw(st.integers(0, 255))
    spoiled = data.draw(st.sampled_from([hc1_of(bytes(cose)), text[: data.draw(st.integers(0, len(text)))]]))
    result = verify_hc1(spoiled, clock=CLOCK, trust=trust)
    assert result.step in STEPS or result.valid


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.binary(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.text(max_size=3) | st.integers(), inner, max_size=3)
        ),
        max_leaves=20,
    )
)
def test_verification_never_raises_on_arbitrary_cbor(issuer, item):
    assert not verify_hc1(hc1_of(cbor2.dumps(item)), clock=CLOCK, trust=issuer[1]).valid
    payload = cbor2.dumps({1: item, 4: item, 6: item, -260: {1: {"v": item, "ver": item}}})
    cose = cbor2.dumps(cbor2.CBORTag(18, [issuer[0].protected, {4: item}, payload, b"\0" * 64]))
    assert verify_hc1(hc1_of(cose), clock=CLOCK, trust=issuer[1]).step in ("cose", "signature")


@pytest.mark.parametrize("level", [0, 6, 9])
def test_every_zlib_level_gives_a_standard_stream_that_verifies(issuer, level):
    signer, trust = issuer
    signed = sign(Signer.from_key(signer.key, signer.kid, zlib_level=level))
    compressed = b45decode(signed.hc1[4:])
    assert compressed[:2] == {0: b"\x78\x01", 6: b"\x78\x9c", 9: b"\x78\xda"}[level]
    assert zlib.decompress(compressed)[:1] == b"\xd2"
    assert verify_hc1(signed.hc1, clock=CLOCK, trust=trust).valid


def test_a_zlib_level_outside_0_to_9_is_refused(issuer):
    with pytest.raises(ValueError):
        Signer.from_key(issuer[0].key, issuer[0].kid, zlib_level=10)
