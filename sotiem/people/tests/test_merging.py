import datetime as dt
import inspect
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation

from sotiem.audit.models import AuditEvent
from sotiem.immunizations.models import Appointment, Dose
from sotiem.immunizations.services import appointment_schedule
from sotiem.lib.ids import make_cccd
from sotiem.people import merging
from sotiem.people.merging import person_merge, person_split, person_unmerge, review_decide
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
from sotiem.people.services import ContactIn, IdentifierIn, PersonIn, contact_point_add, identifier_add
from sotiem.people.signals import person_changed
from sotiem.testing import make_dose, make_person

pytestmark = pytest.mark.django_db

REASON = "Cùng một người / same person"
SHARED_PHONE = "0912345678"
AUG, SEP, OCT = dt.date(2021, 8, 1), dt.date(2021, 9, 1), dt.date(2021, 10, 1)
BA = PersonIn(full_name="Lê Văn Ba", birth_date=None)  # the other man in a record of two

# every column of every row a merge or split may touch; only people_person.updated_at is left out, because the
# tombstone's row really was changed twice (merged, then restored) and its updated_at says so. Moved rows keep their
# own updated_at: their content did not change, only their owner, and the audit log holds the move.
TABLES: list[tuple[type[models.Model], set[str]]] = [
    (Person, {"updated_at"}),
    (Identifier, set()),
    (ContactPoint, set()),
    (Dose, set()),
    (Appointment, set()),
    (ReviewCandidate, set()),
]


@pytest.fixture
def official(django_user_model: Any) -> Any:
    """An HCDC official as these services see one: a user account (no password to hash, no grants to check here;
    callers hand these services persons already restricted to the official's jurisdiction)."""
    return django_user_model.objects.create_user(username="hcdc-official")


def database_rows() -> dict[str, list[dict[str, Any]]]:
    return {
        model._meta.db_table: list(
            model.objects.order_by("pk").values(
                *(f.attname for f in model._meta.concrete_fields if f.attname not in excluded)
            )
        )
        for model, excluded in TABLES
    }


def add_cccd(person: Person, value: str) -> Identifier:
    return identifier_add(person=person, scheme="CCCD", value=value, actor="test", reason="given")


def cccd(serial: int) -> str:
    return make_cccd(province_code="79", sex="M", birth_year=1990, serial=serial)


def candidate(a: Person, b: Person) -> ReviewCandidate:
    low, high = sorted((a, b), key=lambda p: p.pk)
    return ReviewCandidate.objects.create(
        person_a=low, person_b=high, origin="linkage", weight=12.5, probability=0.97, model_version="test"
    )


def two_records_of_one_man() -> tuple[Person, Person]:
    """The same man twice: one dose each, one ID and one phone on both, and things only one record has."""
    first = make_person(phone=SHARED_PHONE)
    second = make_person(full_name="Nguyen Van An", phone=SHARED_PHONE)
    both = cccd(9001)
    add_cccd(first, both)
    add_cccd(second, both)
    add_cccd(second, cccd(9002))
    identifier_add(person=second, scheme="BHYT", value="DN4797915123456", actor="test", reason="card")
    contact_point_add(person=second, phone="0987000111", relationship="relative", actor="test")
    make_dose(first, administered_on=AUG)
    make_dose(second, administered_on=SEP)
    appointment_schedule(person=second, dose_number=3, due_on=OCT, actor="test")
    return first, second


def events(action: str, person: Person) -> int:
    return AuditEvent.objects.filter(action=action, person_id=person.pk).count()


# merge and unmerge


def test_merge_then_unmerge_leaves_the_database_exactly_as_it_was(official):
    first, second = two_records_of_one_man()
    earlier = make_person(full_name="Nguyễn V. An")  # merged into `second` before: a chain
    make_dose(earlier, administered_on=dt.date(2021, 7, 1))
    person_merge(survivor=second, merged=earlier, actor=official, reason=REASON)
    ContactPoint.objects.filter(person=second, phone="+84987000111").update(active=False)  # detached, kept
    make_person(full_name="Trần Văn Khác", phone=SHARED_PHONE)  # a neighbour the merge must not touch
    pair = candidate(first, second)
    before = database_rows()

    review_decide(candidate=pair, decision="linked", actor=official, reason=REASON)
    assert database_rows() != before
    person_unmerge(
        merge=PersonMerge.objects.get(review=pair), actor=official, reason="Hai người / two people"
    )

    assert database_rows() == before


def test_a_merge_moves_doses_appointments_identifiers_and_phones_and_leaves_a_tombstone(official):
    survivor, merged = two_records_of_one_man()
    doses, appointments = list(merged.doses.all()), list(merged.appointments.all())

    record = person_merge(survivor=survivor, merged=merged, actor=official, reason=REASON)

    merged.refresh_from_db()
    assert merged.status == PersonStatus.MERGED and merged.merged_into == survivor
    assert {d.pk for d in doses} <= set(survivor.doses.values_list("pk", flat=True))
    assert set(survivor.appointments.all()) == set(appointments)
    assert set(survivor.identifiers.values_list("scheme", "value")) == {
        ("CCCD", cccd(9001)),
        ("CCCD", cccd(9002)),
        ("BHYT", "DN4797915123456"),
    }
    assert set(survivor.contact_points.values_list("phone", flat=True)) == {"+84912345678", "+84987000111"}
    assert not merged.doses.exists() and not merged.appointments.exists()
    assert not merged.identifiers.filter(active=True).exists()
    assert not merged.contact_points.filter(active=True).exists()
    assert record.kind == MergeKind.MERGE and record.moved["doses"] == [d.pk for d in doses]


def test_an_id_and_a_phone_on_both_records_are_set_aside_on_the_tombstone_and_come_back_on_unmerge(official):
    survivor, merged = two_records_of_one_man()
    their_id = merged.identifiers.get(value=cccd(9001))
    their_phone = merged.contact_points.get(phone="+84912345678")

    record = person_merge(survivor=survivor, merged=merged, actor=official, reason=REASON)

    their_id.refresh_from_db(), their_phone.refresh_from_db()
    assert (their_id.person_id, their_id.active) == (merged.pk, False)
    assert (their_phone.person_id, their_phone.active, their_phone.detached_at) == (merged.pk, False, None)
    assert record.moved["set_aside"] == {"identifiers": [their_id.pk], "contact_points": [their_phone.pk]}
    assert survivor.identifiers.filter(value=cccd(9001)).count() == 1

    person_unmerge(merge=record, actor=official, reason="Hai người / two people")

    their_id.refresh_from_db(), their_phone.refresh_from_db()
    assert (their_id.person_id, their_id.active) == (merged.pk, True)
    assert (their_phone.person_id, their_phone.active) == (merged.pk, True)


def test_a_merge_renumbers_the_doses_two_first_doses_become_doses_one_and_two(official):
    survivor, merged = make_person(), make_person(full_name="Nguyen Van An")
    early, late = make_dose(merged, administered_on=AUG), make_dose(survivor, administered_on=SEP)
    assert (early.dose_number_derived, late.dose_number_derived) == (1, 1)

    record = person_merge(survivor=survivor, merged=merged, actor=official, reason=REASON)
    early.refresh_from_db(), late.refresh_from_db()
    assert (early.dose_number_derived, late.dose_number_derived) == (1, 2)

    person_unmerge(merge=record, actor=official, reason="Hai người / two people")
    early.refresh_from_db(), late.refresh_from_db()
    assert (early.dose_number_derived, late.dose_number_derived) == (1, 1)


def test_a_merge_tells_other_apps_about_both_persons_once_it_has_committed(
    official, django_capture_on_commit_callbacks
):
    survivor, merged = make_person(), make_person(full_name="Nguyen Van An")
    heard: list[list[int]] = []

    def receiver(sender: Any, person_ids: list[int], **kwargs: Any) -> None:
        heard.append(person_ids)

    person_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            person_merge(survivor=survivor, merged=merged, actor=official, reason=REASON)
        assert heard == []
        for callback in callbacks:
            callback()
    finally:
        person_changed.disconnect(receiver)
    assert heard == [sorted([survivor.pk, merged.pk])]


@pytest.mark.parametrize(
    ("language", "refusal"),
    [("vi", "Không thể gộp một người vào chính họ"), ("en", "A person cannot be merged into themselves")],
)
def test_merging_a_person_into_themselves_is_refused(official, language, refusal):
    person = make_person()
    with translation.override(language), pytest.raises(ValidationError, match=refusal):
        person_merge(survivor=person, merged=person, actor=official, reason=REASON)


def test_merging_a_tombstone_or_into_a_tombstone_is_refused(official):
    survivor, tombstone, other = make_person(), make_person(), make_person()
    person_merge(survivor=survivor, merged=tombstone, actor=official, reason=REASON)

    with pytest.raises(ValidationError, match="đã được gộp vào hồ sơ khác"):
        person_merge(survivor=other, merged=tombstone, actor=official, reason=REASON)
    with pytest.raises(ValidationError, match="đã được gộp vào hồ sơ khác"):
        person_merge(survivor=tombstone, merged=other, actor=official, reason=REASON)
    assert PersonMerge.objects.count() == 1


def test_a_merge_without_a_reason_is_refused_and_changes_nothing(official):
    survivor, merged = two_records_of_one_man()
    before = database_rows()
    with pytest.raises(ValidationError, match="Cần nêu lý do"):
        person_merge(survivor=survivor, merged=merged, actor=official, reason="  ")
    assert database_rows() == before and not PersonMerge.objects.exists()


def test_undoing_a_merge_twice_is_refused(official):
    record = person_merge(survivor=make_person(), merged=make_person(), actor=official, reason=REASON)
    person_unmerge(merge=record, actor=official, reason="Hai người / two people")
    with pytest.raises(ValidationError, match="đã được hoàn tác"):
        person_unmerge(merge=record, actor=official, reason="again")


def test_a_merge_whose_survivor_was_merged_again_cannot_be_undone_until_that_one_is(official):
    a, b, c = make_person(), make_person(), make_person()
    first = person_merge(survivor=b, merged=a, actor=official, reason=REASON)
    second = person_merge(survivor=c, merged=b, actor=official, reason=REASON)

    with pytest.raises(ValidationError, match="hoàn tác lần gộp đó trước"):
        person_unmerge(merge=first, actor=official, reason="wrong")
    person_unmerge(merge=second, actor=official, reason="wrong")
    person_unmerge(merge=first, actor=official, reason="wrong")

    assert set(Person.objects.values_list("status", flat=True)) == {PersonStatus.ACTIVE}


def test_a_merge_whose_doses_were_split_off_since_cannot_be_undone_until_the_split_is(official):
    survivor, merged = make_person(), make_person(full_name="Nguyen Van An")
    dose = make_dose(merged)
    merge = person_merge(survivor=survivor, merged=merged, actor=official, reason=REASON)
    split = person_split(
        person=survivor,
        dose_ids=[dose.pk],
        new_person=BA,
        actor=official,
        reason="Tiêm cho người khác / another man's dose",
    )

    with pytest.raises(ValidationError, match="hãy hoàn tác thay đổi đó trước"):
        person_unmerge(merge=merge, actor=official, reason="wrong")
    person_unmerge(merge=split, actor=official, reason="wrong")
    person_unmerge(merge=merge, actor=official, reason="wrong")

    dose.refresh_from_db()
    assert dose.person_id == merged.pk


# split


def test_a_split_gives_doses_to_a_new_person_and_undoing_it_gives_them_back(official):
    person = make_person(phone=SHARED_PHONE)
    mine = make_dose(person, administered_on=AUG)
    theirs = make_dose(person, administered_on=SEP)
    appointment_schedule(person=person, dose_number=4, due_on=dt.date(2022, 4, 1), actor="test")
    fulfilled = appointment_schedule(person=person, dose_number=3, due_on=OCT, actor="test")
    third = make_dose(person, administered_on=OCT)
    fulfilled.refresh_from_db()
    assert fulfilled.fulfilled_by_id == third.pk
    daughter = PersonIn(
        full_name="Nguyễn Thị Bình",
        birth_date=dt.date(1995, 2, 3),
        sex="F",
        identifiers=(IdentifierIn(scheme=None, value="B7654321"),),
        contacts=(ContactIn(phone=SHARED_PHONE, relationship="relative"),),
    )
    before = database_rows()

    record = person_split(
        person=person,
        dose_ids=[theirs.pk, third.pk],
        new_person=daughter,
        actor=official,
        reason="Hai người / two people",
    )

    new = record.merged
    assert record.kind == MergeKind.SPLIT and record.survivor == person
    assert set(new.doses.all()) == {theirs, third} and set(new.appointments.all()) == {fulfilled}
    assert new.full_name == "Nguyễn Thị Bình" and new.identifiers.get().value == "B7654321"
    assert list(person.doses.all()) == [mine]
    assert sorted(Dose.objects.filter(person=new).values_list("dose_number_derived", flat=True)) == [1, 2]
    assert events("person.create", new) == 1

    person_unmerge(merge=record, actor=official, reason="Cùng một người / one person after all")

    new.refresh_from_db()
    assert new.status == PersonStatus.MERGED and new.merged_into == person  # never deleted
    after = database_rows()
    assert [row for row in after["people_person"] if row["id"] != new.pk] == before["people_person"]
    for table in ("immunizations_dose", "immunizations_appointment"):
        assert after[table] == before[table]


def test_a_split_of_doses_not_on_the_person_or_of_no_dose_is_refused(official):
    person, other = make_person(), make_person(full_name="Lê Văn Khác")
    stranger = make_dose(other)

    with translation.override("en"):  # the refusals are the immunizations app's (English here)
        with pytest.raises(ValidationError, match="Doses not on"):
            person_split(person=person, dose_ids=[stranger.pk], new_person=BA, actor=official, reason="r")
        with pytest.raises(ValidationError, match="at least one dose"):
            person_split(person=person, dose_ids=[], new_person=BA, actor=official, reason="r")
    assert Person.objects.count() == 2


def test_a_split_cannot_be_undone_once_the_new_person_has_doses_of_their_own(official):
    person = make_person()
    dose = make_dose(person)
    record = person_split(
        person=person, dose_ids=[dose.pk], new_person=BA, actor=official, reason="Hai người / two people"
    )
    make_dose(record.merged, administered_on=OCT)

    with pytest.raises(ValidationError, match="hãy gộp hai hồ sơ thay vì hoàn tác"):
        person_unmerge(merge=record, actor=official, reason="wrong")


# the review queue


def test_linking_a_pair_merges_it_into_the_person_with_more_doses(official):
    fewer, more = make_person(), make_person(full_name="Nguyen Van An")
    make_dose(more, administered_on=AUG), make_dose(more, administered_on=SEP)
    pair = candidate(fewer, more)

    review_decide(candidate=pair, decision="linked", actor=official, reason=REASON)

    pair.refresh_from_db(), fewer.refresh_from_db()
    assert pair.status == ReviewStatus.LINKED and pair.decided_by == official and pair.decided_at
    assert fewer.merged_into == more
    assert PersonMerge.objects.get().review == pair


def test_linking_a_pair_with_as_many_doses_each_keeps_the_lower_id_unless_told(official):
    a, b = make_person(), make_person(full_name="Nguyen Van An")
    review_decide(candidate=candidate(a, b), decision="linked", actor="linkage job", reason=REASON)
    b.refresh_from_db()
    assert b.merged_into == a
    assert ReviewCandidate.objects.get().decided_by is None  # a label, not a user

    c, d = make_person(), make_person(full_name="Nguyen Van An")
    review_decide(candidate=candidate(c, d), decision="linked", actor=official, reason=REASON, survivor=d)
    c.refresh_from_db()
    assert c.merged_into == d


def test_a_pair_judged_not_the_same_stays_two_persons_and_cannot_be_decided_again(official):
    a, b = make_person(), make_person(full_name="Nguyễn Văn Ân")
    pair = candidate(a, b)

    review_decide(candidate=pair, decision="not_same", actor=official, reason="Khác cha mẹ / other parents")

    pair.refresh_from_db()
    assert (pair.status, pair.decided_by, pair.reason) == (
        ReviewStatus.NOT_SAME,
        official,
        "Khác cha mẹ / other parents",
    )
    assert not PersonMerge.objects.exists()
    with pytest.raises(ValidationError, match=r"Cặp này đã được quyết định \(Không phải cùng một người\)"):
        review_decide(candidate=pair, decision="linked", actor=official, reason=REASON)
    with pytest.raises(ValidationError, match=r"Cặp này đã được quyết định \(Không phải cùng một người\)"):
        review_decide(
            candidate=ReviewCandidate.objects.get(pk=pair.pk),
            decision="not_same",
            actor=official,
            reason=REASON,
        )


def test_undoing_a_linked_pair_s_merge_asks_the_pair_again(official):
    a, b = make_person(), make_person()
    pair = candidate(a, b)
    review_decide(candidate=pair, decision="linked", actor=official, reason=REASON)

    person_unmerge(merge=PersonMerge.objects.get(), actor=official, reason="Hai người / two people")

    pair.refresh_from_db()
    assert (pair.status, pair.decided_by, pair.decided_at, pair.reason) == (
        ReviewStatus.PENDING,
        None,
        None,
        "",
    )


# the audit log


def test_every_merging_service_writes_its_audit_event_for_both_persons(official):
    survivor, merged = make_person(), make_person()
    dose = make_dose(survivor)
    records: dict[str, PersonMerge] = {}
    calls = {
        "person_merge": (
            lambda: records.setdefault(
                "merge", person_merge(survivor=survivor, merged=merged, actor=official, reason=REASON)
            ),
            ["person.merge"],
        ),
        "person_unmerge": (
            lambda: person_unmerge(merge=records["merge"], actor=official, reason="r"),
            ["person.unmerge"],
        ),
        "person_split": (
            lambda: records.setdefault(
                "split",
                person_split(person=survivor, dose_ids=[dose.pk], new_person=BA, actor=official, reason="r"),
            ),
            ["person.create", "person.split"],
        ),
        "review_decide": (
            lambda: review_decide(
                candidate=candidate(survivor, merged), decision="not_same", actor=official, reason="r"
            ),
            ["review.decide"],
        ),
    }
    public = {
        name
        for name, fn in inspect.getmembers(merging, inspect.isfunction)
        if fn.__module__ == merging.__name__ and not name.startswith("_")
    }
    assert public == set(calls), f"merging services without an audit check: {public ^ set(calls)}"

    for name, (call, actions) in calls.items():
        counts = {action: AuditEvent.objects.filter(action=action).count() for action in actions}
        call()
        for action in actions:
            assert AuditEvent.objects.filter(action=action).count() > counts[action], (
                f"{name} wrote no {action}"
            )

    person_unmerge(merge=records["split"], actor=official, reason="r")
    for action in ("person.merge", "person.unmerge", "review.decide"):
        assert events(action, survivor) == events(action, merged) == 1
    assert events("person.split", survivor) == events("person.unsplit", survivor) == 1
    event = AuditEvent.objects.get(action="person.unmerge", person_id=merged.pk)
    assert event.actor == official and event.before["undone_at"] is None and event.after["undone_at"]
