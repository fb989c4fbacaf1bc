"""`sotiem export links --out FILE.csv`: which person each record held is on (for evaluating linkage)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "links: write source,record_id,person_id for every record held (person_id: the surviving person)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        links = sub.add_parser("links", help="source,record_id,person_id of every record held")
        links.add_argument("--out", type=Path, required=True)

    def handle(self, *args: Any, **opts: Any) -> None:
        from sotiem.linkage.dedup import links_export

        with open(opts["out"], "w", encoding="utf-8", newline="") as out:
            count = links_export(out)
        self.stdout.write(_("%(count)s records -> %(out)s") % {"count": f"{count:,}", "out": opts["out"]})
