import re
from pathlib import Path

import pytest

from tests.browser.helpers import demo_truth, shared_phones

pytestmark = pytest.mark.browser


def a_family_phone(tmp_path_factory, which: int = 0) -> str:  # noqa: ANN001
    """The `which`-th most shared demo phone, not the one the officials' household test detaches from. Each test
    proves its own phone: codes sent to one phone are throttled, so tests sharing one would throttle each other."""
    shared, _uses = shared_phones(tmp_path_factory)
    assert len(shared) >= 2 + which, "the demo population has too few shared phones"
    return shared[1 + which]


def code_sent_to(var: Path, phone: str) -> str:
    """The last code the console SMS backend wrote for this phone to the server's outbox file."""
    outbox = (var / "sms-outbox.log").read_text(encoding="utf-8")
    lines = [line for line in outbox.splitlines() if f" {phone} " in line]
    assert lines, f"no code was sent to {phone}"
    return re.search(r"sotiem(?: code)?: (\d{6}) ", lines[-1]).group(1)


def test_a_citizen_proves_their_phone_and_detaches_a_person_who_is_not_family(
    page, demo_server, tmp_path_factory
):
    truth = demo_truth(tmp_path_factory)
    phone = a_family_phone(tmp_path_factory)

    page.goto(demo_server)
    page.click("a[href='/my/phone/']")
    heading = page.locator("h1").inner_text()
    assert heading == "Số điện thoại của tôi"

    page.fill("#phone-form input[name=phone]", "0" + phone.removeprefix("+84"))  # as people write it
    page.click("#phone-form button[type=submit]")
    assert "Đã gửi mã xác nhận tới" in page.locator(".messages").inner_text()
    page.fill("#code-form input[name=code]", code_sent_to(truth.parent.parent, phone))
    page.click("#code-form button[type=submit]")

    members = int(page.locator("#household-count").inner_text())
    assert members >= 2 and page.locator("tr.member").count() == members
    assert "Không phải người nhà tôi" in page.locator("form.detach button").first.inner_text()

    last = page.locator("tr.member").last
    name = last.locator("td").first.inner_text()
    last.locator("input[name=reason]").fill("Không phải người nhà tôi / not my family member")
    last.locator("button[type=submit]").click()
    assert "hồ sơ và các mũi tiêm của họ giữ nguyên" in page.locator(".messages").inner_text()
    assert int(page.locator("#household-count").inner_text()) == members - 1
    assert all(name not in row for row in page.locator("tr.member").all_inner_texts())


def test_an_english_reader_proves_a_phone_on_a_narrow_screen(browser, demo_server, tmp_path_factory):
    truth = demo_truth(tmp_path_factory)
    phone = a_family_phone(tmp_path_factory, which=1)
    context = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{demo_server}/my/phone/")
        assert page.locator("h1").inner_text() == "My phone"
        assert page.locator("#phone-form button[type=submit]").inner_text() == "Send a code"
        page.fill("#phone-form input[name=phone]", "0" + phone.removeprefix("+84"))
        page.click("#phone-form button[type=submit]")
        assert f"A code was sent to {phone}" in page.locator(".messages").inner_text()
        assert "Enter the 6-digit code" in page.locator("#code-form").inner_text()
        page.fill("#code-form input[name=code]", code_sent_to(truth.parent.parent, phone))
        page.click("#code-form button[type=submit]")
        assert "gave this phone" in page.locator("h2").first.inner_text()
        assert page.locator("form.detach button").first.inner_text() == "Not my family member"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
