"""Officials' sign-in throttling (django-axes): the lockout answer, and an audit event for every failure and lock.

django-axes counts wrong passwords per account and per client address (settings: AXES_*); this module only says
so plainly, in the reader's language with the time the lock ends, and writes the audit trail.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import dateformat
from django.utils.translation import gettext as _

from sotiem.accounts.clients import client_address
from sotiem.accounts.selectors import login_lockout_until
from sotiem.accounts.services import login_failure_record

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


class SignInThrottle(AxesStandaloneBackend):
    """django-axes' gate, first of the backends; a check without a request (a test's or a script's) passes through.

    Only a sign-in over HTTP can be hammered, and Django's own login views always pass the request; axes itself
    would raise instead, which breaks `Client.login` and scripts that check a password.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The sign-in page's answer while locked: 429, saying it is locked and until when (Vietnam time)."""
    username = str((credentials or {}).get("username") or request.POST.get("username") or "")[:150]
    until = login_lockout_until(username=username, address=client_address(request)).astimezone(VIETNAM)
    return render(
        request,
        "accounts/lockout.html",
        # a date format per language (Django's dateformat letters): 09:05 ngày 07/12/2026, 09:05 on 7 Dec 2026
        {"until": dateformat.format(until, _(r"H:i \o\n j M Y"))},
        status=429,
    )


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Django's user_login_failed: audit the failure (axes has counted it, and may have locked, just before)."""
    if request is None:  # not a sign-in over HTTP (e.g. a test's client.login): nothing to throttle or audit
        return
    username = str(credentials.get("username") or "")[:150]
    login_failure_record(
        username=username,
        address=client_address(request),
        locked=bool(getattr(request, "axes_locked_out", False)),
        failures=int(getattr(request, "axes_failures_since_start", 0) or 0),
    )
