"""The one function that records an audit event, and the one check that an audited act says why."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from sotiem.audit.actors import SYSTEM, Actor, Agent, official_of
from sotiem.audit.models import AuditEvent
from sotiem.db.bulk import insert_objects, insert_rows

REASON_REQUIRED = gettext_lazy("A reason is required")


def require_reason(reason: str | None) -> str:
    """The reason an official gives for an act, stripped; refused when blank, for the audit trail must say why."""
    text = (reason or "").strip()
    if not text:
        raise ValidationError(REASON_REQUIRED, code="reason_required")
    return text


def _jsonable(value: Any) -> Any:
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of one row, JSON-ready, for an event's before/after."""
    names = fields or [f.attname for f in obj._meta.concrete_fields]
    return {name: _jsonable(getattr(obj, name)) for name in names}


def snapshot_values(values: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """`snapshot` of a row held as {column: value} (rows written without a model instance)."""
    return {name: _jsonable(values[name]) for name in fields}


def actor_label_of(actor: Actor) -> str:
    """What the audit trail stores as who acted: an agent's label verbatim, an official's username."""
    if isinstance(actor, Agent):
        return actor.label
    # tests are not type-checked and still pass bare labels (and None for the system); read them as before
    if isinstance(actor, str):
        return actor
    if actor is None:
        return SYSTEM.label
    return actor.get_username()


def audit_event(
    *,
    actor: Actor,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    person_id: int | None = None,
) -> AuditEvent:
    """An unsaved event, for services that write many rows at once (see `audit_record_many`)."""
    user = official_of(actor)
    return AuditEvent(
        actor=user,
        actor_label=actor_label_of(actor)[:120],
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        person_id=person_id,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        reason=reason,
    )


def audit_record_many(events: list[AuditEvent]) -> list[AuditEvent]:
    """Write events built by `audit_event` in one statement; call it inside the transaction of the changes."""
    return insert_objects(events)


AuditEntry = tuple[str, str, int | None, dict[str, Any] | None]  # object id, object repr, person id, after


def audit_record_entries(
    *, actor: Actor, action: str, object_type: str, entries: list[AuditEntry], reason: str = ""
) -> None:
    """One event per object created by one act (an ingested batch), written in one statement.

    The same events as `audit_event` + `audit_record_many` would write, without building a model instance per
    event; `after` must already be JSON-ready. Call it inside the transaction of the changes.
    """
    if not entries:
        return
    user = official_of(actor)
    now = timezone.now()
    head = (now, user.pk if user else None, actor_label_of(actor)[:120], action, object_type)
    insert_rows(
        AuditEvent,
        AUDIT_COLUMNS,
        [
            (*head, object_id, object_repr[:200], person_id, None, after, reason)
            for object_id, object_repr, person_id, after in entries
        ],
    )


AUDIT_COLUMNS = [
    "created_at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "person_id",
    "before",
    "after",
    "reason",
]


def audit_record(
    *,
    actor: Actor,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    person_id: int | None = None,
) -> AuditEvent:
    """Record one change; call it inside the transaction of the change so both commit or neither does.

    `actor` is the official who acts (their user row) or an `Agent` (the system, a sender, a citizen).
    """
    event = audit_event(
        actor=actor, action=action, obj=obj, before=before, after=after, reason=reason, person_id=person_id
    )
    event.save()
    return event
