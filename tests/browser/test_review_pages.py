import csv
from collections import Counter

import pytest

from sotiem.core.demo import DEMO_LOGINS

pytestmark = pytest.mark.browser

LOGINS = {login.username: login.password for login in DEMO_LOGINS}


def login(page, url: str, username: str) -> None:
    page.goto(f"{url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", LOGINS[username])
    page.click("input[type=submit]")


def search_household(page, url: str, phone: str) -> int:
    page.goto(f"{url}/households/")
    page.fill("#search input[name=phone]", phone)
    page.click("#search button[type=submit]")
    return int(page.locator("#household-count").inner_text())


def a_shared_phone(tmp_path_factory) -> str:
    """A phone that two or more demo persons gave, from the synthetic population the demo server loaded.

    Officials' pages never list phones without a search, so the ground truth the demo wrote (under the demo
    server's var directory, made by the same session's tmp_path_factory) tells which one to search.
    """
    found = sorted(tmp_path_factory.getbasetemp().glob("demo-var*/demo-synth/truth_persons.csv"))
    assert found, "the demo server's synthetic population was not found"
    with found[-1].open(encoding="utf-8", newline="") as fh:
        uses = Counter(row["household_phone"] for row in csv.DictReader(fh) if row.get("household_phone"))
    shared = [phone for phone, n in uses.most_common() if 2 <= n <= 6]
    assert shared, "the demo population has no shared phone"
    return shared[0]


def test_an_official_sees_a_household_detaches_one_member_and_opens_the_review_queue(page, demo_server,
                                                                                     tmp_path_factory):
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
