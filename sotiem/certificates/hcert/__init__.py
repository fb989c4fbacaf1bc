"""EU Digital COVID Certificate (HC1) core: pure Python, no Django and no database.

Issuing: Signer.from_key(key, kid).sign_claims(...) → Signed(hc1, signature, payload).
Verifying: verify_hc1(text, clock=..., trust={kid: [DSC DER, ...]}) → Verification (valid, or the failing step;
with the warnings the DCC specification leaves to business rules).
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
from .schema import (
    FORMAT,
    VALUE_SET,
    SchemaCheck,
    SchemaWarning,
    check_hcert,
    hcert_problem,
    schema_release,
    value_set,
)
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
    "FORMAT",
    "PREFIX",
    "PS256",
    "STEPS",
    "USAGE_OIDS",
    "VALUE_SET",
    "ZLIB_LEVEL",
    "CoseError",
    "Dsc",
    "SchemaCheck",
    "SchemaWarning",
    "Sign1",
    "SignatureError",
    "Signed",
    "Signer",
    "Verification",
    "b45decode",
    "b45encode",
    "check_hcert",
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
