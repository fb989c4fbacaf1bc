"""Reads of persons, always through the viewer's jurisdiction."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from sotiem.audit.actors import Agent
from sotiem.audit.services import audit_event, audit_record, audit_record_many
from sotiem.lib.names import name_key
from sotiem.people.models import (
    BirthDateLock,
    ContactPoint,
    Person,
    PersonStatus,
    ReviewCandidate,
    ReviewStatus,
    birth_date_lock_keys,
)


def person_list(
    *, viewer: Any, action: str = "view", name: str = "", include_merged: bool = False
) -> QuerySet[Person]:
    """Persons the viewer may see (or change), optionally by name key prefix."""
    qs = Person.objects.restrict(viewer, action)
    if not include_merged:
        qs = qs.filter(status=PersonStatus.ACTIVE)
    if name:
        qs = qs.filter(name_key__startswith=name_key(name))
    return qs


def person_get(*, viewer: Any, public_id: uuid.UUID | str, action: str = "view") -> Person | None:
    """One person by public id, or None when absent or outside the viewer's jurisdiction; each read is logged."""
    person = Person.objects.restrict(viewer, action).filter(public_id=public_id).first()
    if person is not None:
        audit_record(actor=viewer, action="person.read", obj=person, person_id=person.pk)
    return person


def household_of(*, viewer: Any, phone: str) -> QuerySet[Person]:
    """The persons who gave this phone (a household view; it never makes them one person)."""
    ids = ContactPoint.objects.filter(phone=phone, active=True).values("person_id")
    return Person.objects.restrict(viewer, "view").filter(pk__in=ids).order_by("birth_date")


def _log_reads(viewer: Any, persons: list[Person], *, reason: str) -> None:
    """One "person.read" event per person shown, written together (the ids are reserved inside the transaction)."""
    if persons:
        with transaction.atomic():
            audit_record_many(
                [
                    audit_event(
                        actor=viewer, action="person.read", obj=person, person_id=person.pk, reason=reason
                    )
                    for person in persons
                ]
            )


def household_contact_list(*, viewer: Any, phone: str, action: str = "view") -> QuerySet[ContactPoint]:
    """The active links of persons to this phone (E.164), for persons the viewer may see (or change).

    Scoped through the person, as `household_of` is, so the household page and the detach form agree on who
    is inside the viewer's jurisdiction. Not logged: callers that show the persons log the read.
    """
    persons = Person.objects.restrict(viewer, action).filter(status=PersonStatus.ACTIVE)
    return (
        ContactPoint.objects.filter(phone=phone, active=True, person__in=persons)
        .select_related("person")
        .order_by(F("person__birth_date").asc(nulls_last=True), "person__full_name", "pk")
    )


def household_read(*, viewer: Any, phone: str) -> list[ContactPoint]:
    """The household behind a phone as shown to an official; who looked up whom is logged, one event a person."""
    contacts = list(household_contact_list(viewer=viewer, phone=phone))
    _log_reads(viewer, [c.person for c in contacts], reason=f"household {phone}")
    return contacts


def review_candidate_list(*, viewer: Any, status: str = ReviewStatus.PENDING) -> QuerySet[ReviewCandidate]:
    """Candidate pairs inside the viewer's jurisdiction: pending ones strongest first, decided ones latest first."""
    qs = (
        ReviewCandidate.objects.restrict(viewer, "view")
        .filter(status=status)
        .select_related("person_a", "person_b", "decided_by")
    )
    if status == ReviewStatus.PENDING:
        return qs.order_by("-weight", "-created_at", "-pk")
    return qs.order_by("-decided_at", "-pk")


def review_candidate_get(
    *, viewer: Any, public_id: uuid.UUID | str, action: str = "view"
) -> ReviewCandidate | None:
    """One candidate pair, or None when absent or outside the viewer's jurisdiction; both persons' reads are logged."""
    candidate = (
        ReviewCandidate.objects.restrict(viewer, action)
        .filter(public_id=public_id)
        .select_related("person_a", "person_b", "decided_by")
        .first()
    )
    if candidate is not None:
        _log_reads(viewer, [candidate.person_a, candidate.person_b], reason=f"review {candidate.public_id}")
    return candidate


def review_candidate_may_decide(*, viewer: Any, candidate: ReviewCandidate) -> bool:
    """Whether the viewer's grants let them decide this pair (change rights over its jurisdiction)."""
    return ReviewCandidate.objects.restrict(viewer, "change").filter(pk=candidate.pk).exists()


def household_citizen_read(*, phone: str, actor: Agent, limit: int) -> tuple[list[ContactPoint], int]:
    """The active contact points of a phone its owner proved (a citizen), at most `limit`, each person's read
    audited as that citizen; with the total count. Only name and birth date are loaded."""
    contacts = (
        ContactPoint.objects.filter(phone=phone, active=True, person__status=PersonStatus.ACTIVE)
        .select_related("person")
        .only("id", "person", "person__full_name", "person__birth_date")
        .order_by(F("person__birth_date").asc(nulls_last=True), "person__full_name", "pk")
    )
    total = contacts.count()
    shown = list(contacts[:limit])
    with transaction.atomic():
        audit_record_many(
            [
                audit_event(
                    actor=actor,
                    action="person.read",
                    obj=c.person,
                    person_id=c.person.pk,
                    reason=f"household {phone}",
                )
                for c in shown
            ]
        )
    return shown, total


def birth_date_lock_active(*, person: Person, phone: str, address: str) -> BirthDateLock | None:
    """The lock refusing birth dates for this person, phone or client address now (the one ending last), if any."""
    keys = birth_date_lock_keys(person_id=person.pk, phone=phone, address=address)
    wanted = Q()
    for scope, key in keys.items():
        wanted |= Q(scope=scope, key=key)
    return BirthDateLock.objects.filter(wanted, until__gt=timezone.now()).order_by("-until").first()
