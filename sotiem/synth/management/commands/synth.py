"""`sotiem synth --persons N --seed S --out DIR [--provinces 79,74]`: write a synthetic population (no database)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from sotiem.synth.generator import generate


class Command(BaseCommand):
    help = "Write a synthetic population with its doses, the records sites send, and the ground truth (CSV)."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, required=True, help="number of persons")
        parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same files)")
        parser.add_argument("--out", type=Path, required=True, help="output directory")
        parser.add_argument(
            "--provinces",
            default="",
            help="comma-separated 2021 GSO province codes (default: all 63, weighted by population)",
        )
        parser.add_argument("--workers", type=int, default=None, help="worker processes (default: up to 2)")
        parser.add_argument("--progress", action="store_true", help="show a progress bar on stderr")

    def handle(self, *args: Any, **options: Any) -> None:
        provinces = [p for p in str(options["provinces"]).split(",") if p.strip()] or None
        try:
            summary = generate(
                persons=options["persons"],
                seed=options["seed"],
                out=options["out"],
                provinces=provinces,
                progress=bool(options["progress"]),
                workers=options["workers"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _(
                "%(persons)s persons, %(households)s households, %(doses)s doses (%(backlog)s paper backlog), "
                "%(sites)s sites, %(sessions)s sessions in %(seconds)s s -> %(out)s"
            )
            % {
                "persons": summary.persons,
                "households": summary.households,
                "doses": summary.doses,
                "backlog": f"{summary.backlog_share:.1%}",
                "sites": summary.sites,
                "sessions": summary.sessions,
                "seconds": f"{summary.seconds:.1f}",
                "out": summary.out,
            }
        )
