"""`sotiem apikey create|list|revoke`: sender keys for sites and provincial data-entry teams."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from sotiem.accounts.management.cli import ACTOR, ActionCommand, site_named
from sotiem.accounts.models import ApiKey
from sotiem.accounts.services import apikey_create, apikey_revoke


class Command(ActionCommand):
    help = "Create, list and revoke sender API keys (Authorization: Bearer <key>)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="issue a key; the key is printed alone on the last line")
        create.add_argument("--site", default="", help="site code: the key sends that site's doses")
        create.add_argument("--team", default="", help="a data-entry team code (with --province)")
        create.add_argument("--province", default="", help="2025 province code of the team")
        create.add_argument("--label", default="")
        revoke = sub.add_parser("revoke", help="revoke a key by its prefix")
        revoke.add_argument("prefix")
        revoke.add_argument("--reason", required=True)
        sub.add_parser("list", help="list keys (prefix, sender, state)")

    def _create(self, opts: dict[str, Any]) -> None:
        key, secret = apikey_create(
            site=site_named(opts["site"]),
            team_code=opts["team"],
            province_code=opts["province"],
            label=opts["label"],
            actor=ACTOR,
        )
        self.stdout.write(
            _("Key for %(source)s (province %(province)s); store it now, it is not shown again:")
            % {"source": key.source, "province": key.province_code}
        )
        self.stdout.write(secret)

    def _revoke(self, opts: dict[str, Any]) -> None:
        key = ApiKey.objects.filter(prefix=opts["prefix"]).first()
        if key is None:
            raise CommandError(_("No key %(prefix)s") % {"prefix": repr(opts["prefix"])})
        apikey_revoke(key=key, actor=ACTOR, reason=opts["reason"])
        self.stdout.write(f"revoked {key}")

    def _list(self, opts: dict[str, Any]) -> None:
        for key in ApiKey.objects.order_by("id"):
            state = "revoked" if key.revoked_at else "active"
            self.stdout.write(f"{key.prefix}\t{key.source}\t{key.province_code}\t{state}\t{key.label}")
