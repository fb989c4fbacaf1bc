"""The synthetic population: reproducible, realistic where it matters, and honest about its errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from sotiem.lib.ids import check_cccd
from sotiem.synth import generator
from sotiem.synth.generator import generate
from sotiem.synth.records import ERROR_KINDS
from sotiem.synth.tables import vaccine_facts

CAMPAIGN_START = "2021-03-08"
CAMPAIGN_END = "2022-12-31"


def read(out: Path, name: str) -> list[dict[str, str]]:
    with open(out / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def files_of(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth20k")
    generate(persons=20_000, seed=7, out=out)
    return out


@pytest.fixture(scope="module")
def persons(run: Path) -> dict[str, dict[str, str]]:
    return {row["person_key"]: row for row in read(run, "truth_persons.csv")}


@pytest.fixture(scope="module")
def doses(run: Path) -> list[dict[str, str]]:
    return read(run, "truth_doses.csv")


def test_the_same_seed_gives_identical_files(tmp_path: Path) -> None:
    generate(persons=3000, seed=11, out=tmp_path / "a")
    generate(persons=3000, seed=11, out=tmp_path / "b")
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")


def test_a_different_seed_gives_different_files(tmp_path: Path) -> None:
    generate(persons=3000, seed=11, out=tmp_path / "a")
    generate(persons=3000, seed=12, out=tmp_path / "b")
    a, b = files_of(tmp_path / "a"), files_of(tmp_path / "b")
    assert a.keys() == b.keys()
    assert a["truth_persons.csv"] != b["truth_persons.csv"]
    assert a["records.csv"] != b["records.csv"]


def test_the_number_of_workers_does_not_change_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generator, "CHUNK_SIZE", 1000)
    generate(persons=3500, seed=5, out=tmp_path / "one", workers=1)
    generate(persons=3500, seed=5, out=tmp_path / "two", workers=2)
    assert files_of(tmp_path / "one") == files_of(tmp_path / "two")
    assert len(read(tmp_path / "one", "truth_persons.csv")) == 3500


def test_at_least_a_tenth_of_persons_share_a_phone(persons: dict[str, dict[str, str]]) -> None:
    uses = Counter(p["household_phone"] for p in persons.values())
    shared = sum(1 for p in persons.values() if uses[p["household_phone"]] > 1)
    assert shared / len(persons) >= 0.10
    assert all(
        p["household_phone"].startswith("+84") and len(p["household_phone"]) == 12 for p in persons.values()
    )
    own = [p["phone"] for p in persons.values() if p["phone"]]
    assert len(own) == len(set(own)), "a person's own phone belongs to nobody else"


def test_every_cccd_agrees_with_sex_birth_year_and_birth_province(persons: dict[str, dict[str, str]]) -> None:
    with_cccd = [p for p in persons.values() if p["cccd"]]
    assert 0.88 < len(with_cccd) / len(persons) < 0.96
    for p in with_cccd:
        check = check_cccd(p["cccd"], sex=p["sex"], birth_year=int(p["birth_date"][:4]))
        assert check.valid, (p, check.errors)
        assert check.birth_province_code == p["birth_province"]


def test_names_look_vietnamese(persons: dict[str, dict[str, str]]) -> None:
    names = [p["full_name"] for p in persons.values()]
    assert all(n == unicodedata.normalize("NFC", n) and "  " not in n for n in names)
    nguyen = sum(1 for n in names if n.split()[0] == "Nguyễn") / len(names)
    assert 0.30 < nguyen < 0.42
    kinh_women = [p["full_name"] for p in persons.values() if p["sex"] == "F" and p["ethnicity"] == "kinh"]
    assert 0.55 < sum(1 for n in kinh_women if len(n.split()) == 4) / len(kinh_women) < 0.72
    assert any(n.startswith("H' ") for n in names) or any(n.startswith("Y ") for n in names)


def test_no_dose_is_before_birth_or_outside_the_campaign(persons: dict, doses: list[dict[str, str]]) -> None:
    for d in doses:
        assert CAMPAIGN_START <= d["administered_on"] <= CAMPAIGN_END
        assert d["administered_on"] > persons[d["person_key"]]["birth_date"]


def test_second_doses_respect_the_minimum_interval(doses: list[dict[str, str]]) -> None:
    facts = vaccine_facts()
    by_person = defaultdict(dict)
    for d in doses:
        by_person[d["person_key"]][int(d["dose_number"])] = d
    checked = 0
    for series in by_person.values():
        if 2 in series and series[2]["series"] == "primary":
            first, second = series[1], series[2]
            gap = (
                dt.date.fromisoformat(second["administered_on"])
                - dt.date.fromisoformat(first["administered_on"])
            ).days
            assert gap >= facts[first["vaccine"]][1], (first, second)
            checked += 1
    assert checked > 1000


def test_janssen_persons_get_exactly_one_primary_dose(doses: list[dict[str, str]]) -> None:
    primary = defaultdict(list)
    for d in doses:
        if d["series"] == "primary":
            primary[d["person_key"]].append(d)
    janssen = [ds for ds in primary.values() if ds[0]["vaccine"] == "JANSSEN"]
    assert janssen
    assert all(len(ds) == 1 for ds in janssen)


def test_a_missed_appointment_is_not_a_dose(run: Path, doses: list[dict[str, str]]) -> None:
    given = {(d["person_key"], d["dose_number"]) for d in doses}
    appointments = read(run, "appointments.csv")
    missed = [a for a in appointments if a["kept"] == "0"]
    assert missed
    assert not any((a["person_key"], a["dose_number"]) in given for a in missed)
    assert all((a["person_key"], a["dose_number"]) in given for a in appointments if a["kept"] == "1")


def test_every_dose_has_one_record_and_about_seven_percent_are_backlog(run: Path, doses: list) -> None:
    site = read(run, "records.csv")
    backlog = read(run, "backlog.csv")
    truth = read(run, "truth_records.csv")
    assert len(site) + len(backlog) == len(doses) == len(truth)
    assert 0.05 <= len(backlog) / len(doses) <= 0.09
    ids = [r["record_id"] for r in site + backlog]
    assert len(set(ids)) == len(ids)
    assert {t["dose_key"] for t in truth} == {d["dose_key"] for d in doses}
    assert list(site[0]) == generator.RECORD_COLUMNS
    clean = sum(1 for t in truth if not t["errors"]) / len(truth)
    assert 0.60 <= clean <= 0.75


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def test_each_listed_error_is_visible_in_the_record(run: Path, persons: dict) -> None:
    records = {r["record_id"]: r for r in read(run, "records.csv") + read(run, "backlog.csv")}
    seen = Counter()
    for t in read(run, "truth_records.csv"):
        if not t["errors"]:
            continue
        record, person = records[t["record_id"]], persons[t["person_key"]]
        name, birth = record["full_name"], record["birth_date"]
        truth_birth = dt.date.fromisoformat(person["birth_date"]).strftime("%d/%m/%Y")
        for kind in t["errors"].split(";"):
            seen[kind] += 1
            assert kind in ERROR_KINDS
            if kind in ("dropped_middle", "sound_alike", "telex", "no_diacritics"):
                assert name != person["full_name"], (kind, record)
            if kind == "dropped_middle":
                assert len(name.split()) == len(person["full_name"].split()) - 1
            if kind in ("telex", "no_diacritics"):
                assert name.isascii()
            if kind == "unicode_nfd":
                assert name != unicodedata.normalize("NFC", name)
            if kind == "upper_case":
                assert name == name.upper()
            if kind == "double_space":
                assert "  " in name
            if kind == "day_month_swap":
                assert birth != truth_birth and len(birth) == 10
            if kind == "year_only":
                assert birth == person["birth_date"][:4]
            if kind == "month_year":
                assert len(birth) == 7 and birth.endswith(person["birth_date"][:4])
            if kind == "missing_id":
                assert record["national_id"] == ""
            if kind == "cmnd_for_cccd":
                assert record["national_id"] == person["cmnd"] != person["cccd"]
            if kind == "mistyped_id":
                assert record["national_id"] not in ("", person["cccd"], person["cmnd"], person["bhyt"])
            if kind == "old_11_digit_phone":
                assert len(record["phone"]) == 11 and record["phone"].startswith("01")
            if kind == "lost_leading_zero":
                assert len(record["phone"]) == 9 and record["phone"][0] != "0"
            if kind == "relative_phone":
                assert person["phone"] != person["household_phone"]
                assert _digits(record["phone"])[-7:] == person["household_phone"][-7:]
    assert set(seen) == set(ERROR_KINDS)


def test_twins_share_household_birth_date_and_surname(persons: dict[str, dict[str, str]]) -> None:
    groups = defaultdict(list)
    for p in persons.values():
        groups[(p["household_id"], p["birth_date"])].append(p)
    twins = [
        g
        for g in groups.values()
        if len(g) == 2
        and g[0]["full_name"] != g[1]["full_name"]
        and g[0]["full_name"].split()[0] == g[1]["full_name"].split()[0]
    ]
    assert len(twins) >= 5


def test_tallies_count_the_doses_of_each_session(run: Path, doses: list[dict[str, str]]) -> None:
    truth = Counter(d["session_key"] for d in doses)
    tallies = read(run, "tallies.csv")
    sessions = {s["session_key"] for s in read(run, "sessions.csv")}
    assert {t["session_key"] for t in tallies} == sessions == set(truth)
    off = [t for t in tallies if int(t["doses_tallied"]) != truth[t["session_key"]]]
    assert all(abs(int(t["doses_tallied"]) - truth[t["session_key"]]) == 1 for t in off)
    assert 0 < len(off) / len(tallies) < 0.05


def test_persons_live_only_in_the_chosen_provinces(tmp_path: Path) -> None:
    summary = generate(persons=1500, seed=3, out=tmp_path, provinces=["79", "74"])
    rows = read(tmp_path, "truth_persons.csv")
    assert {r["province_2021"] for r in rows} == {"79", "74"}
    assert {r["province_2025"] for r in rows} == {"79"}
    assert {s["province"] for s in read(tmp_path, "sites.csv")} == {"79"}
    assert summary.persons == 1500


def test_an_unknown_province_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="99"):
        generate(persons=10, seed=1, out=tmp_path, provinces=["99"])


def test_the_command_writes_the_files(tmp_path: Path) -> None:
    printed = io.StringIO()
    call_command(
        "synth",
        "--persons",
        "800",
        "--seed",
        "4",
        "--out",
        str(tmp_path),
        "--provinces",
        "01",
        stdout=printed,
    )
    assert printed.getvalue().startswith("800 người, ") and printed.getvalue().rstrip().endswith(
        str(tmp_path)
    )
    for name in (
        "truth_persons.csv",
        "sites.csv",
        "sessions.csv",
        "truth_doses.csv",
        "appointments.csv",
        "tallies.csv",
        "records.csv",
        "backlog.csv",
        "truth_records.csv",
        "summary.json",
    ):
        assert (tmp_path / name).exists(), name
    assert len(read(tmp_path, "truth_persons.csv")) == 800


@pytest.mark.parametrize(
    ("language", "refusal"),
    [("vi", "Không có tỉnh (2021) mang mã: 99"), ("en", "Unknown 2021 province codes: 99")],
)
def test_the_command_refuses_an_unknown_province_in_the_language_it_runs_in(
    tmp_path: Path, language: str, refusal: str
) -> None:
    with translation.override(language), pytest.raises(CommandError) as refused:
        call_command("synth", "--persons", "10", "--out", str(tmp_path), "--provinces", "99")
    assert str(refused.value) == refusal
