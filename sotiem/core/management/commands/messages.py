"""`sotiem messages`: which messages lack a translation, and `--add` to put them into their catalogues."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sotiem.core import messages
from sotiem.lib.catalogs import compile_catalogues


class Command(BaseCommand):
    help = (
        "List the messages without a Vietnamese or English translation; --add writes them into their catalogues "
        "(English filled in, Vietnamese empty for the translator); --compile builds the .mo files."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--add", action="store_true", help="add the missing messages to their .po files")
        parser.add_argument("--compile", action="store_true", help="compile every .po file to its .mo file")
        parser.add_argument(
            "paths",
            nargs="*",
            help="only the sources under these paths (from the project root), e.g. sotiem/people",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        under = tuple(path.rstrip("/") for path in options["paths"])
        if options["add"]:
            for path, count in sorted(messages.add_missing(under).items()):
                self.stdout.write(f"{path.relative_to(messages.ROOT)}: {count} added")
        if options["compile"]:
            for path in compile_catalogues(force=True):
                self.stdout.write(f"compiled {path.relative_to(messages.ROOT)}")
            return
        _uses, unreadable = messages.all_uses(under)
        for bad in unreadable:
            self.stdout.write(f"{bad.path}:{bad.line}: not a literal message: {bad.call}")
        gaps = messages.missing(under)
        for language, uses in gaps.items():
            for use in uses:
                self.stdout.write(f"{use.path}:{use.line}: no {language}: {use.message.msgid!r}")
        if unreadable or any(gaps.values()):
            raise CommandError("some messages cannot be translated (see above)")
        self.stdout.write("every message has its Vietnamese and English forms")
