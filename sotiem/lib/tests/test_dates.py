"""Dates: dd/mm/yyyy first, partial birth dates kept partial, and every refusal says why."""

import datetime
from typing import get_args

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from sotiem.lib.dates import DateError, PartialDate, Precision, parse_date, parse_partial_date

days = st.dates(min_value=datetime.date(1900, 3, 1), max_value=datetime.date(2100, 12, 31))


@st.composite
def partial_dates(draw: st.DrawFn) -> PartialDate:
    day = draw(days)
    precision: Precision = draw(st.sampled_from(get_args(Precision)))
    if precision == "month":
        day = day.replace(day=1)
    elif precision == "year":
        day = day.replace(month=1, day=1)
    return PartialDate(day, precision)


@pytest.mark.parametrize(
    "written",
    [
        "05/02/1990",
        "5/2/1990",
        "05-02-1990",
        "05.02.1990",
        "1990-02-05",
        " 05/02/1990 ",
        "1990-02-05 00:00:00",
    ],
)
def test_it_reads_a_full_date_written_day_first_or_iso(written: str) -> None:
    assert parse_partial_date(written) == PartialDate(datetime.date(1990, 2, 5), "day")
    assert parse_date(written) == datetime.date(1990, 2, 5)


def test_it_keeps_a_month_or_year_of_birth_partial_instead_of_inventing_a_day() -> None:
    assert parse_partial_date("02/1990") == PartialDate(datetime.date(1990, 2, 1), "month")
    assert parse_partial_date("1990-02") == PartialDate(datetime.date(1990, 2, 1), "month")
    assert parse_partial_date("1990") == PartialDate(datetime.date(1990, 1, 1), "year")
    assert str(parse_partial_date("2/1990")) == "02/1990"


def test_it_reads_excel_serial_numbers_only_when_given_as_numbers() -> None:
    assert parse_partial_date(44197).value == datetime.date(2021, 1, 1)
    assert parse_partial_date(44197.75).value == datetime.date(2021, 1, 1)
    with pytest.raises(DateError, match="Cannot read the date '44197'"):
        parse_partial_date("44197")


def test_it_accepts_date_and_datetime_objects() -> None:
    assert parse_date(datetime.datetime(2021, 7, 15, 9, 30)) == datetime.date(2021, 7, 15)
    assert parse_partial_date(datetime.date(2021, 7, 15)).precision == "day"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("31/02/1990", "31/02/1990 is not a real date"),
        ("29/02/2021", "29/02/2021 is not a real date"),
        ("05/13/1990", "Month 13 does not exist in '05/13/1990' (are day and month swapped?)"),
        ("01/02/90", "A two-digit year is ambiguous"),
        ("1/2/03", "A two-digit year is ambiguous"),
        ("", "The date is empty"),
        ("ngày 5 tháng 2", "Cannot read the date"),
        ("05/02-1990", "Cannot read the date"),
        ("1899", "The year 1899 in '1899' is outside 1900–2100"),
        ("13/1850", "outside 1900–2100"),
        (10, "The Excel date serial 10 is outside"),
        (float("nan"), "Not a valid Excel date serial"),
        (True, "Not a date"),
        (None, "Not a date"),
    ],
)
def test_it_refuses_a_date_saying_why(raw: object, reason: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_partial_date(raw)
    assert reason in str(caught.value)
    with translation.override("vi"):
        assert reason not in str(caught.value)  # translated, not the English again


def test_a_date_refusal_is_said_in_the_readers_language() -> None:
    with pytest.raises(DateError) as caught:
        parse_partial_date("31/02/1990")
    with translation.override("vi"):
        assert str(caught.value) == "Ngày 31/02/1990 không tồn tại"
    with translation.override("en"):
        assert str(caught.value) == "31/02/1990 is not a real date"


def test_a_full_date_is_required_for_an_administered_date() -> None:
    with pytest.raises(DateError, match="A full date dd/mm/yyyy is needed, not just '07/2021'"):
        parse_date("07/2021")


def test_a_partial_date_cannot_hold_a_day_it_does_not_know() -> None:
    with pytest.raises(ValueError):
        PartialDate(datetime.date(1990, 2, 5), "month")
    with pytest.raises(ValueError):
        PartialDate(datetime.date(1990, 2, 1), "year")


@settings(max_examples=200)
@given(partial_dates())
def test_a_partial_date_round_trips_through_its_text_and_iso_forms(partial: PartialDate) -> None:
    assert parse_partial_date(str(partial)) == partial
    assert parse_partial_date(partial.isoformat()) == partial


@settings(max_examples=200)
@given(days, st.sampled_from(["/", "-", "."]), st.booleans())
def test_every_day_first_spelling_of_a_day_reads_the_same(
    day: datetime.date, separator: str, pad: bool
) -> None:
    text = f"{day.day:02d}" if pad else str(day.day)
    month = f"{day.month:02d}" if pad else str(day.month)
    assert parse_date(separator.join([text, month, str(day.year)])) == day


@settings(max_examples=200)
@given(days)
def test_an_excel_serial_reads_as_the_day_excel_shows(day: datetime.date) -> None:
    serial = (day - datetime.date(1899, 12, 30)).days
    assert parse_date(serial) == day
    assert parse_date(float(serial) + 0.5) == day


@settings(max_examples=200)
@given(st.text(max_size=12))
def test_it_either_reads_text_or_raises_a_date_error(text: str) -> None:
    try:
        partial = parse_partial_date(text)
    except DateError as error:
        english = str(error)
        with translation.override("vi"):
            assert english and str(error) != english
    else:
        assert parse_partial_date(str(partial)) == partial
