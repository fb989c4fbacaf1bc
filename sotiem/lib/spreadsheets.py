"""Backlog spreadsheets: reading what localities send (CSV or XLSX), writing templates and import reports.

Pure Python on purpose: no models, no database, so the importer, the management command and the tests can
all use it, and a file can be checked before anything is written. Every value comes out as text exactly
as a person would read it on screen (dates as dd/mm/yyyy, a phone typed as a number without ".0"); parsing
dates, names, places and vaccines is the importer's job.

Files are streamed: a backlog can hold hundreds of thousands of rows, and memory must not grow with it. Every
read is bounded (`SheetLimits`): a cell, a row, a line and the number of rows have limits, and an XLSX file's zip
is checked before any XML is parsed, so a hostile file is refused with a reason instead of filling memory.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import math
import os
import re
import unicodedata
import zipfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from sotiem.lib.i18n import Text, _
from sotiem.lib.records import FIELDS
from sotiem.lib.sheetguard import DEFAULT_LIMITS, SheetError, SheetLimits, check_xlsx_zip

# The dose record's fields in the contract's order (the template's columns, left to right).
TEMPLATE_COLUMNS: tuple[str, ...] = FIELDS
# Without these a row cannot become a dose; the others may be missing from the file altogether.
TEMPLATE_REQUIRED: frozenset[str] = frozenset({"full_name", "birth_date", "vaccine", "administered_on"})

SITE_COLUMNS: tuple[str, ...] = ("site_code", "name", "kind", "province", "commune")
SITE_REQUIRED: frozenset[str] = frozenset({"site_code", "name", "province"})

# The import report, so that a report written here can be read back with `read_rows(columns=...)`.
REPORT_COLUMNS: tuple[str, ...] = ("line", "record_id", "status", "reasons")

# How a column is named to a person (the template's header row, the report's), in the reader's language.
HEADERS: dict[str, Text] = {
    "record_id": _("Record id"),
    "full_name": _("Full name"),
    "birth_date": _("Date of birth"),
    "sex": _("Sex"),
    "national_id": _("CCCD/CMND number"),
    "phone": _("Phone number"),
    "province": _("Province/City"),
    "commune": _("Commune/Ward"),
    "address": _("Address"),
    "vaccine": _("Vaccine"),
    "dose_number": _("Dose number"),
    "administered_on": _("Date administered"),
    "site_code": _("Site code"),
    "lot_number": _("Lot number"),
    "name": _("Site name"),
    "kind": _("Site kind"),
    "line": _("Line"),
    "status": _("Status"),
    "reasons": _("Reason"),
}

REPORT_HEADERS: tuple[Text, ...] = tuple(HEADERS[column] for column in REPORT_COLUMNS)

# What a sender may write as a header: ours in either language (a template downloaded in English comes back
# in English) and what people type instead. This is data, not messages: a file is read the same way whatever
# the reader's language. Compared through `header_key`, so diacritics, case, spacing and punctuation do not
# matter, and a hint in brackets ("Ngày sinh (dd/mm/yyyy)") is ignored.
HEADER_VARIANTS: dict[str, tuple[str, ...]] = {
    # "Mã bản ghi/Record id" and the like: the headers of reports written before they were translated.
    "record_id": ("Mã bản ghi", "Mã hồ sơ", "Mã bản ghi/Record id", "Record id"),
    # Not "Tên" alone: sheets that split "Họ đệm" and "Tên" would import only the given name.
    "full_name": (
        "Họ và tên",
        "Họ tên",
        "Họ và tên người được tiêm",
        "Tên người được tiêm",
        "Họ và tên đối tượng",
        "Full name",
        "Name",
    ),
    "birth_date": (
        "Ngày sinh",
        "Ngày tháng năm sinh",
        "Ngày/tháng/năm sinh",
        "Năm sinh",
        "NS",
        "Date of birth",
        "DOB",
        "Birth date",
        "Birthdate",
    ),
    "sex": ("Giới tính", "Giới", "Nam/Nữ", "Gender", "Sex"),
    "national_id": (
        "Số CCCD/CMND",
        "CCCD/CMND number",
        "CCCD",
        "CMND",
        "Số CCCD",
        "Số CMND",
        "CCCD/CMND",
        "CMND/CCCD",
        "Số CMND/CCCD",
        "Số định danh",
        "Số định danh cá nhân",
        "Mã định danh",
        "National id",
        "ID number",
    ),
    "phone": (
        "Số điện thoại",
        "SĐT",
        "Số ĐT",
        "Điện thoại",
        "ĐT",
        "ĐTDĐ",
        "Điện thoại di động",
        "Phone",
        "Phone number",
        "Mobile",
    ),
    "province": (
        "Tỉnh/Thành phố",
        "Province/City",
        "Tỉnh",
        "Tỉnh/TP",
        "Tỉnh thành",
        "Tỉnh/Thành",
        "Mã tỉnh",
        "Province",
    ),
    "commune": (
        "Xã/Phường",
        "Commune/Ward",
        "Xã",
        "Phường",
        "Phường/Xã",
        "Xã/Phường/Thị trấn",
        "Phường/Xã/Thị trấn",
        "Mã xã",
        "Commune",
        "Ward",
    ),
    "address": (
        "Địa chỉ",
        "Địa chỉ thường trú",
        "Địa chỉ cụ thể",
        "Nơi ở",
        "Nơi ở hiện tại",
        "Chỗ ở hiện tại",
        "Address",
    ),
    "vaccine": (
        "Vắc xin",
        "Vắc-xin",
        "Vacxin",
        "Vaccine",
        "Loại vắc xin",
        "Tên vắc xin",
        "Loại vaccine",
        "Tên vaccine",
    ),
    "dose_number": ("Mũi số", "Mũi tiêm", "Mũi", "Mũi thứ", "Mũi tiêm số", "Lần tiêm", "Dose", "Dose number"),
    "administered_on": (
        "Ngày tiêm",
        "Ngày tiêm chủng",
        "Ngày tiêm mũi",
        "Ngày, tháng, năm tiêm",
        "Date administered",
        "Vaccination date",
        "Date",
    ),
    "site_code": (
        "Mã điểm tiêm",
        "Mã cơ sở",
        "Mã cơ sở tiêm chủng",
        "Mã CSTC",
        "Mã điểm",
        "Site code",
        "Site",
    ),
    "lot_number": ("Số lô", "Lô", "Lô vắc xin", "Số lô vắc xin", "Lô vaccine", "Lot", "Lot number", "Batch"),
    "name": ("Tên điểm tiêm", "Tên", "Tên cơ sở", "Tên cơ sở tiêm chủng", "Tên điểm", "Name", "Site name"),
    "kind": ("Loại", "Loại điểm tiêm", "Loại hình", "Site kind", "Kind", "Type"),
    "line": ("Dòng", "Dòng/Line", "Line", "Row"),
    "status": ("Trạng thái", "Trạng thái/Status", "Status"),
    "reasons": ("Lý do", "Lý do/Reason", "Reason", "Reasons"),
}

EXAMPLE_ROW: dict[str, str] = {
    "record_id": "HCM-Q1-000001",
    "full_name": "Nguyễn Thị Lan",
    "birth_date": "15/03/1990",
    "sex": "Nữ",
    "national_id": "079190000123",
    "phone": "0912345678",
    "province": "Hồ Chí Minh",
    "commune": "Phường Bến Nghé",
    "address": "12 Lê Lợi",
    "vaccine": "AstraZeneca",
    "dose_number": "1",
    "administered_on": "02/08/2021",
    "site_code": "S79-0001",
    "lot_number": "A1234",
}
SITE_EXAMPLE_ROW: dict[str, str] = {
    "site_code": "S79-0001",
    "name": "Trạm Y tế Phường Bến Nghé",
    "kind": "fixed",
    "province": "79",
    "commune": "26734",
}

# A header sits near the top: localities put a title, a date or a signature block above it, not pages.
_HEADER_SEARCH_ROWS = 20
_CSV_SAMPLE_BYTES = 64 * 1024
_CSV_DELIMITERS = (",", ";", "\t")
_TEXT_EXTENSIONS = frozenset({".csv", ".tsv", ".txt"})
_XLSX_EXTENSIONS = frozenset({".xlsx", ".xlsm"})
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 .xls, and any password-protected workbook
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
# Cells starting with these are run as formulas when a CSV is opened in Excel.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What a CSV line holds when its row is empty: separators, spaces and perhaps the BOM.
_BLANK_BYTES = b" \t\r\n,;\x00\xef\xbb\xbf\xff\xfe"


@dataclass(frozen=True)
class SheetRow:
    """One data row: `line` is the row number a person sees in Excel or a text editor."""

    line: int
    values: dict[str, str]


@dataclass(frozen=True)
class ReportRow:
    """One line of an import report, pointing back to the line of the file it is about."""

    line: int
    record_id: str
    status: str
    reasons: str


def header_key(text: str) -> str:
    """Comparison form of a header: no diacritics, đ as d, lower case, letters and digits only."""
    decomposed = unicodedata.normalize("NFD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_ALNUM.sub("", plain.replace("đ", "d").replace("Đ", "d").lower())


def header_label(column: str) -> str:
    """How a column is named to a person, in the active language: 'Vắc xin (vaccine)'."""
    return f"{HEADERS[column]} ({column})" if column in HEADERS else column


class _Labels:
    """Columns named in a message, read in the language the message is read in (its values are turned into
    text only then)."""

    def __init__(self, columns: Iterable[str]) -> None:
        self.columns = tuple(columns)

    def __str__(self) -> str:
        return ", ".join(header_label(column) for column in self.columns)


def _header_lookup(columns: Sequence[str]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for column in columns:
        for written in (column, *HEADER_VARIANTS.get(column, ())):
            key = header_key(written)
            if key and key not in lookup:
                lookup[key] = column
    return lookup


def _column_of(cell: str, lookup: dict[str, str]) -> str | None:
    column = lookup.get(header_key(cell))
    if column is None and ("(" in cell or "[" in cell):
        column = lookup.get(header_key(_BRACKETED.sub(" ", cell)))
    return column


def _default_required(columns: Sequence[str]) -> frozenset[str]:
    if tuple(columns) == TEMPLATE_COLUMNS:
        return TEMPLATE_REQUIRED
    if tuple(columns) == SITE_COLUMNS:
        return SITE_REQUIRED
    return frozenset(columns)


# -- reading -----------------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell value as the text a person sees: dates dd/mm/yyyy, 912345678.0 as 912345678, None as ""."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return _clean(value if isinstance(value, str) else str(value))


def _clean(text: str) -> str:
    text = text.strip()
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)  # macOS and some IMEs write NFD
    return text


# (line, cell texts) of each row of a file that is not completely empty
_RawRows = Generator[tuple[int, list[str]], None, None]


@dataclass(frozen=True)
class _Header:
    line: int
    positions: dict[str, int]  # column -> index of the cell holding it


def read_rows(
    path: Path | str,
    *,
    columns: Sequence[str] = TEMPLATE_COLUMNS,
    required: Iterable[str] | None = None,
    limits: SheetLimits = DEFAULT_LIMITS,
) -> Iterator[SheetRow]:
    """Stream the data rows of a CSV or XLSX file as text, keyed by our column names.

    The header is found and checked before this returns, so a file that cannot be read raises SheetError
    here rather than halfway through. `required` lists the columns the file must have (default: the
    template's or the site sheet's required columns; every column for other lists); whether their cells
    are filled is for the caller to judge. Unknown columns are ignored, missing optional ones read as "".
    Completely empty rows are skipped; `line` stays the row number in the file. A file past one of `limits`
    raises SheetError when the reader gets there, naming the line and cell.
    """
    columns = tuple(columns)
    required_set = _default_required(columns) if required is None else frozenset(required)
    if not required_set <= set(columns):
        raise ValueError(f"required columns not in columns: {sorted(required_set - set(columns))}")
    lookup = _header_lookup(columns)
    raw = _raw_rows(Path(path), lookup, limits)
    header = _find_header(raw, columns, required_set, lookup)
    return _data_rows(raw, header, columns, _threshold(columns, required_set), lookup)


def count_rows(
    path: Path | str, *, columns: Sequence[str] = TEMPLATE_COLUMNS, limits: SheetLimits = DEFAULT_LIMITS
) -> int:
    """How many data rows a file holds, quickly, for a progress bar.

    Exact for CSV unless cells hold line breaks (then an overestimate). For XLSX it comes from the size
    the sheet records, which also counts formatted but empty rows, so it may be an overestimate too.
    """
    path = Path(path)
    columns = tuple(columns)
    required = _default_required(columns)
    lookup = _header_lookup(columns)
    is_xlsx = path.suffix.lower() in _XLSX_EXTENSIONS
    recorded_last: int | None = None
    if is_xlsx:
        workbook = _open_xlsx(path, limits)
        recorded_last = workbook.worksheets[0].max_row
        raw = _limited(_xlsx_sheet_rows(workbook), limits, xlsx=True)
    else:
        raw = _raw_rows(path, lookup, limits)
    header = _find_header(raw, columns, required, lookup)
    first = next(raw, None)
    if first is None:
        return 0
    skipped = int(_is_header_row(first[1], lookup, columns, _threshold(columns, required)))
    if is_xlsx and (recorded_last is None or recorded_last < first[0]):
        return 1 - skipped + sum(1 for _ in raw)  # the recorded size is wrong: count the rows there are
    raw.close()
    if recorded_last is not None:
        return recorded_last - header.line - skipped
    lines = 0
    for number, line in _binary_lines(path, limits):
        if number > header.line and line.strip(_BLANK_BYTES):
            lines += 1
    return lines - skipped


def _binary_lines(path: Path, limits: SheetLimits) -> Iterator[tuple[int, bytes]]:
    """(number, bytes) of each physical line, refusing a line or a line count past the limits."""
    most = limits.line_chars * 4  # a character is at most 4 bytes of UTF-8
    with path.open("rb") as source:
        number = 0
        while line := source.readline(most + 1):
            number += 1
            if len(line) > most:
                raise _line_too_long(number, limits)
            if number > limits.rows:
                raise _too_many_rows(limits)
            yield number, line


def _threshold(columns: Sequence[str], required: frozenset[str]) -> int:
    basis = required or frozenset(columns)
    return max(1, math.ceil(len(basis) / 2))


def _matches(cells: list[str], lookup: dict[str, str], basis: frozenset[str]) -> set[str]:
    found = set()
    for cell in cells:
        column = _column_of(cell, lookup) if cell else None
        if column in basis:
            found.add(column)
    return found


def _is_header_row(cells: list[str], lookup: dict[str, str], columns: Sequence[str], threshold: int) -> bool:
    return len(_matches(cells, lookup, frozenset(columns))) >= threshold


def _find_header(
    raw: _RawRows, columns: Sequence[str], required: frozenset[str], lookup: dict[str, str]
) -> _Header:
    basis = required or frozenset(columns)
    threshold = _threshold(columns, required)
    seen = 0
    for line, cells in raw:
        seen += 1
        if len(_matches(cells, lookup, basis)) >= threshold:
            return _header_of(line, cells, columns, required, lookup)
        if seen >= _HEADER_SEARCH_ROWS:
            break
    if seen == 0:
        raise SheetError(_("The file is empty."))
    raise SheetError(
        _(
            "No header row found in the first %(rows)s rows (expected columns: %(columns)s).",
            rows=_HEADER_SEARCH_ROWS,
            columns=_Labels(c for c in columns if c in basis),
        )
    )


def _header_of(
    line: int, cells: list[str], columns: Sequence[str], required: frozenset[str], lookup: dict[str, str]
) -> _Header:
    positions: dict[str, int] = {}
    duplicates: list[str] = []
    for index, cell in enumerate(cells):
        column = _column_of(cell, lookup) if cell else None
        if column is None:
            continue
        if column in positions:
            duplicates.append(column)
        else:
            positions[column] = index
    if duplicates:
        names = sorted(set(duplicates), key=columns.index)
        raise SheetError(
            _("Line %(line)s: duplicate columns: %(columns)s.", line=line, columns=_Labels(names))
        )
    missing = [c for c in columns if c in required and c not in positions]
    if missing:
        raise SheetError(_("Missing required columns: %(columns)s.", columns=_Labels(missing)))
    return _Header(line, positions)


def _data_rows(
    raw: _RawRows, header: _Header, columns: Sequence[str], threshold: int, lookup: dict[str, str]
) -> Iterator[SheetRow]:
    positions = [(column, header.positions.get(column)) for column in columns]
    first = True
    for line, cells in raw:
        # The template carries a second header row of machine names under the one people read.
        if first and _is_header_row(cells, lookup, columns, threshold):
            first = False
            continue
        first = False
        width = len(cells)
        values = {column: cells[i] if i is not None and i < width else "" for column, i in positions}
        if any(values.values()):
            yield SheetRow(line, values)


def _raw_rows(path: Path, lookup: dict[str, str], limits: SheetLimits) -> _RawRows:
    """(line, cell texts) of every row that is not completely empty, each row within the limits."""
    suffix = path.suffix.lower()
    if suffix in _XLSX_EXTENSIONS:
        return _limited(_xlsx_sheet_rows(_open_xlsx(path, limits)), limits, xlsx=True)
    if suffix in _TEXT_EXTENSIONS:
        return _limited(_csv_rows(path, lookup, limits), limits, xlsx=False)
    if suffix in (".xls", ".ods", ".numbers"):
        raise SheetError(
            _("%(suffix)s files are not supported: save the file as .xlsx or CSV UTF-8.", suffix=suffix)
        )
    raise SheetError(_("Cannot read %(name)s: only .xlsx and .csv files are accepted.", name=repr(path.name)))


def _limited(raw: _RawRows, limits: SheetLimits, *, xlsx: bool) -> _RawRows:
    """The rows of `raw`, refusing the file at the first row past a limit (its line and cell named)."""
    try:
        for line, cells in raw:
            if line > limits.rows:
                raise _too_many_rows(limits)
            while cells and not cells[-1]:
                cells.pop()
            if len(cells) > limits.row_cells:
                raise SheetError(
                    _(
                        "Line %(line)s has %(count)s cells, more than the limit of %(limit)s.",
                        line=line,
                        count=len(cells),
                        limit=limits.row_cells,
                    )
                )
            lengths = list(map(len, cells))
            if max(lengths, default=0) > limits.cell_chars:
                index = next(i for i, n in enumerate(lengths) if n > limits.cell_chars)
                size, limit = f"{lengths[index]:,}", f"{limits.cell_chars:,}"
                if xlsx:
                    raise SheetError(
                        _(
                            "Cell %(cell)s holds %(count)s characters, more than the limit of %(limit)s.",
                            cell=f"{get_column_letter(index + 1)}{line}",
                            count=size,
                            limit=limit,
                        )
                    )
                raise SheetError(
                    _(
                        "The cell at line %(line)s, column %(column)s holds %(count)s characters, more than "
                        "the limit of %(limit)s.",
                        line=line,
                        column=index + 1,
                        count=size,
                        limit=limit,
                    )
                )
            total = sum(lengths)
            if total > limits.row_chars:
                raise SheetError(
                    _(
                        "Line %(line)s holds %(count)s characters, more than the limit of %(limit)s.",
                        line=line,
                        count=f"{total:,}",
                        limit=f"{limits.row_chars:,}",
                    )
                )
            yield line, cells
    finally:
        raw.close()


def _too_many_rows(limits: SheetLimits) -> SheetError:
    return SheetError(
        _("The file has more than %(limit)s rows: split it into several files.", limit=f"{limits.rows:,}")
    )


def _line_too_long(line: int, limits: SheetLimits) -> SheetError:
    return SheetError(
        _("Line %(line)s is longer than %(limit)s characters.", line=line, limit=f"{limits.line_chars:,}")
    )


def _open_xlsx(path: Path, limits: SheetLimits = DEFAULT_LIMITS) -> Any:
    with path.open("rb") as probe:
        magic = probe.read(4)
    if magic == _OLE_MAGIC:
        raise SheetError(
            _(
                "The file is an Excel 97-2003 workbook or is password-protected: remove the password and save "
                "it as .xlsx."
            )
        )
    check_xlsx_zip(path, limits)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise SheetError(
            _("The Excel file is damaged or not an .xlsx file (%(detail)s).", detail=exc)
        ) from exc
    return workbook


def _xlsx_sheet_rows(workbook: Any) -> _RawRows:
    try:
        sheet = workbook.worksheets[0]
        # Some programs write a wrong size into the file; read the rows that are actually there.
        sheet.reset_dimensions()
        for line, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [cell_text(value) for value in row]
            if any(cells):
                yield line, cells
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:  # SyntaxError: XML ParseError
        raise SheetError(_("The Excel file is damaged (%(detail)s).", detail=exc)) from exc
    finally:
        workbook.close()


def _sniff_encoding(sample: bytes, complete: bool) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode Text"
    else:
        encoding = "utf-8"
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=complete)
    except UnicodeDecodeError as exc:
        raise _not_utf8(line=sample[: exc.start].count(b"\n") + 1) from exc
    return encoding


def _not_utf8(line: int) -> SheetError:
    return SheetError(
        _(
            'The CSV file is not UTF-8 (error at line %(line)s): in Excel use Save As > "CSV UTF-8", or send '
            "the .xlsx file.",
            line=line,
        )
    )


def _first_undecodable_line(path: Path) -> int | None:
    """The text layer decodes ahead of the csv reader, so find the bad line again, chunk by chunk."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    number = 1
    with path.open("rb") as source:
        while chunk := source.read(64 * 1024):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return number + chunk[: max(0, exc.start)].count(b"\n")
            number += chunk.count(b"\n")
    return None


def _sniff_delimiter(sample: str, complete: bool, lookup: dict[str, str]) -> str:
    """The delimiter that makes the most header cells we know; ties go to the most common character."""
    lines = sample.splitlines()
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the sample may end halfway through a line
    lines = lines[: _HEADER_SEARCH_ROWS * 2]
    best, best_score = ",", (-1, -1)
    for delimiter in _CSV_DELIMITERS:
        known = 0
        try:
            for cells in csv.reader(lines, delimiter=delimiter):
                known = max(known, len({_column_of(c, lookup) for c in cells if c.strip()} - {None}))
        except csv.Error:
            continue
        score = (known, sample.count(delimiter))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_rows(path: Path, lookup: dict[str, str], limits: SheetLimits) -> _RawRows:
    with path.open("rb") as probe:
        sample = probe.read(_CSV_SAMPLE_BYTES)
        complete = len(sample) < _CSV_SAMPLE_BYTES
    if sample.startswith(_ZIP_MAGIC):
        raise SheetError(_("This is an Excel (.xlsx) file named .csv: rename it to .xlsx."))
    encoding = _sniff_encoding(sample, complete)
    text_sample = sample.decode(encoding, errors="ignore")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else _sniff_delimiter(text_sample, complete, lookup)
    return _csv_file_rows(path, encoding, delimiter, limits)


def _csv_file_rows(path: Path, encoding: str, delimiter: str, limits: SheetLimits) -> _RawRows:
    with path.open(encoding=encoding, newline="") as source:
        pending = [0]  # characters read for the record being parsed

        def bounded_lines() -> Iterator[str]:
            # csv.reader would read a line of any length, and a quoted cell over any number of lines
            number = 0
            while text := source.readline(limits.line_chars + 1):
                number += 1
                pending[0] += len(text)
                if len(text) > limits.line_chars or pending[0] > limits.line_chars:
                    raise _line_too_long(number, limits)
                if number > limits.rows:
                    raise _too_many_rows(limits)
                yield text

        reader = csv.reader(bounded_lines(), delimiter=delimiter)
        line_after = 0  # csv counts physical lines read so far; a record starts on the next one
        try:
            for record in reader:
                pending[0] = 0
                line = line_after + 1
                line_after = reader.line_num
                cells = [_clean(value) for value in record]
                if any(cells):
                    yield line, cells
        except UnicodeDecodeError as exc:
            found = _first_undecodable_line(path) if encoding.startswith("utf-8") else None
            raise _not_utf8(line=found or line_after + 1) from exc
        except csv.Error as exc:
            raise SheetError(
                _("The CSV file is malformed at line %(line)s (%(detail)s).", line=line_after + 1, detail=exc)
            ) from exc


# -- writing -----------------------------------------------------------------------------------------------


def _safe_text(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def csv_safe_cell(value: Any) -> Any:
    """A cell for a CSV a person may open in a spreadsheet: text starting with = + - @ tab or CR gets a leading
    apostrophe, so Excel or LibreOffice shows it instead of running it as a formula (CSV injection).

    Every CSV the project writes for people passes its text cells through here; numbers are kept as they are.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_report(path: Path | str, rows: Iterable[ReportRow]) -> None:
    """Write an import report as CSV (UTF-8 with BOM, for Excel) or XLSX, chosen by the file's extension.

    In CSV a value starting with = + - or @ gets a leading apostrophe so Excel shows it instead of running
    it; in XLSX every text cell is written as text.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as target:
            writer = csv.writer(target)
            writer.writerow([str(title) for title in REPORT_HEADERS])
            for row in rows:
                writer.writerow(
                    (
                        row.line,
                        csv_safe_cell(row.record_id),
                        csv_safe_cell(row.status),
                        csv_safe_cell(row.reasons),
                    )
                )
        return
    if suffix != ".xlsx":
        raise ValueError(f"a report is written as .csv or .xlsx, not {suffix!r}")
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(str(_("Report")))
    for letter, width in zip("ABCD", (10, 24, 16, 80), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for title in REPORT_HEADERS:
        cell = WriteOnlyCell(sheet, value=str(title))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append(
            [row.line, *(_text_cell(sheet, value) for value in (row.record_id, row.status, row.reasons))]
        )
    workbook.save(path)


def _text_cell(sheet: Any, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=_safe_text(value))
    if value:
        cell.data_type = "s"  # openpyxl would store "=..." as a formula
    return cell


_GUIDE_NOTES = (
    _(
        "The importer accepts either header row (row 1 with the column names, row 2 machine names); you may "
        "delete one of them."
    ),
    _("Row 3 is an example: delete it before sending the file."),
    _("Yellow columns are required; the others may be empty or left out. Extra columns are ignored."),
    _("A title (unit name, date) above the header row is fine."),
    _("Send an .xlsx file or CSV UTF-8 (comma, semicolon or tab separated)."),
)

# How each column may be written; a bare format ("dd/mm/yyyy.") reads the same in every language.
_TEMPLATE_GUIDE: dict[str, Text | str] = {
    "record_id": _(
        "Your own unique id for the row; a re-sent file is recognised and does not create duplicate records."
    ),
    "full_name": _("Full name, with or without diacritics."),
    "birth_date": _("dd/mm/yyyy; mm/yyyy or yyyy when only the month or year of birth is known."),
    "sex": _("Nam/Nữ or M/F."),
    "national_id": _("12-digit CCCD or 9-digit CMND."),
    "phone": _("0912345678 or +84912345678."),
    "province": _("Province name or code, from the 63-province (2021) or 34-province (2025) list."),
    "commune": _("Commune name or code, from the list before or after the 2025 merger."),
    "address": _("House number, street, hamlet."),
    "vaccine": _(
        "Catalogue code (AZ, PFIZER, MODERNA, VEROCELL, ...) or common name: AstraZeneca, Pfizer, Moderna, "
        "Vero Cell, Sputnik V, Janssen, Hayat-Vax, Abdala."
    ),
    "dose_number": _("1, 2, 3, ... (boosters continue the count)."),
    "administered_on": "dd/mm/yyyy.",
    "site_code": _("Site code from the registry's list of vaccination sites."),
    "lot_number": _("As printed on the vial."),
}

_SITE_GUIDE: dict[str, Text | str] = {
    "site_code": _("Unique site code."),
    "name": _("Full name of the site."),
    # The kinds of sotiem.places.models.SiteKind, repeated here to keep this module free of models.
    "kind": _("fixed, hospital, mobile (outreach), school, workplace."),
    "province": _("Province code or name, 2021 or 2025 list."),
    "commune": _("Commune code or name, 2021 or 2025 list."),
}

_WIDTHS: dict[str, int] = {
    "record_id": 18,
    "full_name": 26,
    "birth_date": 13,
    "sex": 10,
    "national_id": 16,
    "phone": 15,
    "province": 18,
    "commune": 22,
    "address": 28,
    "vaccine": 15,
    "dose_number": 9,
    "administered_on": 13,
    "site_code": 14,
    "lot_number": 12,
    "name": 34,
    "kind": 12,
}

_BOLD = Font(bold=True)
_MACHINE_FONT = Font(color="808080", size=8)
_REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")
_TEXT = "@"  # Excel's "Text" format: keeps leading zeros and stops 02/08/2021 turning into a US date


def write_template(path_or_file: str | os.PathLike[str] | IO[bytes]) -> None:
    """The downloadable backlog template: headers, an example row, and a guide sheet."""
    _write_template(
        path_or_file, TEMPLATE_COLUMNS, TEMPLATE_REQUIRED, EXAMPLE_ROW, _TEMPLATE_GUIDE, _("Doses")
    )


def write_sites_template(path_or_file: str | os.PathLike[str] | IO[bytes]) -> None:
    """The downloadable template for importing vaccination sites."""
    _write_template(path_or_file, SITE_COLUMNS, SITE_REQUIRED, SITE_EXAMPLE_ROW, _SITE_GUIDE, _("Sites"))


def is_example_row(values: dict[str, str]) -> bool:
    """Whether a row is the templates' example left in place, which must never be imported."""
    for example in (EXAMPLE_ROW, SITE_EXAMPLE_ROW):
        shared = [column for column in example if column in values]
        if shared and all(values[column] == example[column] for column in shared):
            return True
    return False


def _write_template(
    path_or_file: str | os.PathLike[str] | IO[bytes],
    columns: Sequence[str],
    required: frozenset[str],
    example: dict[str, str],
    guide: dict[str, Text | str],
    title: Text,
) -> None:
    """Written in the active language (the request's): the header row, the notes and the guide."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = str(title)  # sheet names may not contain "/"
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = _WIDTHS.get(column, 16)
        sheet.column_dimensions[letter].number_format = _TEXT
        header = sheet.cell(row=1, column=index, value=str(HEADERS[column]))
        header.font = _BOLD
        header.alignment = Alignment(wrap_text=True, vertical="center")
        if column in required:
            header.fill = _REQUIRED_FILL
        machine = sheet.cell(row=2, column=index, value=column)
        machine.font = _MACHINE_FONT
        cell = sheet.cell(row=3, column=index, value=example[column])
        cell.number_format = _TEXT
    sheet["A2"].comment = Comment(
        str(_("The importer accepts either header row; you may delete one.")), "sotiem", width=300, height=90
    )
    sheet["A3"].comment = Comment(
        str(_("Example row: delete before sending.")), "sotiem", width=260, height=60
    )
    sheet.freeze_panes = "A3"

    help_sheet = workbook.create_sheet(str(_("Guide")))
    for letter, width in zip("ABCDE", (18, 18, 14, 70, 26), strict=True):
        help_sheet.column_dimensions[letter].width = width
    row = 1
    for note in _GUIDE_NOTES:
        help_sheet.cell(row=row, column=1, value=str(note))
        row += 1
    row += 1
    for index, text in enumerate(
        (_("Column"), _("Machine name"), _("Required"), _("Accepted forms"), _("Example")),
        start=1,
    ):
        help_sheet.cell(row=row, column=index, value=str(text)).font = _BOLD
    for column in columns:
        row += 1
        values = (
            str(HEADERS[column]),
            column,
            str(_("Yes") if column in required else _("No")),
            str(guide.get(column, "")),
            example[column],
        )
        for index, value in enumerate(values, start=1):
            cell = help_sheet.cell(row=row, column=index, value=value)
            cell.number_format = _TEXT
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    workbook.save(path_or_file)


def file_sha256(path: Path | str) -> str:
    """SHA-256 of a file's bytes, read in chunks, to recognise the same file sent twice."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as source:
        for chunk in iter(lambda: source.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


__all__ = [
    "EXAMPLE_ROW",
    "HEADERS",
    "HEADER_VARIANTS",
    "REPORT_COLUMNS",
    "REPORT_HEADERS",
    "SITE_COLUMNS",
    "SITE_EXAMPLE_ROW",
    "SITE_REQUIRED",
    "DEFAULT_LIMITS",
    "TEMPLATE_COLUMNS",
    "TEMPLATE_REQUIRED",
    "ReportRow",
    "SheetError",
    "SheetLimits",
    "SheetRow",
    "cell_text",
    "check_xlsx_zip",
    "count_rows",
    "csv_safe_cell",
    "file_sha256",
    "header_key",
    "header_label",
    "is_example_row",
    "read_rows",
    "write_report",
    "write_sites_template",
    "write_template",
]
