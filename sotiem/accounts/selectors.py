"""Reads about officials."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from sotiem.accounts.models import Grant
from sotiem.accounts.scoping import has_national


def grant_list(*, viewer: Any) -> QuerySet[Grant]:
    """Grants the viewer may see: national officials see all, others their own."""
    qs = Grant.objects.select_related("user", "site")
    if has_national(viewer, "view"):
        return qs
    return qs.filter(user=viewer)
