"""Reads about officials and senders."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from sotiem.accounts.models import ApiKey, Grant
from sotiem.accounts.scoping import has_national


def grant_list(*, viewer: Any) -> QuerySet[Grant]:
    """Grants the viewer may see: national officials see all, others their own."""
    qs = Grant.objects.select_related("user", "site")
    if has_national(viewer, "view"):
        return qs
    return qs.filter(user=viewer)


def login_lockout_until(*, username: str, address: str) -> Any:
    """When a sign-in lock on this account or client address ends: the cool-off after the last wrong try of either."""
    last = (
        AccessAttempt.objects.filter(Q(username=username) | Q(ip_address=address or None)).aggregate(
            last=Max("attempt_time")
        )["last"]
        or timezone.now()
    )
    return last + (get_cool_off() or dt.timedelta(0))


def team_source(province_code: str) -> str:
    """The sender code of a province's backlog team, e.g. P79-BACKLOG: its web imports, and a team key may share it."""
    return f"P{province_code}-BACKLOG"


NATIONAL_SOURCE = "VN-BACKLOG"
_TEAM_SOURCE = re.compile(r"P(\w+)-BACKLOG")


def team_code_belongs(code: str, province_code: str) -> bool:
    """Whether a team key of this province may send as `code`: never as another province's or the national team.

    A sender code names whose records are held and answered (receipts, conflicts): a code shared by two
    provinces would show one province the other's held values.
    """
    if code.upper() == NATIONAL_SOURCE:
        return False
    reserved = _TEAM_SOURCE.fullmatch(code.upper())
    if reserved is not None and reserved.group(1) != province_code.upper():
        return False
    return not ApiKey.objects.filter(source=code).exclude(province_code=province_code).exists()
