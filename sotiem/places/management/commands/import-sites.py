"""`sotiem import-sites FILE [--report OUT]`: sites from a spreadsheet (site_code, name, kind, province, commune)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from sotiem.audit.actors import Agent
from sotiem.lib.spreadsheets import SITE_COLUMNS, ReportRow, SheetError, read_rows, write_report
from sotiem.places.services import site_import_row


class Command(BaseCommand):
    help = "Import vaccination sites from CSV or XLSX; idempotent (an identical site is left unchanged)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--report", type=Path, default=None, help="write refused rows to this CSV or XLSX"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        path: Path = opts["file"]
        if not path.exists():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        counts: Counter[str] = Counter()
        refused: list[ReportRow] = []
        try:
            for row in read_rows(
                path, columns=SITE_COLUMNS, required={"site_code", "name", "kind", "province"}
            ):
                with transaction.atomic():
                    result = site_import_row(values=row.values, actor=Agent.system("import-sites"))
                counts[result.status] += 1
                if result.status in ("rejected", "conflict"):
                    refused.append(
                        ReportRow(
                            line=row.line,
                            record_id=result.site_code,
                            status=result.status,
                            reasons=result.reasons,
                        )
                    )
                    self.stderr.write(
                        _("line %(line)s: %(code)s %(status)s: %(reasons)s")
                        % {
                            "line": row.line,
                            "code": result.site_code,
                            "status": result.status,
                            "reasons": result.reasons,
                        }
                    )
        except SheetError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _(
                "Sites: created %(created)s, unchanged %(unchanged)s, conflict %(conflict)s, "
                "rejected %(rejected)s"
            )
            % {status: counts[status] for status in ("created", "unchanged", "conflict", "rejected")}
        )
        if opts["report"]:
            write_report(opts["report"], refused)
