"""What the command-line tools share: who acts, a sub-command's dispatch, a site named by its code."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sotiem.audit.actors import Agent
from sotiem.places.models import Site

ACTOR = Agent.system("cli")


class ActionCommand(BaseCommand):
    """A command of sub-commands (`dest="action"`): each runs the method `_<action>` with the options.

    A service's refusal (ValidationError) ends the command as a CommandError, so the shell shows its message
    and an exit status instead of a traceback.
    """

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            getattr(self, f"_{opts['action']}")(opts)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc


def site_named(code: str) -> Site | None:
    """The site of an optional `--site` code (with its province); none when no code is given."""
    if not code:
        return None
    site = Site.objects.select_related("province").filter(code=code).first()
    if site is None:
        raise CommandError(_("No site with code %(code)s") % {"code": repr(code)})
    return site
