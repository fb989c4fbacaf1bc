"""Dose records as sent (a CSV, or the registry's own held records) turned into match features."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sotiem.people.identity import checked_ids, record_of
from sotiem.people.matching import MatchRecord
from sotiem.places.selectors import unit_get


def match_records(
    rows: Iterable[dict[str, Any]], chunk: int = 5000
) -> Iterator[tuple[str, MatchRecord | None]]:
    """(record_id, features) of each record, read with ingestion's own checks; None when it names no person."""
    from dataclasses import replace

    from sotiem.immunizations.ingest import prepare_records

    batch: list[dict[str, Any]] = []

    def flush() -> Iterator[tuple[str, MatchRecord | None]]:
        for item in prepare_records(batch):
            person = item.person
            if person is None:
                yield item.record_id, None
                continue
            if item.commune_id is not None:
                person = replace(person, commune=unit_get(item.commune_id))
            yield item.record_id, record_of(person, checked_ids(person))

    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            yield from flush()
            batch = []
    if batch:
        yield from flush()


def csv_rows(*paths: Path) -> Iterator[dict[str, str]]:
    """The rows of backlog-template CSV files (UTF-8, with or without BOM)."""
    for path in paths:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            yield from csv.DictReader(handle)


def held_rows(chunk: int = 20000) -> Iterator[dict[str, Any]]:
    """The records the registry holds, as their senders sent them (the content each dose keeps)."""
    from sotiem.immunizations.models import Dose

    last = 0
    while True:
        batch = list(
            Dose.objects.filter(pk__gt=last)
            .exclude(sent_record__isnull=True)
            .order_by("pk")
            .values_list("pk", "sent_record")[:chunk]
        )
        if not batch:
            return
        for pk, record in batch:
            if isinstance(record, dict):
                yield {**record, "record_id": record.get("record_id") or f"dose-{pk}"}
        last = batch[-1][0]
