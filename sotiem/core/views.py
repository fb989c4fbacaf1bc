"""The landing page and the health check."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from sotiem.core.selectors import registry_counts


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and `make demo`'s wait loop."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return JsonResponse({"status": "ok", "database": connection.vendor})
    except Exception as exc:  # noqa: BLE001 (a health check reports any failure)
        return JsonResponse({"status": "error", "database": connection.vendor, "error": str(exc)}, status=503)


def landing(request: HttpRequest) -> HttpResponse:
    """What sotiem is, in the reader's language, with registry-wide counts (no personal data)."""
    return render(request, "core/landing.html", {"counts": registry_counts()})
