"""EU Digital COVID Certificate (HC1) core: pure Python, no Django and no database.

Issuing: Signer.from_key(key, kid).sign_claims(...) → Signed(hc1, signature, payload).
Verifying: verify_hc1(text, clock=..., trust={kid: [DSC DER, ...]}) → Verification.
"""

from .base45 import b45decode, b45encode
from .cose import (
    ES256,
    PREFIX,
    PS256,
    ZLIB_LEVEL,
    CoseError,
    Sign1,
    Signed,
    Signer,
    decode_sign1,
    kid_for,
    zlib_compress,
)
from .dsc import USAGE_OIDS, Dsc, load_dsc
from .identity import transliterate_icao, uvci, uvci_check_character, uvci_valid
from .schema import hcert_problem, schema_release, value_set
from .verify import (
    STEPS,
    SignatureError,
    Verification,
    claims_json,
    decompress,
    expiry_problem,
    find_signer,
    jsonable,
    key_usage_problem,
    parse_clock,
    revocation_hashes,
    unprefix,
    verify_hc1,
)

__all__ = [
    "ES256",
    "PREFIX",
    "PS256",
    "STEPS",
    "USAGE_OIDS",
    "ZLIB_LEVEL",
    "CoseError",
    "Dsc",
    "Sign1",
    "SignatureError",
    "Signed",
    "Signer",
    "Verification",
    "b45decode",
    "b45encode",
    "claims_json",
    "decode_sign1",
    "decompress",
    "expiry_problem",
    "find_signer",
    "hcert_problem",
    "jsonable",
    "key_usage_problem",
    "kid_for",
    "load_dsc",
    "parse_clock",
    "revocation_hashes",
    "schema_release",
    "transliterate_icao",
    "unprefix",
    "uvci",
    "uvci_check_character",
    "uvci_valid",
    "value_set",
    "verify_hc1",
    "zlib_compress",
]
