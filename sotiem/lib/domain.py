"""Cached readers for the reference CSVs in `sotiem/lib/data/` (copied from shared/domain; see SOURCES.md there).

Every loader reads its file once per process (functools.cache) and returns plain dicts, lists and tuples so
that callers need no knowledge of CSV. The returned objects are shared between callers: treat them as
read-only.
"""

import csv
import functools
import io
from importlib import resources
from typing import Any

# Values in covid_vaccines_vn.csv such as "(unverified)" or "(none; generic XM5JC5)" are notes, not codes.
_NOTE_PREFIX = "("


def _rows(filename: str) -> list[dict[str, str]]:
    """Read one data file; importlib.resources keeps this working from a wheel or zip as well as a checkout."""
    text = resources.files("sotiem.lib").joinpath("data", filename).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _int_or_none(raw: str) -> int | None:
    return int(raw) if raw.strip() else None


def _code_or_none(raw: str) -> str | None:
    """A blank or parenthesised note in a code column means there is no code to print."""
    raw = raw.strip()
    return None if not raw or raw.startswith(_NOTE_PREFIX) else raw


@functools.cache
def provinces_2021() -> dict[str, dict[str, str]]:
    """The 63 provinces of 2021 keyed by 2-digit GSO code; rows keep every CSV column as text."""
    return {row["gso_code"]: row for row in _rows("provinces_63_2021.csv")}


@functools.cache
def provinces_2025() -> dict[str, dict[str, str]]:
    """The 34 provinces from 2025-07-01 keyed by 2-digit GSO code; `merged_from_gso_codes` is `;`-separated."""
    return {row["gso_code"]: row for row in _rows("provinces_34_2025.csv")}


@functools.cache
def cccd_province_codes() -> frozenset[str]:
    """The 63 three-digit birth-registration codes a CCCD may start with (`0` + GSO code, TT 07/2016)."""
    return frozenset(row["cccd_code"] for row in provinces_2021().values())


@functools.cache
def cccd_code_to_gso() -> dict[str, str]:
    """Map a CCCD prefix such as `079` to its 2021 GSO province code `79`."""
    return {row["cccd_code"]: gso for gso, row in provinces_2021().items()}


@functools.cache
def gender_century() -> dict[str, tuple[str, int, int]]:
    """The CCCD 4th digit -> (sex 'M'/'F', first birth year, last birth year) of its century."""
    sex_of = {"male": "M", "female": "F"}
    return {
        row["digit"]: (sex_of[row["gender"]], int(row["birth_year_from"]), int(row["birth_year_to"]))
        for row in _rows("cccd_gender_century.csv")
    }


@functools.cache
def phone_prefix_map_2018() -> dict[str, str]:
    """Old 11-digit mobile prefix (`0162`) -> its 10-digit replacement (`032`) from the 2018-09-15 switch."""
    return {
        row["old_prefix_11digit"]: row["new_prefix_10digit"]
        for row in _rows("mobile_prefix_conversion_2018.csv")
    }


@functools.cache
def mobile_prefixes() -> dict[str, dict[str, str]]:
    """3-digit mobile prefixes (`090`) with carrier and what `phonenumbers` accepts, keyed by prefix."""
    return {row["prefix"]: row for row in _rows("mobile_prefixes.csv")}


@functools.cache
def surnames() -> list[dict[str, Any]]:
    """Surname frequency rows; `source` tells the national estimate from the Đắk Lắk sample apart.

    The national estimate combines aliases ("Hoàng/Huỳnh"), so a generator wanting single surnames should
    prefer the sample rows (`source` starting with "hoten.org").
    """
    return [
        {
            "source": r["source"],
            "rank": int(r["rank"]),
            "surname": r["surname"],
            "pct": float(r["pct"]),
            "note": r["note"],
        }
        for r in _rows("surnames_vn.csv")
    ]


@functools.cache
def given_names() -> list[dict[str, Any]]:
    """Top given names by sex ('F'/'M') with their share of that sex, from the Đắk Lắk 1991–2002 sample."""
    return [
        {
            "sex": r["sex"],
            "rank": int(r["rank_in_source"]),
            "given_name": r["given_name"],
            "pct": float(r["pct_of_sex"]),
            "source": r["source"],
        }
        for r in _rows("given_names_vn.csv")
    ]


@functools.cache
def name_variants() -> list[dict[str, str]]:
    """Spelling-variant pairs used to test name matching (tone placement, Telex, aliases...)."""
    return _rows("name_normalisation_variants.csv")


@functools.cache
def vaccines() -> list[dict[str, Any]]:
    """The 8 COVID-19 vaccines on Vietnam's certificate list, in CSV order.

    Dose counts and intervals become int or None; code columns whose CSV value is a parenthesised note
    ("(unverified)", "(none; generic XM5JC5)") become None, so nobody prints a note as a code. Abdala is
    in the CSV (3 doses, 14 days minimum interval, no ICD-11 product code, no EU code), so nothing is added
    here in code.
    """
    return [
        {
            **row,
            "primary_series_doses": int(row["primary_series_doses"]),
            "min_interval_days": _int_or_none(row["min_interval_days"]),
            "max_recommended_interval_days": _int_or_none(row["max_recommended_interval_days"]),
            "icd11_who_ddcc": _code_or_none(row["icd11_who_ddcc"]),
            "eu_dcc_mp_code": _code_or_none(row["eu_dcc_mp_code"]),
            "moh_decision": row["moh_decision"] or None,
        }
        for row in _rows("covid_vaccines_vn.csv")
    ]


@functools.cache
def vaccines_by_key() -> dict[str, dict[str, Any]]:
    """The vaccines keyed by their short key (`AZ`, `PFIZER`, `ABDALA`...)."""
    return {row["key"]: row for row in vaccines()}


@functools.cache
def dose_rules() -> list[dict[str, str]]:
    """Dated MoH dose rules (mixing, boosters, children...) as text rows; the rules engine interprets them."""
    return _rows("covid_dose_rules_vn.csv")
