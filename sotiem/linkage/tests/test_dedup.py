"""Registry-wide deduplication, the export of links, and the SQL levels Splink uses agreeing with Python's."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import translation

from sotiem.linkage.dedup import linkage_run, links_export
from sotiem.linkage.splink_model import frame, quiet, settings
from sotiem.people.matching import COMPARISONS, MatchRecord, compare, feature_row, load_model
from sotiem.people.models import Person, PersonMerge, PersonStatus, ReviewCandidate
from sotiem.testing import commune, make_dose, make_person

RECORDS = [
    MatchRecord.of(
        full_name="Nguyễn Văn Hùng",
        birth_date=dt.date(1990, 5, 17),
        sex="M",
        commune_code="26734",
        province_code="79",
        ids=[("CCCD", "079090000123")],
        phones=["+84912345678"],
    ),
    MatchRecord.of(
        full_name="NGUYEN HUNG",
        birth_date=dt.date(1990, 5, 17),
        sex="M",
        commune_code="26734",
        province_code="79",
        ids=[("CCCD", "079090000132")],
        phones=["+84912345678"],
    ),
    MatchRecord.of(
        full_name="Nguyễn Văn Hưng",
        birth_date=dt.date(1990, 1, 1),
        precision="year",
        sex="M",
        province_code="79",
        ids=[("CMND", "025123456")],
    ),
    MatchRecord.of(
        full_name="Huỳnh Thị Trang",
        birth_date=dt.date(1985, 3, 4),
        sex="F",
        commune_code="00001",
        province_code="01",
    ),
    MatchRecord.of(
        full_name="Hoàng Chang",
        birth_date=dt.date(1985, 4, 3),
        sex="F",
        commune_code="00004",
        province_code="01",
        phones=["+84987654321"],
    ),
    MatchRecord.of(
        full_name="Hoàng Thị Chanh",
        birth_date=dt.date(1985, 4, 4),
        sex="U",
        province_code="02",
        ids=[("CCCD", "001185000001")],
    ),
    MatchRecord.of(full_name="Nguyen Thi Huong", birth_date=dt.date(1986, 3, 1), precision="month", sex="F"),
    MatchRecord.of(
        full_name="Nguyeenx Thij Huwowng",
        birth_date=dt.date(1986, 3, 2),
        sex="F",
        ids=[("PASSPORT", "B1234567")],
    ),
    MatchRecord.of(full_name="", birth_date=None),
]


def test_the_sql_levels_splink_computes_are_the_levels_python_computes():
    from splink import DuckDBAPI, Linker

    quiet()
    table = frame([feature_row(i, r) for i, r in enumerate(RECORDS)])
    model = load_model()
    data = settings(model=model)
    data["blocking_rules_to_generate_predictions"] = [{"blocking_rule": "1 = 1"}]
    data["retain_intermediate_calculation_columns"] = True
    linker = Linker(DuckDBAPI().register(table), data)
    scored = linker.inference.predict().as_pandas_dataframe()
    assert len(scored) == len(RECORDS) * (len(RECORDS) - 1) // 2
    for row in scored.itertuples():
        a, b = RECORDS[int(row.unique_id_l)], RECORDS[int(row.unique_id_r)]
        expected = compare(a, b)
        for name, level in zip(
            COMPARISONS, expected, strict=True
        ):  # Splink's weight per comparison is our level's
            assert getattr(row, f"mw_{name}") == pytest.approx(model.weights[name][level], abs=1e-6), (
                name,
                row.unique_id_l,
                row.unique_id_r,
            )
        assert row.match_weight == pytest.approx(model.score(expected), abs=1e-6)


@pytest.mark.django_db
def test_it_merges_near_certain_duplicates_queues_likely_ones_and_keeps_twins_apart():
    home = commune("79")
    same = dict(birth_date=dt.date(1990, 5, 17), sex="M", commune=home, phone="0912345678")
    first = make_person(full_name="Nguyễn Văn Hùng", cccd=False, **same)
    again = make_person(full_name="NGUYEN VAN HUNG", **same)  # the same man, registered twice
    make_dose(first)
    twin_a = make_person(
        full_name="Trần Thị Hồng", birth_date=dt.date(2001, 2, 3), sex="F", commune=home, phone="0987000111"
    )
    twin_b = make_person(
        full_name="Trần Thị Hằng", birth_date=dt.date(2001, 2, 3), sex="F", commune=home, phone="0987000111"
    )
    maybe_a = make_person(full_name="Lê Văn Tâm", birth_date=dt.date(1970, 6, 9), sex="M", commune=home)
    maybe_b = make_person(
        full_name="Lê Văn Tâm", birth_date=dt.date(1970, 1, 1), birth_precision="year", sex="M", commune=home
    )  # only the year known: likely the same man, for an official to say

    result = linkage_run(actor="test")

    again.refresh_from_db()
    assert again.status == PersonStatus.MERGED and again.merged_into_id == first.pk
    assert PersonMerge.objects.filter(survivor=first, merged=again).exists()
    for twin in (twin_a, twin_b):
        twin.refresh_from_db()
        assert twin.status == PersonStatus.ACTIVE
    assert not ReviewCandidate.objects.filter(person_a=twin_a, person_b=twin_b).exists()
    assert result.merged == 1
    queued = ReviewCandidate.objects.get(person_a=maybe_a, person_b=maybe_b)
    assert queued.origin == "linkage" and queued.status == "pending"
    assert {e["field"] for e in queued.evidence} == set(COMPARISONS)

    again_result = linkage_run(actor="test")  # a pair is never asked twice
    assert again_result.merged == 0 and again_result.queued == 0


@pytest.mark.django_db
def test_persons_who_share_only_a_phone_are_never_merged_or_queued():
    phone = "0911222333"
    family = [
        make_person(full_name=name, birth_date=born, sex=sex, phone=phone, commune=commune("79"))
        for name, born, sex in [
            ("Phạm Văn Ba", dt.date(1960, 1, 2), "M"),
            ("Đỗ Thị Tư", dt.date(1962, 7, 8), "F"),
            ("Phạm Văn Năm", dt.date(1990, 3, 4), "M"),
            ("Phạm Thị Sáu", dt.date(1993, 9, 10), "F"),
        ]
    ]
    result = linkage_run(actor="test")
    assert result.merged == 0 and result.queued == 0
    assert Person.objects.filter(pk__in=[p.pk for p in family], status=PersonStatus.ACTIVE).count() == 4


@pytest.mark.django_db
def test_the_links_export_names_the_surviving_person_of_every_record(tmp_path):
    from sotiem.people.merging import person_merge

    a = make_person(full_name="Võ Văn Kiệt")
    b = make_person(full_name="Vũ Văn Kiệt")
    dose_a = make_dose(a, source="S1", source_record_id="r-1")
    dose_b = make_dose(b, source="S1", source_record_id="r-2")
    person_merge(survivor=a, merged=b, actor="test", reason="same man")
    out = tmp_path / "links.csv"
    printed = io.StringIO()
    call_command("export", "links", "--out", str(out), stdout=printed)
    assert printed.getvalue().strip() == f"2 bản ghi -> {out}"
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {(r["source"], r["record_id"], r["person_id"]) for r in rows} == {
        ("S1", "r-1", str(a.public_id)),
        ("S1", "r-2", str(a.public_id)),
    }
    assert dose_a.pk != dose_b.pk
    buffer = io.StringIO()
    assert links_export(buffer) == 2


@pytest.mark.django_db
def test_the_links_export_escapes_record_ids_a_spreadsheet_would_run_as_formulas(tmp_path):
    person = make_person(full_name="Võ Văn Kiệt")
    hostile = ['=HYPERLINK("http://x","x")', "@cmd", "+1+1", "-2", "\tX", "\rY", "plain-1"]
    for rid in hostile:
        make_dose(person, source="S1", source_record_id=rid)
    make_dose(person, source="=S2", source_record_id="r-9")
    out = tmp_path / "links.csv"
    call_command("export", "links", "--out", str(out), stdout=io.StringIO())
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    ids = {r["record_id"] for r in rows}
    assert ids == {"'" + rid for rid in hostile[:-1]} | {"plain-1", "r-9"}
    assert {r["source"] for r in rows} == {"S1", "'=S2"}


@pytest.mark.django_db
@pytest.mark.slow
def test_the_spark_engine_finds_the_same_duplicates_as_duckdb():
    pytest.importorskip("pyspark")
    from sotiem.linkage.dedup import person_records, score_pairs
    from sotiem.linkage.spark import local_session

    home = commune("79")
    for name in ("Nguyễn Văn Hùng", "NGUYEN VAN HUNG", "Nguyễn Hùng"):
        make_person(
            full_name=name, birth_date=dt.date(1990, 5, 17), sex="M", commune=home, phone="0912345678"
        )
    make_person(
        full_name="Nguyễn Văn Hải", birth_date=dt.date(1990, 5, 17), sex="M", commune=home, phone="0912345678"
    )
    records = dict(person_records())
    model = load_model()
    duck = score_pairs(records, model)
    spark = score_pairs(records, model, engine="spark", spark=local_session())

    def pairs(df):  # noqa: ANN001, ANN202
        return {
            (int(a), int(b), round(w, 6))
            for a, b, w in zip(df["unique_id_l"], df["unique_id_r"], df["match_weight"], strict=True)
        }

    assert pairs(spark) == pairs(duck)
    assert len(pairs(duck)) == 3  # the three spellings of one man; his brother Hải is not a likely match


@pytest.mark.django_db
@pytest.mark.slow
def test_linkage_train_writes_a_model_the_registry_can_load_and_run_uses_it(tmp_path, settings):
    from sotiem.synth.generator import generate

    out = tmp_path / "synth"
    generate(persons=700, seed=5, out=out)
    model_file = tmp_path / "model.json"
    printed = io.StringIO()
    call_command(
        "linkage",
        "train",
        "--csv",
        str(out / "records.csv"),
        "--out",
        str(model_file),
        "--version",
        "test-1",
        stdout=printed,
    )
    assert "Mô hình test-1 đã huấn luyện trên" in printed.getvalue()
    trained = load_model(str(model_file))
    assert trained.version == "test-1" and trained.trained["records"] > 1000
    # agreement is evidence for, disagreement against, whatever the data
    assert trained.weights["name"][1] > 0 > trained.weights["name"][-1]
    assert trained.weights["birth"][1] > 0 > trained.weights["birth"][-1]
    settings.SOTIEM_MATCH_MODEL_PATH = str(model_file)
    load_model.cache_clear()
    try:
        make_person(full_name="Nguyễn Văn Hùng", birth_date=dt.date(1990, 5, 17), phone="0912345678")
        make_person(full_name="NGUYEN VAN HUNG", birth_date=dt.date(1990, 5, 17), phone="0912345678")
        printed = io.StringIO()
        call_command("linkage", "run", "--dry-run", stdout=printed)
        assert (
            printed.getvalue().startswith("2 người,") and "chạy thử: không thay đổi gì" in printed.getvalue()
        )
        printed = io.StringIO()
        with translation.override("en"):
            call_command("linkage", "run", "--dry-run", stdout=printed)
        assert (
            printed.getvalue().startswith("2 persons,") and "dry run: nothing changed" in printed.getvalue()
        )
        assert Person.objects.filter(status=PersonStatus.ACTIVE).count() == 2
    finally:
        load_model.cache_clear()
