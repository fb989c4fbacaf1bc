"""Matching records to persons: the comparison levels, and identify_person's link / review / new."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest

from sotiem.people.identity import identify_persons
from sotiem.people.matching import (
    LEVELS,
    PHONE_MAX_WEIGHT,
    MatchModel,
    MatchRecord,
    block_keys,
    compare,
    load_model,
)
from sotiem.people.models import Person, ReviewCandidate
from sotiem.people.services import ContactIn, IdentifierIn, PersonIn
from sotiem.testing import commune, make_person

BORN = dt.date(1990, 5, 17)


def rec(name: str = "Nguyễn Văn Hùng", born: dt.date | None = BORN, **kw) -> MatchRecord:  # noqa: ANN003
    return MatchRecord.of(full_name=name, birth_date=born, **kw)


def level(comparison: str, a: MatchRecord, b: MatchRecord) -> str:
    index = list(LEVELS).index(comparison)
    return LEVELS[comparison][compare(a, b)[index]][0]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Nguyễn Văn Hùng", "exact"),
        ("NGUYEN VAN HUNG", "key"),
        ("Nguyeenx Vawn Hufng", "key"),  # Telex typed with the input method off is read back
        ("Nguyễn Hùng", "core"),  # Văn dropped
        ("Hùng Nguyễn Văn", "core"),  # given name first, as on Western forms
        ("Nguyễn Văn Hưng", "key"),  # one tone apart: same without diacritics
        ("Nguyễn Văn Hải", "different"),
    ],
)
def test_name_levels_read_vietnamese_names_as_people_write_them(written, expected):
    assert level("name", rec(), rec(written)) == expected


def test_weak_aliases_and_sound_alike_spellings_sound_alike():
    assert level("name", rec("Huỳnh Thị Trang"), rec("Hoàng Thị Chang")) == "folded"
    assert level("name", rec("Võ Văn Kiệt"), rec("Vũ Văn Kiệt")) == "folded"


def test_birth_date_levels_know_swaps_partial_dates_and_near_misses():
    assert level("birth", rec(), rec(born=dt.date(1990, 5, 17))) == "exact"
    assert level("birth", rec(born=dt.date(1990, 3, 4)), rec(born=dt.date(1990, 4, 3))) == "swapped"
    assert level("birth", rec(), rec(born=dt.date(1990, 1, 1), precision="year")) == "partial"
    assert level("birth", rec(), rec(born=dt.date(1990, 5, 1), precision="month")) == "partial"
    assert level("birth", rec(), rec(born=dt.date(1991, 5, 17))) == "off_by_one"
    assert level("birth", rec(), rec(born=None)) == "missing"


def test_id_levels_compare_only_within_one_scheme():
    a = rec(ids=[("CCCD", "079090000123")])
    assert level("national_id", a, rec(ids=[("CCCD", "079090000123")])) == "exact"
    assert level("national_id", a, rec(ids=[("CCCD", "079090000132")])) == "near"  # two digits swapped
    assert level("national_id", a, rec(ids=[("CCCD", "001185000001")])) == "different"
    assert level("national_id", a, rec(ids=[("CMND", "025123456")])) == "missing"


def test_a_shared_phone_weighs_at_most_the_cap():
    model = load_model()
    assert model.weights["phone"][1] <= PHONE_MAX_WEIGHT
    # everything but the phone disagrees: the phone cannot lift the pair anywhere near review
    a = rec("Phạm Văn Ba", dt.date(1960, 1, 2), phones=["+84911222333"], sex="M")
    b = rec("Phạm Thị Sáu", dt.date(1993, 9, 10), phones=["+84911222333"], sex="F")
    assert model.score(compare(a, b)) < 0


def test_the_model_file_must_match_the_levels_this_code_compares(tmp_path):
    data = load_model().to_json()
    data["levels"]["name"] = data["levels"]["name"][:-1]
    with pytest.raises(ValueError, match="retrain"):
        MatchModel.from_json(data)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(load_model().to_json()), encoding="utf-8")
    assert load_model(str(path)).version == load_model().version


def test_the_blocking_keys_ignore_spelling_order_and_middle_names():
    assert block_keys("Nguyễn Văn Hùng", BORN, "day", "79") == (
        "hung nguyen|1990|79",
        "hung nguyen|1990-05-17",
    )
    assert block_keys("HUNG NGUYEN", dt.date(1990, 1, 1), "year", "79") == ("hung nguyen|1990|79", "")


def person_in(
    name: str, born: dt.date | None = BORN, *, sex: str = "M", phone: str = "", cccd: str = "", place=None
) -> PersonIn:  # noqa: ANN001
    return PersonIn(
        full_name=name,
        birth_date=born,
        sex=sex,
        commune=place,
        identifiers=(IdentifierIn(scheme="CCCD", value=cccd),) if cccd else (),
        contacts=(ContactIn(phone=phone),) if phone else (),
    )


pytestmark = pytest.mark.django_db


def test_a_record_without_an_id_is_linked_to_the_person_it_clearly_is():
    home = commune("79")
    held = make_person(full_name="Nguyễn Văn Hùng", birth_date=BORN, commune=home, phone="0912345678")
    [found] = identify_persons(items=[person_in("NGUYEN HUNG", place=home, phone="0912345678")], actor="test")
    assert found.person.pk == held.pk and found.via == "match" and not found.created


def test_twins_who_share_a_phone_and_a_birthday_stay_two_persons():
    home = commune("79")
    first = make_person(full_name="Trần Thị Hồng", birth_date=BORN, sex="F", commune=home, phone="0987000111")
    [twin] = identify_persons(
        items=[person_in("Trần Thị Hằng", sex="F", place=home, phone="0987000111")], actor="test"
    )
    assert twin.created and twin.person.pk != first.pk
    assert not ReviewCandidate.objects.filter(person_b=twin.person).exists()


def test_a_phone_shared_by_a_family_never_links_its_members():
    home = commune("79")
    make_person(full_name="Phạm Văn Ba", birth_date=dt.date(1960, 1, 2), commune=home, phone="0911222333")
    found = identify_persons(
        items=[
            person_in("Phạm Thị Sáu", dt.date(1993, 9, 10), sex="F", place=home, phone="0911222333"),
            person_in("Đỗ Thị Tư", dt.date(1962, 7, 8), sex="F", place=home, phone="0911222333"),
        ],
        actor="test",
    )
    assert all(f.created for f in found)
    assert Person.objects.count() == 3


def test_one_id_on_two_very_different_people_goes_to_review_not_to_a_link():
    held = make_person(full_name="Lê Văn Tám", birth_date=dt.date(1980, 2, 2), cccd=True)
    cccd = held.identifiers.get().value
    [found] = identify_persons(
        items=[person_in("Trương Thị Mai", dt.date(1980, 2, 2), sex="M", cccd=cccd)], actor="test"
    )
    assert found.created and found.via == "review"
    pair = ReviewCandidate.objects.get(person_a=held, person_b=found.person)
    assert pair.origin == "id_conflict" and pair.status == "pending"
    assert {e["field"]: e["level"] for e in pair.evidence}["national_id"] == "exact"


def test_a_likely_match_is_kept_on_a_new_person_and_queued_once_with_its_evidence():
    home = commune("79")
    held = make_person(full_name="Lê Văn Tâm", birth_date=dt.date(1970, 6, 9), commune=home)
    # day and month swapped, another commune of the province: likely him, not certain
    item = PersonIn(
        full_name="Lê Văn Tâm", birth_date=dt.date(1970, 9, 6), sex="M", commune=commune("79", index=5)
    )
    [found] = identify_persons(items=[item], actor="test")
    assert found.created and found.via == "review"
    pair = ReviewCandidate.objects.get(person_a=held, person_b=found.person)
    assert pair.weight >= 4 and [e["field"] for e in pair.evidence][:2] == ["name", "birth"]


def test_two_records_of_a_new_person_in_one_batch_make_one_person():
    home = commune("01")
    found = identify_persons(
        items=[
            person_in("Đặng Thu Thảo", sex="F", place=home, phone="0977123456"),
            person_in("DANG THU THAO", sex="F", place=home, phone="0977 123 456"),
        ],
        actor="test",
    )
    assert found[0].person.pk == found[1].person.pk
    assert [f.created for f in found] == [True, False]


@pytest.mark.slow
def test_on_a_synthetic_province_records_land_on_their_true_persons(tmp_path):
    from bench.bench_identity import pairwise
    from sotiem.immunizations.imports import import_run_execute, import_run_start
    from sotiem.immunizations.ingest import Sender
    from sotiem.immunizations.models import Dose
    from sotiem.places.services import site_import_row
    from sotiem.synth.generator import generate

    out = tmp_path / "synth"
    generate(persons=600, seed=11, out=out)
    with open(out / "sites.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            site_import_row(values=row, actor="test")
    run = import_run_start(path=out / "records.csv", source="T")
    import_run_execute(run=run, path=out / "records.csv", sender=Sender(source="T"), actor="test")
    with open(out / "truth_records.csv", encoding="utf-8") as fh:
        truth = {r["record_id"]: r["person_key"] for r in csv.DictReader(fh)}
    assigned = dict(Dose.objects.filter(source="T").values_list("source_record_id", "person_id"))
    scores = pairwise(assigned, truth)
    assert scores["records"] > 1000
    assert scores["precision"] >= 0.995
    assert scores["recall"] >= 0.97
