import sqlite3

import pytest

from tests.browser.helpers import demo_truth
from tests.browser.test_citizen_phone import a_family_phone, code_sent_to
from tests.browser.test_language import choose

pytestmark = pytest.mark.browser


def vaccinated_member(var, phone: str) -> tuple[str, str]:  # noqa: ANN001
    """Name and birth date (as the registry holds it, dd/mm/yyyy) of a person giving this phone with a dose."""
    with sqlite3.connect(var / "sotiem.sqlite3") as db:
        name, born = db.execute(
            "SELECT p.full_name, p.birth_date FROM people_person p JOIN people_contactpoint c ON c.person_id = p.id "
            "WHERE c.phone = ? AND c.active AND p.status = 'active' AND p.birth_precision = 'day' AND EXISTS "
            "(SELECT 1 FROM immunizations_dose d WHERE d.person_id = p.id AND d.status = 'valid') "
            "ORDER BY p.id LIMIT 1",
            [phone],
        ).fetchone()
    year, month, day = born.split("-")
    return name, f"{day}/{month}/{year}"


def test_a_citizen_opens_a_family_members_certificate_and_gets_the_qr_and_pdf(
    page, demo_server, tmp_path_factory
):
    var = demo_truth(tmp_path_factory).parent.parent
    phone = a_family_phone(tmp_path_factory, which=2)
    name, born = vaccinated_member(var, phone)

    page.goto(f"{demo_server}/my/phone/")
    page.fill("#phone-form input[name=phone]", "0" + phone.removeprefix("+84"))
    page.click("#phone-form button[type=submit]")
    page.fill("#code-form input[name=code]", code_sent_to(var, phone))
    page.click("#code-form button[type=submit]")

    row = page.locator("tr.member", has_text=name).first
    row.locator("a.certificate-link").click()
    page.fill("#unlock-form input[name=birth_date]", "01/01/1900")
    page.click("#unlock-form button[type=submit]")
    assert "lần thử" in page.locator("[role=alert]").inner_text()  # Vietnamese, the registry's default
    page.fill("#unlock-form input[name=birth_date]", born)
    page.click("#unlock-form button[type=submit]")

    assert name in page.locator("h2").inner_text()
    assert page.locator("#qr svg").count() == 1
    assert page.locator("#uvci").inner_text().startswith("URN:UVCI:01:VN:")
    assert page.locator("#explained li").count() >= 1
    assert page.locator("h1").inner_text() == "Chứng nhận tiêm chủng"
    status = page.locator("#status").inner_text()
    assert any(word in status for word in ("Tiêm chưa đủ liều", "Đã tiêm đủ liều cơ bản", "Đã tiêm nhắc lại"))
    assert page.locator(".en").count() == 0

    choose(page, "en")  # the same certificate, wholly in English
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Vaccination certificate"
    status = page.locator("#status").inner_text()
    assert any(
        word in status for word in ("Partially vaccinated", "Primary series complete", "Booster received")
    )
    assert page.locator("#qr svg title").text_content() == "Vaccination certificate QR code"
    assert "Why" in page.locator("h3").inner_text()
    with page.expect_download() as download:
        page.evaluate(
            "url => { const a = document.createElement('a'); a.href = url; a.download = 'c.pdf'; "
            "document.body.appendChild(a); a.click(); }",
            page.locator("#downloads a").first.get_attribute("href"),
        )
    assert download.value.path().read_bytes().startswith(b"%PDF")


def test_the_unlock_form_and_the_certificate_fit_a_390_px_phone_in_both_languages(
    page, demo_server, tmp_path_factory
):
    var = demo_truth(tmp_path_factory).parent.parent
    phone = a_family_phone(tmp_path_factory, which=3)
    name, born = vaccinated_member(var, phone)
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"{demo_server}/my/phone/")
    page.fill("#phone-form input[name=phone]", "0" + phone.removeprefix("+84"))
    page.click("#phone-form button[type=submit]")
    page.fill("#code-form input[name=code]", code_sent_to(var, phone))
    page.click("#code-form button[type=submit]")
    page.locator("tr.member", has_text=name).first.locator("a.certificate-link").click()

    def fits() -> bool:
        return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    assert page.locator("#unlock-form button").inner_text() == "Mở chứng nhận" and fits()
    choose(page, "en")
    assert page.locator("#unlock-form button").inner_text() == "Open the certificate" and fits()
    page.fill("#unlock-form input[name=birth_date]", born)
    page.click("#unlock-form button[type=submit]")
    assert page.locator("#uvci").is_visible() and fits()
    choose(page, "vi")
    assert page.locator("h3").inner_text() == "Vì sao" and fits()
