"""The public person-linkage test sets of testdata/linkage, read into one record schema.

Every loader returns records with the same fields, the ones a registry record has, so that one matcher runs on
all of them:

    unique_id        str   the dataset's own id ("<test id>:A" / ":B" for AIRA)
    full_name        str   as a person would write it, given names first ("Nea Tamara Dick")
    given_name       str   first given name
    family_name      str
    birth_date       str | None   ISO "YYYY-MM-DD"
    birth_precision  str   "day", "month" or "year" (every date in these sets is a full date: "day")
    sex              str   "M", "F" or "U"
    address          str   street address
    city             str
    postcode         str
    national_id      str   (AIRA: the SSN)
    phone            str   as written in the source
    email            str   (fake_1000 only)
    cluster          str | None   the true person, where the set has one
    extra            dict  the source's other fields, under their own names

A missing text value is "" and a missing date None. A birth date that is no real date (historical_50k has
2,904 typos such as "1845-01-81") is None too, its text kept in extra["birth_date_as_written"]. Nothing is
normalised beyond that (case, spelling and punctuation stay as the source has them): normalising is the
matcher's job and part of what is measured.

The files are vendored unchanged in the repository's `testdata/linkage` (sources, commits and licences in its
README). They are not package data, so these loaders need a checkout of the repository.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sotiem.lib.testdata import TESTDATA

RECORD_FIELDS = (
    "unique_id",
    "full_name",
    "given_name",
    "family_name",
    "birth_date",
    "birth_precision",
    "sex",
    "address",
    "city",
    "postcode",
    "national_id",
    "phone",
    "email",
    "cluster",
    "extra",
)
LINKAGE_DIR = TESTDATA / "linkage"
SPLINK_DIR = LINKAGE_DIR / "splink_datasets"
FAKE_1000_CSV = SPLINK_DIR / "fake_1000.csv"
FAKE_1000_LABELS_CSV = SPLINK_DIR / "fake_1000_labels.csv"
HISTORICAL_50K_PARQUET = SPLINK_DIR / "historical_figures_with_errors_50k.parquet"
AIRA_DEV_TEST = LINKAGE_DIR / "aira-patient-matching" / "Dev-Test-2015-01-01.txt"

# AIRA's EXPECT line -> our expectation; "Possible Match" is a pair a person should look at.
AIRA_EXPECTATIONS = {
    "Match": "match",
    "Possible Match": "review",
    "Not a Match": "non_match",
    "Not Sure": "unsure",
}
HISTORICAL_SEX = {"male": "M", "female": "F"}


def _require(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(
            f"linkage test data not found at {path}: the test sets are vendored in the repository's "
            f"testdata/linkage ({LINKAGE_DIR}); run from a checkout of the repository"
        )
    return path


def _text(value: Any) -> str:
    """A source value as text: None and NaN become ""."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _record(**values: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "unique_id": "",
        "full_name": "",
        "given_name": "",
        "family_name": "",
        "birth_date": None,
        "birth_precision": "day",
        "sex": "U",
        "address": "",
        "city": "",
        "postcode": "",
        "national_id": "",
        "phone": "",
        "email": "",
        "cluster": None,
        "extra": {},
    }
    unknown = set(values) - set(record)
    if unknown:
        raise KeyError(f"not record fields: {sorted(unknown)}")
    record.update(values)
    return record


def _with_written_date(extra: dict[str, str], written: str, birth_date: str | None) -> dict[str, str]:
    """extra, plus the birth date as written when it is not a real date."""
    if written and birth_date is None:
        return {**extra, "birth_date_as_written": written}
    return extra


def _frame(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(records), columns=list(RECORD_FIELDS))


# --- Splink's fake_1000 ---------------------------------------------------------------------------------


def load_fake_1000(
    path: Path = FAKE_1000_CSV, labels_path: Path = FAKE_1000_LABELS_CSV
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Splink's fake_1000 (1,000 records of 251 people) and its 3,176 clerically labelled pairs.

    Returns (records, labels); labels has unique_id_l, unique_id_r (str) and match (0/1 int).

    Two truths come with the set, and they agree on every labelled pair:
    - the `cluster` column: every pair of records in one cluster is a match, every other pair is not. This is
      the truth F1 is reported on, the way Splink's own `accuracy_analysis_from_labels_column` does it: the
      true pairs are all within-cluster pairs (2,031), so a true pair the matcher never scored counts as
      missed, and a scored pair across clusters as a false link.
    - the clerical labels: all 2,031 true pairs plus a sample of 1,145 non-matching ones, so on the labels
      recall is the same as on the clusters while precision only sees false links among those 1,145 pairs.
      See `metrics.labelled_pair_scores`.
    """
    raw = pd.read_csv(_require(path), dtype=str, keep_default_na=False)
    records = _frame(
        _record(
            unique_id=row.unique_id,
            full_name=_join(row.first_name.strip(), row.surname.strip()),
            given_name=row.first_name.strip(),
            family_name=row.surname.strip(),
            birth_date=_iso_date(row.dob),
            city=row.city.strip(),
            email=row.email.strip(),
            cluster=row.cluster,
            extra=_with_written_date({}, row.dob.strip(), _iso_date(row.dob)),
        )
        for row in raw.itertuples(index=False)
    )
    labels_raw = pd.read_csv(_require(labels_path), dtype=str)
    labels = pd.DataFrame(
        {
            "unique_id_l": labels_raw["unique_id_l"],
            "unique_id_r": labels_raw["unique_id_r"],
            "match": labels_raw["clerical_match_score"].astype(float).round().astype(int),
        }
    )
    return records, labels


# --- Splink's historical_50k ----------------------------------------------------------------------------


def load_historical_50k(path: Path = HISTORICAL_50K_PARQUET) -> pd.DataFrame:
    """Splink's historical_50k: 50,578 records of 5,156 historical persons (wikidata) with errors added.

    `cluster` is the wikidata id of the person, the truth. full_name is the source's ("thomas clifford, 1st
    baron clifford of chudleigh"); postcode is the source's postcode_fake. birth_place, occupation and
    first_and_surname are kept in `extra`: a place of birth is not the address or city of residence.
    Gender values other than male/female (wikidata ids, "female | male") become "U".
    """
    raw = pd.read_parquet(_require(path))
    records = []
    for row in raw.itertuples(index=False):
        birth_date = _iso_date(row.dob)
        extra = {
            "birth_place": _text(row.birth_place),
            "occupation": _text(row.occupation),
            "first_and_surname": _text(row.first_and_surname),
        }
        records.append(
            _record(
                unique_id=row.unique_id,
                full_name=_text(row.full_name),
                given_name=_text(row.first_name),
                family_name=_text(row.surname),
                birth_date=birth_date,
                sex=HISTORICAL_SEX.get(_text(row.gender), "U"),
                postcode=_text(row.postcode_fake),
                cluster=row.cluster,
                extra=_with_written_date(extra, _text(row.dob), birth_date),
            )
        )
    return _frame(records)


# --- AIRA patient-matching pairs ------------------------------------------------------------------------


@dataclass(frozen=True)
class AiraPair:
    """One AIRA test: two patient records and what a matcher is expected to conclude about them."""

    test_id: str  # "S-1177" (variants of one person) or "D-638" (different persons who look alike)
    scenario: str  # e.g. "SUFFIX_MISSING"
    quality: str  # data quality of A and B as the generator made them, e.g. "IDEAL-GREATA"
    expect: str  # "match", "review" (Possible Match), "non_match" or "unsure" (Not Sure)
    a: dict[str, Any] = field(repr=False)
    b: dict[str, Any] = field(repr=False)


# AIRA keys that map onto the record schema; every other key goes to `extra` under its own name.
# nameLastHyph is the generator's scratch copy of a possible hyphenated surname, not part of the patient's
# name (the AIRA Patient class says so), so it stays in extra. nameMiddle and nameSuffix are part of full_name
# and stay in extra as well, for a matcher that compares middle names on their own.
_AIRA_MAPPED = {
    "nameFirst",
    "nameLast",
    "birthDate",
    "gender",
    "ssn",
    "phone",
    "addressStreet1",
    "addressStreet2",
    "addressCity",
    "addressZip",
}


def parse_aira_fields(text: str) -> dict[str, str]:
    """The key=value,key=value,… of a PATIENT line; a piece without "=" belongs to the value before it."""
    fields: dict[str, str] = {}
    last_key = None
    for piece in text.strip().split(","):
        key, sep, value = piece.partition("=")
        if sep and key.strip():
            last_key = key.strip()
            fields[last_key] = value.strip()
        elif piece.strip() and last_key is not None:  # a comma inside a value
            fields[last_key] = f"{fields[last_key]},{piece}".strip()
    return fields


def aira_record(unique_id: str, fields: dict[str, str]) -> dict[str, Any]:
    """An AIRA patient as a record of the common schema."""
    get = fields.get
    given, middle, family, suffix = (
        get(k, "").strip() for k in ("nameFirst", "nameMiddle", "nameLast", "nameSuffix")
    )
    sex = get("gender", "").strip().upper()
    birth_date = _compact_date(get("birthDate", ""))
    extra = {k: v for k, v in fields.items() if k not in _AIRA_MAPPED}
    return _record(
        unique_id=unique_id,
        full_name=_join(given, middle, family, suffix),
        given_name=given,
        family_name=family,
        birth_date=birth_date,
        sex=sex if sex in {"M", "F"} else "U",
        address=", ".join(
            p for p in (get("addressStreet1", "").strip(), get("addressStreet2", "").strip()) if p
        ),
        city=get("addressCity", "").strip(),
        postcode=get("addressZip", "").strip(),
        national_id=get("ssn", "").strip(),
        phone=get("phone", "").strip(),
        extra=_with_written_date(extra, get("birthDate", "").strip(), birth_date),
    )


def load_aira_pairs(path: Path = AIRA_DEV_TEST) -> list[AiraPair]:
    """The 2,841 AIRA patient-matching tests of Dev-Test-2015-01-01.txt, in file order.

    Four lines a test: `TEST: <id>:<SCENARIO>:<QUALITY_A>-<QUALITY_B>`, `EXPECT: <label>`,
    `PATIENT A: k=v,…`, `PATIENT B: k=v,…`. Blank lines and CR line ends are tolerated; a test missing a line,
    an unknown label or a repeated test id is an error naming the line. Record ids are "<test id>:A"/":B".
    """
    return list(_aira_tests(_require(path).read_text(encoding="utf-8")))


def _aira_tests(text: str) -> Iterator[AiraPair]:
    current: dict[str, Any] = {}
    seen: set[str] = set()

    def finish(lineno: int) -> Iterator[AiraPair]:
        if not current:
            return
        missing = {"test", "expect", "a", "b"} - set(current)
        if missing:
            raise ValueError(
                f"AIRA test ending before line {lineno} lacks {sorted(missing)}: {current.get('test')}"
            )
        test_id, scenario, quality = current["test"]
        if test_id in seen:
            raise ValueError(f"AIRA test id {test_id} repeated (line {lineno})")
        seen.add(test_id)
        yield AiraPair(
            test_id=test_id,
            scenario=scenario,
            quality=quality,
            expect=current["expect"],
            a=aira_record(f"{test_id}:A", current["a"]),
            b=aira_record(f"{test_id}:B", current["b"]),
        )
        current.clear()

    lineno = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        tag, sep, rest = line.strip().partition(":")
        if not line.strip():
            continue
        if not sep:
            raise ValueError(f"line {lineno}: not an AIRA test line: {line[:60]!r}")
        tag = tag.strip().upper()
        if tag == "TEST":
            yield from finish(lineno)
            test_id, _, tail = rest.strip().partition(":")
            scenario, _, quality = tail.partition(":")
            current["test"] = (test_id.strip(), scenario.strip(), quality.strip())
        elif tag == "EXPECT":
            label = rest.strip()
            if label not in AIRA_EXPECTATIONS:
                raise ValueError(f"line {lineno}: unknown AIRA expectation {label!r}")
            current["expect"] = AIRA_EXPECTATIONS[label]
        elif tag in {"PATIENT A", "PATIENT B"}:
            current[tag[-1].lower()] = parse_aira_fields(rest)
        else:
            raise ValueError(f"line {lineno}: unknown AIRA tag {tag!r}")
    yield from finish(lineno + 1)


# --- the sets as Splink reads them ------------------------------------------------------------------------


def read_splink_dataset(name: str) -> Any:
    """fake_1000 or historical_50k as `splink.datasets` would return it: a pyarrow Table with Splink's types.

    (fake_1000: unique_id and cluster int64, dob date32, nulls for empty strings.) This is the input of
    Splink's own examples, so the Splink baselines run on exactly what its documentation runs on.
    """
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    if name == "fake_1000":
        return pa_csv.read_csv(
            _require(FAKE_1000_CSV), convert_options=pa_csv.ConvertOptions(strings_can_be_null=True)
        )
    if name == "historical_50k":
        return pq.read_table(_require(HISTORICAL_50K_PARQUET))
    raise ValueError(f"unknown Splink dataset {name!r}")


# --- dates ----------------------------------------------------------------------------------------------


def _iso_date(value: str) -> str | None:
    """An ISO date string kept as is when it is a real date, otherwise None."""
    value = _text(value)
    try:
        return dt.date.fromisoformat(value).isoformat() if value else None
    except ValueError:
        return None


def _compact_date(value: str) -> str | None:
    """YYYYMMDD as an ISO date, None when empty or not a real date."""
    value = value.strip()
    if len(value) != 8 or not value.isdigit():
        return None
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:])).isoformat()
    except ValueError:
        return None
