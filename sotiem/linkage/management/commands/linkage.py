"""`sotiem linkage train|run`: train the match model with Splink; deduplicate the whole registry."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = (
        "train: estimate the match weights (Splink EM) on dose records as sent and write the model file; "
        "run: score every pair of persons that shares a blocking key, queue likely duplicates for review and "
        "merge the near-certain ones"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train", help="train the match model (writes a versioned JSON model file)")
        train.add_argument(
            "--csv",
            nargs="*",
            type=Path,
            default=[],
            help="backlog-template CSV files to train on (default: the records the registry holds)",
        )
        train.add_argument("--out", type=Path, required=True, help="the model file to write")
        train.add_argument("--version", default="", help="model version (default vn-<date>)")
        run = sub.add_parser("run", help="registry-wide deduplication")
        run.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
        run.add_argument("--dry-run", action="store_true", help="score and count, change nothing")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "train":
            self._train(opts)
        else:
            self._run(opts)

    def _train(self, opts: dict[str, Any]) -> None:
        from sotiem.linkage.records import csv_rows, held_rows, match_records
        from sotiem.linkage.splink_model import frame, train
        from sotiem.people.matching import feature_row

        rows = csv_rows(*opts["csv"]) if opts["csv"] else held_rows()
        features = [feature_row(rid, rec) for rid, rec in match_records(rows) if rec is not None]
        if len(features) < 1000:
            raise CommandError(
                _("Too few records to train on (%(count)s; at least 1,000)") % {"count": len(features)}
            )
        version = opts["version"] or f"vn-{dt.date.today():%Y%m%d}"
        source = ", ".join(str(p) for p in opts["csv"]) or "records held by the registry"
        model = train(frame(features), version=version, source=source)
        opts["out"].write_text(json.dumps(model.to_json(), indent=1, ensure_ascii=False), encoding="utf-8")
        self.stdout.write(
            _("Model %(version)s trained on %(count)s records -> %(out)s")
            % {"version": version, "count": f"{len(features):,}", "out": opts["out"]}
        )
        for name, weights in model.weights.items():
            self.stdout.write(f"  {name}: " + " ".join(f"{w:+.1f}" for w in weights[1:]))

    def _run(self, opts: dict[str, Any]) -> None:
        from sotiem.audit.actors import Agent
        from sotiem.linkage.dedup import linkage_run

        spark = None
        if opts["engine"] == "spark":
            from sotiem.linkage.spark import local_session

            spark = local_session()
        result = linkage_run(
            actor=Agent.system("linkage"), engine=opts["engine"], spark=spark, apply=not opts["dry_run"]
        )
        counts = {
            "persons": f"{result.persons:,}",
            "pairs": f"{result.pairs_scored:,}",
            "merged": f"{result.merged:,}",
            "queued": f"{result.queued:,}",
            "seconds": ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items()),
        }
        if opts["dry_run"]:
            summary = _(
                "%(persons)s persons, %(pairs)s pairs at or above the review weight; %(merged)s would be merged, "
                "%(queued)s queued for review (dry run: nothing changed); %(seconds)s"
            )
        else:
            summary = _(
                "%(persons)s persons, %(pairs)s pairs at or above the review weight; %(merged)s merged, "
                "%(queued)s queued for review; %(seconds)s"
            )
        self.stdout.write(summary % counts)
