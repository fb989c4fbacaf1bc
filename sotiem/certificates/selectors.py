"""Reads for certificates: the facts they are made from, the trust list and the revocation list."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.utils import timezone

from sotiem.certificates.issuing import Held, PersonFacts
from sotiem.certificates.keys import kid_of
from sotiem.certificates.models import Certificate, Revocation, SigningKey
from sotiem.certificates.status import DoseFact
from sotiem.immunizations.models import Dose, Vaccine
from sotiem.people.models import Person, PersonStatus


@functools.lru_cache(maxsize=1)
def vaccine_codes() -> dict[int, str]:
    """Catalogue id → code (the catalogue is reference data: ids never change)."""
    return dict(Vaccine.objects.values_list("id", "code"))


def _facts(doses: Iterable[tuple[Any, ...]], persons: Iterable[tuple[Any, ...]]) -> list[PersonFacts]:
    codes = vaccine_codes()
    held: dict[int, list[DoseFact]] = defaultdict(list)
    for person_id, public_id, vaccine_id, on, status, reason in doses:
        held[person_id].append(DoseFact(str(public_id), codes.get(vaccine_id, ""), on, status, reason))
    active = PersonStatus.ACTIVE
    return [
        PersonFacts(pid, name, born, precision, tuple(held.get(pid, ())) if status == active else ())
        for pid, name, born, precision, status in persons
    ]


DOSE_FACT_COLUMNS = ("person_id", "public_id", "vaccine_id", "administered_on", "status", "status_reason")
PERSON_FACT_COLUMNS = ("id", "full_name", "birth_date", "birth_precision", "status")


def person_facts(person_ids: Iterable[int]) -> list[PersonFacts]:
    """Each person's name, birth date and doses (all statuses: the status engine says why one does not count)."""
    ids = sorted(set(person_ids))
    doses = (
        Dose.objects.filter(person_id__in=ids)
        .order_by("person_id", "administered_on", "id")
        .values_list(*DOSE_FACT_COLUMNS)
    )
    return _facts(
        doses.iterator(chunk_size=5000),
        Person.objects.filter(id__in=ids).order_by("id").values_list(*PERSON_FACT_COLUMNS),
    )


def _uuid_text(column: str) -> str:
    """SQL giving a UUID column as its canonical text (what str(uuid) gives), on either database."""
    if connection.vendor == "postgresql":
        return f"{column}::text"
    # SQLite keeps Django's UUIDs as 32 hex digits
    return "||'-'||".join(
        f"substr({column}, {start}, {length})"
        for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
    )


def person_facts_range(first_id: int, last_id: int) -> list[PersonFacts]:
    """`person_facts` of every person with first_id ≤ id ≤ last_id (the bulk reissue reads by id ranges, which
    the (person, date) index of doses serves without a list of ids). Plain SQL: the reissue reads a million
    persons' doses, and the ORM's work per row costs more than the query."""
    doses, persons = Dose._meta.db_table, Person._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT person_id, {_uuid_text('public_id')}, vaccine_id, administered_on, status, "
            f"status_reason FROM {doses} WHERE person_id BETWEEN %s AND %s "
            "ORDER BY person_id, administered_on, id",
            [first_id, last_id],
        )
        dose_rows = cursor.fetchall()
        cursor.execute(
            f"SELECT {', '.join(PERSON_FACT_COLUMNS)} FROM {persons} WHERE id BETWEEN %s AND %s ORDER BY id",
            [first_id, last_id],
        )
        return _facts(dose_rows, cursor.fetchall())


def _held(**where: Any) -> dict[int, Held]:
    # the head of each person's chain of certificates: the one nothing replaces (current unless revoked)
    rows = (
        Certificate.objects.filter(replaced_by__isnull=True, **where)
        .order_by()
        .values_list("person_id", "id", "fingerprint", "expires_at", "revocation__certificate_id", "hash_uci")
    )
    return {
        pid: Held(
            certificate_id=cid,
            fingerprint=mark,
            expires_at=expires,
            revoked=revoked is not None,
            hash_uci=bytes(uci),
        )
        for pid, cid, mark, expires, revoked, uci in rows
    }


def held_certificates(person_ids: Iterable[int]) -> dict[int, Held]:
    """The current certificate of each of these persons who has one."""
    return _held(person_id__in=set(person_ids))


def held_certificates_range(first_id: int, last_id: int) -> dict[int, Held]:
    """`held_certificates` of the persons with first_id ≤ id ≤ last_id."""
    return _held(person_id__gte=first_id, person_id__lte=last_id)


def _current() -> Any:
    """Current certificates: heads of their chains, not revoked."""
    return Certificate.objects.filter(replaced_by__isnull=True, revocation__isnull=True)


def holders(person_ids: Iterable[int]) -> list[int]:
    """Those of these persons who hold a current certificate."""
    return list(_current().filter(person_id__in=set(person_ids)).values_list("person_id", flat=True))


def certificate_current_get(*, person: Person) -> Certificate | None:
    """The person's current certificate, if one was issued (callers scope and audit the person)."""
    return _current().filter(person=person).select_related("signing_key").first()


def published_keys(now: dt.datetime | None = None) -> list[SigningKey]:
    """Signing keys verifiers still need: every key whose certificates may still be valid."""
    return list(SigningKey.objects.filter(not_after__gt=now or timezone.now()).order_by("not_before", "id"))


def trust_list(now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The document signer certificates, as the EU DCC gateway publishes them."""
    return [
        {
            "kid": key.kid,
            "country": "VN",
            "certificateType": "DSC",
            "rawData": base64.b64encode(bytes(key.certificate_der)).decode(),
            "thumbprint": hashlib.sha256(bytes(key.certificate_der)).hexdigest(),
            "timestamp": key.created_at.isoformat(),
        }
        for key in published_keys(now)
    ]


def trust_map(now: dt.datetime | None = None) -> dict[bytes, list[bytes]]:
    """kid → signer certificates (DER), for verification against the registry's own trust list."""
    found: dict[bytes, list[bytes]] = defaultdict(list)
    for key in SigningKey.objects.all():
        der = bytes(key.certificate_der)
        found[kid_of(der)].append(der)
    return dict(found)


HASH_TYPES = ("UCI", "COUNTRYCODEUCI", "SIGNATURE")


def revocation_list(
    *, now: dt.datetime | None = None, since: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Revoked certificates not yet expired, as EU DCC revocation batches: one per signer key and hash type."""
    now = now or timezone.now()
    rows = Revocation.objects.filter(certificate__expires_at__gt=now)
    if since is not None:
        rows = rows.filter(revoked_at__gt=since)
    by_kid: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows.order_by("revoked_at", "certificate_id").values_list(
        "certificate__signing_key__kid",
        "certificate__expires_at",
        "revoked_at",
        "certificate__hash_uci",
        "certificate__hash_country_uci",
        "certificate__hash_signature",
    ):
        by_kid[row[0]].append(row)
    batches = []
    for kid, entries in by_kid.items():
        for position, hash_type in enumerate(HASH_TYPES):
            batches.append(
                {
                    "country": "VN",
                    "kid": kid,
                    "hashType": hash_type,
                    "expires": max(e[1] for e in entries).isoformat(),
                    "lastUpdated": max(e[2] for e in entries).isoformat(),
                    "entries": [{"hash": base64.b64encode(bytes(e[3 + position])).decode()} for e in entries],
                }
            )
    return batches


def is_revoked(hashes: dict[str, bytes]) -> bool:
    """Whether a certificate with these revocation hashes is on the registry's revocation list (by its UCI hash:
    each sotiem certificate has its own identifier)."""
    uci = hashes.get("UCI")
    return uci is not None and Revocation.objects.filter(hash_uci=uci).exists()
