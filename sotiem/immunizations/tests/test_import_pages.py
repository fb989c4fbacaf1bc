import io

import openpyxl
import pytest

from sotiem.immunizations import views
from sotiem.immunizations.imports import import_run_execute
from sotiem.immunizations.models import Dose, ImportRun
from sotiem.testing import make_site

pytestmark = pytest.mark.django_db

CSV = ("record_id,full_name,birth_date,sex,national_id,phone,province,commune,address,vaccine,dose_number,"
       "administered_on,site_code,lot_number\n"
       "W1,Nguyễn Văn An,17/05/1990,Nam,,0912345678,79,,,Pfizer,1,02/08/2021,S79-0001,FK1\n"
       "W2,Trần Thị Bình,1985,Nữ,,,79,,,Covaxin,1,02/08/2021,S79-0001,FK1\n"
       "W3,Lê Văn Cường,1970,Nam,,,01,,,Pfizer,1,02/08/2021,S01-0001,FK1\n")


@pytest.fixture
def inline_imports(monkeypatch):
    """Run the background import in the request's own thread, so the test sees it in its transaction."""
    def run_now(run_id, path, sender, actor):
        import_run_execute(run=ImportRun.objects.get(pk=run_id), path=path, sender=sender, actor=actor)

    monkeypatch.setattr(views, "_run_in_background", run_now)


def upload(client, text=CSV, name="backlog.csv", source="P79-BACKLOG"):
    data = {"file": io.BytesIO(text.encode("utf-8")), "source": source}
    data["file"].name = name
    return client.post("/imports/", data, follow=True)


def test_an_official_uploads_a_backlog_and_downloads_the_refused_rows(client, personas, inline_imports, settings,
                                                                       tmp_path):
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


def test_the_progress_fragment_shows_counts(client, personas, inline_imports, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    make_site(code="S79-0001")
    client.force_login(personas.hcdc)
    upload(client)
    run = ImportRun.objects.get()
    fragment = client.get(f"/imports/{run.public_id}/?partial=1").content.decode()
    assert 'data-state="done"' in fragment and 'id="accepted">1<' in fragment


def test_the_template_is_downloadable(client, personas):
    client.force_login(personas.hcdc)
    response = client.get("/imports/template.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert "Họ và tên" in [c.value for c in book.worksheets[0][1]]


def test_another_officials_run_is_not_visible(client, personas, inline_imports, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    make_site(code="S79-0001")
    client.force_login(personas.hcdc)
    upload(client)
    run = ImportRun.objects.get()
    client.force_login(personas.other_province)
    assert client.get(f"/imports/{run.public_id}/").status_code == 404
    assert client.get(f"/imports/{run.public_id}/report.xlsx").status_code == 404


def test_a_citizen_without_grants_cannot_import(client, personas):
    client.force_login(personas.citizen)
    assert client.get("/imports/").status_code == 403


def test_a_wrong_file_type_is_refused_with_a_reason(client, personas, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    client.force_login(personas.hcdc)
    page = upload(client, name="photo.jpg").content.decode()
    assert ".xlsx" in page and ImportRun.objects.count() == 0
