"""The paper backlog: spreadsheet imports through the same pipeline as the API, resumable and reported.

A run reads the file in batches of 1,000 rows and hands each batch to `ingest_records` (same validation,
same results). Progress is saved after every batch. Re-running a file stores nothing twice (every record id
is already held: duplicates); a run interrupted part-way resumes after the last batch it saved, and a batch
repeated by the resume is answered as duplicates, so resuming is always safe.

Who sends comes from the credential: an official imports as a source their grants allow (`import_sources_for`),
never as a code typed in a form. Reading is bounded (`import_limits`), a web upload is counted and imported in a
background thread that beats a heartbeat, and a run whose heartbeat stopped (a restart, a killed process) is
marked failed by `import_runs_fail_stale`, so it never stays `running`; uploading the same file resumes it.
The reasons a run keeps are written in the language of whoever started it (the web thread and the worker
processes are given that language), and stay so: a report is a record of what that person was told.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import multiprocessing
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from sotiem.accounts.scoping import grants_of, has_national
from sotiem.accounts.selectors import NATIONAL_SOURCE, team_source
from sotiem.audit.actors import Actor
from sotiem.immunizations.ingest import Prepared, Sender, ingest_records, prepare_records
from sotiem.immunizations.models import Dose, ImportRun, ImportStatus, InboxBatch
from sotiem.immunizations.selectors import vaccines_by_id
from sotiem.lib.records import MAX_BATCH, REFUSED, RecordStatus
from sotiem.lib.spreadsheets import (
    TEMPLATE_COLUMNS,
    TEMPLATE_REQUIRED,
    ReportRow,
    SheetError,
    SheetLimits,
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

REQUIRED_COLUMNS = TEMPLATE_REQUIRED | {"record_id", "site_code"}
EXAMPLE_REFUSAL = gettext_lazy("The template's example row: delete it before importing")
# A run keeps the first refused rows for its report (and counts all of them): a file of a million refused rows
# must not become a million-element JSON list saved after every batch.
MAX_REFUSED_LISTED = 10_000
MAX_REASON_CHARS = 1_000
# A web run's worker saves `updated_at` at least every HEARTBEAT; one silent for STALE_AFTER has no worker left.
HEARTBEAT = dt.timedelta(seconds=20)
STALE_AFTER = dt.timedelta(minutes=2)
INTERRUPTED = gettext_lazy(
    "The import was interrupted (the server restarted or the process stopped): upload the same file again to "
    "resume where it stopped."
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportSource:
    """A sender an official may import as: a site they hold a grant for, their province's team, or the nation's."""

    code: str
    label: str
    site: Any = None
    province_code: str = ""

    def sender(self, label: str) -> Sender:
        """The ingestion sender: a site may send only its own doses, a team only its province's."""
        return Sender(source=self.code, site=self.site, province_code=self.province_code, label=label)


def import_sources_for(*, user: Any) -> list[ImportSource]:
    """The sources this official may import as, from their grants that allow changes; none for anyone else.

    A province grant gives the province's team source, a site grant that site's own code (as its API key), a
    national grant the national team source (any site). A commune grant gives none: no sender covers exactly a
    commune, and a province team would reach past it.
    """
    found: dict[str, ImportSource] = {}
    if has_national(user, "change"):
        found[NATIONAL_SOURCE] = ImportSource(NATIONAL_SOURCE, _("National backlog team"))
    for grant in grants_of(user):
        if not grant.allows("change"):
            continue
        if grant.level == "province" and grant.province_code:
            code = team_source(grant.province_code)
            found.setdefault(
                code,
                ImportSource(
                    code,
                    _("Province %(province)s backlog team") % {"province": grant.province_code},
                    province_code=grant.province_code,
                ),
            )
        elif grant.level == "site" and grant.site is not None:
            site = grant.site
            label = site.name if site.name.startswith(site.code) else f"{site.code} — {site.name}"
            found.setdefault(
                site.code, ImportSource(site.code, label, site=site, province_code=site.province.code)
            )
    return list(found.values())


def import_limits() -> SheetLimits:
    """The reading limits, the defaults overridden by settings.SOTIEM_IMPORT_LIMITS."""
    return SheetLimits(**getattr(settings, "SOTIEM_IMPORT_LIMITS", {}))


def _batches(rows: Iterator[SheetRow], size: int) -> Iterator[list[SheetRow]]:
    while True:
        batch = list(itertools.islice(rows, size))
        if not batch:
            return
        yield batch


def import_run_start(
    *, path: Path, source: str, user: Any = None, resume: bool = True, file_name: str = "", count: bool = True
) -> ImportRun:
    """A run for this file, sender and starter (None: the command line): the unfinished one to resume, or a new one.

    `count=False` leaves the rows to be counted by `import_run_process` (a web request must not read the file).
    """
    digest = file_sha256(path)
    if resume:
        # only the starter's own run: another official of the same team resumes nothing they cannot open
        unfinished = ImportRun.objects.filter(
            source=source,
            file_sha256=digest,
            started_by=user,
            status__in=[ImportStatus.RUNNING, ImportStatus.FAILED],
        ).first()
        if unfinished is not None:
            unfinished.was_running = unfinished.status == ImportStatus.RUNNING  # type: ignore[attr-defined]
            if unfinished.status == ImportStatus.FAILED:
                unfinished.status, unfinished.error = ImportStatus.RUNNING, ""
                unfinished.save(update_fields=["status", "error", "updated_at"])
            return unfinished
    return ImportRun.objects.create(
        source=source,
        file_name=(file_name or path.name)[:255],
        file_sha256=digest,
        total_rows=count_rows(path, limits=import_limits()) if count else 0,
        started_by=user,
    )


def import_run_is_stale(run: ImportRun, *, now: dt.datetime | None = None) -> bool:
    """Whether a running run has stopped beating, i.e. nothing is working on it any more."""
    return run.status == ImportStatus.RUNNING and run.updated_at < (now or timezone.now()) - STALE_AFTER


def import_runs_fail_stale(*, now: dt.datetime | None = None) -> int:
    """Mark failed, with the reason, every running run whose worker is gone (no heartbeat for STALE_AFTER).

    Called by the import pages and by `sotiem import`, so a run interrupted by a restart is shown failed (and can be
    resumed by uploading the file again) instead of `running` forever. Returns how many were marked.
    """
    cutoff = (now or timezone.now()) - STALE_AFTER
    return ImportRun.objects.filter(status=ImportStatus.RUNNING, updated_at__lt=cutoff).update(
        status=ImportStatus.FAILED, error=str(INTERRUPTED), updated_at=timezone.now()
    )


def import_run_heartbeat(run: ImportRun) -> None:
    """Tell the stale-run rule that this run's worker is alive."""
    ImportRun.objects.filter(pk=run.pk, status=ImportStatus.RUNNING).update(updated_at=timezone.now())


def _public_error(exc: BaseException, path: Path, file_name: str) -> str:
    """What the run shows of a failure: a SheetError's reason with the uploaded file's own name, never our path."""
    if isinstance(exc, SheetError):
        text = str(exc)
        for private in (str(path.resolve()), str(path), path.name):
            text = text.replace(private, file_name)
        return text[:2000]
    return _(
        "A system error stopped the import (%(kind)s); the rows saved are kept: upload the file again to resume."
    ) % {"kind": type(exc).__name__}


def _fail(run: ImportRun, exc: BaseException, path: Path) -> None:
    if not isinstance(exc, SheetError):
        logger.exception("import run %s failed", run.public_id)
    run.status = ImportStatus.FAILED
    run.error = _public_error(exc, path, run.file_name)
    run.save(update_fields=["status", "error", "updated_at"])


def import_run_process(*, run: ImportRun, path: Path, sender: Sender, actor: Actor) -> ImportRun:
    """Count the rows of a run started without counting, then import them; every failure is recorded on the run."""
    if not run.total_rows and not run.rows_done:
        try:
            run.total_rows = count_rows(path, limits=import_limits())
        except Exception as exc:  # noqa: BLE001 (recorded on the run, which the page shows)
            _fail(run, exc, path)
            return run
        run.save(update_fields=["total_rows", "updated_at"])
    try:
        return import_run_execute(run=run, path=path, sender=sender, actor=actor)
    except Exception:  # noqa: BLE001 (import_run_execute recorded it)
        return run


def _split_examples(rows: Iterator[SheetRow]) -> Iterator[tuple[list[SheetRow], list[SheetRow]]]:
    for batch in _batches(rows, MAX_BATCH):
        yield (
            [row for row in batch if not is_example_row(row.values)],
            [row for row in batch if is_example_row(row.values)],
        )


def _prepared_batches(
    rows: Iterator[SheetRow], workers: int
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
    language = translation.get_language()
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        pending: deque[tuple[list[SheetRow], list[SheetRow], Future[list[Prepared]]]] = deque()
        source = _split_examples(rows)
        for batch, examples in source:
            records = [row.values for row in batch]
            pending.append((batch, examples, pool.submit(_prepare_in, language, records)))
            if len(pending) >= ahead:
                done_batch, done_examples, future = pending.popleft()
                yield done_batch, done_examples, future.result()
        while pending:
            done_batch, done_examples, future = pending.popleft()
            yield done_batch, done_examples, future.result()


def _prepare_in(language: str | None, records: list[Any]) -> list[Prepared]:
    """`prepare_records` in a worker process, its messages in the language of the run that asked."""
    with translation.override(language):
        return prepare_records(records)


def import_run_execute(
    *,
    run: ImportRun,
    path: Path,
    sender: Sender,
    actor: Actor,
    progress: Callable[[int], None] = lambda n: None,
    workers: int = 0,
) -> ImportRun:
    """Process the rows not yet done, batch by batch, saving progress, counts and refused rows after each.

    `workers` > 0 runs the database-free checks in that many forked processes (the command line does; a web
    request's thread does not fork).
    """
    try:
        rows = read_rows(path, columns=TEMPLATE_COLUMNS, required=REQUIRED_COLUMNS, limits=import_limits())
    except Exception as exc:
        _fail(run, exc, path)
        raise
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
            results = (
                ingest_records(
                    sender=sender,
                    records=[row.values for row in batch],
                    channel="import",
                    actor=actor,
                    prepared=prepared,
                )
                if batch
                else []
            )
            listed = len(refused)
            for row in examples:
                counts[RecordStatus.REJECTED.value] += 1
                if len(refused) < MAX_REFUSED_LISTED:
                    refused.append(
                        [
                            row.line,
                            row.values.get("record_id", ""),
                            RecordStatus.REJECTED.value,
                            str(EXAMPLE_REFUSAL),
                        ]
                    )
            # plain words, not RecordStatus members: the run holds them as JSON, and in memory they print the same
            for row, result in zip(batch, results, strict=True):
                counts[result.status.value] += 1
                if result.status in REFUSED and len(refused) < MAX_REFUSED_LISTED:
                    reasons = "; ".join(
                        f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in result.errors
                    )
                    refused.append(
                        [row.line, result.record_id, result.status.value, reasons[:MAX_REASON_CHARS]]
                    )
            run.rows_done += len(batch) + len(examples)
            run.counts = dict(counts)
            fields = ["rows_done", "counts", "updated_at"]
            if len(refused) != listed:
                run.refused = refused
                fields.append("refused")
            run.save(update_fields=fields)
            progress(len(batch) + len(examples))
            if run.rows_done - skipped >= analyze_at:
                _analyze()
                analyze_at *= 2
    except Exception as exc:
        _fail(run, exc, path)
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
        cursor.execute(
            "ANALYZE " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in ANALYZED_TABLES)
        )


def import_run_unlisted(run: ImportRun) -> int:
    """How many refused rows the run counted beyond the MAX_REFUSED_LISTED it keeps for its report."""
    return max(0, sum(run.counts.get(status, 0) for status in REFUSED) - len(run.refused))


# The answer of a refused row as the report's reader says it (the stored word is the code, the same in every
# language); with a context, because "rejected" alone is other catalogues' word too.
REPORT_STATUS = {
    RecordStatus.REJECTED: pgettext_lazy("report status", "rejected"),
    RecordStatus.CONFLICT: pgettext_lazy("report status", "conflict"),
    RecordStatus.DUPLICATE: pgettext_lazy("report status", "duplicate"),
    RecordStatus.ACCEPTED: pgettext_lazy("report status", "accepted"),
}


def import_run_report(*, run: ImportRun, path: Path) -> Path:
    """Write the refused rows kept (line, record id, status, reasons) as CSV or XLSX, by the extension.

    Past MAX_REFUSED_LISTED, a last line says how many more were refused and not listed.
    """
    rows = [
        ReportRow(line=line, record_id=rid, status=str(REPORT_STATUS.get(status, status)), reasons=reasons)
        for line, rid, status, reasons in run.refused
    ]
    unlisted = import_run_unlisted(run)
    if unlisted:
        rows.append(
            ReportRow(
                line=0,
                record_id="",
                status="",
                reasons=_("… and %(count)s more refused rows not listed (only the first %(kept)s are kept).")
                % {"count": f"{unlisted:,}", "kept": f"{MAX_REFUSED_LISTED:,}"},
            )
        )
    write_report(path, rows)
    return path
