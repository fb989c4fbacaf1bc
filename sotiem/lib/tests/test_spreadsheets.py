import datetime as dt
import hashlib
import io
import time
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.utils import translation

from sotiem.lib.spreadsheets import (
    EXAMPLE_ROW,
    HEADER_VARIANTS,
    HEADERS,
    REPORT_COLUMNS,
    SITE_COLUMNS,
    SITE_EXAMPLE_ROW,
    TEMPLATE_COLUMNS,
    ReportRow,
    SheetError,
    SheetLimits,
    SheetRow,
    count_rows,
    csv_safe_cell,
    file_sha256,
    header_key,
    is_example_row,
    read_rows,
    write_report,
    write_sites_template,
    write_template,
)

HEADER = "record_id,full_name,birth_date,sex,vaccine,dose_number,administered_on,phone"


def write_csv(path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_it_reads_a_utf8_csv_with_or_without_a_byte_order_mark(tmp_path, encoding):
    path = write_csv(
        tmp_path / "a.csv",
        f"{HEADER}\nR1,Nguyễn Văn An,01/02/1980,Nam,AZ,1,02/08/2021,0912345678\n",
        encoding=encoding,
    )
    [row] = read_rows(path)
    assert row.line == 2
    assert row.values["record_id"] == "R1"
    assert row.values["full_name"] == "Nguyễn Văn An"
    assert row.values["phone"] == "0912345678"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_it_reads_a_csv_separated_by_semicolons_or_tabs(tmp_path, delimiter):
    text = "Họ và tên;Ngày sinh;Vắc xin;Ngày tiêm\nTrần Thị Bình;1975;Vero Cell;10/09/2021\n"
    path = write_csv(tmp_path / "a.csv", text.replace(";", delimiter))
    [row] = read_rows(path)
    assert row.values["full_name"] == "Trần Thị Bình"
    assert row.values["birth_date"] == "1975"
    assert row.values["vaccine"] == "Vero Cell"


def test_a_comma_inside_a_quoted_cell_does_not_split_it(tmp_path):
    path = write_csv(tmp_path / "a.csv", f'{HEADER}\nR1,"Lê, Văn C",1980,Nam,AZ,1,02/08/2021,\n')
    [row] = read_rows(path)
    assert row.values["full_name"] == "Lê, Văn C"


@pytest.mark.parametrize(
    "headers",
    [
        ["Họ và tên", "Ngày sinh", "Vắc xin", "Ngày tiêm", "Số điện thoại", "Số CCCD/CMND"],
        ["HO VA TEN", "NGAY SINH", "VAC XIN", "NGAY TIEM", "SDT", "CCCD"],
        [
            "  họ   tên ",
            "ngày sinh (dd/mm/yyyy)",
            "Loại vắc-xin",
            "Ngày tiêm chủng",
            "Điện thoại",
            "cmnd/cccd",
        ],
        ["Ho ten", "Ngay thang nam sinh", "Ten vaccine", "ngay_tiem", "SĐT", "So dinh danh"],
    ],
)
def test_it_matches_vietnamese_headers_with_or_without_diacritics(tmp_path, headers):
    text = ",".join(headers) + "\nPhạm Thị Dung,05/1990,Pfizer,01/10/2021,0987654321,001190000001\n"
    [row] = read_rows(write_csv(tmp_path / "a.csv", text))
    assert row.values["full_name"] == "Phạm Thị Dung"
    assert row.values["birth_date"] == "05/1990"
    assert row.values["vaccine"] == "Pfizer"
    assert row.values["administered_on"] == "01/10/2021"
    assert row.values["phone"] == "0987654321"
    assert row.values["national_id"] == "001190000001"


def test_header_keys_ignore_diacritics_case_and_punctuation():
    assert header_key("  Số CCCD/CMND ") == header_key("so cccd cmnd") == "socccdcmnd"
    assert header_key("Đ") == "d"


def test_it_finds_the_header_below_a_title_row_in_excel(tmp_path):
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [
            ["DANH SÁCH NGƯỜI ĐÃ TIÊM VẮC XIN COVID-19 - PHƯỜNG BẾN NGHÉ"],
            [],
            ["STT", "Họ và tên", "Ngày sinh", "Vắc xin", "Ngày tiêm"],
            [1, "Võ Văn Em", "1960", "Moderna", "15/11/2021"],
        ],
    )
    [row] = read_rows(path)
    assert row.line == 4
    assert row.values["full_name"] == "Võ Văn Em"


def test_unknown_columns_are_ignored_and_missing_optional_ones_read_as_empty(tmp_path):
    path = write_csv(
        tmp_path / "a.csv", "Họ tên,Ghi chú,Ngày sinh,Vắc xin,Ngày tiêm\nAn,đã tiêm,1990,AZ,01/08/2021\n"
    )
    [row] = read_rows(path)
    assert set(row.values) == set(TEMPLATE_COLUMNS)
    assert row.values["lot_number"] == ""
    assert "đã tiêm" not in row.values.values()


def test_the_template_reads_back_as_exactly_its_example_row(tmp_path):
    path = tmp_path / "template.xlsx"
    write_template(path)
    assert list(read_rows(path)) == [SheetRow(3, EXAMPLE_ROW)]
    assert count_rows(path) == 1


def test_the_sites_template_reads_back_as_exactly_its_example_row(tmp_path):
    path = tmp_path / "sites.xlsx"
    write_sites_template(path)
    assert list(read_rows(path, columns=SITE_COLUMNS)) == [SheetRow(3, SITE_EXAMPLE_ROW)]


def test_the_template_keeps_its_cells_as_text_and_explains_each_column(tmp_path):
    buffer = io.BytesIO()
    write_template(buffer)
    workbook = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    sheet, guide = workbook.worksheets
    assert [cell.value for cell in sheet[2]] == list(TEMPLATE_COLUMNS)
    assert sheet["E3"].value == "079190000123" and sheet["E3"].number_format == "@"
    assert sheet.column_dimensions["F"].number_format == "@"
    assert sheet["A1"].font.bold
    guide_text = " ".join(str(cell.value) for row in guide.iter_rows() for cell in row if cell.value)
    assert "mm/yyyy" in guide_text and "Vero Cell" in guide_text and "M/F" in guide_text


def test_the_example_row_is_recognised_so_it_is_never_imported():
    assert is_example_row(EXAMPLE_ROW)
    assert is_example_row(SITE_EXAMPLE_ROW)
    assert not is_example_row({**EXAMPLE_ROW, "full_name": "Nguyễn Văn Bảy"})


def test_it_reads_excel_dates_as_day_month_year(tmp_path):
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [
            ["Họ và tên", "Ngày sinh", "Vắc xin", "Ngày tiêm"],
            ["An", dt.date(1990, 3, 15), "AZ", dt.datetime(2021, 8, 2, 14, 30)],
        ],
    )
    [row] = read_rows(path)
    assert row.values["birth_date"] == "15/03/1990"
    assert row.values["administered_on"] == "02/08/2021"


def test_a_phone_typed_as_a_number_keeps_its_digits(tmp_path):
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [
            ["Họ và tên", "Ngày sinh", "Vắc xin", "Ngày tiêm", "Số điện thoại", "Mũi số", "Số lô"],
            ["An", 1990, "AZ", "02/08/2021", 912345678.0, 2.0, 1.5],
        ],
    )
    [row] = read_rows(path)
    assert row.values["phone"] == "912345678"
    assert row.values["dose_number"] == "2"
    assert row.values["birth_date"] == "1990"
    assert row.values["lot_number"] == "1.5"


def test_empty_rows_are_skipped_but_line_numbers_stay_true_in_csv(tmp_path):
    text = f"{HEADER}\nR1,An,1990,Nam,AZ,1,02/08/2021,\n\n,,,,,,,\nR2,Bình,1991,Nữ,AZ,1,03/08/2021,\n"
    rows = list(read_rows(write_csv(tmp_path / "a.csv", text)))
    assert [(row.line, row.values["record_id"]) for row in rows] == [(2, "R1"), (5, "R2")]


def test_a_line_break_inside_a_cell_does_not_shift_later_line_numbers(tmp_path):
    text = f'{HEADER}\nR1,An,1990,Nam,AZ,1,02/08/2021,\nR2,"Bình\nThị",1991,Nữ,AZ,1,03/08/2021,\nR3,Cúc,1992,Nữ,AZ,1,,\n'
    rows = list(read_rows(write_csv(tmp_path / "a.csv", text)))
    assert [row.line for row in rows] == [2, 3, 5]


def test_empty_rows_are_skipped_but_line_numbers_stay_true_in_excel(tmp_path):
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [
            ["Họ và tên", "Ngày sinh", "Vắc xin", "Ngày tiêm"],
            ["An", "1990", "AZ", "02/08/2021"],
            [],
            [None, "  ", None, None],
            ["Bình", "1991", "AZ", "03/08/2021"],
        ],
    )
    assert [row.line for row in read_rows(path)] == [2, 5]


def test_a_missing_required_column_is_named_in_the_error(tmp_path):
    path = write_csv(tmp_path / "a.csv", "Họ và tên,Ngày sinh,Vắc xin\nAn,1990,AZ\n")
    with pytest.raises(SheetError, match=r"Date administered \(administered_on\)"):
        read_rows(path)


def test_a_refused_sheet_is_explained_in_the_readers_language(tmp_path):
    path = write_csv(tmp_path / "a.csv", "Họ và tên,Ngày sinh,Vắc xin\nAn,1990,AZ\n")
    with pytest.raises(SheetError) as refused:
        read_rows(path)
    with translation.override("vi"):
        assert str(refused.value) == "Thiếu cột bắt buộc: Ngày tiêm (administered_on)."
    with translation.override("en"):
        assert str(refused.value) == "Missing required columns: Date administered (administered_on)."


@pytest.mark.parametrize(
    ("language", "first_headers"),
    [("vi", ["Mã bản ghi", "Họ và tên", "Ngày sinh"]), ("en", ["Record id", "Full name", "Date of birth"])],
)
def test_a_template_in_either_language_reads_back_in_any_language(tmp_path, language, first_headers):
    path = tmp_path / f"template-{language}.xlsx"
    with translation.override(language):
        write_template(path)
    assert [cell.value for cell in openpyxl.load_workbook(path).active[1]][:3] == first_headers
    for reader in ("vi", "en"):
        with translation.override(reader):
            assert list(read_rows(path)) == [SheetRow(3, EXAMPLE_ROW)]


def test_the_readers_header_row_alone_is_enough(tmp_path):
    """A sender who deletes the machine-name row: the header people read is recognised in both languages."""
    for header in (
        "Họ và tên,Ngày sinh,Vắc xin,Ngày tiêm",
        "Full name,Date of birth,Vaccine,Date administered",
    ):
        path = write_csv(tmp_path / "a.csv", f"{header}\nAn,1990,AZ,02/08/2021\n")
        [row] = read_rows(path)
        assert (row.values["full_name"], row.values["administered_on"]) == ("An", "02/08/2021")


def test_a_given_name_column_alone_is_not_taken_for_the_full_name(tmp_path):
    path = write_csv(
        tmp_path / "a.csv", "Họ đệm,Tên,Ngày sinh,Vắc xin,Ngày tiêm\nNguyễn Văn,An,1990,AZ,02/08/2021\n"
    )
    with pytest.raises(SheetError, match="full_name"):
        read_rows(path)


def test_a_caller_can_make_more_columns_required(tmp_path):
    path = write_csv(tmp_path / "a.csv", "Họ và tên,Ngày sinh,Vắc xin,Ngày tiêm\nAn,1990,AZ,02/08/2021\n")
    with pytest.raises(SheetError, match="site_code"):
        read_rows(path, required={"full_name", "site_code"})


def test_a_column_given_twice_is_refused(tmp_path):
    path = write_csv(
        tmp_path / "a.csv", "Họ và tên,Họ tên,Ngày sinh,Vắc xin,Ngày tiêm\nAn,An,1990,AZ,02/08/2021\n"
    )
    with pytest.raises(SheetError, match="full_name"):
        read_rows(path)


def test_a_file_without_a_header_row_is_refused(tmp_path):
    path = write_csv(tmp_path / "a.csv", "a,b,c\n1,2,3\n")
    with pytest.raises(SheetError, match="No header row"):
        read_rows(path)


def test_an_empty_file_is_refused(tmp_path):
    with pytest.raises(SheetError, match="empty"):
        read_rows(write_csv(tmp_path / "a.csv", ""))


def test_a_csv_that_is_not_utf8_asks_to_be_saved_as_utf8(tmp_path):
    path = write_csv(
        tmp_path / "a.csv",
        "Ho va ten,Ngay sinh,Vac xin,Ngay tiem\nAndré,1990,AZ,02/08/2021\n",
        encoding="cp1252",
    )
    with pytest.raises(SheetError, match="UTF-8.*line 2"):
        read_rows(path)


def test_a_non_utf8_byte_deep_in_a_csv_is_reported_with_its_line(tmp_path):
    good = "".join(f"R{i},An,1990,Nam,AZ,1,02/08/2021,\n" for i in range(5000))
    path = tmp_path / "a.csv"
    path.write_bytes(f"{HEADER}\n{good}".encode() + "R,Bình,1990,Nam,AZ,1,,\n".encode("cp1252"))
    with pytest.raises(SheetError, match="line 5002"):
        list(read_rows(path))


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("a.pdf", b"%PDF-1.4", "only .xlsx and .csv"),
        ("a.xls", b"\xd0\xcf\x11\xe0", ".xls"),
        ("a.xlsx", b"not a zip at all", "damaged"),
        ("a.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "password"),
        ("a.csv", b"PK\x03\x04rest", "rename it to .xlsx"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_reason(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SheetError, match=message):
        read_rows(path)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_report_round_trips(tmp_path, suffix):
    path = tmp_path / f"report{suffix}"
    rows = [
        ReportRow(3, "HCM-Q1-000001", "imported", ""),
        ReportRow(
            4, "HCM-Q1-000002", "rejected", "Ngày sinh sai / Bad birth date; thiếu vắc xin / no vaccine"
        ),
    ]
    write_report(path, rows)
    read_back = [
        (int(r.values["line"]), r.values["record_id"], r.values["status"], r.values["reasons"])
        for r in read_rows(path, columns=REPORT_COLUMNS)
    ]
    assert read_back == [(row.line, row.record_id, row.status, row.reasons) for row in rows]


@pytest.mark.parametrize(
    ("language", "headers"),
    [("vi", "Dòng,Mã bản ghi,Trạng thái,Lý do"), ("en", "Line,Record id,Status,Reason")],
)
def test_the_csv_report_has_a_byte_order_mark_and_headers_in_the_readers_language(
    tmp_path, language, headers
):
    path = tmp_path / "report.csv"
    with translation.override(language):
        write_report(path, [ReportRow(2, "R1", "imported", "")])
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert path.read_text(encoding="utf-8-sig").splitlines()[0] == headers
    assert [row.values["record_id"] for row in read_rows(path, columns=REPORT_COLUMNS)] == ["R1"]


def test_a_report_written_with_the_old_bilingual_headers_still_reads_back(tmp_path):
    old = "Dòng / Line,Mã bản ghi / Record id,Trạng thái / Status,Lý do / Reason\n2,R1,imported,\n"
    [row] = read_rows(write_csv(tmp_path / "old.csv", old), columns=REPORT_COLUMNS)
    assert row.values == {"line": "2", "record_id": "R1", "status": "imported", "reasons": ""}


def test_a_report_does_not_turn_record_ids_into_formulas(tmp_path):
    write_report(tmp_path / "r.xlsx", [ReportRow(2, '=HYPERLINK("x")', "rejected", "-")])
    write_report(tmp_path / "r.csv", [ReportRow(2, '=HYPERLINK("x")', "rejected", "")])
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx").active
    assert sheet["B2"].data_type == "s" and sheet["B2"].value == '=HYPERLINK("x")'
    assert "'=HYPERLINK" in (tmp_path / "r.csv").read_text(encoding="utf-8-sig")


def test_it_counts_the_data_rows_of_a_file(tmp_path):
    text = f"Danh sách\n{HEADER}\nR1,An,1990,Nam,AZ,1,02/08/2021,\n\nR2,Bình,1991,Nữ,AZ,1,03/08/2021,\n"
    assert count_rows(write_csv(tmp_path / "a.csv", text)) == 2
    path = write_xlsx(tmp_path / "a.xlsx", [["Tiêu đề"], HEADER.split(","), *[["R", "An", "1990"]] * 7])
    assert count_rows(path) == 7


def test_the_file_hash_is_the_sha256_of_its_bytes(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"x" * 3_000_000)
    assert file_sha256(path) == hashlib.sha256(b"x" * 3_000_000).hexdigest()


def test_a_200k_row_csv_streams_quickly_without_growing_memory(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as target:
        target.write(",".join(TEMPLATE_COLUMNS) + "\n")
        for i in range(200_000):
            target.write(
                f"HCM-{i:06d},Nguyễn Thị Lan,15/03/1990,Nữ,079190000123,0912345678,79,26734,"
                f"12 Lê Lợi,AZ,1,02/08/2021,S79-0001,A1234\n"
            )
    started = time.perf_counter()
    assert count_rows(path) == 200_000
    last = None
    for row in read_rows(path):
        last = row
    assert time.perf_counter() - started < 10
    assert last is not None and last.line == 200_001 and last.values["record_id"] == "HCM-199999"

    rows = read_rows(path)
    for _ in range(1000):
        next(rows)
    tracemalloc.start()
    try:
        for _ in range(30_000):  # a list of these rows would take tens of megabytes
            next(rows)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 500_000


# -- hostile files: every one refused with a reason, none read into memory -------------------------------------

_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxml'
    b'formats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Ho va ten'
    b'</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>'
)
_SHEET_TAIL = b"</t></is></c></row></sheetData></worksheet>"


def hostile_xlsx(
    path: Path, cell: bytes, times: int, *, head: bytes = _SHEET_HEAD, tail: bytes = _SHEET_TAIL
) -> Path:
    """A workbook whose cell A2 holds `cell` repeated `times`, streamed into the zip (never held whole)."""
    good = tmp = path.with_suffix(".good.xlsx")
    write_xlsx(good, [["Họ và tên"]])
    with zipfile.ZipFile(tmp) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with target.open(info.filename, "w", force_zip64=True) as sheet:
                    sheet.write(head)
                    for _ in range(times):
                        sheet.write(cell)
                    sheet.write(tail)
            else:
                target.writestr(info, source.read(info.filename))
    return path


def test_it_refuses_an_xlsx_bomb_by_its_compression_ratio_before_parsing(tmp_path):
    path = hostile_xlsx(
        tmp_path / "bomb.xlsx", b" " * 65536, 320
    )  # 20 MB of spaces in one cell, ~20 KB packed
    assert path.stat().st_size < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(SheetError, match="xl/worksheets/sheet1.xml.*compressed .* times"):
            list(read_rows(path, columns=["full_name"]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000


def test_it_refuses_an_xlsx_larger_than_the_uncompressed_limit(tmp_path):
    path = hostile_xlsx(tmp_path / "big.xlsx", b"ab", 10)
    with pytest.raises(SheetError, match="uncompresses to .* bytes"):
        count_rows(path, columns=["full_name"], limits=SheetLimits(xlsx_uncompressed=1000))


def test_it_refuses_a_giant_xlsx_cell_that_compresses_poorly_before_openpyxl_reads_it(tmp_path):
    noise = bytes(range(65, 91)) * 2000  # 52 KB, passes the ratio check
    path = hostile_xlsx(tmp_path / "cell.xlsx", noise, 3)
    with pytest.raises(SheetError, match="longer than 10,000 bytes"):
        list(read_rows(path, columns=["full_name"], limits=SheetLimits(xml_run_bytes=10_000)))


_ROW_HEAD = _SHEET_HEAD.rpartition(b'<c r="A2"')[0]
_NOISE = bytes(range(65, 91)) * 40  # 1,040 letters


def test_it_refuses_a_row_of_millions_of_empty_cells_before_openpyxl_builds_it(tmp_path):
    # The probe: a 1.6 MB file of one row of 20 M "<c/>" took 6.6 GB; openpyxl builds the whole row first.
    path = hostile_xlsx(
        tmp_path / "cells.xlsx",
        b"<c/>" * 99 + b'<c t="n"><v>7</v></c>',
        200,
        head=_ROW_HEAD,
        tail=b"</row></sheetData></worksheet>",
    )
    tracemalloc.start()
    try:
        with pytest.raises(SheetError, match="has a row 2 of more than 16,384 cells"):
            list(read_rows(path, columns=["full_name"]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000


def test_it_refuses_a_cell_written_as_many_runs_each_under_the_byte_limit(tmp_path):
    # The probe: one inline cell of 400 rich-text runs of 512 KB, which openpyxl joins into one 200 MB string.
    path = hostile_xlsx(
        tmp_path / "runs.xlsx",
        b"<r><t>" + _NOISE + b"</t></r>",
        40,
        head=_SHEET_HEAD.rpartition(b"<t>")[0],
        tail=b"</is></c></row></sheetData></worksheet>",
    )
    with pytest.raises(SheetError, match="has a cell longer than 32,767 characters \\(row 2\\)"):
        list(read_rows(path, columns=["full_name"]))


def test_the_same_runs_are_refused_in_the_shared_strings_too(tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", [["Họ và tên"], ["An"]])
    path = tmp_path / "shared.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != "xl/sharedStrings.xml":
                target.writestr(info, source.read(info.filename))
        target.writestr(
            "xl/sharedStrings.xml",
            b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><si><t>H\xe1\xbb\x8d v\xc3\xa0 t\xc3\xaan</t></si><si>'
            + (b"<r><t>" + _NOISE + b"</t></r>") * 40
            + b"</si></sst>",
        )
    with pytest.raises(SheetError, match="sharedStrings.xml has a cell longer than 32,767"):
        list(read_rows(path, columns=["full_name"]))


def test_a_real_workbook_of_many_rows_passes_the_shape_check(tmp_path):
    rows: list[list[object]] = [["Họ và tên", "Mã bản ghi"]] + [
        [f"Nguyễn Văn {i}", f"R{i}"] for i in range(3000)
    ]
    xlsx = write_xlsx(tmp_path / "many.xlsx", rows)
    assert len(list(read_rows(xlsx, columns=["full_name", "record_id"]))) == 3000


def test_it_refuses_an_xlsx_with_a_dtd(tmp_path):
    head = _SHEET_HEAD.replace(b"?>\n", b'?>\n<!DOCTYPE x [<!ENTITY a "aaaa">]>')
    path = hostile_xlsx(tmp_path / "dtd.xlsx", b"&a;", 3, head=head)
    with pytest.raises(SheetError, match="DTD"):
        list(read_rows(path, columns=["full_name"]))


def test_it_refuses_a_cell_over_the_limit_naming_the_cell(tmp_path):
    xlsx = write_xlsx(tmp_path / "long.xlsx", [["Họ và tên", "Mã bản ghi"], ["An", "x" * 2001]])
    with pytest.raises(SheetError, match="Cell B2 holds 2,001 characters"):
        list(read_rows(xlsx, columns=["full_name", "record_id"]))
    csv_path = write_csv(tmp_path / "long.csv", "full_name,record_id\nAn," + "x" * 2001 + "\n")
    with pytest.raises(SheetError, match="The cell at line 2, column 2 holds 2,001"):
        list(read_rows(csv_path, columns=["full_name", "record_id"]))


def test_it_refuses_a_row_with_too_many_cells_but_not_trailing_empty_ones(tmp_path):
    wide = write_csv(tmp_path / "wide.csv", "full_name\n" + ",".join(["a"] * 300) + "\n")
    with pytest.raises(SheetError, match="Line 2 has 300 cells"):
        list(read_rows(wide, columns=["full_name"]))
    trailing = write_csv(tmp_path / "trailing.csv", "full_name\nAn" + "," * 5000 + "\n")
    assert [r.values for r in read_rows(trailing, columns=["full_name"])] == [{"full_name": "An"}]


def test_a_gigantic_line_of_whitespace_is_refused_by_line_not_held_in_memory(tmp_path):
    path = tmp_path / "spaces.csv"
    with path.open("wb") as target:
        target.write(b" " * 5_000_000 + b"\n" + b"full_name\nAn\n")
    tracemalloc.start()
    try:
        with pytest.raises(SheetError, match="Line 1 is longer than"):
            list(read_rows(path, columns=["full_name"]))
        with pytest.raises(SheetError, match="Line 1 is longer than"):
            count_rows(path, columns=["full_name"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000


def test_a_quoted_cell_over_many_lines_is_refused_past_the_record_limit(tmp_path):
    path = write_csv(tmp_path / "quoted.csv", 'full_name\n"' + "a\n" * 100_000 + '"\n')
    with pytest.raises(SheetError, match="is longer than"):
        list(read_rows(path, columns=["full_name"]))


def test_a_file_with_more_rows_than_the_limit_is_refused_early(tmp_path):
    path = write_csv(tmp_path / "rows.csv", "full_name\n" + "An\n" * 50)
    limits = SheetLimits(rows=10)
    with pytest.raises(SheetError, match="more than 10 rows"):
        count_rows(path, columns=["full_name"], limits=limits)
    with pytest.raises(SheetError, match="more than 10 rows"):
        list(read_rows(path, columns=["full_name"], limits=limits))


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x","x")', "@cmd", "+1+1", "-2", "\tX", "\rY"])
def test_csv_safe_cell_escapes_what_a_spreadsheet_would_run(value):
    assert csv_safe_cell(value) == "'" + value
    assert csv_safe_cell("HCM-1") == "HCM-1" and csv_safe_cell(7) == 7


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_header_we_write_is_one_we_read_whatever_the_readers_language(language):
    """A file comes back in the language it was downloaded in; reading it must not depend on who reads it."""
    with translation.override(language):
        written = {column: str(label) for column, label in HEADERS.items()}
    accepted = {column: {header_key(v) for v in HEADER_VARIANTS.get(column, ())} for column in HEADERS}
    assert all(header_key(label) in accepted[column] for column, label in written.items()), written
