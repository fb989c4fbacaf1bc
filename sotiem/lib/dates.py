"""Dates as Vietnamese records write them: dd/mm/yyyy, and often only a month or a year of birth.

A birth date known only to the year must stay a year: defaulting it to 01/01 invents a fact and breaks
matching. `PartialDate` keeps the precision next to the value.
"""

import datetime
import math
import re
from dataclasses import dataclass
from typing import Literal

from sotiem.lib.i18n import _

Precision = Literal["day", "month", "year"]

MIN_YEAR = 1900
MAX_YEAR = 2100
# Excel counts days from 1899-12-30 for every serial above 60 (it believes 1900-02-29 existed).
_EXCEL_EPOCH = datetime.date(1899, 12, 30)
_EXCEL_FIRST_SAFE_SERIAL = 61

_DAY_FIRST = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})$")
_YEAR_FIRST = re.compile(r"^(\d{4})([/.\-])(\d{1,2})\2(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_TWO_DIGIT_YEAR = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^\d{4}$")


class DateError(ValueError):
    """A date that cannot be read; the message (a `Text`) says why in the reader's language."""


@dataclass(frozen=True)
class PartialDate:
    """A date known to the day, month or year; lower precisions hold day 1 / month 1 in `value`."""

    value: datetime.date
    precision: Precision

    def __post_init__(self) -> None:
        if self.precision not in ("day", "month", "year"):
            raise ValueError(f"precision must be day, month or year, got {self.precision!r}")
        unknown_day = self.precision != "day" and self.value.day != 1
        unknown_month = self.precision == "year" and self.value.month != 1
        if unknown_day or unknown_month:
            raise ValueError(f"a {self.precision}-precision date must hold the first day of its period")

    def __str__(self) -> str:
        if self.precision == "day":
            return self.value.strftime("%d/%m/%Y")
        if self.precision == "month":
            return f"{self.value.month:02d}/{self.value.year:04d}"
        return f"{self.value.year:04d}"

    def isoformat(self) -> str:
        """`yyyy-mm-dd`, `yyyy-mm` or `yyyy`, for storage and APIs."""
        return self.value.isoformat()[: {"day": 10, "month": 7, "year": 4}[self.precision]]


def parse_partial_date(raw: object) -> PartialDate:
    """Read a date as written in Vietnamese records, keeping how precise it was.

    Accepts dd/mm/yyyy (also d/m/yyyy and `-` or `.` separators), ISO yyyy-mm-dd, mm/yyyy, yyyy, date and
    datetime objects, and Excel serial numbers when given as int or float. Two-digit years are refused: 01/02/03
    could be 1903 or 2003.
    """
    if isinstance(raw, datetime.datetime):
        return PartialDate(raw.date(), "day")
    if isinstance(raw, datetime.date):
        return PartialDate(raw, "day")
    if isinstance(raw, bool):
        raise DateError(_("Not a date: %(value)s", value=repr(raw)))
    if isinstance(raw, int | float):
        return PartialDate(_from_excel_serial(raw), "day")
    if not isinstance(raw, str):
        raise DateError(_("Not a date: %(value)s", value=repr(raw)))
    return _parse_text(raw.strip())


def parse_date(raw: object) -> datetime.date:
    """A full date (such as the day a dose was given); a month or a year alone is refused."""
    partial = parse_partial_date(raw)
    if partial.precision != "day":
        raise DateError(_("A full date dd/mm/yyyy is needed, not just '%(date)s'", date=partial))
    return partial.value


def _parse_text(text: str) -> PartialDate:
    if not text:
        raise DateError(_("The date is empty"))
    if match := _DAY_FIRST.match(text):
        return PartialDate(_make(text, int(match[4]), int(match[3]), int(match[1])), "day")
    if match := _YEAR_FIRST.match(text):
        return PartialDate(_make(text, int(match[1]), int(match[3]), int(match[4])), "day")
    if match := _MONTH_YEAR.match(text):
        return PartialDate(_make(text, int(match[2]), int(match[1]), 1), "month")
    if match := _YEAR_MONTH.match(text):
        return PartialDate(_make(text, int(match[1]), int(match[2]), 1), "month")
    if _YEAR.match(text):
        return PartialDate(_make(text, int(text), 1, 1), "year")
    if _TWO_DIGIT_YEAR.match(text):
        raise DateError(
            _("A two-digit year is ambiguous: '%(text)s'; write the year with 4 digits", text=text)
        )
    raise DateError(_("Cannot read the date '%(text)s'; use dd/mm/yyyy, mm/yyyy or yyyy", text=text))


def _make(text: str, year: int, month: int, day: int) -> datetime.date:
    """Build the date or say which part is impossible; a month above 12 often means mm/dd was typed."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise DateError(
            _(
                "The year %(year)s in '%(text)s' is outside %(min)s–%(max)s",
                year=year,
                text=text,
                min=MIN_YEAR,
                max=MAX_YEAR,
            )
        )
    if not 1 <= month <= 12:
        raise DateError(
            _(
                "Month %(month)s does not exist in '%(text)s' (are day and month swapped?)",
                month=month,
                text=text,
            )
        )
    try:
        return datetime.date(year, month, day)
    except ValueError:
        shown = f"{day:02d}/{month:02d}/{year}"
        raise DateError(_("%(date)s is not a real date", date=shown)) from None


def _from_excel_serial(serial: float) -> datetime.date:
    """Excel stores a date cell as days since 1899-12-30; a fraction is the time of day and is dropped."""
    if isinstance(serial, float) and not math.isfinite(serial):
        raise DateError(_("Not a valid Excel date serial: %(serial)s", serial=serial))
    days = math.floor(serial)
    earliest, latest = _EXCEL_FIRST_SAFE_SERIAL, (datetime.date(MAX_YEAR, 12, 31) - _EXCEL_EPOCH).days
    if not earliest <= days <= latest:
        raise DateError(
            _(
                "The Excel date serial %(serial)s is outside 01/03/1900–31/12/%(max)s",
                serial=serial,
                max=MAX_YEAR,
            )
        )
    return _EXCEL_EPOCH + datetime.timedelta(days=days)
