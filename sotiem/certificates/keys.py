"""Making signing keys: a country signing CA (CSCA) and document signers (DSC) under it, as the EU DCC trust model has.

Private keys are written as PEM files (mode 0600) in `SOTIEM_SIGNING_KEY_DIR`, outside the database; the database
holds only the DSC certificate and the file's path. The CSCA key is made once and kept beside them; in production
the CSCA lives offline and only the DSC keys are mounted on the registry.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sotiem.certificates.hcert import kid_for

# The EU DCC extended key usages a signer may carry: test, vaccination, recovery (OID arc of the eHN guidelines)
DCC_KEY_USAGE = [x509.ObjectIdentifier(f"1.3.6.1.4.1.1847.2021.1.{n}") for n in (1, 2, 3)]
CSCA_FILE = "csca"
ORGANISATION = "Bo Y te Viet Nam (Ministry of Health)"


@dataclass(frozen=True)
class MadeKey:
    """A new document signer: its certificate (DER), its kid and the PEM file holding its private key."""

    certificate_der: bytes
    kid: str
    key_path: Path
    not_before: dt.datetime
    not_after: dt.datetime


def kid_of(der: bytes) -> bytes:
    """The EU DCC key identifier: the first 8 bytes of the SHA-256 of the signer certificate."""
    return kid_for(der)


def kid_text(kid: bytes) -> str:
    return base64.b64encode(kid).decode()


def _write_private(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)


def load_private(path: str | Path) -> ec.EllipticCurvePrivateKey:
    """The private key of a PEM file (ES256 only)."""
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError(f"{path}: not a P-256 private key")
    return key


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _csca(directory: Path, now: dt.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The country signing CA of this registry, made on first use (valid 10 years)."""
    key_file, cert_file = directory / f"{CSCA_FILE}.key.pem", directory / f"{CSCA_FILE}.crt.pem"
    if key_file.exists() and cert_file.exists():
        return load_private(key_file), x509.load_pem_x509_certificate(cert_file.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("sotiem CSCA VN")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(key_file, key)
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def make_signer(directory: Path, *, now: dt.datetime, days: int) -> MadeKey:
    """A new document signer valid `days` from `now`, certified by the CSCA, its private key written to a file."""
    ca_key, ca_cert = _csca(directory, now)
    key = ec.generate_private_key(ec.SECP256R1())
    not_after = min(now + dt.timedelta(days=days), ca_cert.not_valid_after_utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"sotiem DSC VN {now:%Y%m%d%H%M%S}"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(DCC_KEY_USAGE), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    kid = kid_text(kid_of(der))
    path = directory / f"dsc-{kid_of(der).hex()}.key.pem"
    _write_private(path, key)
    return MadeKey(certificate_der=der, kid=kid, key_path=path, not_before=now, not_after=not_after)
