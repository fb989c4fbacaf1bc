import datetime as dt
import io
import time
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone

from sotiem.immunizations import imports, views
from sotiem.immunizations.imports import INTERRUPTED, import_run_process, import_runs_fail_stale
from sotiem.immunizations.ingest import Sender, ingest_records
from sotiem.immunizations.models import Dose, ImportRun
from sotiem.testing import make_site

pytestmark = pytest.mark.django_db

CSV = (
    "record_id,full_name,birth_date,sex,national_id,phone,province,commune,address,vaccine,dose_number,"
    "administered_on,site_code,lot_number\n"
    "W1,Nguyễn Văn An,17/05/1990,Nam,,0912345678,79,,,Pfizer,1,02/08/2021,S79-0001,FK1\n"
    "W2,Trần Thị Bình,1985,Nữ,,,79,,,Covaxin,1,02/08/2021,S79-0001,FK1\n"
    "W3,Lê Văn Cường,1970,Nam,,,01,,,Pfizer,1,02/08/2021,S01-0001,FK1\n"
)


@pytest.fixture
def inline_imports(monkeypatch):
    """Run the background import in the request's own thread, so the test sees it in its transaction."""

    def run_now(run_id, path, sender, actor):
        import_run_process(run=ImportRun.objects.get(pk=run_id), path=path, sender=sender, actor=actor)

    monkeypatch.setattr(views, "_run_in_background", run_now)


def upload(client, text=CSV, name="backlog.csv", source="P79-BACKLOG", language="vi"):
    data = {"file": io.BytesIO(text.encode("utf-8")), "source": source}
    data["file"].name = name
    return client.post("/imports/", data, follow=True, headers={"accept-language": language})


@pytest.fixture
def hcdc_run(client, personas, inline_imports, settings, tmp_path):
    """The run of CSV as the HCDC official uploads it, its site in place; the client stays logged in as them."""
    settings.VAR_DIR = tmp_path
    make_site(code="S79-0001")
    client.force_login(personas.hcdc)
    upload(client)
    return ImportRun.objects.get()


def test_an_official_uploads_a_backlog_and_downloads_the_refused_rows(
    client, personas, inline_imports, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    make_site(code="S79-0001")
    make_site(province_code="01", code="S01-0001")
    client.force_login(personas.hcdc)

    page = upload(client).content.decode()
    run = ImportRun.objects.get()
    assert run.status == "done" and run.counts == {"accepted": 1, "rejected": 2}
    assert "report-link" in page
    # a provincial official imports only for its own province: the Hà Nội site's row is refused
    assert list(Dose.objects.values_list("source_record_id", flat=True)) == ["W1"]

    report = client.get(f"/imports/{run.public_id}/report.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(report.streaming_content))).active
    refused = {row[1]: row[3] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(refused) == {"W2", "W3"} and "Covaxin" in refused["W2"] and "01" in refused["W3"]


def test_the_progress_fragment_shows_counts(client, hcdc_run):
    fragment = client.get(f"/imports/{hcdc_run.public_id}/?partial=1").content.decode()
    assert 'data-state="done"' in fragment and 'id="accepted">1<' in fragment


def test_the_template_is_downloadable(client, personas):
    client.force_login(personas.hcdc)
    response = client.get("/imports/template.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert "Họ và tên" in [c.value for c in book.worksheets[0][1]]


def test_another_officials_run_is_not_visible(client, personas, hcdc_run):
    client.force_login(personas.other_province)
    assert client.get(f"/imports/{hcdc_run.public_id}/").status_code == 404
    assert client.get(f"/imports/{hcdc_run.public_id}/report.xlsx").status_code == 404


def test_a_citizen_without_grants_cannot_import(client, personas):
    client.force_login(personas.citizen)
    assert client.get("/imports/").status_code == 403


def test_a_wrong_file_type_is_refused_with_a_reason(client, personas, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    client.force_login(personas.hcdc)
    page = upload(client, name="photo.jpg").content.decode()
    assert ".xlsx" in page and ImportRun.objects.count() == 0


HANOI_HELD = {
    "record_id": "W9",
    "full_name": "Phạm Thị Hà",
    "birth_date": "03/04/1961",
    "sex": "Nữ",
    "national_id": "001161000777",
    "phone": "0987654321",
    "province": "01",
    "address": "9 Hàng Bạc",
    "vaccine": "Pfizer",
    "dose_number": "1",
    "administered_on": "02/08/2021",
    "site_code": "S01-0001",
    "lot_number": "FK1",
}
PROBE = (
    "record_id,full_name,birth_date,sex,national_id,phone,province,commune,address,vaccine,dose_number,"
    "administered_on,site_code,lot_number\n"
    "W9,Nguyễn Văn Dò,01/01/1980,Nam,,,01,,,Pfizer,1,02/08/2021,S01-0001,FK1\n"
    "W10,Nguyễn Văn Dò,01/01/1980,Nam,,,01,,,Pfizer,1,02/08/2021,S01-0001,FK1\n"
)


@pytest.fixture
def hanoi_record():
    site = make_site(province_code="01", code="S01-0001")
    [result] = ingest_records(
        sender=Sender(source=site.code, site=site, province_code="01"),
        records=[HANOI_HELD],
        channel="api",
        actor="test",
    )
    assert result.status == "accepted"
    return site


def test_it_refuses_an_official_posting_another_provinces_site_as_sender(
    client, personas, inline_imports, settings, tmp_path, hanoi_record
):
    settings.VAR_DIR = tmp_path
    client.force_login(personas.hcdc)
    response = upload(client, text=PROBE, source="S01-0001")
    page = response.content.decode()
    assert response.status_code == 403 and "chỉ với đơn vị trong phân quyền của bạn" in page
    assert ImportRun.objects.count() == 0
    assert list(Dose.objects.filter(source="S01-0001").values_list("source_record_id", flat=True)) == ["W9"]
    assert "Phạm Thị Hà" not in page and "001161000777" not in page


def test_the_same_rows_sent_as_the_officials_own_team_show_no_held_values_of_another_province(
    client, personas, inline_imports, settings, tmp_path, hanoi_record
):
    settings.VAR_DIR = tmp_path
    client.force_login(personas.hcdc)
    upload(client, text=PROBE, source="P79-BACKLOG")
    run = ImportRun.objects.get()
    assert run.source == "P79-BACKLOG" and run.counts == {"rejected": 2}
    assert Dose.objects.filter(source="S01-0001").count() == 1 and Dose.objects.count() == 1
    report = client.get(f"/imports/{run.public_id}/report.xlsx")
    text = " ".join(
        str(c)
        for row in openpyxl.load_workbook(io.BytesIO(b"".join(report.streaming_content))).active.iter_rows(
            values_only=True
        )
        for c in row
    )
    assert "Điểm tiêm S01-0001 không thuộc tỉnh 79" in text
    for held in ("Phạm Thị Hà", "001161000777", "0987654321", "9 Hàng Bạc", "1961"):
        assert held not in text


def test_the_form_offers_only_the_sources_the_grants_allow(client, personas):
    client.force_login(personas.hcdc)
    page = client.get("/imports/").content.decode()
    assert (
        'value="P79-BACKLOG"' in page
        and "P01-BACKLOG" not in page
        and 'type="text" name="source"' not in page
    )
    client.force_login(personas.nurse)
    page = client.get("/imports/").content.decode()
    assert f'value="{personas.nurse_site.code}"' in page and "BACKLOG" not in page
    client.force_login(personas.national)
    assert 'value="VN-BACKLOG"' in client.get("/imports/").content.decode()


def test_a_site_vaccinator_imports_as_their_site_and_only_its_doses(
    client, personas, inline_imports, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    make_site(code="S79-0001")
    code = personas.nurse_site.code
    client.force_login(personas.nurse)
    upload(client, text=CSV.replace("S79-0001", code, 1), source=code)
    run = ImportRun.objects.get()
    assert run.source == code
    assert list(Dose.objects.values_list("source", "source_record_id")) == [(code, "W1")]
    reasons = {r[1]: r[3] for r in run.refused}
    assert f"Khóa này chỉ gửi được cho điểm tiêm {code}" in reasons["W2"]


def test_the_upload_answers_at_once_and_counts_and_imports_in_the_background(
    client, personas, settings, tmp_path, monkeypatch
):
    settings.VAR_DIR = tmp_path
    started = []
    monkeypatch.setattr(views, "_run_in_background", lambda *args: started.append(args))
    monkeypatch.setattr(imports, "count_rows", lambda *a, **k: pytest.fail("counted in the request"))
    client.force_login(personas.hcdc)
    response = upload(client)
    run = ImportRun.objects.get()
    assert response.redirect_chain[-1][0] == f"/imports/{run.public_id}/"
    assert (
        run.status == "running"
        and run.total_rows == 0
        and run.rows_done == 0
        and run.file_name == "backlog.csv"
    )
    [(run_id, path, sender, _actor)] = started
    assert run_id == run.pk and sender.source == "P79-BACKLOG" and sender.province_code == "79"
    assert Path(path).parent == tmp_path / "uploads" and Path(path).read_text(encoding="utf-8") == CSV


def test_it_refuses_an_upload_over_the_byte_limit_of_its_kind(
    client, personas, inline_imports, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    settings.SOTIEM_IMPORT_MAX_BYTES = {"csv": 200, "xlsx": 10_000_000}
    client.force_login(personas.hcdc)
    response = upload(client)
    assert response.status_code == 413 and "hãy chia thành nhiều tệp nhỏ hơn" in response.content.decode()
    in_english = upload(client, language="en")
    assert in_english.status_code == 413 and "split it into smaller files" in in_english.content.decode()
    assert ImportRun.objects.count() == 0
    assert not (tmp_path / "uploads").exists() or not list((tmp_path / "uploads").iterdir())


def test_a_request_announcing_a_body_over_the_limit_is_refused_unread(client, personas, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.SOTIEM_IMPORT_MAX_BYTES = {"csv": 1024, "xlsx": 1024}
    client.force_login(personas.hcdc)
    response = client.generic(
        "POST", "/imports/", b"x" * 200_000, content_type="multipart/form-data; boundary=B"
    )
    assert response.status_code == 413 and ImportRun.objects.count() == 0


def test_a_run_whose_worker_is_gone_is_marked_failed_and_the_same_file_resumes_it(
    client, personas, settings, tmp_path, monkeypatch
):
    settings.VAR_DIR = tmp_path
    make_site(code="S79-0001")
    monkeypatch.setattr(
        views, "_run_in_background", lambda *args: None
    )  # the server "restarts" before any work
    client.force_login(personas.hcdc)
    upload(client)
    run = ImportRun.objects.get()
    assert import_runs_fail_stale() == 0  # a fresh run is left alone
    ImportRun.objects.filter(pk=run.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=10))
    page = client.get(f"/imports/{run.public_id}/").content.decode()
    run.refresh_from_db()
    assert run.status == "failed" and run.error == str(INTERRUPTED) and "hãy tải lại đúng tệp này" in page

    def run_now(run_id, path, sender, actor):
        import_run_process(run=ImportRun.objects.get(pk=run_id), path=path, sender=sender, actor=actor)

    monkeypatch.setattr(views, "_run_in_background", run_now)
    upload(client)
    run.refresh_from_db()
    assert ImportRun.objects.count() == 1 and run.status == "done" and run.error == ""
    assert run.counts == {"accepted": 1, "rejected": 2} and run.total_rows == 3


def test_import_errors_name_the_uploaded_file_never_the_server_path(
    client, personas, inline_imports, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    client.force_login(personas.hcdc)
    upload(client, text="a,b\n1,2\n", name="so-lieu.csv")
    run = ImportRun.objects.get()
    page = client.get(f"/imports/{run.public_id}/").content.decode()
    assert run.status == "failed" and "Không tìm thấy dòng tiêu đề cột" in run.error
    assert str(tmp_path) not in run.error and "uploads" not in run.error and str(tmp_path) not in page

    upload(client, text="PK\x03\x04 not really a zip", name="bang.xlsx", language="en")
    run = ImportRun.objects.get(file_name="bang.xlsx")
    assert run.status == "failed" and "damaged" in run.error and str(tmp_path) not in run.error


def test_a_system_error_is_shown_without_its_details(
    client, personas, inline_imports, settings, tmp_path, monkeypatch
):
    settings.VAR_DIR = tmp_path
    make_site(code="S79-0001")

    def explode(**kwargs):
        raise OSError(f"[Errno 5] I/O error: '{tmp_path}/uploads/secret'")

    monkeypatch.setattr(imports, "ingest_records", explode)
    client.force_login(personas.hcdc)
    upload(client)
    run = ImportRun.objects.get()
    assert run.status == "failed" and "OSError" in run.error and str(tmp_path) not in run.error


def test_a_run_keeps_a_bounded_list_of_refused_rows_and_counts_the_rest(
    client, personas, inline_imports, settings, tmp_path, monkeypatch
):
    settings.VAR_DIR = tmp_path
    monkeypatch.setattr(imports, "MAX_REFUSED_LISTED", 1)
    client.force_login(personas.hcdc)
    upload(client)  # no site exists: all 3 rows are refused
    run = ImportRun.objects.get()
    assert run.counts == {"rejected": 3} and len(run.refused) == 1
    assert "2 dòng bị từ chối khác" in client.get(f"/imports/{run.public_id}/?partial=1").content.decode()
    report = client.get(f"/imports/{run.public_id}/report.xlsx")
    rows = list(
        openpyxl.load_workbook(io.BytesIO(b"".join(report.streaming_content))).active.iter_rows(
            values_only=True
        )
    )
    assert len(rows) == 3 and "2 dòng bị từ chối khác không liệt kê (chỉ giữ 1 dòng đầu)" in rows[-1][3]
    report = client.get(f"/imports/{run.public_id}/report.xlsx", headers={"accept-language": "en"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(report.streaming_content))).active
    assert "2 more refused rows not listed" in list(sheet.iter_rows(values_only=True))[-1][3]


def test_the_same_file_uploaded_while_its_run_is_working_opens_that_run(
    client, personas, settings, tmp_path, monkeypatch
):
    settings.VAR_DIR = tmp_path
    started = []
    monkeypatch.setattr(views, "_run_in_background", lambda *args: started.append(args))
    client.force_login(personas.hcdc)
    upload(client)
    second = upload(client)
    run = ImportRun.objects.get()
    assert second.redirect_chain[-1][0] == f"/imports/{run.public_id}/" and len(started) == 1
    assert [p.name for p in (tmp_path / "uploads").iterdir()] == [Path(started[0][1]).name]


def test_an_upload_without_the_csrf_token_is_refused(personas, settings, tmp_path):
    from django.test import Client

    settings.VAR_DIR = tmp_path
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.hcdc)
    assert upload(client).status_code == 403 and ImportRun.objects.count() == 0


def test_another_official_of_the_same_team_uploading_the_same_file_gets_a_run_of_their_own(
    client, personas, settings, tmp_path, monkeypatch
):
    from sotiem.accounts.models import Level, Role
    from sotiem.accounts.services import grant_create, official_create

    settings.VAR_DIR = tmp_path
    monkeypatch.setattr(views, "_run_in_background", lambda *args: None)
    colleague = official_create(
        username="hcdc2", password="test-password-123", full_name="hcdc2", actor="test"
    )
    grant_create(
        user=colleague,
        role=Role.MANAGER,
        level=Level.PROVINCE,
        province_code="79",
        actor="test",
        reason="test",
    )
    client.force_login(personas.hcdc)
    upload(client)
    client.force_login(colleague)
    page = upload(client)
    assert page.status_code == 200 and ImportRun.objects.filter(source="P79-BACKLOG").count() == 2


@pytest.mark.parametrize(
    ("language", "heading", "button"),
    [("vi", "Nhập mũi tiêm từ tệp", "Nhập"), ("en", "Import doses from a file", "Import")],
)
def test_the_import_page_speaks_the_language_asked_for(client, personas, language, heading, button):
    client.force_login(personas.hcdc)
    page = client.get("/imports/", headers={"accept-language": language})
    assert page["Content-Language"] == language
    html = page.content.decode()
    assert f"<h1>{heading}</h1>" in html and f'<button type="submit">{button}</button>' in html
    assert 'class="en"' not in html


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    ("language", "reason"),
    [
        ("en", "“Covaxin” is not a vaccine of the catalogue"),
        ("vi", "Không có vắc xin “Covaxin” trong danh mục"),
    ],
)
def test_the_background_run_writes_its_report_in_the_uploaders_language(
    client, personas, settings, tmp_path, language, reason
):
    settings.VAR_DIR = tmp_path
    make_site(code="S79-0001")
    client.force_login(personas.hcdc)
    upload(
        client, language=language
    )  # the real background thread: it does not inherit the request's language
    run = ImportRun.objects.get()
    deadline = timezone.now() + dt.timedelta(seconds=30)
    while run.status == "running" and timezone.now() < deadline:
        time.sleep(0.1)
        run.refresh_from_db()
    assert run.status == "done", run.error
    reasons = {r[1]: r[3] for r in run.refused}
    assert reason in reasons["W2"]
