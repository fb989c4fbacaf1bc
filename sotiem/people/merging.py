"""Merge, unmerge and split of persons; each records every row it moved (a PersonMerge), so it can be undone exactly.

A merge moves the rows every app keeps per person (doses and appointments, as immunizations registered them in
people.hooks) and the person's own identifiers and contact points to another person, and keeps the first as a
tombstone (status merged, merged_into the survivor). Persons merged into that tombstone earlier keep
pointing at it: identity matching follows a chain of tombstones to its survivor, and leaving them alone keeps each
older merge's record true, so it can still be undone once the later one is. Audit events are history and never move.

The apps above `people` are told through people.hooks, never imported: their callables run inside the merge's
transaction (immunizations renumbers doses there).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sotiem.audit.actors import Actor, official_of
from sotiem.audit.services import actor_label_of, audit_record, require_reason, snapshot
from sotiem.people.hooks import person_rows, person_tables, splitter
from sotiem.people.models import (
    ContactPoint,
    Identifier,
    MergeKind,
    Person,
    PersonMerge,
    PersonStatus,
    ReviewCandidate,
    ReviewStatus,
)
from sotiem.people.services import PersonIn, person_create_many
from sotiem.people.signals import person_changed_on_commit

# the person's own tables a merge moves, by the key their row ids are kept under in PersonMerge.moved; the other
# apps' tables come from people.hooks
OWN: dict[str, type[models.Model]] = {"identifiers": Identifier, "contact_points": ContactPoint}
REVIEW_FIELDS = ["status", "decided_by_id", "decided_at", "reason"]


def _require_active(*persons: Person) -> None:
    for person in persons:
        if person.is_merged():
            raise ValidationError(
                _("%(person)s was merged into another person; use that person, or undo that merge first")
                % {"person": person}
            )


def _lock(*persons: Person) -> None:
    """Re-read the persons under a row lock, in id order so two merges never deadlock, and decide on that state."""
    for person in sorted(persons, key=lambda p: p.pk):
        person.refresh_from_db(from_queryset=Person.objects.select_for_update())


def _ids(qs: models.QuerySet[Any]) -> list[int]:
    return sorted(qs.values_list("pk", flat=True))


def _movable() -> dict[str, type[models.Model]]:
    """Every per-person table a merge moves: the registered ones, then the person's own."""
    return {**person_tables(), **OWN}


def _move(moved: dict[str, Any], *, to: Person) -> None:
    # QuerySet.update: moved rows keep their updated_at (their content is unchanged; the audit log has the move)
    for table, model in _movable().items():
        if moved.get(table):
            model._default_manager.filter(pk__in=moved[table]).update(person=to)


def _set_aside(moved: dict[str, Any], *, active: bool) -> None:
    for table, ids in moved.get("set_aside", {}).items():
        if ids:
            OWN[table]._default_manager.filter(pk__in=ids).update(active=active)


def _audit_pair(
    obj: models.Model,
    *,
    person_ids: tuple[int, int],
    action: str,
    actor: Actor,
    reason: str,
    before: dict[str, Any] | None,
) -> None:
    """One event in each person's history: both records changed."""
    after = snapshot(obj, REVIEW_FIELDS if isinstance(obj, ReviewCandidate) else None)
    for person_id in person_ids:
        audit_record(
            actor=actor,
            action=action,
            obj=obj,
            person_id=person_id,
            before=before,
            after=after,
            reason=reason,
        )


def _finish(
    record: PersonMerge, *, action: str, actor: Actor, reason: str, before: dict[str, Any] | None
) -> None:
    """Let the apps redo what follows from their rows (doses renumbered), audit the act on both, and tell other apps
    once it has committed."""
    pair = (record.survivor_id, record.merged_id)
    for rows in person_rows():
        if rows.moved is not None:
            rows.moved(pair)
    _audit_pair(record, person_ids=pair, action=action, actor=actor, reason=reason, before=before)
    person_changed_on_commit(person_ids=pair)


def _record(
    *,
    kind: str,
    survivor: Person,
    merged: Person,
    moved: dict[str, Any],
    actor: Actor,
    reason: str,
    review: ReviewCandidate | None = None,
) -> PersonMerge:
    return PersonMerge.objects.create(
        kind=kind,
        survivor=survivor,
        merged=merged,
        moved=moved,
        review=review,
        actor_label=actor_label_of(actor)[:120],
        reason=reason.strip(),
    )


def _merge_plan(survivor: Person, merged: Person) -> dict[str, Any]:
    """The rows of `merged` to move, and its duplicates of the survivor's rows to set aside (deactivate) instead.

    A duplicate (an identifier the survivor holds, or a phone it holds active) cannot move without breaking a
    unique constraint, and is worth nothing twice: it stays on the tombstone, inactive, and unmerge reactivates it.
    """
    held_ids = set(Identifier.objects.filter(person=survivor).values_list("scheme", "value"))
    held_phones = set(
        ContactPoint.objects.filter(person=survivor, active=True).values_list("phone", flat=True)
    )
    plan: dict[str, Any] = {
        table: _ids(model._default_manager.filter(person=merged)) for table, model in person_tables().items()
    }
    plan |= {"identifiers": [], "contact_points": [], "set_aside": {"identifiers": [], "contact_points": []}}
    for pk, scheme, value, active in (
        Identifier.objects.filter(person=merged).order_by("pk").values_list("pk", "scheme", "value", "active")
    ):
        if (scheme, value) not in held_ids:
            plan["identifiers"].append(pk)
        elif active:
            plan["set_aside"]["identifiers"].append(pk)
        # an inactive duplicate simply stays where it is: nothing about it changes
    for pk, phone, active in (
        ContactPoint.objects.filter(person=merged).order_by("pk").values_list("pk", "phone", "active")
    ):
        duplicate = active and phone in held_phones
        (plan["set_aside"]["contact_points"] if duplicate else plan["contact_points"]).append(pk)
    return plan


def _review_lock_pending(review: ReviewCandidate) -> None:
    review.refresh_from_db(from_queryset=ReviewCandidate.objects.select_for_update())
    if not review.is_pending():
        raise ValidationError(
            _("This pair was already decided (%(status)s); a pair is decided once")
            % {"status": review.get_status_display()}
        )


def _review_set(
    review: ReviewCandidate, fields: dict[str, Any], *, action: str, actor: Actor, reason: str
) -> None:
    before = snapshot(review, REVIEW_FIELDS)
    for name, value in fields.items():
        setattr(review, name, value)
    review.save(update_fields=list(fields))
    _audit_pair(
        review,
        person_ids=(review.person_a_id, review.person_b_id),
        action=action,
        actor=actor,
        reason=reason,
        before=before,
    )


def _review_decided(review: ReviewCandidate, status: str, *, actor: Actor, reason: str) -> None:
    _review_set(
        review,
        {
            "status": status,
            "decided_by": official_of(actor),
            "decided_at": timezone.now(),
            "reason": reason.strip(),
        },
        action="review.decide",
        actor=actor,
        reason=reason,
    )


@transaction.atomic
def person_merge(
    *, survivor: Person, merged: Person, actor: Actor, reason: str, review: ReviewCandidate | None = None
) -> PersonMerge:
    """Move every registered row (doses, appointments), identifier and phone of `merged` to `survivor`, keeping
    `merged` as a tombstone."""
    require_reason(reason)
    if survivor.pk == merged.pk:
        raise ValidationError(_("A person cannot be merged into themselves"))
    _lock(survivor, merged)
    _require_active(merged, survivor)
    moved = _merge_plan(survivor, merged)
    if review is not None:
        _review_lock_pending(review)
        if {review.person_a_id, review.person_b_id} != {survivor.pk, merged.pk}:
            raise ValidationError(_("The review pair is not these two persons"))
        moved["review_reason"] = review.reason  # restored by unmerge, which reopens the pair
    _move(moved, to=survivor)
    _set_aside(moved, active=False)
    merged.status, merged.merged_into = PersonStatus.MERGED, survivor
    merged.save(update_fields=["status", "merged_into", "updated_at"])
    record = _record(
        kind=MergeKind.MERGE,
        survivor=survivor,
        merged=merged,
        moved=moved,
        actor=actor,
        reason=reason,
        review=review,
    )
    if review is not None:
        _review_decided(review, ReviewStatus.LINKED, actor=actor, reason=reason)
    _finish(record, action="person.merge", actor=actor, reason=reason, before=None)
    return record


def _check_undoable(merge: PersonMerge, *, holder: Person) -> None:
    """Refuse an undo that could not put back exactly what the merge or split moved."""
    if merge.is_undone():
        raise ValidationError(_("This merge or split was already undone"))
    survivor, merged = merge.survivor, merge.merged
    if merge.kind == MergeKind.SPLIT:
        _require_active(survivor, merged)
    else:
        _require_active(survivor)
        if merged.merged_into_id != survivor.pk:
            raise ValidationError(
                _("%(merged)s no longer points at %(survivor)s") % {"merged": merged, "survivor": survivor}
            )
    movable = _movable()
    for table, model in movable.items():
        if model._default_manager.filter(pk__in=merge.moved.get(table, [])).exclude(person=holder).exists():
            raise ValidationError(
                _("Some %(table)s it moved have moved again since (a later split or merge); undo that first")
                % {"table": table}
            )
    if merge.kind == MergeKind.SPLIT:
        for table in (t for t in merge.moved if t in movable and t not in OWN):
            if (
                movable[table]
                ._default_manager.filter(person=merged)
                .exclude(pk__in=merge.moved[table])
                .exists()
            ):
                raise ValidationError(
                    _(
                        "%(person)s has %(table)s recorded since the split; merge the two persons instead of "
                        "undoing the split"
                    )
                    % {"person": merged, "table": table}
                )


@transaction.atomic
def person_unmerge(*, merge: PersonMerge, actor: Actor, reason: str) -> PersonMerge:
    """Undo a merge or a split exactly: moved rows go back, set-aside rows count again; nobody is deleted."""
    require_reason(reason)
    merge.refresh_from_db(from_queryset=PersonMerge.objects.select_for_update())
    survivor, merged = merge.survivor, merge.merged
    _lock(survivor, merged)
    is_split = merge.kind == MergeKind.SPLIT
    holder, owner = (merged, survivor) if is_split else (survivor, merged)
    _check_undoable(merge, holder=holder)
    before = snapshot(merge)
    try:
        with transaction.atomic():
            _move(merge.moved, to=owner)
            _set_aside(merge.moved, active=True)
    except IntegrityError as exc:  # rows added to the tombstone since (say an identifier) now clash
        raise ValidationError(
            _("Cannot undo exactly: %(person)s was given a clashing record since") % {"person": owner}
        ) from exc
    # a split is undone by making the new person a tombstone of the original (persons are never deleted); the
    # identifiers and phones it was created with stay on it, so a record carrying them now finds the original
    merged.status, merged.merged_into = (
        (PersonStatus.MERGED, survivor) if is_split else (PersonStatus.ACTIVE, None)
    )
    merged.save(update_fields=["status", "merged_into", "updated_at"])
    if merge.review is not None:  # the pair's decision was this merge: ask it again
        _review_set(
            merge.review,
            {
                "status": ReviewStatus.PENDING,
                "decided_by": None,
                "decided_at": None,
                "reason": merge.moved.get("review_reason", ""),
            },
            action="review.reopen",
            actor=actor,
            reason=reason,
        )
    merge.undone_at, merge.undo_reason = timezone.now(), reason.strip()
    merge.save(update_fields=["undone_at", "undo_reason"])
    _finish(
        merge,
        action="person.unsplit" if is_split else "person.unmerge",
        actor=actor,
        reason=reason,
        before=before,
    )
    return merge


@transaction.atomic
def person_split(
    *, person: Person, dose_ids: list[int], new_person: PersonIn, actor: Actor, reason: str
) -> PersonMerge:
    """Give some of a person's doses to a new person (two people recorded as one); `person_unmerge` undoes it.

    The app that owns doses (people.hooks `split`) checks the choice and says which rows go with it.
    """
    require_reason(reason)
    _lock(person)
    _require_active(person)
    split = splitter().split
    assert split is not None
    moved: dict[str, Any] = split(person, dose_ids)
    # splitting off every dose is allowed: the person's own details (identifiers, phones) stay with them
    new = person_create_many(items=[new_person], actor=actor, reason=reason)[0]
    _move(moved, to=new)
    record = _record(
        kind=MergeKind.SPLIT, survivor=person, merged=new, moved=moved, actor=actor, reason=reason
    )
    _finish(record, action="person.split", actor=actor, reason=reason, before=None)
    return record


def _more_doses(a: Person, b: Person) -> Person:
    """The one of the pair whose record holds more (by the apps' `weight`: doses), else the older one."""
    counts: dict[int, int] = {}
    for rows in person_rows():
        if rows.weight is not None:
            for person_id, n in rows.weight([a.pk, b.pk]).items():
                counts[person_id] = counts.get(person_id, 0) + n
    return max((a, b), key=lambda p: (counts.get(p.pk, 0), -p.pk))


@transaction.atomic
def review_decide(
    *, candidate: ReviewCandidate, decision: str, actor: Actor, reason: str, survivor: Person | None = None
) -> ReviewCandidate:
    """Decide a review pair once: "linked" merges it (into `survivor`, else the one with more doses); or "not_same"."""
    require_reason(reason)
    if decision not in (ReviewStatus.LINKED, ReviewStatus.NOT_SAME):
        raise ValidationError(
            _("Unknown decision %(decision)s (linked or not_same)") % {"decision": repr(decision)}
        )
    _review_lock_pending(candidate)
    if decision == ReviewStatus.NOT_SAME:
        _review_decided(candidate, ReviewStatus.NOT_SAME, actor=actor, reason=reason)
        return candidate
    a, b = candidate.person_a, candidate.person_b
    keep = survivor or _more_doses(a, b)
    if keep.pk not in (a.pk, b.pk):
        raise ValidationError(_("The survivor must be one of the pair"))
    person_merge(
        survivor=keep, merged=b if keep.pk == a.pk else a, actor=actor, reason=reason, review=candidate
    )
    return candidate
