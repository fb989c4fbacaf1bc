import pytest

from sotiem.people.matching import LEVELS
from tests.browser.helpers import login, shared_phones

pytestmark = pytest.mark.browser


def search_household(page, url: str, phone: str) -> int:
    page.goto(f"{url}/households/")
    page.fill("#search input[name=phone]", phone)
    page.click("#search button[type=submit]")
    return int(page.locator("#household-count").inner_text())


def a_shared_phone(tmp_path_factory) -> str:
    """A phone that two or more demo persons gave, from the synthetic population the demo server loaded."""
    shared, _ = shared_phones(tmp_path_factory)
    assert shared, "the demo population has no shared phone"
    return shared[0]


def test_an_official_sees_a_household_detaches_one_member_and_opens_the_review_queue(
    page, demo_server, tmp_path_factory
):
    phone = a_shared_phone(tmp_path_factory)
    login(page, demo_server, "hcdc")

    members = search_household(page, demo_server, "0" + phone.removeprefix("+84"))  # as people write it
    assert members >= 2 and page.locator("tr.member").count() == members
    assert "Không phải người nhà" in page.locator("form.detach button").first.inner_text()

    last = page.locator("tr.member").last
    last.locator("input[name=reason]").fill("Không phải người nhà / not my family member")
    last.locator("button[type=submit]").click()
    assert "các mũi tiêm giữ nguyên" in page.locator(".messages").inner_text()
    assert int(page.locator("#household-count").inner_text()) == members - 1

    page.goto(f"{demo_server}/review/")
    heading = page.locator("h1").inner_text()
    assert heading == "Cặp hồ sơ cần xem xét"
    assert page.locator("#candidate-count").count() == 1


def test_an_english_official_reads_the_review_queue_and_a_pair_on_a_narrow_screen(browser, demo_server):
    context = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        login(page, demo_server, "hcdc")
        page.goto(f"{demo_server}/review/")
        assert page.locator("h1").inner_text() == "Records to review"
        assert "Record A" in page.locator("table thead").inner_text()
        pairs = page.locator("#candidates tbody a")
        assert pairs.count() >= 1, "the demo population queues no pair for review"
        pairs.first.click()
        assert page.locator("h1").inner_text() == "Are these two records one person?"
        assert "Agreement" in page.locator("table.evidence thead").inner_text()
        levels = page.locator("table.evidence tbody tr[data-field] td:nth-child(4)").all_inner_texts()
        english = {label for levels_of in LEVELS.values() for _code, label in levels_of}
        assert levels and set(levels) <= english  # the levels' English labels, not their codes
        page.goto(f"{demo_server}/households/")
        assert page.locator("h1").inner_text() == "Persons who share a phone"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
