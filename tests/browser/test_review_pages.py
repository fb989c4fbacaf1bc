import pytest

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
    assert "doses are unchanged" in page.locator(".messages").inner_text()
    assert int(page.locator("#household-count").inner_text()) == members - 1

    page.goto(f"{demo_server}/review/")
    heading = page.locator("h1").inner_text()
    assert "Cặp hồ sơ cần xem xét" in heading and "Records to review" in heading
    assert page.locator("#candidate-count").count() == 1
