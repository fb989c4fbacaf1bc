"""A tolerant reader and writer for HL7 v2 ER7 text (the pipe-and-hat encoding).

We do not use python-hl7's parser on the way in: real immunization traffic is not base-standard clean
(truncated MSH, empty segments, glued lines), and the interface must answer every input with an ACK
instead of raising. This reader never raises on text that starts with "MSH" and a field separator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

SEGMENT_NAME = re.compile(r"[A-Z][A-Z0-9]{2}")


@dataclass(frozen=True)
class Delimiters:
    """The five encoding characters declared by MSH-1 and MSH-2."""

    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"

    @classmethod
    def from_msh(cls, line: str) -> Delimiters | None:
        """Read the separators from an MSH line; None when they cannot be trusted."""
        if len(line) < 4 or not line.startswith("MSH"):
            return None
        field = line[3]
        if field.isalnum() or field.isspace():
            return None
        declared = line[4:].split(field, 1)[0]
        # A truncated MSH-2 falls back to the standard characters for what is missing.
        defaults = "^~\\&"
        chars = [declared[i] if i < len(declared) else defaults[i] for i in range(4)]
        if len(set(chars + [field])) != 5 or any(c.isalnum() or c.isspace() for c in chars):
            return None
        return cls(field, chars[0], chars[1], chars[2], chars[3])


# Delimiters that never occur in text: reads a value verbatim (no splitting, no escapes).
_LITERAL = Delimiters("\x00", "\x01", "\x02", "", "\x03")


def unescape(text: str, delimiters: Delimiters) -> str:
    """Decode HL7 escape sequences (\\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\Xhh\\ \\.br\\) in one leaf value."""
    esc = delimiters.escape
    if not esc or esc not in text:
        return text
    simple = {
        "F": delimiters.field,
        "S": delimiters.component,
        "T": delimiters.subcomponent,
        "R": delimiters.repetition,
        "E": esc,
        ".br": "\n",
        "H": "",  # start/end highlighting carry no text
        "N": "",
    }

    def decode(match: re.Match[str]) -> str:
        code = match.group(1)
        if code in simple:
            return simple[code]
        if code[:1] == "X" and len(code) > 1 and len(code) % 2 == 1:
            try:
                raw = bytes.fromhex(code[1:])
            except ValueError:
                return match.group(0)
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                return raw.decode("latin-1")
        return match.group(0)

    pattern = re.escape(esc) + r"([^" + re.escape(esc) + r"]{1,64}?)" + re.escape(esc)
    return re.sub(pattern, decode, text)


def escape(text: str, delimiters: Delimiters = Delimiters()) -> str:
    """Encode a text value for an outgoing field (the escape character first, then the separators)."""
    d = delimiters
    out = text.replace(d.escape, f"{d.escape}E{d.escape}")
    for char, code in ((d.field, "F"), (d.component, "S"), (d.repetition, "R"), (d.subcomponent, "T")):
        out = out.replace(char, f"{d.escape}{code}{d.escape}")
    line_break = f"{d.escape}.br{d.escape}"
    out = re.sub(r"\r\n|\r|\n", lambda _: line_break, out)
    # Any other control character (a NUL echoed from a sender's MSH) as HL7's hexadecimal escape, never raw.
    return _CONTROL.sub(lambda m: f"{d.escape}X{ord(m.group()):02X}{d.escape}", out)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Value:
    """One repetition of a field; components are split on read and decoded at the leaf."""

    __slots__ = ("_delimiters", "raw")

    def __init__(self, raw: str, delimiters: Delimiters) -> None:
        self.raw = raw
        self._delimiters = delimiters

    def __bool__(self) -> bool:
        return bool(self.raw.strip())

    def _component_raw(self, component: int) -> str:
        parts = self.raw.split(self._delimiters.component)
        return parts[component - 1] if 0 < component <= len(parts) else ""

    def get(self, component: int = 1, subcomponent: int = 1) -> str:
        """The decoded, stripped text at component.subcomponent ("" when absent)."""
        parts = self._component_raw(component).split(self._delimiters.subcomponent)
        if not 0 < subcomponent <= len(parts):
            return ""
        return unescape(parts[subcomponent - 1], self._delimiters).strip()

    def hd(self, component: int) -> str:
        """An HD (hierarchic designator) component: its namespace id, else its universal id."""
        return self.get(component, 1) or self.get(component, 2)

    def joined(self, component: int, separator: str = " ") -> str:
        """All subcomponents of a component, decoded and joined (e.g. SAD street parts)."""
        parts = self._component_raw(component).split(self._delimiters.subcomponent)
        texts = (unescape(p, self._delimiters).strip() for p in parts)
        return separator.join(t for t in texts if t)


class Segment:
    """One segment; fields[n] is the raw text of SEG-n (for MSH too, MSH-1 being the separator)."""

    __slots__ = ("delimiters", "fields", "name", "sequence")

    def __init__(self, line: str, delimiters: Delimiters, sequence: int) -> None:
        fields = line.split(delimiters.field)
        if fields[0] == "MSH":
            fields.insert(1, delimiters.field)
        self.name = fields[0].strip().upper()
        self.fields = fields
        self.delimiters = delimiters
        self.sequence = sequence  # 1-based occurrence of this segment name in the message (ERL-2)

    def raw(self, field: int) -> str:
        return self.fields[field] if 0 < field < len(self.fields) else ""

    def repetitions(self, field: int) -> list[Value]:
        raw = self.raw(field)
        if self.name == "MSH" and field in (1, 2):
            return [Value(raw, _LITERAL)]  # MSH-1 and MSH-2 are the delimiters themselves
        return [Value(r, self.delimiters) for r in raw.split(self.delimiters.repetition)]

    def value(self, field: int, repetition: int = 0) -> Value:
        reps = self.repetitions(field)
        return reps[repetition] if repetition < len(reps) else Value("", self.delimiters)

    def get(self, field: int, component: int = 1, subcomponent: int = 1) -> str:
        """Decoded text of the first repetition of SEG-field.component.subcomponent."""
        return self.value(field).get(component, subcomponent)


class Er7Message:
    """The segments of one message, in order."""

    def __init__(self, segments: list[Segment], delimiters: Delimiters, unknown_lines: list[str]) -> None:
        self.segments = segments
        self.delimiters = delimiters
        self.unknown_lines = unknown_lines

    @classmethod
    def parse(cls, text: str) -> Er7Message | None:
        """Split CR-separated text into segments; None when MSH-1/MSH-2 are unusable."""
        lines = [line for line in text.split("\r") if line.strip()]
        if not lines:
            return None
        delimiters = Delimiters.from_msh(lines[0])
        if delimiters is None:
            return None
        counts: dict[str, int] = {}
        segments: list[Segment] = []
        unknown: list[str] = []
        for line in lines:
            name = line.split(delimiters.field, 1)[0].strip().upper()
            if not SEGMENT_NAME.fullmatch(name):
                unknown.append(line)
                continue
            counts[name] = counts.get(name, 0) + 1
            segments.append(Segment(line.lstrip(), delimiters, counts[name]))
        return cls(segments, delimiters, unknown)

    def first(self, name: str) -> Segment | None:
        return next((s for s in self.segments if s.name == name), None)

    def all(self, name: str) -> list[Segment]:
        return [s for s in self.segments if s.name == name]


_DATE_PREFIX = re.compile(r"\s*(\d{4})(\d{2})?(\d{2})?")


def iso_date(value: str, *, min_precision: str = "day") -> str | None:
    """The ISO date part of an HL7 DT/TS/DTM value, or None when it is not a valid date.

    The date is taken as written, without converting any time-zone offset: it is the calendar day at the
    point of care. min_precision "year" accepts yyyy and yyyy-mm (birth dates of lower precision).
    """
    match = _DATE_PREFIX.match(value)
    if not match:
        return None
    year, month, day = match.groups()
    if day is None and min_precision == "day":
        return None
    if month is None and min_precision != "year":
        return None
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return None
    if int(year) < 1800:
        return None
    return "-".join(p for p in (year, month, day) if p)
