"""`sotiem inbox list|rerun`: batches kept in the inbox, and re-running the ones that did not finish."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sotiem.accounts.models import ApiKey
from sotiem.audit.actors import Agent
from sotiem.immunizations.ingest import Sender, inbox_rerun
from sotiem.immunizations.models import InboxBatch, InboxStatus


def sender_for(source: str) -> Sender:
    """The sender a batch came from, with its key's limits when it came through a key."""
    key = ApiKey.objects.select_related("site").filter(source=source).order_by("-id").first()
    if key is None:
        return Sender(source=source)
    return Sender(source=source, site=key.site, province_code=key.province_code, label=f"apikey:{key.prefix}")


class Command(BaseCommand):
    help = (
        "List inbox batches that did not finish, and re-run them (idempotent: held records stay duplicates)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="batches not processed (failed, or received before a crash)")
        rerun = sub.add_parser("rerun", help="re-run unfinished batches (all, or one by id)")
        rerun.add_argument("--id", type=int, default=None)

    def handle(self, *args: Any, **opts: Any) -> None:
        pending = InboxBatch.objects.exclude(status=InboxStatus.PROCESSED).exclude(channel="hl7-raw")
        if opts["action"] == "list":
            for batch in pending.order_by("id"):
                self.stdout.write(
                    f"{batch.pk}\t{batch.received_at:%Y-%m-%d %H:%M:%S}\t{batch.source}\t"
                    f"{batch.channel}\t{batch.record_count}\t{batch.status}\t{batch.error[:120]}"
                )
            return
        if opts["id"] is not None:
            pending = pending.filter(pk=opts["id"])
        for batch in pending.order_by("id"):
            results = inbox_rerun(
                batch=batch, sender=sender_for(batch.source), actor=Agent.sender(f"inbox-rerun:{batch.pk}")
            )
            counts: dict[str, int] = {}
            for result in results:
                counts[result.status.value] = counts.get(result.status.value, 0) + 1
            self.stdout.write(f"{batch.pk}\t{batch.source}\t{counts}")
