"""`sotiem official add|grant|revoke|list`: accounts for officials, without the vendor."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from sotiem.accounts.management.cli import ACTOR, ActionCommand, site_named
from sotiem.accounts.models import Grant, Level, Role
from sotiem.accounts.services import grant_create, grant_revoke, official_create


class Command(ActionCommand):
    help = "Create officials and give or revoke their grants (role × national/province/commune/site)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="create an official and give one grant")
        add.add_argument("username")
        add.add_argument("--name", default="", help="full name")
        add.add_argument("--password", default="", help="default: a random one, printed once")
        for p in (add, grant := sub.add_parser("grant", help="give an existing official one more grant")):
            if p is grant:
                p.add_argument("username")
            p.add_argument("--role", choices=Role.values, default=Role.MANAGER)
            p.add_argument("--level", choices=Level.values, required=True)
            p.add_argument("--province", default="", help="2025-era province code (level province)")
            p.add_argument("--commune", default="", help="2025-era commune code (level commune)")
            p.add_argument("--site", default="", help="site code (level site)")
            p.add_argument("--reason", required=True, help="why (kept in the audit log)")
        revoke = sub.add_parser("revoke", help="revoke a grant by its id")
        revoke.add_argument("grant_id", type=int)
        revoke.add_argument("--reason", required=True)
        sub.add_parser("list", help="list active grants")

    def _grant_kwargs(self, opts: dict[str, Any]) -> dict[str, Any]:
        return {
            "role": opts["role"],
            "level": opts["level"],
            "province_code": opts["province"],
            "commune_code": opts["commune"],
            "site": site_named(opts["site"]),
            "reason": opts["reason"],
            "actor": ACTOR,
        }

    def _add(self, opts: dict[str, Any]) -> None:
        kwargs = self._grant_kwargs(opts)
        password = opts["password"] or secrets.token_urlsafe(12)
        user = official_create(
            username=opts["username"],
            password=password,
            full_name=opts["name"] or opts["username"],
            actor=ACTOR,
            reason=opts["reason"],
        )
        grant = grant_create(user=user, **kwargs)
        self.stdout.write(f"{user.username}\t{password}\t{grant}")

    def _grant(self, opts: dict[str, Any]) -> None:
        user = get_user_model().objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError(_("No official %(username)s") % {"username": repr(opts["username"])})
        self.stdout.write(str(grant_create(user=user, **self._grant_kwargs(opts))))

    def _revoke(self, opts: dict[str, Any]) -> None:
        grant = Grant.objects.filter(pk=opts["grant_id"], revoked_at__isnull=True).first()
        if grant is None:
            raise CommandError(_("No active grant %(id)s") % {"id": opts["grant_id"]})
        grant_revoke(grant=grant, actor=ACTOR, reason=opts["reason"])
        self.stdout.write(f"revoked {grant}")

    def _list(self, opts: dict[str, Any]) -> None:
        for grant in (
            Grant.objects.filter(revoked_at__isnull=True).select_related("user", "site").order_by("id")
        ):
            self.stdout.write(f"{grant.pk}\t{grant}")
