"""Reads of the audit log. Scoping by viewer happens in the app that owns the object (people.selectors)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from sotiem.audit.models import AuditEvent


def audit_event_list(*, person_id: int | None = None, obj: Any = None) -> QuerySet[AuditEvent]:
    """Audit events of one person's record or of one object, newest first."""
    qs = AuditEvent.objects.all()
    if person_id is not None:
        qs = qs.filter(person_id=person_id)
    if obj is not None:
        qs = qs.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    return qs
