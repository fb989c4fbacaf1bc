"""What the browser tests share: signing in as a demo official, and phones the demo population shares."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from sotiem.core.demo import DEMO_LOGINS

LOGINS = {login.username: login.password for login in DEMO_LOGINS}


def login(page, url: str, username: str) -> None:  # noqa: ANN001
    page.goto(f"{url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", LOGINS[username])
    page.click("input[type=submit]")


def demo_truth(tmp_path_factory) -> Path:  # noqa: ANN001
    """The ground truth the demo server's `sotiem demo` wrote under its var directory (see conftest).

    Officials' pages never list phones without a search, so the truth tells which phone to search.
    """
    found = sorted(tmp_path_factory.getbasetemp().glob("demo-var*/demo-synth/truth_persons.csv"))
    assert found, "the demo server's synthetic population was not found"
    return found[-1]


def shared_phones(tmp_path_factory) -> tuple[list[str], Counter]:  # noqa: ANN001
    """The phones two to six demo persons gave, most shared first, and how many gave each."""
    with demo_truth(tmp_path_factory).open(encoding="utf-8", newline="") as fh:
        uses = Counter(row["household_phone"] for row in csv.DictReader(fh) if row.get("household_phone"))
    return [phone for phone, n in uses.most_common() if 2 <= n <= 6], uses
