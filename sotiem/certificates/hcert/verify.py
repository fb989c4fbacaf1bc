"""HC1 verification: prefix → base45 → zlib → COSE → kid → signature → key usage → expiry → schema → revocation.

Each step either passes or ends verification with its name and a short reason, so callers (and the DCC
conformance runner) can tell exactly where a certificate failed. The schema step fails only what the DCC
specification makes mandatory; format and value-set deviations it leaves to business rules come back as
warnings beside valid=True (see schema.py).
"""

import hashlib
import re
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature

from .base45 import b45decode
from .cose import (
    CLAIM_EXP,
    CLAIM_IAT,
    CLAIM_ISS,
    ES256,
    PREFIX,
    PS256,
    CoseError,
    Sign1,
    decode_sign1,
    is_map,
)
from .dsc import Dsc, load_dsc
from .schema import SchemaWarning, check_hcert

STEPS = (
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
KINDS = ("v", "t", "r")
MAX_COSE_BYTES = 64 * 1024  # a QR code holds under 3 KB; anything that inflates past this is hostile

_PREHASHED_ES256 = ec.ECDSA(Prehashed(hashes.SHA256()))
_PSS_SHA256 = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of verify_hc1: valid, or the first failing step and why.

    payload and hashes are set once the signature is verified (also when a later step fails, so an
    expired certificate can still be shown); kid is set once the COSE message is decoded; warnings are the
    schema step's deviations left to business rules (also on a revoked certificate).
    """

    valid: bool
    step: str | None
    reason: str
    payload: dict[str, Any] | None = None
    kid: bytes | None = None
    hashes: dict[str, bytes] | None = None
    warnings: tuple[SchemaWarning, ...] = ()


class SignatureError(ValueError):
    """No signer certificate of the kid verifies the signature."""


def unprefix(text: str) -> str:
    """The base45 text after the 'HC1:' context identifier; other contexts (HC2:, HL0:, none) are refused."""
    if not text.startswith(PREFIX):
        raise ValueError("not an HC1 certificate: the 'HC1:' prefix is missing")
    return text[len(PREFIX) :]


def decompress(data: bytes) -> bytes:
    """Inflate a zlib stream; a broken, truncated, absent or oversized stream raises ValueError."""
    unpacker = zlib.decompressobj()
    try:
        inflated = unpacker.decompress(data, MAX_COSE_BYTES)
    except zlib.error as error:
        raise ValueError(f"not zlib-compressed ({error})") from None
    if not unpacker.eof:
        raise ValueError("zlib stream is truncated or too large")
    return inflated


def _verifies(dsc: Dsc, alg: int, signature: bytes, signed: bytes, digest: bytes) -> bool:
    """Whether one signer certificate's key verifies the signature."""
    try:
        if alg == PS256:
            dsc.public_key.verify(signature, signed, _PSS_SHA256, hashes.SHA256())
            return True
        half = len(signature) // 2
        if len(signature) != dsc.signature_length:
            return False
        der = encode_dss_signature(
            int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
        )
        dsc.public_key.verify(der, digest, _PREHASHED_ES256)
        return True
    except InvalidSignature:
        return False


def find_signer(sign1: Sign1, certificates: Sequence[bytes]) -> Dsc:
    """The first certificate of the kid whose key verifies the signature (several DSCs may share a kid)."""
    alg = sign1.alg
    if alg not in (ES256, PS256):
        raise SignatureError(f"unsupported algorithm {alg!r} (ES256 and PS256 only)")
    signed = sign1.signed_bytes()
    digest = hashlib.sha256(signed).digest() if alg == ES256 else b""
    for der in certificates:
        try:
            dsc = load_dsc(der)
        except ValueError:
            continue
        if dsc.accepts(alg) and _verifies(dsc, alg, sign1.signature, signed, digest):
            return dsc
    raise SignatureError("the signature does not verify with the signer certificate(s) of this kid")


def kinds_of(hcert: Mapping[str, Any]) -> list[str]:
    """The certificate types an hcert carries: 'v' (vaccination), 't' (test), 'r' (recovery)."""
    return [kind for kind in KINDS if kind in hcert]


def key_usage_problem(hcert: Mapping[str, Any], dsc: Dsc) -> str | None:
    """Why the signer certificate may not sign this certificate type; None when it may."""
    kinds = kinds_of(hcert)
    if not kinds:
        return "the certificate has no vaccination, test or recovery entry"
    for kind in kinds:
        if not dsc.may_sign(kind):
            return f"the signer certificate's extended key usage does not allow type '{kind}'"
    return None


def _seconds(value: Any) -> float | None:
    """A CWT NumericDate as seconds, or None if it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def expiry_problem(claims: Mapping[int, Any], dsc: Dsc, clock: float) -> str | None:
    """Why DSC.notBefore <= iat <= clock <= exp <= DSC.notAfter fails; None when it holds."""
    issued_at, expires_at = _seconds(claims.get(CLAIM_IAT)), _seconds(claims.get(CLAIM_EXP))
    if issued_at is None or expires_at is None:
        return "the certificate has no valid iat or exp claim"
    if issued_at < dsc.not_before:
        return "issued before its signer certificate was valid"
    if issued_at > clock:
        return "issued in the future"
    if clock > expires_at:
        return "expired"
    if expires_at > dsc.not_after:
        return "expires after its signer certificate"
    return None


def revocation_hashes(*, uci: str, country: str, signature: bytes, alg: int = ES256) -> dict[str, bytes]:
    """The three DCC revocation hashes: the first 16 bytes of SHA-256 over the UCI, the country + UCI, and the signature.

    Confirmed against the EU DCC revocation design (DCC revocation list, hash types) as implemented by the
    Corona-Warn-App: UCI hashes the UVCI exactly as in the certificate (prefix 'URN:UVCI:' and '#check'
    included); COUNTRYCODEUCI hashes the CWT issuer (claim 1) immediately followed by the UVCI; SIGNATURE
    hashes the first half of an ES256 signature (the r value, 32 bytes) and the whole of an RSA-PSS one.
    All strings are UTF-8; each hash is SHA-256 truncated to 128 bits.
    """
    signed = signature[: len(signature) // 2] if alg == ES256 else signature
    return {
        "UCI": hashlib.sha256(uci.encode()).digest()[:16],
        "COUNTRYCODEUCI": hashlib.sha256((country + uci).encode()).digest()[:16],
        "SIGNATURE": hashlib.sha256(signed).digest()[:16],
    }


def _uci(hcert: Mapping[str, Any]) -> str | None:
    """The UVCI (ci) of the certificate's first entry, if it has a readable one."""
    for kind in kinds_of(hcert):
        entries = hcert[kind]
        if type(entries) in (list, tuple) and entries and is_map(entries[0]):
            uci = entries[0].get("ci")
            return uci if isinstance(uci, str) else None
    return None


def _hashes_of(sign1: Sign1, hcert: Mapping[str, Any]) -> dict[str, bytes]:
    """The revocation hashes a certificate yields (only SIGNATURE when it lacks a UVCI or an issuer)."""
    alg = sign1.alg if sign1.alg in (ES256, PS256) else ES256
    uci = _uci(hcert)
    country = sign1.claims.get(CLAIM_ISS)
    if isinstance(uci, str) and isinstance(country, str):
        return revocation_hashes(uci=uci, country=country, signature=sign1.signature, alg=alg)
    signed = sign1.signature[: len(sign1.signature) // 2] if alg == ES256 else sign1.signature
    return {"SIGNATURE": hashlib.sha256(signed).digest()[:16]}


_SCALARS = frozenset({str, int, float, bool, type(None)})


def jsonable(value: Any) -> Any:
    """CBOR-decoded data as plain JSON types: maps → dict, arrays → list, dates → ISO strings, bytes → hex."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    # Leaves are tested inline: a DCC is mostly strings, and a call per leaf would double the cost.
    if kind is dict or isinstance(value, Mapping):
        return {
            key if type(key) is str else str(key): item if type(item) in _SCALARS else jsonable(item)
            for key, item in value.items()
        }
    if kind is list or kind is tuple:
        return [item if type(item) in _SCALARS else jsonable(item) for item in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    if hasattr(value, "tag") and hasattr(value, "value"):  # an unknown CBOR tag: keep what it wraps
        return jsonable(value.value)
    return None if value.__class__.__name__ == "UndefinedType" else str(value)


def _numeric_date(value: Any) -> Any:
    """A CWT NumericDate as an ISO 8601 UTC string ('2025-01-31T08:00:00Z'); anything else as JSON."""
    seconds = _seconds(value)
    if seconds is None:
        return jsonable(value)
    try:
        moment = time.gmtime(seconds)  # strftime is several times slower
        return "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*moment[:6])
    except (OverflowError, OSError, ValueError):
        return jsonable(value)


def claims_json(sign1: Sign1) -> dict[str, Any]:
    """The CWT claims as JSON: iss, iat and exp (ISO 8601 UTC strings) and the hcert."""
    claims = sign1.claims
    return {
        "iss": jsonable(claims.get(CLAIM_ISS)),
        "iat": _numeric_date(claims.get(CLAIM_IAT)),
        "exp": _numeric_date(claims.get(CLAIM_EXP)),
        "hcert": jsonable(sign1.hcert),
    }


_CLOCK = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:[.,](\d+))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)


def parse_clock(text: str) -> datetime:
    """An aware datetime from an ISO 8601 timestamp: naive means UTC, 'Z'/+02:00/+0200, any fraction length."""
    match = _CLOCK.fullmatch(text.strip())
    if not match:
        raise ValueError(f"not an ISO 8601 timestamp: {text!r}")
    day, hours, fraction, zone = match.groups()
    if len(hours) == 5:
        hours += ":00"
    micro = (fraction or "")[:6].ljust(6, "0")  # Python reads at most microseconds
    if zone is None or zone.upper() == "Z":
        offset = "+00:00"
    else:
        digits = zone[1:].replace(":", "").ljust(4, "0")
        offset = f"{zone[0]}{digits[:2]}:{digits[2:]}"
    return datetime.fromisoformat(f"{day}T{hours}.{micro}{offset}")


def _failed(step: str, reason: str, **known: Any) -> Verification:
    """A failed verification at step."""
    return Verification(valid=False, step=step, reason=reason, **known)


def verify_hc1(
    text: str,
    *,
    clock: datetime,
    trust: Mapping[bytes, Sequence[bytes]],
    is_revoked: Callable[[dict[str, bytes]], bool] | None = None,
    check_schema: bool = True,
) -> Verification:
    """Verify an HC1 QR text against a trust list (kid → DER signer certificates) at a given clock."""
    if not text.startswith(PREFIX):
        return _failed("prefix", "not an HC1 certificate: the 'HC1:' prefix is missing")
    try:
        compressed = b45decode(text[len(PREFIX) :])
    except ValueError as error:
        return _failed("base45", f"invalid base45: {error}")
    try:
        raw = decompress(compressed)
    except ValueError as error:
        return _failed("zlib", str(error))
    try:
        sign1 = decode_sign1(raw)
    except CoseError as error:
        return _failed("cose", str(error))
    kid = sign1.kid
    if kid is None:
        return _failed("kid", "the COSE headers carry no kid")
    certificates = trust.get(kid)
    if not certificates:
        return _failed("kid", f"unknown signer: no certificate for kid {kid.hex()}", kid=kid)
    try:
        dsc = find_signer(sign1, certificates)
    except SignatureError as error:
        return _failed("signature", str(error), kid=kid)
    hcert = sign1.hcert
    payload = claims_json(sign1)
    hashes = _hashes_of(sign1, hcert)
    known: dict[str, Any] = {"payload": payload, "kid": kid, "hashes": hashes}
    if problem := key_usage_problem(hcert, dsc):
        return _failed("key-usage", problem, **known)
    moment = (clock if clock.tzinfo else clock.replace(tzinfo=UTC)).timestamp()
    if problem := expiry_problem(sign1.claims, dsc, moment):
        return _failed("expiry", problem, **known)
    if check_schema:
        schema = check_hcert(payload["hcert"])
        if schema.problem:
            return _failed("schema", schema.problem, **known)
        known["warnings"] = schema.warnings
    if is_revoked is not None and is_revoked(hashes):
        return _failed("revocation", "the certificate is revoked", **known)
    if known.get("warnings"):
        return Verification(valid=True, step=None, reason="valid, with warnings", **known)
    return Verification(valid=True, step=None, reason="valid", **known)
