import csv
import io
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from sotiem.immunizations.models import Dose, ImportRun
from sotiem.lib.spreadsheets import TEMPLATE_COLUMNS, read_rows, write_template
from sotiem.places.models import Site

pytestmark = pytest.mark.django_db

SITES = (
    "site_code,name,kind,province,commune\nS79-0001,Trạm Y tế Phường Bến Nghé,fixed,79,26734\n"
    "S79-0002,Đội tiêm lưu động số 2,mobile,Hồ Chí Minh,\n"
)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def sites(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text(SITES, encoding="utf-8")
    run("import-sites", str(path))
    return path


def backlog(tmp_path, rows, name="backlog.csv", bom=True):
    path = tmp_path / name
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "Mã bản ghi",
                "Họ và tên",
                "Ngày sinh",
                "Giới tính",
                "Số CCCD/CMND",
                "Số điện thoại",
                "Tỉnh/Thành phố",
                "Xã/Phường",
                "Địa chỉ",
                "Vắc xin",
                "Mũi số",
                "Ngày tiêm",
                "Mã điểm tiêm",
                "Số lô",
            ]
        )
        writer.writerows(rows)
    return path


def row(rid, name="Nguyễn Văn An", vaccine="AstraZeneca", day="02/08/2021", site="S79-0001"):
    return [
        rid,
        name,
        "17/05/1990",
        "Nam",
        "",
        "0912345678",
        "Hồ Chí Minh",
        "",
        "",
        vaccine,
        "1",
        day,
        site,
        "A1",
    ]


def test_sites_import_once_and_a_rerun_changes_nothing(sites):
    assert Site.objects.filter(code__in=["S79-0001", "S79-0002"]).count() == 2
    assert Site.objects.get(code="S79-0002").kind == "mobile"
    assert "không đổi 2" in run("import-sites", str(sites))


def test_a_site_with_an_unknown_kind_is_refused_with_its_line(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("site_code,name,kind,province,commune\nX1,Thuyền,boat,79,\n", encoding="utf-8")
    report = tmp_path / "r.csv"
    assert "từ chối 1" in run("import-sites", str(path), "--report", str(report))
    [refused] = list(read_rows(report, columns=["line", "record_id", "status", "reasons"], required=set()))
    assert refused.values["line"] == "2" and "boat" in refused.values["reasons"]


def test_a_backlog_file_is_imported_and_refused_rows_are_reported_with_line_and_reason(tmp_path, sites):
    path = backlog(tmp_path, [row("B1"), row("B2", vaccine="Covaxin"), row("B3", site="S99-0000"), row("B4")])
    report = tmp_path / "report.xlsx"
    out = run("import", str(path), "--source", "HCM-BACKLOG", "--report", str(report), "--no-progress")
    assert "nhận 2" in out and "từ chối 2" in out
    assert set(Dose.objects.values_list("source_record_id", flat=True)) == {"B1", "B4"}
    sheet = openpyxl.load_workbook(report).active
    lines = [(r[0], r[1]) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert lines == [(3, "B2"), (4, "B3")]


@pytest.mark.parametrize(
    ("language", "summary", "reason"),
    [
        (
            "vi",
            "Xong: 2 dòng — nhận 1, trùng 0, xung đột 0, từ chối 1",
            "Không có vắc xin “Covaxin” trong danh mục",
        ),
        (
            "en",
            "Done: 2 rows — accepted 1, duplicate 0, conflict 0, rejected 1",
            "“Covaxin” is not a vaccine of",
        ),
    ],
)
def test_the_command_and_its_report_speak_the_active_language(tmp_path, sites, language, summary, reason):
    path = backlog(tmp_path, [row("L1"), row("L2", vaccine="Covaxin")])
    report = tmp_path / "report.csv"
    with translation.override(language):
        out = run("import", str(path), "--source", "HCM-BACKLOG", "--report", str(report), "--no-progress")
    assert summary in out
    [refused] = list(read_rows(report, columns=["line", "record_id", "status", "reasons"], required=set()))
    assert refused.values["status"] == {"vi": "từ chối", "en": "rejected"}[language]
    assert reason in refused.values["reasons"]


def test_rerunning_the_same_file_stores_nothing_twice(tmp_path, sites):
    path = backlog(tmp_path, [row(f"B{i}", name=f"Người {i}") for i in range(30)])
    run("import", str(path), "--source", "HCM-BACKLOG", "--no-progress")
    out = run("import", str(path), "--source", "HCM-BACKLOG", "--no-progress")
    assert "trùng 30" in out
    assert Dose.objects.count() == 30


def test_a_changed_row_in_a_rerun_is_a_conflict_in_the_report(tmp_path, sites):
    run("import", str(backlog(tmp_path, [row("C1"), row("C2")])), "--source", "HCM-BACKLOG", "--no-progress")
    changed = backlog(tmp_path, [row("C1"), row("C2", day="03/08/2021")], name="changed.csv")
    report = tmp_path / "report.csv"
    out = run("import", str(changed), "--source", "HCM-BACKLOG", "--report", str(report), "--no-progress")
    assert "trùng 1" in out and "xung đột 1" in out
    [line] = list(read_rows(report, columns=["line", "record_id", "status", "reasons"], required=set()))
    assert (line.values["line"], line.values["record_id"], line.values["status"]) == ("3", "C2", "xung đột")
    assert "administered_on" in line.values["reasons"]


def test_an_interrupted_run_resumes_after_the_rows_it_saved(tmp_path, sites, monkeypatch):
    from sotiem.immunizations import imports

    path = backlog(tmp_path, [row(f"B{i}", name=f"Người {i}") for i in range(2500)])
    calls = {"n": 0}
    real = imports.ingest_records

    def crash_on_second_batch(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("power cut")
        return real(**kwargs)

    monkeypatch.setattr(imports, "ingest_records", crash_on_second_batch)
    with pytest.raises(KeyboardInterrupt):
        run("import", str(path), "--source", "HCM-BACKLOG", "--no-progress")
    assert ImportRun.objects.get().rows_done == 1000
    monkeypatch.setattr(imports, "ingest_records", real)
    out = run("import", str(path), "--source", "HCM-BACKLOG", "--no-progress")
    assert "Tiếp tục lần nhập trước từ dòng dữ liệu 1001" in out
    assert Dose.objects.count() == 2500
    assert ImportRun.objects.get().status == "done"


def test_an_xlsx_template_with_vietnamese_headers_is_imported_and_its_example_row_refused(tmp_path, sites):
    path = tmp_path / "template.xlsx"
    write_template(path)
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    sheet.append(
        [
            "X-1",
            "Trần Thị Bình",
            "03/1985",
            "Nữ",
            "",
            "912345678",
            "79",
            "",
            "",
            "Pfizer",
            "1",
            "05/09/2021",
            "S79-0001",
            "FK1",
        ]
    )
    book.save(path)
    out = run("import", str(path), "--source", "S79-0001", "--no-progress")
    assert "nhận 1" in out and "từ chối 1" in out
    dose = Dose.objects.get()
    assert dose.person.birth_precision == "month" and dose.vaccine.code == "PFIZER"


def test_a_file_without_the_needed_columns_is_refused_whole(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("ten,tuoi\nAn,30\n", encoding="utf-8")
    with pytest.raises(CommandError):
        run("import", str(path), "--source", "X", "--no-progress")


def test_the_template_columns_are_the_documented_ones():
    assert list(TEMPLATE_COLUMNS) == [
        "record_id",
        "full_name",
        "birth_date",
        "sex",
        "national_id",
        "phone",
        "province",
        "commune",
        "address",
        "vaccine",
        "dose_number",
        "administered_on",
        "site_code",
        "lot_number",
    ]
    assert Path(__file__).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rows_checked_in_worker_processes_get_the_same_results_as_in_process(tmp_path, sites):
    from sotiem.immunizations.imports import import_run_execute, import_run_start
    from sotiem.immunizations.ingest import Sender

    rows = [
        row(f"W{i}", name=f"Người {i}", vaccine="Covaxin" if i % 7 == 0 else "Pfizer") for i in range(2500)
    ]
    outcome = {}
    for workers, source in ((0, "IN-PROCESS"), (2, "FORKED")):
        path = backlog(tmp_path, rows, name=f"{source}.csv")
        run_ = import_run_start(path=path, source=source)
        with translation.override("en"):  # the workers write their reasons in the run's language too
            run_ = import_run_execute(
                run=run_, path=path, sender=Sender(source=source), actor="t", workers=workers
            )
        assert all("is not a vaccine of the catalogue" in r[3] for r in run_.refused)
        outcome[source] = (
            run_.counts,
            [r[:4] for r in run_.refused],
            sorted(Dose.objects.filter(source=source).values_list("source_record_id", "content_hash")),
        )
    assert outcome["FORKED"] == outcome["IN-PROCESS"]
    assert outcome["FORKED"][0] == {"accepted": 2142, "rejected": 358}  # Covaxin is not in the catalogue


def test_a_finished_run_holds_its_counts_and_refusals_as_plain_words(tmp_path, sites):
    from sotiem.immunizations.imports import import_run_execute, import_run_start
    from sotiem.immunizations.ingest import Sender

    path = backlog(tmp_path, [row("P1"), row("P2", vaccine="Covaxin")])
    run_ = import_run_start(path=path, source="PLAIN")
    run_ = import_run_execute(run=run_, path=path, sender=Sender(source="PLAIN"), actor="t", workers=0)
    in_memory = (repr(run_.counts), repr(run_.refused))
    run_.refresh_from_db()
    assert in_memory == (repr(run_.counts), repr(run_.refused))
    assert run_.counts == {"accepted": 1, "rejected": 1}


def test_it_refuses_a_file_with_a_gigantic_cell_with_its_line_not_a_memory_error(tmp_path):
    path = tmp_path / "spaces.csv"
    with path.open("wb") as target:
        target.write(b"record_id,full_name,birth_date,vaccine,administered_on,site_code\n")
        target.write(b"X1," + b" " * 20_000_000 + b",1990,AZ,02/08/2021,S79-0001\n")
    with pytest.raises(CommandError, match="Dòng 2 dài quá"):
        run("import", str(path), "--source", "HCM-BACKLOG", "--no-progress")
    assert ImportRun.objects.count() == 0


def test_a_run_left_running_by_a_dead_process_is_resumed_by_the_next_import(sites, tmp_path):
    import datetime as dt

    from django.utils import timezone

    path = backlog(tmp_path, [row("R1"), row("R2")])
    run("import", str(path), "--source", "HCM-BACKLOG", "--no-progress")
    ImportRun.objects.update(status="running", rows_done=1, updated_at=timezone.now() - dt.timedelta(hours=1))
    out = run("import", str(path), "--source", "HCM-BACKLOG", "--no-progress")
    assert "Tiếp tục lần nhập trước từ dòng dữ liệu 2" in out
    [done] = ImportRun.objects.all()
    assert done.status == "done" and done.error == ""
