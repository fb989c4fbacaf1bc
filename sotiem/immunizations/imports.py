"""The paper backlog: spreadsheet imports through the same pipeline as the API, resumable and reported.

A run reads the file in batches of 1,000 rows and hands each batch to `ingest_records` (same validation,
same results). Progress is saved after every batch. Re-running a file stores nothing twice (every record id
is already held: duplicates); a run interrupted part-way resumes after the last batch it saved, and a batch
repeated by the resume is answered as duplicates, so resuming is always safe.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.utils import timezone

from sotiem.immunizations.ingest import MAX_BATCH, Sender, ingest_records
from sotiem.immunizations.models import ImportRun, ImportStatus
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


def import_run_execute(*, run: ImportRun, path: Path, sender: Sender, actor: Any,
                       progress: Callable[[int], None] = lambda n: None) -> ImportRun:
    """Process the rows not yet done, batch by batch, saving progress, counts and refused rows after each."""
    rows = read_rows(path, columns=TEMPLATE_COLUMNS, required=REQUIRED_COLUMNS)
    skipped = run.rows_done
    if skipped:
        for _ in itertools.islice(rows, skipped):  # the rows a previous attempt already saved
            pass
        progress(skipped)
    counts = Counter(run.counts)
    refused = list(run.refused)
    try:
        for batch in _batches(rows, MAX_BATCH):
            examples = [row for row in batch if is_example_row(row.values)]
            batch = [row for row in batch if not is_example_row(row.values)]
            results = ingest_records(sender=sender, records=[row.values for row in batch], channel="import",
                                     actor=actor) if batch else []
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


def import_run_report(*, run: ImportRun, path: Path) -> Path:
    """Write every refused row (line, record id, status, reasons) as CSV or XLSX, by the extension."""
    write_report(path, (ReportRow(line=line, record_id=rid, status=status, reasons=reasons)
                        for line, rid, status, reasons in run.refused))
    return path
