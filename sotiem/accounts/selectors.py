"""Reads about officials."""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from sotiem.accounts.models import Grant
from sotiem.accounts.scoping import has_national


def grant_list(*, viewer: Any) -> QuerySet[Grant]:
    """Grants the viewer may see: national officials see all, others their own."""
    qs = Grant.objects.select_related("user", "site")
    if has_national(viewer, "view"):
        return qs
    return qs.filter(user=viewer)


def login_lockout_until(*, username: str, address: str) -> Any:
    """When a sign-in lock on this account or client address ends: the cool-off after the last wrong try of either."""
    last = AccessAttempt.objects.filter(Q(username=username) | Q(ip_address=address or None)).aggregate(
        last=Max("attempt_time"))["last"] or timezone.now()
    return last + (get_cool_off() or dt.timedelta(0))
