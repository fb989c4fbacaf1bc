"""identify_person(): the one seam through which every ingestion path finds (or creates) the person of a record.

Each record is compared with its candidates (the persons sharing its blocking key, a valid ID number, or a phone
few persons share) and with the new persons of the same batch, and scored by the Fellegi–Sunter model
(`matching.py`). Three outcomes:

- **link**: a valid ID number already held, on a person whose given name and birth date do not contradict the
  record; or a score at or above `SOTIEM_MATCH_LINK_WEIGHT` with a name that agrees (exactly, without diacritics,
  without Văn/Thị, or by sound) and no different ID number;
- **review**: a score at or above `SOTIEM_MATCH_REVIEW_WEIGHT`, or an ID number held by someone the record contradicts:
  the record gets a new person, and the pair goes to the officials' review queue (linking it merges the two);
- **new person** otherwise.

A shared phone is weak evidence only (`matching.PHONE_MAX_WEIGHT`), so it never links two persons on its own.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from sotiem.audit.actors import Actor
from sotiem.db.bulk import loaded
from sotiem.people.matching import (
    COMPARISONS,
    LINKABLE_NAME_LEVELS,
    MatchModel,
    MatchRecord,
    block_keys,
    compare,
    load_model,
)
from sotiem.people.models import (
    ContactPoint,
    Identifier,
    IdScheme,
    Person,
    PersonStatus,
    ReviewCandidate,
    ReviewOrigin,
    Sex,
)
from sotiem.people.services import PersonIn, check_identifier, person_create_many, review_candidates_queue
from sotiem.places.selectors import codes_2025_of

LINKING_SCHEMES = {IdScheme.CCCD, IdScheme.CMND, IdScheme.PASSPORT}
PHONE_BLOCK_MAX = 20  # a phone given by more persons than this (a group organiser's) does not find candidates
NAME, BIRTH, SEX, PLACE, IDENT, PHONE = range(len(COMPARISONS))


@dataclass(frozen=True)
class Identified:
    person: Person
    created: bool
    via: (
        str  # "national_id" or "match" when linked to a person held, "new" when created, "review" when queued
    )
    weight: float | None = None


@dataclass
class Candidate:
    """A person a record may be: one held (pk, public_id) or one this batch creates (slot)."""

    pk: int | None  # None: a person this batch creates (see slot)
    record: MatchRecord
    public_id: uuid.UUID | None = None
    slot: int | None = None
    _person: Person | None = None

    @property
    def person(self) -> Person | None:
        """The held person as a model instance, made only for the candidate chosen (most are only scored)."""
        if self._person is None and self.pk is not None:
            self._person = loaded(
                Person, id=self.pk, public_id=self.public_id, status=PersonStatus.ACTIVE, merged_into_id=None
            )
        return self._person


@dataclass
class _Decision:
    outcome: str  # link / review / new
    via: str
    candidate: Candidate | None = None
    weight: float | None = None


def checked_ids(item: PersonIn) -> list[tuple[str, str]]:
    """The (scheme, value) of the record's identifiers that pass their checks and can link persons."""
    birth_year = item.birth_date.year if item.birth_date else None
    out = []
    for ident in item.identifiers:
        if not ident.value.strip():
            continue
        try:
            scheme, value, valid, _ = check_identifier(
                ident.scheme, ident.value, sex=item.sex, birth_year=birth_year
            )
        except Exception:  # noqa: BLE001 (an unusable identifier simply does not link)
            continue
        if valid and scheme in LINKING_SCHEMES:
            out.append((scheme, value))
    return out


def record_of(item: PersonIn, ids: list[tuple[str, str]]) -> MatchRecord:
    """The match features of a record's person (its commune's 2025 codes, its checked IDs, its phones)."""
    province_code, commune_code = codes_2025_of(item.commune) if item.commune is not None else ("", "")
    return MatchRecord.of(
        full_name=item.full_name,
        birth_date=item.birth_date,
        precision=item.birth_precision,
        sex=item.sex,
        commune_code=commune_code,
        province_code=province_code,
        ids=ids,
        phones=[c.phone for c in item.contacts if c.phone],
    )


def _in(column: str, values: Iterable[Any]) -> tuple[str, list[Any]]:
    """`column IN (…)` for this database: one array parameter on PostgreSQL (cheaper than 1,000 placeholders)."""
    values = list(values)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values


# The person columns `held_record` reads, then the person's linking IDs and phones as comma-joined text.
HELD_COLUMNS = (
    "p.id, p.public_id, p.full_name, p.birth_date, p.birth_precision, p.sex, p.commune_code, "
    "p.province_code, p.status, p.merged_into_id"
)


def joined(expression: str) -> str:
    """SQL aggregating `expression` into comma-joined text, on this database."""
    return (
        f"string_agg({expression}, ',')"
        if connection.vendor == "postgresql"
        else f"group_concat({expression}, ',')"
    )


def _held_rows(person_ids: Iterable[int]) -> list[tuple[Any, ...]]:
    """Persons by id with their linking IDs and active phones, in one statement."""
    where, params = _in("p.id", person_ids)
    schemes, scheme_params = _in("i.scheme", sorted(LINKING_SCHEMES))
    ids = joined("i.scheme || ':' || i.value")
    sql = (
        f"SELECT {HELD_COLUMNS}, "
        f"(SELECT {ids} FROM {Identifier._meta.db_table} i "
        f"WHERE i.person_id = p.id AND i.active AND i.validated AND {schemes}), "
        f"(SELECT {joined('c.phone')} FROM {ContactPoint._meta.db_table} c "
        f"WHERE c.person_id = p.id AND c.active) "
        f"FROM {Person._meta.db_table} p WHERE {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*scheme_params, *params])
        return cursor.fetchall()


def held_record(row: tuple[Any, ...]) -> MatchRecord:
    """The match features of one row of `_held_rows` (or of `dedup.person_records`)."""
    _, _, full_name, birth_date, precision, sex, commune_code, province_code, _, _, ids, phones = row
    if isinstance(birth_date, str):
        birth_date = dt.date.fromisoformat(birth_date)
    return MatchRecord.of(
        full_name=full_name,
        birth_date=birth_date,
        precision=precision,
        sex=sex,
        commune_code=commune_code,
        province_code=province_code,
        ids=[tuple(x.split(":", 1)) for x in ids.split(",")] if ids else [],  # type: ignore[misc]
        phones=phones.split(",") if phones else [],
    )


def held_records(person_ids: set[int]) -> dict[int, Candidate]:
    """The persons held as candidates, with their match features (tombstones followed to their survivors), by id."""
    out: dict[int, Candidate] = {}
    survivors: dict[int, int] = {}
    wanted = set(person_ids)
    for _ in range(5):  # chains of merges are short; five steps are plenty
        if not wanted:
            break
        rows = _held_rows(wanted)
        wanted = set()
        for row in rows:
            pid, public_id, status, merged_into_id = row[0], row[1], row[8], row[9]
            if status == PersonStatus.MERGED:
                survivors[pid] = merged_into_id
                wanted.add(merged_into_id)
            else:
                out[pid] = Candidate(pk=pid, record=held_record(row), public_id=_uuid(public_id))
    for tomb, target in survivors.items():  # a tombstone stands for its survivor
        hops = 0
        while target in survivors and hops < 5:
            target, hops = survivors[target], hops + 1
        if target in out:
            out[tomb] = out[target]
    return out


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def candidates_held(
    records: list[MatchRecord], id_lists: list[list[tuple[str, str]]]
) -> tuple[list[set[int]], dict[int, Candidate]]:
    """For each record, the ids of the persons held that share its blocking key, an ID number or a phone."""
    keys = [block_keys(r.name, r.birth_date, r.precision, r.province_code) for r in records]
    wanted = {
        "b": {k for k, _ in keys if k},
        "d": {k for _, k in keys if k},
        "i": {v for ids in id_lists for _, v in ids},
        "p": {p for r in records for p in r.phones},
    }
    parts, params = [], []
    tables = {
        "b": (
            f"SELECT id, 'b', block_key FROM {Person._meta.db_table} WHERE status = 'active' AND ",
            "block_key",
        ),
        "d": (
            f"SELECT id, 'd', birth_key FROM {Person._meta.db_table} WHERE status = 'active' AND ",
            "birth_key",
        ),
        "i": (
            f"SELECT person_id, 'i', value FROM {Identifier._meta.db_table} WHERE active AND validated AND "
            f"scheme IN ({', '.join(repr(str(s)) for s in sorted(LINKING_SCHEMES))}) AND ",
            "value",
        ),
        "p": (f"SELECT person_id, 'p', phone FROM {ContactPoint._meta.db_table} WHERE active AND ", "phone"),
    }
    for kind, values in wanted.items():
        if values:
            head, column = tables[kind]
            where, values_params = _in(column, sorted(values))
            parts.append(head + where)
            params += values_params
    found_by: dict[tuple[str, str], set[int]] = defaultdict(set)
    if parts:
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for pid, kind, value in cursor.fetchall():
                found_by[(kind, value)].add(pid)
    per_record = []
    for record, (block, birth), ids in zip(records, keys, id_lists, strict=True):
        found = set(found_by.get(("b", block), ())) if block else set()
        if birth:
            found |= found_by.get(("d", birth), set())
        for _, value in ids:
            found |= found_by.get(("i", value), set())
        for phone in record.phones:
            sharing = found_by.get(("p", phone), set())
            if len(sharing) <= PHONE_BLOCK_MAX:
                found |= sharing
        per_record.append(found)
    held = held_records(set().union(*per_record)) if per_record else {}
    return per_record, held


def decide(record: MatchRecord, candidates: list[Candidate], model: MatchModel) -> _Decision:
    """Link, review or new person for one record against its candidates (see the module's rules)."""
    link_at = settings.SOTIEM_MATCH_LINK_WEIGHT
    review_at = settings.SOTIEM_MATCH_REVIEW_WEIGHT
    best: tuple[float, tuple[int, ...], Candidate] | None = None
    id_hit: tuple[float, tuple[int, ...], Candidate] | None = None
    for cand in candidates:
        levels: tuple[int, ...] = compare(record, cand.record)
        weight = model.score(levels)
        if best is None or weight > best[0]:
            best = (weight, levels, cand)
        if levels[IDENT] == 1 and (id_hit is None or weight > id_hit[0]):
            id_hit = (weight, levels, cand)
    chosen = id_hit or best
    if chosen is None:
        return _Decision("new", "new")
    weight, levels, cand = chosen
    result, via = outcome(weight, levels, link_at=link_at, review_at=review_at)
    return _Decision(result, via, cand if result != "new" else None, weight)


def outcome(weight: float, levels: tuple[int, ...], *, link_at: float, review_at: float) -> tuple[str, str]:
    """(link / review / new, why) for one scored pair, by the registry's rules (see the module's docstring)."""
    if levels[IDENT] == 1:
        # one ID number on two very different people: a different given name, or a different birth date
        if levels[NAME] <= 6 and levels[BIRTH] != 6:
            return "link", "national_id"
        return "review", "national_id_conflict"
    if weight >= link_at and levels[NAME] in LINKABLE_NAME_LEVELS and levels[IDENT] != 3:
        return "link", "match"
    return ("review", "match") if weight >= review_at else ("new", "new")


def identify_person(*, item: PersonIn, actor: Actor, reason: str = "") -> Identified:
    """The person a record is about: linked, or created (and queued for review when it might be someone held)."""
    return identify_persons(items=[item], actor=actor, reason=reason)[0]


@transaction.atomic
def identify_persons(*, items: list[PersonIn], actor: Actor, reason: str = "") -> list[Identified]:
    """identify_person for many records at once; records of one batch are matched against each other too."""
    model = load_model()
    id_lists = [checked_ids(item) for item in items]
    records = [record_of(item, ids) for item, ids in zip(items, id_lists, strict=True)]
    per_record, held = candidates_held(records, id_lists)
    held_cands: dict[int, Candidate] = {}
    fresh: list[Candidate] = []  # persons this batch creates, matched by later records of the batch
    fresh_by_key: dict[str, list[Candidate]] = defaultdict(list)
    to_create: list[PersonIn] = []
    decisions: list[_Decision] = []
    slots: list[int | None] = []
    for item, record, found in zip(items, records, per_record, strict=True):
        candidates = []
        for pid in found:
            if pid in held:
                cand = held_cands.setdefault(held[pid].pk, held[pid])  # type: ignore[arg-type]
                candidates.append(cand)
        keys = _fresh_keys(record)
        seen: set[int] = set()
        for key in keys:
            for cand in fresh_by_key.get(key, ()):
                if id(cand) not in seen:
                    seen.add(id(cand))
                    candidates.append(cand)
        decision = decide(record, candidates, model)
        decisions.append(decision)
        if decision.outcome == "link" and decision.candidate is not None and decision.candidate.pk is None:
            slots.append(decision.candidate.slot)
        elif decision.outcome == "link":
            slots.append(None)
        else:
            cand = Candidate(pk=None, record=record, slot=len(to_create))
            to_create.append(item)
            fresh.append(cand)
            for key in keys:
                fresh_by_key[key].append(cand)
            slots.append(cand.slot)
    created = person_create_many(items=to_create, actor=actor, reason=reason) if to_create else []
    results: list[Identified] = []
    reviews: list[tuple[Person, MatchRecord, Candidate, float | None, str]] = []
    first_use: set[int] = set()
    for record, decision, slot in zip(records, decisions, slots, strict=True):
        if slot is None:
            assert decision.candidate is not None and decision.candidate.person is not None
            results.append(
                Identified(
                    person=decision.candidate.person, created=False, via=decision.via, weight=decision.weight
                )
            )
            continue
        person = created[slot]
        is_new = slot not in first_use
        first_use.add(slot)
        via = "new" if decision.outcome == "new" or not is_new else "review"
        if decision.outcome == "link":
            via = "match"
        results.append(Identified(person=person, created=is_new, via=via, weight=decision.weight))
        if decision.outcome == "review" and decision.candidate is not None and is_new:
            reviews.append((person, record, decision.candidate, decision.weight, decision.via))
    if reviews:
        _queue_reviews(reviews, created, model, actor, reason)
    return results


def _fresh_keys(record: MatchRecord) -> list[str]:
    keys = (
        [
            f"k:{key}"
            for key in block_keys(record.name, record.birth_date, record.precision, record.province_code)
            if key
        ]
        if record.name
        else []
    )
    keys += [f"i:{v}" for v in (record.cccd, record.cmnd, record.passport) if v]
    keys += [f"p:{p}" for p in record.phones]
    return keys


def display_values(record: MatchRecord) -> dict[str, str]:
    """A record's values as an official reads them, field by field (for the evidence of a review pair)."""
    birth = ""
    if record.birth_date:
        birth = {"year": f"{record.birth_date:%Y}", "month": f"{record.birth_date:%m/%Y}"}.get(
            record.precision, f"{record.birth_date:%d/%m/%Y}"
        )
    return {
        "name": record.name,
        "birth": birth,
        # codes, named in the reader's language when the pair is shown (people.views._shown)
        "sex": record.sex if record.sex in (Sex.MALE, Sex.FEMALE) else "",
        "place": " ".join(filter(None, (record.commune_code, record.province_code))),
        "national_id": " ".join(filter(None, (record.cccd, record.cmnd, record.passport))),
        "phone": ", ".join(sorted(record.phones)),
    }


def review_candidate(
    a: int, rec_a: MatchRecord, b: int, rec_b: MatchRecord, *, model: MatchModel, weight: float, origin: str
) -> ReviewCandidate:
    """The (unsaved) review pair of persons a < b: the model's weight and probability, the evidence an official
    reads, and where each person lives (so that each side's officials see the pair)."""
    return ReviewCandidate(
        person_a_id=a,
        person_b_id=b,
        origin=origin,
        weight=round(weight, 3),
        probability=model.probability(weight),
        evidence=model.explain(rec_a, rec_b, display_values(rec_a), display_values(rec_b)),
        model_version=model.version,
        province_code=rec_a.province_code,
        other_province_code=rec_b.province_code,
        commune_code=rec_a.commune_code,
        other_commune_code=rec_b.commune_code,
    )


def _queue_reviews(
    reviews: list[tuple[Person, MatchRecord, Candidate, float | None, str]],
    created: list[Person],
    model: MatchModel,
    actor: Actor,
    reason: str,
) -> None:
    """Queue each (new person, candidate) pair once for an official's decision, audited."""
    pairs: dict[tuple[int, int], ReviewCandidate] = {}
    for person, record, cand, weight, via in reviews:
        other = cand.person if cand.pk is not None else created[cand.slot]  # type: ignore[index]
        assert other is not None
        if other.pk == person.pk:
            continue
        (a, rec_a), (b, rec_b) = sorted([(person, record), (other, cand.record)], key=lambda x: x[0].pk)
        score = weight if weight is not None else model.score(compare(rec_a, rec_b))
        pairs.setdefault(
            (a.pk, b.pk),
            review_candidate(
                a.pk,
                rec_a,
                b.pk,
                rec_b,
                model=model,
                weight=score,
                origin=ReviewOrigin.ID_CONFLICT if via == "national_id_conflict" else ReviewOrigin.INGEST,
            ),
        )
    review_candidates_queue(candidates=list(pairs.values()), actor=actor, reason=reason)
