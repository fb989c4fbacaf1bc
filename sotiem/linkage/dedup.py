"""Registry-wide deduplication: every active person scored against its blocked pairs by Splink, with our model.

Pairs at or above the review weight whose name agrees go to the officials' review queue; pairs at or above the
stricter automatic-merge weight are merged (audited, undoable like any merge). The same rules as online
matching decide which pairs may be linked without an official (`identity.decide`): the name must agree and
no different ID number may be held.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings as django_settings

from sotiem.audit.actors import Actor
from sotiem.lib.spreadsheets import csv_safe_cell
from sotiem.linkage.splink_model import frame, quiet, settings
from sotiem.people.matching import (
    LINKABLE_NAME_LEVELS,
    MatchModel,
    MatchRecord,
    compare,
    feature_row,
    load_model,
)

NAME, IDENT = 0, 4


@dataclass
class DedupResult:
    persons: int = 0
    pairs_scored: int = 0
    queued: int = 0
    merged: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def person_records() -> Iterator[tuple[int, MatchRecord]]:
    """(id, features) of every active person, streamed from one statement (IDs and phones aggregated per person)."""
    from django.db import connection

    from sotiem.people.identity import HELD_COLUMNS, LINKING_SCHEMES, held_record, joined
    from sotiem.people.models import ContactPoint, Identifier, Person

    schemes = ", ".join(f"'{s}'" for s in sorted(LINKING_SCHEMES))  # fixed choices, not input
    # every person at once: grouped joins (one scan each), not the per-person subqueries of identity._held_rows
    ids = joined("scheme || ':' || value")
    sql = (
        f"SELECT {HELD_COLUMNS}, i.ids, c.phones FROM {Person._meta.db_table} p "
        f"LEFT JOIN (SELECT person_id, {ids} AS ids FROM {Identifier._meta.db_table} "
        f"WHERE active AND validated AND scheme IN ({schemes}) GROUP BY person_id) i ON i.person_id = p.id "
        f"LEFT JOIN (SELECT person_id, {joined('phone')} AS phones FROM {ContactPoint._meta.db_table} "
        f"WHERE active GROUP BY person_id) c ON c.person_id = p.id WHERE p.status = 'active'"
    )
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(10000):
            for row in rows:
                yield row[0], held_record(row)


def score_pairs(
    records: dict[int, MatchRecord],
    model: MatchModel,
    *,
    engine: str = "duckdb",
    spark: Any = None,
    threshold: float | None = None,
) -> Any:
    """Splink's predictions (unique_id_l, unique_id_r, match_weight) at or above the review weight (or `threshold`)."""
    from splink import DuckDBAPI, Linker

    quiet()
    rows = [feature_row(pk, record) for pk, record in records.items()]
    if engine == "spark":
        from splink import SparkAPI

        from sotiem.linkage.spark import spark_frame

        api: Any = SparkAPI(spark_session=spark, num_partitions_on_repartition=4)
        registered = api.register(spark_frame(spark, rows))
    else:
        api = DuckDBAPI()
        registered = api.register(frame(rows))
    linker = Linker(registered, settings(model=model, dialect=engine))
    at = django_settings.SOTIEM_MATCH_REVIEW_WEIGHT if threshold is None else threshold
    predictions = linker.inference.predict(threshold_match_weight=at)
    return predictions.as_pandas_dataframe()[["unique_id_l", "unique_id_r", "match_weight"]]


def linkage_run(
    *, actor: Actor, engine: str = "duckdb", spark: Any = None, apply: bool = True
) -> DedupResult:
    """Deduplicate the registry: queue likely duplicates for review, merge the near-certain ones."""
    from sotiem.people.identity import review_candidate
    from sotiem.people.merging import person_merge
    from sotiem.people.models import Person, ReviewCandidate, ReviewOrigin
    from sotiem.people.services import review_candidates_queue

    result = DedupResult()
    model = load_model()
    started = time.perf_counter()
    records = dict(person_records())
    result.persons = len(records)
    result.seconds["read"] = time.perf_counter() - started
    started = time.perf_counter()
    pairs = score_pairs(records, model, engine=engine, spark=spark) if len(records) > 1 else None
    result.seconds["score"] = time.perf_counter() - started
    started = time.perf_counter()
    merges: list[tuple[int, int]] = []
    queue: list[ReviewCandidate] = []
    if pairs is not None:
        result.pairs_scored = len(pairs)
        for left, right in zip(pairs["unique_id_l"], pairs["unique_id_r"], strict=True):
            a, b = sorted((int(left), int(right)))
            levels = compare(records[a], records[b])
            weight = model.score(levels)
            if weight < django_settings.SOTIEM_MATCH_REVIEW_WEIGHT:
                continue
            linkable = levels[NAME] in LINKABLE_NAME_LEVELS and levels[IDENT] != 3
            if linkable and weight >= django_settings.SOTIEM_MATCH_AUTOMERGE_WEIGHT:
                merges.append((a, b))
            elif linkable or levels[IDENT] == 1:
                queue.append(
                    review_candidate(
                        a, records[a], b, records[b], model=model, weight=weight, origin=ReviewOrigin.LINKAGE
                    )
                )
    if apply:
        survivor: dict[int, int] = {}

        def final(pk: int) -> int:
            while pk in survivor:
                pk = survivor[pk]
            return pk

        for a, b in merges:
            keep, gone = sorted((final(a), final(b)))
            if keep == gone:
                continue
            person_merge(
                survivor=Person.objects.get(pk=keep),
                merged=Person.objects.get(pk=gone),
                actor=actor,
                reason="registry-wide deduplication: near-certain duplicate (match weight ≥ "
                f"{django_settings.SOTIEM_MATCH_AUTOMERGE_WEIGHT:g})",
            )
            survivor[gone] = keep
            result.merged += 1
        merged_ids = set(survivor)
        queue = [c for c in queue if c.person_a_id not in merged_ids and c.person_b_id not in merged_ids]
        result.queued = len(
            review_candidates_queue(candidates=queue, actor=actor, reason="registry-wide deduplication")
        )
    else:
        result.merged, result.queued = len(merges), len(queue)
    result.seconds["apply"] = time.perf_counter() - started
    return result


def links_export(out: Any) -> int:
    """Write `source,record_id,person_id` for every record held (person_id: the survivor's public id).

    Sender codes and record ids are the senders' own text: each passes through `csv_safe_cell`, so an id such as
    `=HYPERLINK(...)` is shown, not run, when the file is opened in a spreadsheet.
    """
    import csv

    from sotiem.immunizations.models import Dose
    from sotiem.people.models import Person

    survivor = dict(Person.objects.filter(status="merged").values_list("id", "merged_into_id"))
    public: dict[int, str] = {}
    writer = csv.writer(out)
    writer.writerow(["source", "record_id", "person_id"])
    count = 0
    rows = (
        Dose.objects.exclude(source_record_id="")
        .order_by("id")
        .values_list("source", "source_record_id", "person_id")
    )
    pending: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for source, record_id, pid in rows.iterator(chunk_size=20000):
        hops = 0
        while pid in survivor and hops < 10:
            pid, hops = survivor[pid], hops + 1
        pending[pid].append((source, record_id))
        if len(pending) >= 20000:
            count += _flush(writer, pending, public)
    count += _flush(writer, pending, public)
    return count


def _flush(writer: Any, pending: dict[int, list[tuple[str, str]]], public: dict[int, str]) -> int:
    from sotiem.people.models import Person

    missing = [pk for pk in pending if pk not in public]
    for pk, uid in Person.objects.filter(pk__in=missing).values_list("pk", "public_id"):
        public[pk] = str(uid)
    count = 0
    for pk, rows in pending.items():
        for source, record_id in rows:
            writer.writerow([csv_safe_cell(source), csv_safe_cell(record_id), public[pk]])
            count += 1
    pending.clear()
    return count
