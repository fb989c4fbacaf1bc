"""`sotiem import FILE --source CODE [--report OUT]`: the paper backlog, from CSV or XLSX."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from sotiem.audit.actors import Agent
from sotiem.immunizations.imports import (
    import_run_execute,
    import_run_report,
    import_run_start,
    import_runs_fail_stale,
)
from sotiem.immunizations.ingest import Sender
from sotiem.lib.records import RecordStatus
from sotiem.lib.spreadsheets import SheetError


class Command(BaseCommand):
    help = (
        "Import dose records from a backlog spreadsheet (CSV or XLSX, template columns or Vietnamese headers). "
        "Re-running stores nothing twice; an interrupted run resumes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--source",
            required=True,
            help="who sends: a site code, or a team code such as HCM-BACKLOG; record ids are "
            "unique per source",
        )
        parser.add_argument(
            "--report", type=Path, default=None, help="write refused rows to this CSV or XLSX"
        )
        parser.add_argument("--restart", action="store_true", help="start a new run instead of resuming")
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--workers",
            type=int,
            default=max(1, (os.cpu_count() or 2) - 1),
            help="processes that check rows while this one stores them (0: check in this "
            "process; default: one less than the CPUs, at least 1)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        path: Path = opts["file"]
        if not path.exists():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        source = opts["source"].strip()
        # A run whose worker is gone (a restarted server, a killed command) is marked failed, so it is resumed here.
        import_runs_fail_stale()
        try:
            run = import_run_start(path=path, source=source, resume=not opts["restart"])
            if run.rows_done:
                self.stdout.write(
                    _("Resuming the earlier run from data row %(row)s") % {"row": run.rows_done + 1}
                )
            with tqdm(
                total=run.total_rows, unit="row", desc=_("Importing"), disable=opts["no_progress"]
            ) as bar:
                run = import_run_execute(
                    run=run,
                    path=path,
                    sender=Sender(source=source, label="cli"),
                    actor=Agent.sender(f"import:{source}"),
                    progress=bar.update,
                    workers=opts["workers"],
                )
        except SheetError as exc:
            raise CommandError(str(exc)) from exc
        counts = run.counts
        self.stdout.write(
            _(
                "Done: %(rows)s rows — accepted %(accepted)s, duplicate %(duplicate)s, conflict %(conflict)s, "
                "rejected %(rejected)s"
            )
            % {
                "rows": run.rows_done,
                "accepted": counts.get(RecordStatus.ACCEPTED, 0),
                "duplicate": counts.get(RecordStatus.DUPLICATE, 0),
                "conflict": counts.get(RecordStatus.CONFLICT, 0),
                "rejected": counts.get(RecordStatus.REJECTED, 0),
            }
        )
        if opts["report"]:
            import_run_report(run=run, path=opts["report"])
            self.stdout.write(_("Refused rows report: %(path)s") % {"path": opts["report"]})
