"""COSE_Sign1 / CWT for HC1: the fast ES256 signer and a tolerant decoder of what other issuers send.

The signer never builds CBOR for the envelope: the protected header and the constant heads of the
Sig_structure and of the COSE_Sign1 array are computed once per key, so signing one certificate is one
cbor2 call for the claims, one ECDSA signature, byte concatenation, zlib and base45.
"""

import functools
import hashlib
import struct
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature

from .base45 import b45encode

PREFIX = "HC1:"
ES256 = -7
PS256 = -37
HEADER_ALG = 1
HEADER_KID = 4
CLAIM_ISS = 1
CLAIM_EXP = 4
CLAIM_IAT = 6
CLAIM_HCERT = -260
TAG_COSE_SIGN1 = 18
TAG_CWT = 61
KID_LENGTH = 8

# zlib level: 0 (stored deflate blocks), chosen by measurement. The result is a standard zlib stream
# (RFC 1950/1951, header 78 DA) that every inflater reads; DCC payloads barely compress (the 505 official
# test vectors shrink 0.5% on average, ours ~0.3%: 533.1 vs 534.5 base45 characters), while deflating at
# any level 1-9 (6 and 9 give identical bytes and cost) took ~40% of the issuing throughput in our bulk
# measurements (6,750 vs 9,200 certificates/s median, 9,400 vs 13,700 best). Signer.from_key(...,
# zlib_level=9) gives what other issuers emit. The deflate state uses a 2 KB window (more than any DCC;
# the largest official vector is 870 bytes) and memLevel 2, avoiding ~10 us of allocation per call, and
# is framed by hand with the usual zlib header (78 01 / 78 9C / 78 DA) for readers that sniff for 0x78.
ZLIB_LEVEL = 0
_DEFLATE_WBITS = -11
_DEFLATE_MEMLEVEL = 2


def _zlib_header(level: int) -> bytes:
    """RFC 1950 header: deflate with a 32 KB window declared (an upper bound), FLEVEL as zlib sets it."""
    flevel = 0 if level < 2 else 1 if level < 6 else 2 if level == 6 else 3
    flags = flevel << 6
    return bytes((0x78, flags + 31 - (0x7800 + flags) % 31))


_ZLIB_HEADERS = [_zlib_header(level) for level in range(10)]

# the Sig_structure is hashed with hashlib and the digest signed as such: the same ES256 signature, ~5 us less per
# certificate than letting cryptography hash it (46,000 vs 64,000 signatures a second measured here)
_ECDSA_PREHASHED_SHA256 = ec.ECDSA(Prehashed(hashes.SHA256()))
_SIGNATURE_HEAD = b"\x58\x40"  # bstr of 64 bytes: raw r || s


def bstr_head(length: int) -> bytes:
    """The CBOR head of a byte string of this length."""
    if length < 24:
        return bytes((0x40 | length,))
    if length < 0x100:
        return bytes((0x58, length))
    if length < 0x10000:
        return b"\x59" + length.to_bytes(2, "big")
    return b"\x5a" + length.to_bytes(4, "big")


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """The COSE Sig_structure ["Signature1", protected, b"", payload] that is signed (RFC 9052 4.4)."""
    return (
        b"\x84\x6aSignature1"
        + bstr_head(len(protected))
        + protected
        + b"\x40"
        + bstr_head(len(payload))
        + payload
    )


def zlib_compress(data: bytes, level: int = ZLIB_LEVEL) -> bytes:
    """A zlib stream (RFC 1950) of data: stored blocks framed by hand at level 0, else a small deflate state."""
    if level == 0:
        body = _stored_blocks(data)
    else:
        packer = zlib.compressobj(level, zlib.DEFLATED, _DEFLATE_WBITS, _DEFLATE_MEMLEVEL)
        body = packer.compress(data) + packer.flush()
    return _ZLIB_HEADERS[level] + body + zlib.adler32(data).to_bytes(4, "big")


_STORED_MAX = 0xFFFF


def _stored_blocks(data: bytes) -> bytes:
    """Deflate stored blocks (RFC 1951 3.2.4): a header byte, LEN and its complement, then the bytes as they are.

    What zlib's level 0 emits, without making a deflate state for it (a third of the zlib step's time)."""
    size = len(data)
    if size <= _STORED_MAX:
        return b"\x01" + _LEN_NLEN.pack(size, size ^ 0xFFFF) + data
    blocks = []
    for start in range(0, size, _STORED_MAX):
        chunk = data[start : start + _STORED_MAX]
        final = b"\x01" if start + _STORED_MAX >= size else b"\x00"
        blocks.append(final + _LEN_NLEN.pack(len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    return b"".join(blocks)


_LEN_NLEN = struct.Struct("<HH")


def kid_for(certificate_der: bytes) -> bytes:
    """The DCC key identifier of a signer certificate: the first 8 bytes of SHA-256 over its DER."""
    return hashlib.sha256(certificate_der).digest()[:KID_LENGTH]


class Signed(NamedTuple):
    """One issued certificate: the QR text, the raw r||s signature and the signed CWT claims (CBOR)."""

    hc1: str
    signature: bytes
    payload: bytes


@dataclass(frozen=True, slots=True)
class Signer:
    """An ES256 HC1 signer bound to one P-256 key and its kid, with the per-key bytes precomputed."""

    key: ec.EllipticCurvePrivateKey
    kid: bytes
    protected: bytes
    sig_prefix: bytes
    cose_prefix: bytes
    zlib_level: int = ZLIB_LEVEL

    @classmethod
    def from_key(
        cls, private_key: ec.EllipticCurvePrivateKey, kid: bytes, *, zlib_level: int = ZLIB_LEVEL
    ) -> "Signer":
        """Build a signer; the kid is normally kid_for(DSC DER). zlib_level: see ZLIB_LEVEL (0 stores, 9 as others)."""
        if not 0 <= zlib_level <= 9:
            raise ValueError("zlib level is 0-9")
        if not isinstance(private_key, ec.EllipticCurvePrivateKey) or private_key.curve.name != "secp256r1":
            raise ValueError("ES256 needs a P-256 private key")
        if len(kid) != KID_LENGTH:
            raise ValueError(f"a DCC kid is {KID_LENGTH} bytes")
        protected = cbor2.dumps({HEADER_ALG: ES256, HEADER_KID: bytes(kid)})
        head = bstr_head(len(protected)) + protected
        return cls(
            key=private_key,
            kid=bytes(kid),
            protected=protected,
            sig_prefix=b"\x84\x6aSignature1" + head + b"\x40",
            # tag 18, array of 4, protected bstr, empty unprotected map
            cose_prefix=b"\xd2\x84" + head + b"\xa0",
            zlib_level=zlib_level,
        )

    def sign_claims(
        self, *, issuer: str, issued_at: int, expires_at: int, hcert: Mapping[str, Any]
    ) -> Signed:
        """Sign the CWT {1: iss, 4: exp, 6: iat, -260: {1: hcert}} and return it as an HC1 QR text."""
        if expires_at <= issued_at:
            raise ValueError("a certificate must expire after it is issued")
        payload = cbor2.dumps(
            {CLAIM_ISS: issuer, CLAIM_EXP: expires_at, CLAIM_IAT: issued_at, CLAIM_HCERT: {1: hcert}}
        )
        head = bstr_head(len(payload))
        digest = hashlib.sha256(self.sig_prefix + head + payload).digest()
        r, s = decode_dss_signature(self.key.sign(digest, _ECDSA_PREHASHED_SHA256))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        packed = zlib_compress(
            self.cose_prefix + head + payload + _SIGNATURE_HEAD + signature, self.zlib_level
        )
        return Signed(hc1=PREFIX + b45encode(packed), signature=signature, payload=payload)

    def sign_many(self, items: Iterable[Mapping[str, Any]]) -> list[Signed]:
        """Sign many claim sets, each a mapping of sign_claims' keyword arguments."""
        sign = self.sign_claims
        return [sign(**item) for item in items]


class CoseError(ValueError):
    """The bytes are not a COSE_Sign1 carrying a CWT with an hcert claim."""


@dataclass(frozen=True, slots=True)
class Sign1:
    """A decoded COSE_Sign1: the raw protected header and payload as signed, and what they hold."""

    protected_raw: bytes
    protected: Mapping
    unprotected: Mapping
    payload_raw: bytes
    signature: bytes
    claims: Mapping

    @property
    def kid(self) -> bytes | None:
        """The kid of the protected header, else of the unprotected one (as the DCC test vectors require)."""
        kid = self.protected.get(HEADER_KID)
        if kid is None:
            kid = self.unprotected.get(HEADER_KID)
        return kid if type(kid) is bytes else None

    @property
    def alg(self) -> Any:
        """The algorithm of the protected header, else of the unprotected one."""
        alg = self.protected.get(HEADER_ALG)
        return self.unprotected.get(HEADER_ALG) if alg is None else alg

    @property
    def hcert(self) -> Mapping:
        """The DCC itself (claim -260, key 1)."""
        return self.claims[CLAIM_HCERT][1]

    def signed_bytes(self) -> bytes:
        """The Sig_structure the signature covers."""
        return sig_structure(self.protected_raw, self.payload_raw)


_MAP_TYPES = (dict, cbor2.frozendict, MappingProxyType)


def is_map(value: Any) -> bool:
    """Whether a decoded CBOR item is a map (cbor2 gives dict, or frozendict inside tags)."""
    return type(value) in _MAP_TYPES or isinstance(value, Mapping)


@functools.lru_cache(maxsize=256)
def _protected_header(data: bytes) -> Any:
    """A decoded protected header; cached because every certificate of one signer carries the same bytes."""
    header = _cbor(data, "the protected header")
    return MappingProxyType(header) if type(header) is dict else header  # read-only: the cache shares it


def _cbor(data: bytes, what: str) -> Any:
    """Decode one CBOR item, turning any decoder failure into a CoseError."""
    try:
        return cbor2.loads(data)
    except Exception as error:  # the decoder raises several types on hostile input
        raise CoseError(f"{what} is not valid CBOR ({error.__class__.__name__})") from None


def decode_sign1(data: bytes) -> Sign1:
    """Decode a COSE_Sign1 that is tagged 18, untagged, or wrapped as 61(18(...)), and its CWT claims."""
    item = _cbor(data, "the COSE message")
    if isinstance(item, cbor2.CBORTag) and item.tag == TAG_CWT:
        item = item.value
    if isinstance(item, cbor2.CBORTag):
        if item.tag != TAG_COSE_SIGN1:
            raise CoseError(f"CBOR tag {item.tag} is not COSE_Sign1")
        item = item.value
    if not isinstance(item, list | tuple) or len(item) != 4:
        raise CoseError("COSE_Sign1 must be an array of four items")
    protected_raw, unprotected, payload_raw, signature = item
    if type(protected_raw) is not bytes or type(payload_raw) is not bytes or type(signature) is not bytes:
        raise CoseError("COSE_Sign1 protected header, payload and signature must be byte strings")
    if not is_map(unprotected):
        raise CoseError("COSE_Sign1 unprotected header must be a map")
    protected = _protected_header(protected_raw) if protected_raw else {}
    if not is_map(protected):
        raise CoseError("the protected header must be a map")
    claims = _cbor(payload_raw, "the CWT payload")
    if not is_map(claims):
        raise CoseError("the CWT payload must be a map")
    container = claims.get(CLAIM_HCERT)
    if not is_map(container) or not is_map(container.get(1)):
        raise CoseError("the CWT has no hcert claim (-260: {1: DCC})")
    return Sign1(protected_raw, protected, unprotected, payload_raw, signature, claims)
