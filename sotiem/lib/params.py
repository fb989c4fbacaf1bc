"""Query and body parameters that name an instant (`since`, `at`): one reader for every endpoint.

An instant is ISO 8601: a date (`2021-08-01`, the start of that day) or a date and time with or without a
fraction and an offset (`2021-08-01T07:30:00+07:00`, `…Z`, `…+0700`). Without an offset it is UTC, as the API
has always read it. The answer is always an aware UTC datetime inside what Python and the databases can hold;
anything else raises `ParamError`, which the API turns into a 400 with the reason, never a 500.
"""

from __future__ import annotations

import datetime as dt
import re

from sotiem.lib.i18n import Text, _

MAX_LENGTH = 64
_INSTANT = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"(?:[T ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?"
    r"\s*(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?)?",
    re.IGNORECASE,
)


class ParamError(ValueError):
    """A parameter that cannot be used; `code` is stable in every language, the message (a `Text`) says why in the
    reader's."""

    def __init__(self, name: str, code: str, detail: Text) -> None:
        self.name, self.code, self.detail = name, code, detail
        super().__init__(_("Parameter `%(name)s`: %(detail)s", name=name, detail=detail))


def parse_instant(text: str, *, name: str) -> dt.datetime:
    """An aware UTC datetime from an ISO 8601 date or date-time (naive means UTC); ParamError says why not."""
    text = text.strip()
    if not text or len(text) > MAX_LENGTH:
        raise ParamError(name, "invalid_instant", _("not an ISO 8601 time"))
    match = _INSTANT.fullmatch(text)
    moment = _from_parts(match, name) if match else _from_isoformat(text, name)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:
        raise ParamError(
            name,
            "instant_out_of_range",
            _("'%(text)s' in UTC falls outside 0001-01-01 – 9999-12-31", text=text),
        ) from None


def _from_parts(match: re.Match[str], name: str) -> dt.datetime:
    """Each part checked on its own so the refusal names it (month 13, 30 February, hour 25, offset +25:00)."""
    text = match[0]
    year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
    if year < 1:
        raise ParamError(
            name, "invalid_instant", _("year %(year)s does not exist in '%(text)s'", year=year, text=text)
        )
    if not 1 <= month <= 12:
        raise ParamError(
            name, "invalid_instant", _("month %(month)s does not exist in '%(text)s'", month=month, text=text)
        )
    try:
        day_of = dt.date(year, month, day)
    except ValueError:
        raise ParamError(
            name,
            "invalid_instant",
            _("the day %(date)s does not exist", date=f"{year:04d}-{month:02d}-{day:02d}"),
        ) from None
    if match["hour"] is None:
        return dt.datetime.combine(day_of, dt.time())
    hour, minute, second = int(match["hour"]), int(match["minute"]), int(match["second"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ParamError(
            name,
            "invalid_instant",
            _("the time %(time)s does not exist", time=f"{hour:02d}:{minute:02d}:{second:02d}"),
        )
    micro = int((match["fraction"] or "")[:6].ljust(6, "0"))  # Python holds at most microseconds
    return dt.datetime.combine(day_of, dt.time(hour, minute, second, micro), _zone(match["zone"], name))


def _zone(zone: str | None, name: str) -> dt.tzinfo | None:
    if zone is None:
        return None
    if zone.upper() == "Z":
        return dt.UTC
    digits = zone[1:].replace(":", "").ljust(4, "0")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise ParamError(name, "invalid_instant", _("the UTC offset %(zone)s does not exist", zone=zone))
    offset = dt.timedelta(hours=hours, minutes=minutes)
    return dt.timezone(-offset if zone[0] == "-" else offset)


def _from_isoformat(text: str, name: str) -> dt.datetime:
    """The other ISO 8601 spellings Python reads (basic format `20210801T073000`, week dates)."""
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise ParamError(
            name,
            "invalid_instant",
            _("'%(text)s' is not an ISO 8601 time (e.g. 2021-08-01T07:30:00Z)", text=text),
        ) from None
