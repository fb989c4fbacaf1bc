"""identify_person(): the one seam through which every ingestion path finds (or creates) the person of a record.

Today it links by a valid national ID already held and otherwise creates a person. Probabilistic matching
(names, birth dates, addresses; a phone only as weak evidence) plugs in behind these functions later, so no
ingestion path changes when it does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from sotiem.core.bulk import loaded
from sotiem.people.models import Identifier, IdScheme, Person, PersonStatus
from sotiem.people.services import PersonIn, check_identifier, person_create_many

LINKING_SCHEMES = {IdScheme.CCCD, IdScheme.CMND, IdScheme.PASSPORT}


@dataclass(frozen=True)
class Identified:
    person: Person
    created: bool
    via: str  # "national_id" when linked to a person already held, "new" when created


def _linking_key(item: PersonIn) -> tuple[str, str] | None:
    """The (scheme, value) of the record's first identifier that passes its checks and can link persons."""
    birth_year = item.birth_date.year if item.birth_date else None
    for ident in item.identifiers:
        if not ident.value.strip():
            continue
        try:
            scheme, value, valid, _ = check_identifier(ident.scheme, ident.value, sex=item.sex, birth_year=birth_year)
        except Exception:  # noqa: BLE001 (an unusable identifier simply does not link)
            continue
        if valid and scheme in LINKING_SCHEMES:
            return scheme, value
    return None


def _survivor(person: Person) -> Person:
    seen = set()
    while person.status == PersonStatus.MERGED and person.merged_into_id and person.pk not in seen:
        seen.add(person.pk)
        person = Person.objects.get(pk=person.merged_into_id)
    return person


def identify_person(*, item: PersonIn, actor: Any, reason: str = "") -> Identified:
    """The person a record is about: linked by a valid national ID already held, otherwise created."""
    return identify_persons(items=[item], actor=actor, reason=reason)[0]


@transaction.atomic
def identify_persons(*, items: list[PersonIn], actor: Any, reason: str = "") -> list[Identified]:
    """identify_person for many records at once; records in one batch sharing a new valid ID get one person."""
    keys: list[tuple[str, str] | None] = [_linking_key(item) for item in items]
    wanted = {k for k in keys if k}
    held: dict[tuple[str, str], Person] = {}
    if wanted:
        values = sorted({v for _, v in wanted})
        schemes = sorted(LINKING_SCHEMES)
        params: list[Any]
        if connection.vendor == "postgresql":  # one array parameter: cheaper to send than 1,000 IN items
            where, params = "i.scheme = ANY(%s) AND i.value = ANY(%s)", [schemes, values]
        else:
            where = (f"i.scheme IN ({', '.join(['%s'] * len(schemes))}) AND "
                     f"i.value IN ({', '.join(['%s'] * len(values))})")
            params = [*schemes, *values]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT i.scheme, i.value, p.id, p.public_id, p.status, p.merged_into_id "
                f"FROM {Identifier._meta.db_table} i JOIN {Person._meta.db_table} p ON p.id = i.person_id "
                f"WHERE {where} AND i.validated AND i.active ORDER BY p.id", params)
            rows = cursor.fetchall()
        uuid_of = (lambda v: v) if connection.vendor == "postgresql" else uuid.UUID
        for scheme, value, person_id, public_id, status, merged_into_id in rows:
            if (scheme, value) in wanted and (scheme, value) not in held:
                person = loaded(Person, id=person_id, public_id=uuid_of(public_id), status=status,
                                merged_into_id=merged_into_id)
                held[(scheme, value)] = _survivor(person)
    to_create: list[PersonIn] = []
    first_of_key: dict[tuple[str, str], int] = {}
    slot: list[int | None] = []
    for item, key in zip(items, keys, strict=True):
        if key is not None and key in held:
            slot.append(None)
        elif key is not None and key in first_of_key:
            slot.append(first_of_key[key])
        else:
            if key is not None:
                first_of_key[key] = len(to_create)
            slot.append(len(to_create))
            to_create.append(item)
    created = person_create_many(items=to_create, actor=actor, reason=reason) if to_create else []
    results: list[Identified] = []
    fresh: set[int] = set()
    for key, index in zip(keys, slot, strict=True):
        if index is None:
            assert key is not None
            results.append(Identified(person=held[key], created=False, via="national_id"))
        else:
            person = created[index]
            results.append(Identified(person=person, created=person.pk not in fresh, via="new"))
            fresh.add(person.pk)
    return results
