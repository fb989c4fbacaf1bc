"""`sotiem import-sites FILE [--report OUT]`: sites from a spreadsheet (site_code, name, kind, province, commune)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

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
            raise CommandError(f"Không thấy tệp / No such file: {path}")
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
                        f"dòng / line {row.line}: {result.site_code} {result.status}: {result.reasons}"
                    )
        except SheetError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Điểm tiêm / sites: tạo mới / created {counts['created']}, không đổi / unchanged "
            f"{counts['unchanged']}, xung đột / conflict {counts['conflict']}, từ chối / rejected "
            f"{counts['rejected']}"
        )
        if opts["report"]:
            write_report(opts["report"], refused)
