"""Reads of the audit log. Scoping by viewer happens in the app that owns the object (people.selectors)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet

from sotiem.audit.models import AuditEvent


def audit_event_list(
    *, person_id: int | None = None, obj: Any = None, batches: Sequence[tuple[str, str]] = ()
) -> QuerySet[AuditEvent]:
    """Audit events of one person's record or of one object, newest first.

    `batches` are (object type, id) of received batches that wrote to the person's record: ingestion audits a
    whole batch in one event (see immunizations.ingest), which belongs to the history of every person in it.
    """
    qs = AuditEvent.objects.all()
    if person_id is not None:
        touched = Q(person_id=person_id)
        for object_type, object_id in batches:
            touched |= Q(object_type=object_type, object_id=object_id)
        qs = qs.filter(touched)
    if obj is not None:
        qs = qs.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    return qs
