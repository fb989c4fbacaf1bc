"""The linkage test sets are read whole, with the counts their README states, into the common record schema."""

import re
from collections import Counter
from pathlib import Path

import pytest

from sotiem.linkage import testdata
from sotiem.linkage.testdata import RECORD_FIELDS, load_aira_pairs, load_fake_1000, load_historical_50k

AIRA_TEST = """\
TEST: S-1:FIRST_NAME_TYPO:IDEAL-GOODA\r
EXPECT: Match\r
PATIENT A: nameFirst=Anna,nameMiddle=Mai,nameLast=Tran,nameSuffix=Jr,birthDate=20110627,gender=F,ssn=123456789,\
phone=(231)512-9048,addressStreet1=63 Hardin Cir,addressStreet2=Apt 2,addressCity=Boyne Falls,addressZip=49713,\
addressState=MI,mrns=3-Z99,nameLastHyph=Sweeney,\r
PATIENT B: nameFirst=Ana,nameLast=Tran,birthDate=20110627,gender=F,mrns=1-A80,guardianNameFirst=Lan, Thi,\r
\r
TEST: D-2:SSN_SHARED:IDEAL-IDEAL
EXPECT: Not a Match
PATIENT A: nameFirst=Bo,nameLast=Le,birthDate=20110231,gender=M,
PATIENT B: nameFirst=Binh,nameLast=Le,birthDate=,gender=X,
"""


def test_fake_1000_has_1000_records_of_251_persons_and_3176_labelled_pairs():
    records, labels = load_fake_1000()

    assert list(records.columns) == list(RECORD_FIELDS)
    assert len(records) == 1000
    assert records["cluster"].nunique() == 251
    assert records["unique_id"].is_unique
    assert len(labels) == 3176
    assert labels["match"].value_counts().to_dict() == {1: 2031, 0: 1145}
    first = records.iloc[0]
    assert (first.unique_id, first.full_name, first.given_name, first.family_name) == (
        "0",
        "Robert Alan",
        "Robert",
        "Alan",
    )
    assert (first.birth_date, first.birth_precision, first.sex, first.email) == (
        "1971-06-24",
        "day",
        "U",
        "robert255@smith.net",
    )


def test_the_fake_1000_labels_agree_with_its_clusters():
    records, labels = load_fake_1000()
    cluster_of = dict(zip(records["unique_id"], records["cluster"], strict=True))

    same = [
        cluster_of[a] == cluster_of[b]
        for a, b in zip(labels["unique_id_l"], labels["unique_id_r"], strict=True)
    ]

    assert same == [bool(m) for m in labels["match"]]


def test_historical_50k_has_50578_records_of_5156_persons():
    records = load_historical_50k()

    assert list(records.columns) == list(RECORD_FIELDS)
    assert len(records) == 50_578
    assert records["cluster"].nunique() == 5156
    assert set(records["sex"]) == {"M", "F", "U"}
    first = records.iloc[0]
    assert first.full_name == "thomas clifford, 1st baron clifford of chudleigh"
    assert (first.given_name, first.family_name, first.birth_date, first.postcode) == (
        "thomas",
        "chudleigh",
        "1630-08-01",
        "tq13 8df",
    )
    assert first.extra["birth_place"] == "devon"
    assert records["birth_date"].isna().sum() == 11_403 + 2904  # missing, or a typo that is no date
    written = [e["birth_date_as_written"] for e in records["extra"] if "birth_date_as_written" in e]
    assert len(written) == 2904 and "1845-01-81" in written


def test_aira_has_2841_pairs_with_the_expectations_of_its_readme():
    pairs = load_aira_pairs()

    assert len(pairs) == 2841
    assert Counter(p.expect for p in pairs) == {"match": 813, "review": 622, "non_match": 1405, "unsure": 1}
    assert len({p.test_id for p in pairs}) == 2841
    assert len({p.scenario for p in pairs}) == 28
    assert all(p.a["unique_id"] == f"{p.test_id}:A" and p.b["unique_id"] == f"{p.test_id}:B" for p in pairs)
    assert all(p.a["birth_date"] and p.b["birth_date"] for p in pairs)


def test_an_aira_patient_becomes_a_record_with_the_rest_in_extra(tmp_path):
    path = tmp_path / "aira.txt"
    path.write_text(AIRA_TEST, encoding="utf-8")

    same, different = load_aira_pairs(path)

    assert (same.test_id, same.scenario, same.quality, same.expect) == (
        "S-1",
        "FIRST_NAME_TYPO",
        "IDEAL-GOODA",
        "match",
    )
    a = same.a
    assert set(a) == set(RECORD_FIELDS)
    assert (a["full_name"], a["given_name"], a["family_name"]) == ("Anna Mai Tran Jr", "Anna", "Tran")
    assert (a["birth_date"], a["sex"], a["national_id"], a["phone"]) == (
        "2011-06-27",
        "F",
        "123456789",
        "(231)512-9048",
    )
    assert (a["address"], a["city"], a["postcode"]) == ("63 Hardin Cir, Apt 2", "Boyne Falls", "49713")
    assert a["extra"] == {
        "nameMiddle": "Mai",
        "nameSuffix": "Jr",
        "addressState": "MI",
        "mrns": "3-Z99",
        "nameLastHyph": "Sweeney",
    }
    assert same.b["extra"]["guardianNameFirst"] == "Lan, Thi"  # a comma inside a value
    assert different.expect == "non_match"
    assert different.a["birth_date"] is None  # 31 February
    assert different.a["extra"]["birth_date_as_written"] == "20110231"
    assert different.b["birth_date"] is None and different.b["sex"] == "U"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("TEST: S-1:X:A-B\nEXPECT: Likely\n", "unknown AIRA expectation"),
        ("TEST: S-1:X:A-B\nEXPECT: Match\nPATIENT A: nameFirst=A,\n", "lacks ['b']"),
        ("TEST: S-1:X:A-B\nEXPECT: Match\nPATIENT A: a=1\nPATIENT B: a=1\n" * 2, "repeated"),
        ("hello\n", "not an AIRA test line"),
    ],
)
def test_a_malformed_aira_file_is_refused_with_the_line(tmp_path, text, message):
    path = tmp_path / "aira.txt"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ValueError, match=re.escape(message)):
        load_aira_pairs(path)


def test_a_missing_test_set_names_where_it_was_looked_for(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "absent.txt"))):
        load_aira_pairs(tmp_path / "absent.txt")


def test_the_test_sets_are_read_from_the_repositorys_own_testdata_folder():
    repository = Path(testdata.__file__).resolve().parents[2]
    assert testdata.LINKAGE_DIR.relative_to(repository).as_posix() == "testdata/linkage"
    for path in (
        testdata.FAKE_1000_CSV,
        testdata.FAKE_1000_LABELS_CSV,
        testdata.HISTORICAL_50K_PARQUET,
        testdata.AIRA_DEV_TEST,
    ):
        assert path.is_file(), path


def test_the_splink_datasets_are_read_with_splinks_own_types():
    fake = testdata.read_splink_dataset("fake_1000")
    historical = testdata.read_splink_dataset("historical_50k")

    assert fake.num_rows == 1000 and str(fake.schema.field("dob").type) == "date32[day]"
    assert historical.num_rows == 50_578
