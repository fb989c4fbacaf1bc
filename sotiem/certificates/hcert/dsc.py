"""Document signer certificates (DSCs): public key, validity and DCC key usages, parsed once per DER."""

import functools
from dataclasses import dataclass
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .cose import ES256, PS256

# Extended key usages that limit a DSC to certificate types; both arcs occur in the wild.
USAGE_OIDS = {
    "t": frozenset({"1.3.6.1.4.1.1847.2021.1.1", "1.3.6.1.4.1.0.1847.2021.1.1"}),
    "v": frozenset({"1.3.6.1.4.1.1847.2021.1.2", "1.3.6.1.4.1.0.1847.2021.1.2"}),
    "r": frozenset({"1.3.6.1.4.1.1847.2021.1.3", "1.3.6.1.4.1.0.1847.2021.1.3"}),
}

# An extended key usage that no parser can read allows no certificate type (it names no DCC OID).
UNREADABLE_USAGES = frozenset({"unreadable"})


@dataclass(frozen=True, slots=True)
class Dsc:
    """What verification needs from one signer certificate."""

    public_key: Any
    not_before: float
    not_after: float
    usages: frozenset[str] | None  # None when the certificate has no (or an empty) extended key usage
    signature_length: int  # of a raw r||s ECDSA signature by this key; 0 for RSA

    def may_sign(self, kind: str) -> bool:
        """Whether the extended key usage allows this certificate type ('v', 't' or 'r')."""
        if self.usages is None:
            return True
        # An EKU with none of the DCC OIDs allows nothing (vector IS/3), not everything.
        return bool(self.usages & USAGE_OIDS[kind])

    def accepts(self, alg: int) -> bool:
        """Whether the key fits the COSE algorithm: ES256 needs an EC key, PS256 an RSA key."""
        # RFC 9053 only recommends P-256 for ES256; Spanish DSCs (vectors ES/401-403) sign ES256 with P-384.
        if alg == ES256:
            return isinstance(self.public_key, ec.EllipticCurvePublicKey)
        return alg == PS256 and isinstance(self.public_key, rsa.RSAPublicKey)


def _usages(certificate: x509.Certificate, der: bytes) -> frozenset[str] | None:
    """The extended key usage OIDs, read leniently."""
    try:
        extension = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        return None
    except ValueError:
        # cryptography refuses some real DSCs (an explicit DEFAULT cA=FALSE, an empty EKU); asn1crypto reads them.
        try:
            oids = asn1_x509.Certificate.load(der).extended_key_usage_value
        except Exception:  # asn1crypto parses lazily and raises several types on malformed input
            return UNREADABLE_USAGES
        found = frozenset(oid.dotted for oid in oids or ())
    else:
        found = frozenset(oid.dotted_string for oid in extension.value)
    # An EKU listing no purpose at all (vector CO15) restricts nothing, like an absent one.
    return found or None


@functools.lru_cache(maxsize=4096)
def load_dsc(der: bytes) -> Dsc:
    """Parse a DER signer certificate (cached: trust lists hand the same bytes over and over)."""
    try:
        certificate = x509.load_der_x509_certificate(der)
        key = certificate.public_key()
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise ValueError(f"unreadable signer certificate ({error})") from None
    return Dsc(
        public_key=key,
        not_before=certificate.not_valid_before_utc.timestamp(),
        not_after=certificate.not_valid_after_utc.timestamp(),
        usages=_usages(certificate, der),
        signature_length=2 * ((key.curve.key_size + 7) // 8)
        if isinstance(key, ec.EllipticCurvePublicKey)
        else 0,
    )
