"""The one place where jurisdiction scoping is decided: `Model.objects.restrict(user, action)`.

A model that holds personal or registry data declares `SCOPE`, a mapping from a grant level to the lookups
that put a row inside that jurisdiction (OR'ed). A user sees a row if any of their active grants allows the
action and any of the grant level's lookups matches; national grants and superusers see everything.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import models
from django.db.models import Q

from sotiem.accounts.models import Grant


def grants_of(user: Any) -> list[Grant]:
    """The user's active grants, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_sotiem_grants", None)
    if cached is None:
        cached = list(Grant.objects.filter(user=user, revoked_at__isnull=True).select_related("site"))
        user._sotiem_grants = cached
    return cached


def has_national(user: Any, action: str) -> bool:
    if user is not None and getattr(user, "is_superuser", False) and user.is_active:
        return True
    return any(g.level == "national" and g.allows(action) for g in grants_of(user))


def scope_q(model: type[models.Model], user: Any, action: str) -> Q | None:
    """The filter for rows of `model` this user may act on; None means everything, an empty Q-set none."""
    if has_national(user, action):
        return None
    scope: dict[str, list[str]] = getattr(model, "SCOPE", {})
    values: dict[str, set[Any]] = defaultdict(set)
    for grant in grants_of(user):
        if not grant.allows(action):
            continue
        value = {"province": grant.province_code, "commune": grant.commune_code, "site": grant.site_id}.get(
            grant.level
        )
        if value not in (None, ""):
            values[grant.level].add(value)
    q = Q(pk__in=[])
    for level, found in values.items():
        for lookup in scope.get(level, []):
            if "__" in lookup:
                # a lookup across a relation (possibly to-many): a subquery, so rows are never repeated
                sub = model._default_manager.filter(**{f"{lookup}__in": found}).values("pk")
                q |= Q(pk__in=sub)
            else:
                q |= Q(**{f"{lookup}__in": found})
    return q


class RestrictedQuerySet(models.QuerySet):
    """A queryset that can be narrowed to what one user may see or change."""

    def restrict(self, user: Any, action: str = "view") -> RestrictedQuerySet:
        """Only the rows inside the user's jurisdictions for this action (none for an anonymous user)."""
        q = scope_q(self.model, user, action)
        if q is None:
            return self
        return self.filter(q)
