"""The apps above `people` tell it their per-person rows (people.hooks); a merge runs their hooks in its transaction."""

from collections.abc import Iterator
from typing import Any

import pytest

from sotiem.immunizations.models import Dose
from sotiem.people import hooks
from sotiem.people.merging import person_merge, person_unmerge
from sotiem.people.models import PersonMerge, PersonStatus
from sotiem.testing import make_dose, make_person

REASON = "Cùng một người / same person"


@pytest.fixture
def restore_registry() -> Iterator[None]:
    saved = dict(hooks._registry)
    yield
    hooks._registry.clear()
    hooks._registry.update(saved)


def test_immunizations_told_people_about_doses_and_appointments():
    (rows,) = [r for r in hooks.person_rows() if r.owner == "immunizations"]
    assert set(rows.tables) == {"doses", "appointments"}
    assert rows.moved is not None and rows.split is not None and rows.weight is not None
    assert hooks.splitter() is rows


@pytest.mark.usefixtures("restore_registry")
def test_a_key_people_keeps_for_itself_or_another_app_already_uses_is_refused():
    with pytest.raises(ValueError, match="identifiers"):
        hooks.register_person_rows("complaints", tables={"identifiers": Dose})
    with pytest.raises(ValueError, match="doses"):
        hooks.register_person_rows("complaints", tables={"doses": Dose})
    with pytest.raises(ValueError, match="split"):
        hooks.register_person_rows("complaints", tables={}, split=lambda person, ids: {})


@pytest.mark.django_db
@pytest.mark.usefixtures("restore_registry")
def test_a_hook_that_fails_rolls_the_whole_merge_back(django_user_model: Any):
    official = django_user_model.objects.create_user(username="hcdc-official")
    survivor, merged = make_person(), make_person()
    dose = make_dose(person=merged)
    calls: list[tuple[int, int]] = []

    def refuse(pair: tuple[int, int]) -> None:
        calls.append(pair)
        raise RuntimeError("the complaints app could not follow")

    hooks.register_person_rows("complaints", tables={}, moved=refuse)
    with pytest.raises(RuntimeError, match="could not follow"):
        person_merge(survivor=survivor, merged=merged, actor=official, reason=REASON)

    assert calls == [(survivor.pk, merged.pk)]
    dose.refresh_from_db()
    merged.refresh_from_db()
    assert dose.person_id == merged.pk and merged.status == PersonStatus.ACTIVE
    assert not PersonMerge.objects.exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("restore_registry")
def test_every_registered_hook_hears_merge_and_unmerge(django_user_model: Any):
    official = django_user_model.objects.create_user(username="hcdc-official")
    survivor, merged = make_person(), make_person()
    heard: list[tuple[int, int]] = []
    hooks.register_person_rows("complaints", tables={}, moved=heard.append)

    record = person_merge(survivor=survivor, merged=merged, actor=official, reason=REASON)
    person_unmerge(merge=record, actor=official, reason="not the same")

    assert heard == [(survivor.pk, merged.pk)] * 2
