"""What keeps a hostile or broken spreadsheet from filling memory: the reading limits and the XLSX checks.

An XLSX is a zip of XML. Before openpyxl parses anything, the zip is checked (members, declared sizes,
compression ratios) and every XML part is streamed once: a byte scan refuses giant runs of text and any DTD,
and the worksheets and shared strings are parsed row by row, dropping each row, to refuse a row of too many
cells or a value of too many characters, which openpyxl would otherwise build whole before handing it over.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from sotiem.lib.i18n import Text, _


class SheetError(ValueError):
    """A file that cannot be read at all; the message (a `Text`) says why in the reader's language."""


@dataclass(frozen=True)
class SheetLimits:
    """How much of a file is read before it is refused: what keeps a hostile or broken file from filling memory.

    The defaults fit the largest real backlog (Excel's own limit is 1,048,576 rows of 16,384 columns; a row of
    the template holds 14 short cells) with room to spare.
    """

    cell_chars: int = 2_000  # one cell's text
    row_cells: int = 256  # cells up to the last non-empty one
    row_chars: int = 32_000  # the text of all cells of a row
    rows: int = 2_000_000  # the last line (row number) read
    xlsx_uncompressed: int = 1024 * 1024 * 1024  # every zip member together, as the zip declares them
    xlsx_shared_strings: int = 100 * 1024 * 1024  # the shared strings are held in memory while reading
    xlsx_ratio: int = 100  # uncompressed / compressed, for members over `xlsx_ratio_from` bytes
    xlsx_ratio_from: int = 1024 * 1024
    xlsx_members: int = 1_000
    xml_run_bytes: int = 1024 * 1024  # bytes between two "<" in the XML: no cell or tag is longer
    # What openpyxl builds for one row before we see it: its cells (Excel has 16,384 columns), one value's text
    # (Excel holds at most 32,767 characters in a cell, however many runs it is written in), all of the row's.
    xlsx_row_cells: int = 16_384
    xlsx_value_chars: int = 32_767
    xlsx_row_chars: int = 1024 * 1024

    @property
    def line_chars(self) -> int:
        """A CSV line or record: the row's text plus its quotes and separators."""
        return 2 * self.row_chars + 4 * self.row_cells


DEFAULT_LIMITS = SheetLimits()


def _xml_too_large(reason: Text) -> SheetError:
    return SheetError(
        _("%(reason)s Open it in Excel, remove the excess data and save it again.", reason=reason)
    )


# Files that passed, by (path, size, modification time): an import counts the rows, then reads them.
_PASSED: dict[tuple[str, int, int, SheetLimits], None] = {}


def check_xlsx_zip(path: Path | str, limits: SheetLimits = DEFAULT_LIMITS) -> None:
    """Refuse a zip bomb before any XML is parsed: member count, declared sizes, compression ratios, and the XML.

    The declared sizes can be trusted as ceilings (Python's zip reader stops at the declared size and fails the
    checksum past it). Then every XML part is streamed once through a byte scan that refuses a run of more than
    `xml_run_bytes` without a "<" (a giant cell, attribute or whitespace) and any DTD (entity expansion), and the
    worksheets and shared strings through a parser that counts each row's cells and each value's characters,
    so openpyxl, which builds a whole row and a whole string before handing them over, never sees a giant one.
    """
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, limits)
    if key in _PASSED:
        return
    _check_xlsx_zip(path, limits)
    if len(_PASSED) >= 64:
        _PASSED.pop(next(iter(_PASSED)))
    _PASSED[key] = None


def _check_xlsx_zip(path: Path, limits: SheetLimits) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > limits.xlsx_members:
                raise _xml_too_large(
                    _(
                        "The Excel file is refused: its part %(part)s has %(count)s members.",
                        part="(zip)",
                        count=f"{len(members):,}",
                    )
                )
            total = sum(m.file_size for m in members)
            if total > limits.xlsx_uncompressed:
                raise _xml_too_large(
                    _(
                        "The Excel file is refused: its part %(part)s "
                        "uncompresses to %(size)s bytes, more than the limit of %(limit)s.",
                        part="(zip)",
                        size=f"{total:,}",
                        limit=f"{limits.xlsx_uncompressed:,}",
                    )
                )
            for member in members:
                size, packed = member.file_size, max(1, member.compress_size)
                if size > limits.xlsx_ratio_from and size / packed > limits.xlsx_ratio:
                    raise _xml_too_large(
                        _(
                            "The Excel file is refused: its part %(part)s "
                            "is compressed %(ratio)s times (limit %(limit)s).",
                            part=member.filename,
                            ratio=f"{size / packed:,.0f}",
                            limit=limits.xlsx_ratio,
                        )
                    )
                if (
                    member.filename.lower().endswith("sharedstrings.xml")
                    and size > limits.xlsx_shared_strings
                ):
                    raise _xml_too_large(
                        _(
                            "The Excel file is refused: its part %(part)s "
                            "holds %(size)s bytes (limit %(limit)s).",
                            part=member.filename,
                            size=f"{size:,}",
                            limit=f"{limits.xlsx_shared_strings:,}",
                        )
                    )
            for member in members:
                if member.filename.lower().endswith((".xml", ".rels", ".vml")):
                    _scan_xml(archive, member, limits)
    except zipfile.BadZipFile as exc:
        raise SheetError(_("The Excel file is damaged (%(detail)s).", detail=exc)) from exc


_DTD_MARKS = (b"<!DOCTYPE", b"<!ENTITY")


def _scan_xml(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: SheetLimits) -> None:
    run = 0  # bytes since the last "<"
    tail = b""  # the end of the previous chunk, so that a DTD mark cut in two is still found
    shape = _ShapeCheck(member.filename, limits) if _is_cell_part(member.filename) else None
    with archive.open(member) as part:
        while chunk := part.read(1024 * 1024):
            if any(mark in tail + chunk[:16] or mark in chunk for mark in _DTD_MARKS):
                raise _xml_too_large(
                    _(
                        "The Excel file is refused: its part %(part)s carries a DTD declaration.",
                        part=member.filename,
                    )
                )
            tail = chunk[-16:]
            first = chunk.find(b"<")
            if first < 0:
                run += len(chunk)
            else:
                longest = max(run + first, max(map(len, chunk[first + 1 :].split(b"<"))))
                run = len(chunk) - chunk.rfind(b"<") - 1
                if longest > limits.xml_run_bytes:
                    run = longest
            if run > limits.xml_run_bytes:
                raise _xml_too_large(
                    _(
                        "The Excel file is refused: its part %(part)s "
                        "holds a value longer than %(limit)s bytes.",
                        part=member.filename,
                        limit=f"{limits.xml_run_bytes:,}",
                    )
                )
            if shape is not None:
                shape.feed(chunk)


def _is_cell_part(name: str) -> bool:
    lower = name.lower()
    return lower.endswith("sharedstrings.xml") or (
        lower.startswith("xl/worksheets/") and lower.endswith(".xml")
    )


class _ShapeCheck:
    """What openpyxl would build for one row or one string, counted from the XML stream before it is built.

    openpyxl reads a whole row (every cell) and a whole string (every run of rich text joined) before handing
    it over, so a small file of twenty million empty cells in one row, or of one cell written as hundreds of
    runs each under the byte scan's limit, would take gigabytes. Each finished row or string is dropped from the
    tree at once, so the check holds one row at a time.
    """

    def __init__(self, part: str, limits: SheetLimits) -> None:
        self.part, self.limits = part, limits
        self.parser: Any = ElementTree.XMLPullParser(events=("start", "end"))
        self.holders: list[
            ElementTree.Element
        ] = []  # <sheetData> or <sst>: what finished rows are dropped from
        self.cells = self.row_chars = self.value_chars = 0
        self.line = 0

    def feed(self, chunk: bytes) -> None:
        try:
            self.parser.feed(chunk)
            for event, element in self.parser.read_events():
                self._see(event, element)
        except ElementTree.ParseError as exc:
            raise SheetError(
                _("The Excel file is damaged (%(detail)s).", detail=f"{self.part}: {exc}")
            ) from exc

    def _see(self, event: str, element: ElementTree.Element) -> None:
        tag = element.tag.rpartition("}")[2]
        limits = self.limits
        if event == "start":
            if tag in ("sheetData", "sst"):
                self.holders.append(element)
            elif tag in ("row", "si"):
                self.cells = self.row_chars = self.value_chars = 0
                number = element.get("r") or ""
                self.line = int(number) if tag == "row" and number.isdigit() else self.line + 1
            elif tag == "c":
                self.cells += 1
                self.value_chars = 0
                if self.cells > limits.xlsx_row_cells:
                    raise _xml_too_large(
                        _(
                            "The Excel file is refused: its part %(part)s "
                            "has a row %(row)s of more than %(limit)s cells.",
                            part=self.part,
                            row=self.line,
                            limit=f"{limits.xlsx_row_cells:,}",
                        )
                    )
            return
        if tag in ("t", "v", "f"):
            size = len(element.text or "")
            self.value_chars += size
            self.row_chars += size
            if self.value_chars > limits.xlsx_value_chars:
                raise _xml_too_large(
                    _(
                        "The Excel file is refused: its part %(part)s "
                        "has a cell longer than %(limit)s characters (row %(row)s).",
                        part=self.part,
                        limit=f"{limits.xlsx_value_chars:,}",
                        row=self.line,
                    )
                )
            if self.row_chars > limits.xlsx_row_chars:
                raise _xml_too_large(
                    _(
                        "The Excel file is refused: its part %(part)s "
                        "has a row %(row)s longer than %(limit)s characters.",
                        part=self.part,
                        row=self.line,
                        limit=f"{limits.xlsx_row_chars:,}",
                    )
                )
            element.text = None
        elif tag in ("row", "si") and self.holders:
            holder = self.holders[-1]
            if len(holder) and holder[-1] is element:
                holder.remove(element)
