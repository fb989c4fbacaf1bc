import re

import pytest

from tests.browser.helpers import login

pytestmark = pytest.mark.browser


def listed(page) -> int:
    """How many rows the admin changelist says it has (the largest number in its paginator)."""
    text = page.locator(".paginator").inner_text().replace(",", "").replace(".", "")
    return max(int(n) for n in re.findall(r"\d+", text))


@pytest.mark.parametrize(
    ("locale", "heading"), [("vi-VN", "Sổ tiêm chủng quốc gia"), ("en-GB", "National immunization registry")]
)
def test_the_landing_page_shows_the_registry_in_the_browsers_language(page_in, demo_server, locale, heading):
    page = page_in(locale)
    page.goto(demo_server)
    assert page.locator("h1").inner_text() == heading
    persons = page.locator("#counts .card strong").first.inner_text()
    assert int(persons.replace(",", "").replace(".", "")) >= 300


def test_the_hcdc_official_signs_in_and_sees_hcm_persons(page, demo_server):
    login(page, demo_server, "hcdc")
    page.goto(f"{demo_server}/admin/people/person/")
    assert listed(page) >= 300


def test_an_official_of_another_province_sees_no_hcm_person(page, demo_server):
    login(page, demo_server, "hanoi")
    page.goto(f"{demo_server}/admin/people/person/")
    assert listed(page) == 0


def test_a_wrong_password_is_refused(page, demo_server):
    page.goto(f"{demo_server}/admin/login/")
    page.fill("#id_username", "hcdc")
    page.fill("#id_password", "not-the-password")
    page.click("input[type=submit]")
    assert page.locator(".errornote").count() == 1


@pytest.mark.parametrize(
    ("locale", "width", "heading", "report"),
    [
        ("vi-VN", 1366, "Nhập mũi tiêm từ tệp", "Tải báo cáo dòng bị từ chối (.xlsx)"),
        ("en-GB", 390, "Import doses from a file", "Download the refused rows (.xlsx)"),
    ],
    ids=["vi-1366px", "en-390px"],
)
def test_an_official_uploads_a_backlog_watches_it_finish_and_gets_the_report(
    page_in, demo_server, tmp_path, locale, width, heading, report
):
    page = page_in(locale)
    page.set_viewport_size({"width": width, "height": 844})
    path = tmp_path / "backlog.csv"
    rows = [
        "record_id,full_name,birth_date,sex,national_id,phone,province,commune,address,vaccine,dose_number,"
        "administered_on,site_code,lot_number"
    ]
    rows += [
        f"BROWSER-{locale}-{i},Người Thử {i},01/01/1980,Nam,,,79,,,Pfizer,1,02/08/2021,S79-0001,FK1"
        for i in range(40)
    ]
    rows.append(f"BROWSER-{locale}-BAD,Người Sai,01/01/1980,Nam,,,79,,,Covaxin,1,02/08/2021,S79-0001,FK1")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")

    login(page, demo_server, "hcdc")
    page.goto(f"{demo_server}/imports/")
    assert page.locator("h1").inner_text() == heading
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_input_files("input[name=file]", str(path))
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#report-link", timeout=30_000)
    assert page.locator("#accepted").inner_text() == "40"
    assert page.locator("#rejected").inner_text() == "1"
    assert page.locator("#report-link").inner_text() == report
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    with page.expect_download() as download:
        page.click("#report-link")
    assert download.value.suggested_filename.endswith(".xlsx")
