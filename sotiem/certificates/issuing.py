"""From a person's facts to a signed certificate, without the database (so worker processes can run it).

`plan` decides, for each person, whether the current certificate stands, must be replaced (its content changed,
it expires within a month, or its signer can no longer be trusted for its whole life) or must be revoked with
nothing in its place (no dose counts any more); `sign` makes the new ones. Services read the facts and write the
results in bulk.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from sotiem.certificates.hcert import (
    Signer,
    revocation_hashes,
    transliterate_icao,
    uvci,
    uvci_check_character,
)
from sotiem.certificates.keys import load_private
from sotiem.certificates.status import (
    DoseFact,
    Status,
    VaccineRule,
    dcc_vaccination,
    rules_from_catalogue,
    vaccination_status,
)

SCHEMA_VERSION = "1.3.0"
COUNTRY = "VN"
ISSUER_NAME = "Ministry of Health of Viet Nam"
RENEW_BEFORE = dt.timedelta(days=30)
# 32 symbols without 0/O and 1/I (read aloud over the phone); a random byte picks one by its low 5 bits, which
# is uniform because 256 is a multiple of 32: 16 bytes give 80 random bits
_UVCI_SYMBOLS = bytes(b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789"[b % 32] for b in range(256))


class PersonFacts(NamedTuple):
    """What a certificate is made from: the person's name and birth date and all of their doses (a NamedTuple, as
    DoseFact)."""

    person_id: int
    full_name: str
    birth_date: dt.date | None
    birth_precision: str
    doses: tuple[DoseFact, ...]


@dataclass(frozen=True, slots=True)
class Held:
    """The person's latest certificate (the head of their chain), as far as deciding about it needs."""

    certificate_id: int
    fingerprint: str
    expires_at: dt.datetime
    revoked: bool = False  # the head is revoked when no dose counted at its last refresh
    hash_uci: bytes = b""  # the revocation hash the registry looks up, copied when it is revoked


@dataclass(frozen=True, slots=True)
class SignerInfo:
    """The signing key a process signs with (the private key is read from its file once per process)."""

    key_id: int
    kid: bytes
    key_path: str
    not_after: dt.datetime


@dataclass(slots=True)
class Issued:
    """A new certificate, ready to be stored."""

    person_id: int
    uvci: str
    hc1: str
    fingerprint: str
    state: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    hashes: dict[str, bytes]
    replaces: int | None  # the head of the person's chain, revoked or not


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one person's certificates in one pass."""

    issued: list[Issued]
    revoked: list[
        Held
    ]  # current certificates revoked: replaced by an issued one, or none (no dose counts any more)
    kept: int

    @property
    def revoked_only(self) -> list[int]:
        """Certificates revoked with nothing in their place."""
        replaced = {i.replaces for i in self.issued}
        return [h.certificate_id for h in self.revoked if h.certificate_id not in replaced]


def birth_text(birth_date: dt.date | None, precision: str) -> str:
    """The DCC dob: as precise as the registry knows it (1.3.0 allows YYYY and YYYY-MM), empty when unknown."""
    if birth_date is None:
        return ""
    if precision == "year":
        return f"{birth_date.year:04d}"
    if precision == "month":
        return f"{birth_date.year:04d}-{birth_date.month:02d}"
    return birth_date.isoformat()


@lru_cache(maxsize=65536)
def _icao_word(word: str) -> str:
    """One name word in ICAO 9303 letters; cached, since a population shares a few thousand syllables."""
    return transliterate_icao(word)


def holder_name(full_name: str) -> dict[str, str]:
    """The DCC nam: the surname is the family name, the middle and given names together the given names.

    `full_name` is the registry's normalised name (NFC, single spaces, Vietnamese order).
    """
    words = full_name.split()
    if len(words) < 2:
        return {"fnt": _icao_word(full_name)[:80]}
    given = " ".join(words[1:])
    return {
        "fn": words[0][:80],
        "fnt": _icao_word(words[0])[:80],
        "gn": given[:80],
        "gnt": "<".join(filter(None, map(_icao_word, words[1:])))[:80],
    }


def content(facts: PersonFacts, status: Status, rules: Mapping[str, VaccineRule]) -> dict | None:
    """The certificate's hcert without its identifier, or None when no dose counts."""
    entry = dcc_vaccination(status, None, rules)
    if entry is None:
        return None
    entry.update({"co": COUNTRY, "is": ISSUER_NAME})
    return {
        "ver": SCHEMA_VERSION,
        "nam": holder_name(facts.full_name),
        "dob": birth_text(facts.birth_date, facts.birth_precision),
        "v": [entry],
    }


def fingerprint(hcert: dict) -> str:
    """A short hash of what the certificate says (not its identifier): equal content, no reissue.

    `repr` of the hcert as `content` builds it (same keys in the same order every time); a change of that
    order in a later release makes every certificate differ once, which only reissues them.
    """
    return hashlib.sha256(repr(hcert).encode()).hexdigest()[:32]


@lru_cache(maxsize=8)
def _uvci_body_start(issuer: str) -> str:
    """ "URN:UVCI:01:VN:<issuer>/", checked once by building a whole identifier the slow, validating way."""
    sample = uvci(country=COUNTRY, issuer=issuer, opaque="A")
    return sample[: -len("A#") - 1]


def new_uvci(issuer: str) -> str:
    """A fresh certificate identifier with 80 random bits."""
    body = _uvci_body_start(issuer) + secrets.token_bytes(16).translate(_UVCI_SYMBOLS).decode()
    return f"{body}#{uvci_check_character(body)}"


@lru_cache(maxsize=8)
def signer_for(kid: bytes, key_path: str) -> Signer:
    """The signer of a key, loaded once per process."""
    return Signer.from_key(load_private(key_path), kid)


def plan(
    people: Iterable[PersonFacts],
    held: Mapping[int, Held],
    *,
    now: dt.datetime,
    signer: SignerInfo,
    validity: dt.timedelta,
    issuer: str,
    on: dt.date,
    force: bool = False,
) -> Outcome:
    """Decide and sign, for each person: keep, replace (revoking the old) or revoke their certificate.

    `force` replaces even unchanged certificates (a signing key that must no longer be trusted).
    """
    # the loop makes many small objects and no reference cycles: the cyclic collector would only rescan them
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _plan(
            people, held, now=now, signer=signer, validity=validity, issuer=issuer, on=on, force=force
        )
    finally:
        if collecting:
            gc.enable()


def _plan(
    people: Iterable[PersonFacts],
    held: Mapping[int, Held],
    *,
    now: dt.datetime,
    signer: SignerInfo,
    validity: dt.timedelta,
    issuer: str,
    on: dt.date,
    force: bool,
) -> Outcome:
    rules = rules_from_catalogue()
    sign = signer_for(signer.kid, signer.key_path)
    expires = min(now + validity, signer.not_after)
    issued_at, expires_ts = int(now.timestamp()), int(expires.timestamp())
    issued: list[Issued] = []
    revoked: list[Held] = []
    kept = 0
    for facts in people:
        status = vaccination_status(facts.doses, rules, on=on)
        hcert = content(facts, status, rules)
        head = held.get(facts.person_id)
        current = None if head is None or head.revoked else head
        if hcert is None:
            if current is not None:
                revoked.append(current)
            continue
        mark = fingerprint(hcert)
        if (
            not force
            and current is not None
            and current.fingerprint == mark
            and current.expires_at - now > RENEW_BEFORE
        ):
            kept += 1
            continue
        ci = new_uvci(issuer)
        hcert["v"][0]["ci"] = ci
        signed = sign.sign_claims(issuer=COUNTRY, issued_at=issued_at, expires_at=expires_ts, hcert=hcert)
        issued.append(
            Issued(
                person_id=facts.person_id,
                uvci=ci,
                hc1=signed.hc1,
                fingerprint=mark,
                state=status.state,
                issued_at=now,
                expires_at=expires,
                hashes=revocation_hashes(uci=ci, country=COUNTRY, signature=signed.signature),
                replaces=head.certificate_id if head else None,
            )
        )
        if current is not None:
            revoked.append(current)
    return Outcome(issued=issued, revoked=revoked, kept=kept)
