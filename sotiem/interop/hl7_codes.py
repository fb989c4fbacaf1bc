"""Code tables for HL7 immunization messages: CDC CVX and the registry's COVID-19 catalogue."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

CVX_TABLE_PATH = Path(__file__).resolve().parent / "data" / "cvx.txt"

# CVX 998 "no vaccine administered" documents a non-event (e.g. presumed immunity); it is never a dose.
CVX_NO_VACCINE = "998"

# COVID-19 CVX codes that name a product in the registry's catalogue. Each code's CDC description in
# data/cvx.txt names the manufacturer (the tests check this). Codes of other COVID-19 products (Novavax
# 211/313, Sinovac 511, Sputnik Light 504, COVAXIN 502, unspecified 213/500...) are not in the catalogue
# and come through as "CVX:<code>" so the registry refuses them with a clear reason.
# HAYATVAX (Sinopharm BIBP filled in the UAE) and ABDALA have no CVX code of their own.
CATALOGUE_BY_CVX: dict[str, str] = {
    # Moderna (Spikevax): original, bivalent, Fall 2023 and the non-US bivalent BA.1 product.
    **dict.fromkeys(("207", "221", "227", "228", "229", "230", "311", "312", "519"), "MODERNA"),
    # Pfizer-BioNTech (Comirnaty): original, tris-sucrose, bivalent, Fall 2023, non-US bivalent BA.1.
    **dict.fromkeys(("208", "217", "218", "219", "300", "301", "302", "308", "309", "310", "520"), "PFIZER"),
    "210": "AZ",  # AstraZeneca / COVISHIELD (ChAdOx1)
    "212": "JANSSEN",  # Janssen / J&J (Ad26)
    "505": "SPUTNIK_V",  # Gamaleya Sputnik V
    "510": "VEROCELL",  # Sinopharm BIBP, known in Vietnam as Vero Cell
}

# Manufacturer words expected in each catalogue product's CVX description (checked by the tests).
CATALOGUE_MANUFACTURER_WORDS: dict[str, tuple[str, ...]] = {
    "MODERNA": ("moderna",),
    "PFIZER": ("pfizer",),
    "AZ": ("astrazeneca",),
    "JANSSEN": ("janssen",),
    "SPUTNIK_V": ("sputnik v",),
    "VEROCELL": ("sinopharm", "bibp"),
}


@dataclass(frozen=True)
class CvxCode:
    """One row of the CDC CVX table."""

    code: str
    short_description: str
    full_name: str
    notes: str
    status: str


@functools.cache
def cvx_table() -> dict[str, CvxCode]:
    """The CDC CVX table shipped in data/cvx.txt, keyed by code as CDC writes it (e.g. "03")."""
    table: dict[str, CvxCode] = {}
    for line in CVX_TABLE_PATH.read_text(encoding="utf-8").splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 5 or not parts[0]:
            continue
        table[parts[0]] = CvxCode(parts[0], parts[1], parts[2], parts[3], parts[4])
    return table


def _short_number(code: str) -> bool:
    """ASCII digits, few enough to be a CVX code (int() refuses thousands of digits, and reads other scripts)."""
    return code.isascii() and code.isdigit() and len(code) <= 6


def canonical_cvx(code: str) -> str | None:
    """The table's spelling of a CVX code ("3" and "003" become "03"), or None if CDC has no such code."""
    code = code.strip()
    table = cvx_table()
    if code in table:
        return code
    if _short_number(code):
        number = str(int(code))
        for candidate in (number, number.zfill(2), number.zfill(3)):
            if candidate in table:
                return candidate
    return None


def catalogue_vaccine(cvx: str) -> str | None:
    """The registry catalogue code for a CVX code, or None when the vaccine is outside the catalogue."""
    code = cvx.strip()
    if _short_number(code):
        code = str(int(code))
    return CATALOGUE_BY_CVX.get(code)
