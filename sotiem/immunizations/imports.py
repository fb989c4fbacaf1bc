"""The paper backlog: spreadsheet imports through the same pipeline as the API, resumable and reported.

A run reads the file in batches of 1,000 rows and hands each batch to `ingest_records` (same validation,
same results). Progress is saved after every batch. Re-running a file stores nothing twice (every record id
is already held: duplicates); a run interrupted part-way resumes after the last batch it saved, and a batch
repeated by the resume is answered as duplicates, so resuming is always safe.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from django.db import connection, connections
from django.utils import timezone

from sotiem.immunizations.ingest import MAX_BATCH, Prepared, Sender, ingest_records, prepare_records
from sotiem.immunizations.models import Dose, ImportRun, ImportStatus, InboxBatch
from sotiem.immunizations.selectors import vaccines_by_id
from sotiem.lib.spreadsheets import (
    TEMPLATE_COLUMNS,
    TEMPLATE_REQUIRED,
    ReportRow,
    SheetRow,
    count_rows,
    file_sha256,
    is_example_row,
    read_rows,
    write_report,
)
from sotiem.people.models import ContactPoint, Identifier, Person
from sotiem.places.models import SiteSession
from sotiem.places.selectors import unit_index_warm

REFUSED = {"rejected", "conflict"}
REQUIRED_COLUMNS = TEMPLATE_REQUIRED | {"record_id", "site_code"}
EXAMPLE_REFUSAL = ("Dòng mẫu của biểu mẫu, hãy xóa trước khi nhập / The template's example row: delete it "
                   "before importing")


def _batches(rows: Iterator[SheetRow], size: int) -> Iterator[list[SheetRow]]:
    while True:
        batch = list(itertools.islice(rows, size))
        if not batch:
            return
        yield batch


def import_run_start(*, path: Path, source: str, user: Any = None, resume: bool = True) -> ImportRun:
    """A run for this file and sender: the unfinished one to resume, or a new one."""
    digest = file_sha256(path)
    if resume:
        unfinished = ImportRun.objects.filter(source=source, file_sha256=digest,
                                              status__in=[ImportStatus.RUNNING, ImportStatus.FAILED]).first()
        if unfinished is not None:
            return unfinished
    return ImportRun.objects.create(source=source, file_name=path.name[:255], file_sha256=digest,
                                    total_rows=count_rows(path), started_by=user)


def _split_examples(rows: Iterator[SheetRow]) -> Iterator[tuple[list[SheetRow], list[SheetRow]]]:
    for batch in _batches(rows, MAX_BATCH):
        yield ([row for row in batch if not is_example_row(row.values)],
               [row for row in batch if is_example_row(row.values)])


def _prepared_batches(rows: Iterator[SheetRow], workers: int
                      ) -> Iterator[tuple[list[SheetRow], list[SheetRow], list[Prepared] | None]]:
    """(rows, template example rows, prepared records) per batch, in file order.

    With workers, the database-free checks (`prepare_records`) of the next batches run in worker processes
    while this process stores the current one; the pool is forked after the reference data (catalogue, places)
    is loaded and the database connections are closed, so children share neither a socket nor a cold cache.
    """
    if workers <= 0 or connection.in_atomic_block:  # inside a transaction the connection cannot be closed
        for batch, examples in _split_examples(rows):
            yield batch, examples, None
        return
    vaccines_by_id()
    unit_index_warm()
    connections.close_all()
    ahead = workers * 2
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        pending: deque[tuple[list[SheetRow], list[SheetRow], Future[list[Prepared]]]] = deque()
        source = _split_examples(rows)
        for batch, examples in source:
            pending.append((batch, examples, pool.submit(prepare_records, [row.values for row in batch])))
            if len(pending) >= ahead:
                done_batch, done_examples, future = pending.popleft()
                yield done_batch, done_examples, future.result()
        while pending:
            done_batch, done_examples, future = pending.popleft()
            yield done_batch, done_examples, future.result()


def import_run_execute(*, run: ImportRun, path: Path, sender: Sender, actor: Any,
                       progress: Callable[[int], None] = lambda n: None, workers: int = 0) -> ImportRun:
    """Process the rows not yet done, batch by batch, saving progress, counts and refused rows after each.

    `workers` > 0 runs the database-free checks in that many forked processes (the command line does; a web
    request's thread does not fork).
    """
    rows = read_rows(path, columns=TEMPLATE_COLUMNS, required=REQUIRED_COLUMNS)
    skipped = run.rows_done
    if skipped:
        for _ in itertools.islice(rows, skipped):  # the rows a previous attempt already saved
            pass
        progress(skipped)
    counts = Counter(run.counts)
    refused = list(run.refused)
    analyze_at = FIRST_ANALYZE
    try:
        for batch, examples, prepared in _prepared_batches(rows, workers):
            results = ingest_records(sender=sender, records=[row.values for row in batch], channel="import",
                                     actor=actor, prepared=prepared) if batch else []
            for row in examples:
                counts["rejected"] += 1
                refused.append([row.line, row.values.get("record_id", ""), "rejected", EXAMPLE_REFUSAL])
            for row, result in zip(batch, results, strict=True):
                counts[result.status] += 1
                if result.status in REFUSED:
                    refused.append([row.line, result.record_id, result.status,
                                    "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"]
                                              for e in result.errors)])
            run.rows_done += len(batch) + len(examples)
            run.counts = dict(counts)
            run.refused = refused
            run.save(update_fields=["rows_done", "counts", "refused", "updated_at"])
            progress(len(batch) + len(examples))
            if run.rows_done - skipped >= analyze_at:
                _analyze()
                analyze_at *= 2
    except Exception as exc:
        run.status = ImportStatus.FAILED
        run.error = repr(exc)[:2000]
        run.save(update_fields=["status", "error", "updated_at"])
        raise
    run.status = ImportStatus.DONE
    run.finished_at = timezone.now()
    run.total_rows = max(run.total_rows, run.rows_done)
    run.save(update_fields=["status", "finished_at", "total_rows", "updated_at"])
    return run


FIRST_ANALYZE = 20_000
ANALYZED_TABLES = [Dose, Person, Identifier, ContactPoint, SiteSession, InboxBatch]


def _analyze() -> None:
    """Fresh planner statistics for the tables an import fills, at 20k, 40k, 80k… rows of the run.

    A bulk load outruns autovacuum (which may also be switched off): with statistics taken when the doses table
    was empty, PostgreSQL scans whole tables for the per-batch lookups and the import slows down quadratically.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in ANALYZED_TABLES))


def import_run_report(*, run: ImportRun, path: Path) -> Path:
    """Write every refused row (line, record id, status, reasons) as CSV or XLSX, by the extension."""
    write_report(path, (ReportRow(line=line, record_id=rid, status=status, reasons=reasons)
                        for line, rid, status, reasons in run.refused))
    return path
