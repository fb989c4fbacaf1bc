import datetime as dt

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from sotiem.lib.params import ParamError, parse_instant

UTC = dt.UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-08-01", dt.datetime(2021, 8, 1, tzinfo=UTC)),
        ("2021-08-01T07:30:00", dt.datetime(2021, 8, 1, 7, 30, tzinfo=UTC)),
        ("2021-08-01 07:30", dt.datetime(2021, 8, 1, 7, 30, tzinfo=UTC)),
        ("2021-08-01T07:30:00Z", dt.datetime(2021, 8, 1, 7, 30, tzinfo=UTC)),
        ("2021-08-01T07:30:00+07:00", dt.datetime(2021, 8, 1, 0, 30, tzinfo=UTC)),
        ("2021-08-01T07:30:00+0700", dt.datetime(2021, 8, 1, 0, 30, tzinfo=UTC)),
        ("2021-08-01T07:30:00.123456789-02", dt.datetime(2021, 8, 1, 9, 30, 0, 123456, tzinfo=UTC)),
        ("20210801T073000", dt.datetime(2021, 8, 1, 7, 30, tzinfo=UTC)),
        ("0001-01-01T00:00:00-14:00", dt.datetime(1, 1, 1, 14, tzinfo=UTC)),
        ("9999-12-31T23:59:59+14:00", dt.datetime(9999, 12, 31, 9, 59, 59, tzinfo=UTC)),
    ],
)
def test_it_reads_iso_dates_and_times_as_utc_instants(text, expected):
    moment = parse_instant(text, name="since")
    assert moment == expected and moment.tzinfo == UTC


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2021-02-30T00:00:00", "the day 2021-02-30 does not exist"),
        ("2021-13-01T00:00:00", "month 13 does not exist"),
        ("2021-02-29", "the day 2021-02-29 does not exist"),
        ("0000-01-01", "year 0 does not exist"),
        ("2021-01-01T24:00:00", "the time 24:00:00 does not exist"),
        ("2021-01-01T23:59:60", "the time 23:59:60 does not exist"),
        ("2021-01-01T00:00:00+25:00", "the UTC offset +25:00 does not exist"),
        ("0001-01-01T00:00:00+14:00", "falls outside 0001-01-01 – 9999-12-31"),
        ("9999-12-31T23:59:59-14:00", "falls outside 0001-01-01 – 9999-12-31"),
        ("yesterday", "is not an ISO 8601 time"),
        ("", "not an ISO 8601 time"),
        ("2021-01-01T00:00:00" + "0" * 100, "not an ISO 8601 time"),
        ("2021-01-01\x00", "is not an ISO 8601 time"),
    ],
)
def test_it_refuses_what_is_not_an_instant_and_says_why(text, reason):
    with pytest.raises(ParamError) as refused:
        parse_instant(text, name="since")
    assert reason in str(refused.value)
    assert str(refused.value).startswith("Parameter `since`: ")
    with translation.override("vi"):
        assert reason not in str(refused.value)  # translated, not the English again


def test_a_parameter_refusal_is_said_in_the_readers_language_with_one_code() -> None:
    with pytest.raises(ParamError) as refused:
        parse_instant("2021-13-01", name="since")
    assert refused.value.code == "invalid_instant"
    with translation.override("vi"):
        assert str(refused.value) == "Tham số since: tháng 13 không tồn tại trong '2021-13-01'"
    with translation.override("en"):
        assert str(refused.value) == "Parameter `since`: month 13 does not exist in '2021-13-01'"


OFFSETS = st.builds(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes)), st.integers(-(24 * 60 - 1), 24 * 60 - 1)
)
CALENDAR_TEXT = st.builds(
    lambda y, m, d, h, mi, s, zone: f"{y:04d}-{m:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{zone}",
    st.integers(0, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 25),
    st.integers(0, 61),
    st.integers(0, 61),
    st.sampled_from(["", "Z", "+14:00", "-14:00", "+23:59", "-2359", "+24:00", "+07"]),
)
INSTANT_TEXT = st.one_of(
    st.text(max_size=40),
    CALENDAR_TEXT,
    st.datetimes(timezones=st.none() | OFFSETS).map(dt.datetime.isoformat),
    st.dates().map(dt.date.isoformat),
)


@settings(max_examples=500, deadline=None)
@given(INSTANT_TEXT)
def test_it_answers_any_text_with_a_utc_instant_or_a_reason(text):
    try:
        moment = parse_instant(text, name="since")
    except ParamError as refused:
        assert str(refused).startswith("Parameter `since`: ") and refused.code in (
            "invalid_instant",
            "instant_out_of_range",
        )
        with translation.override("vi"):
            assert str(refused).startswith("Tham số since: ")
    else:
        assert moment.tzinfo == UTC
