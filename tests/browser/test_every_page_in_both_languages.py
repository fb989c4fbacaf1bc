"""Every page a person reaches reads in Vietnamese by default and wholly in English by the switch: its language
attribute, its title and its main heading change, and no Vietnamese is left in the English page's frame."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import login
from tests.browser.test_language import choose
from tests.test_translations import VIETNAMESE as VIETNAMESE_LETTERS

pytestmark = pytest.mark.browser

VIETNAMESE = re.compile(f"[{VIETNAMESE_LETTERS}]", re.I)


def first_link(page, url: str, list_path: str, pattern: str) -> str:  # noqa: ANN001
    """The first link on a list page whose address matches `pattern` (an import run, a review pair)."""
    page.goto(f"{url}{list_path}")
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    found = [href for href in hrefs if re.fullmatch(pattern, href)]
    assert found, f"{list_path} lists no link like {pattern}"
    return found[0]


def read(page) -> dict[str, str]:  # noqa: ANN001
    return {
        "lang": page.locator("html").get_attribute("lang") or "",
        "title": page.title(),
        "h1": page.locator("h1").first.inner_text(),
        # the page's frame without the switch, whose "Tiếng Việt" button is rightly Vietnamese on every page
        "frame": page.evaluate(
            """() => { const header = document.querySelector('header');
                       if (!header) return '';
                       const copy = header.cloneNode(true);
                       // the switch names Vietnamese in Vietnamese; the signed-in official's name is data
                       copy.querySelectorAll('#language-switch, #user-tools strong, #signed-in-as')
                           .forEach(node => node.remove());
                       return copy.innerText; }"""
        ),
        "pairs": str(page.locator(".en").count()),
    }


def test_every_page_reads_in_vietnamese_then_in_english(page, demo_server):
    login(page, demo_server, "hcdc")
    pages = [
        "/",
        "/my/phone/",
        "/imports/",
        "/review/",
        first_link(page, demo_server, "/review/", r"/review/[0-9a-f-]{36}/"),
        "/households/",
        "/no-such-page/",
        "/admin/",
        "/admin/people/person/",
    ]
    # an import run's page is titled by its file's name, the same in both languages: its frame must still change
    named_by_data = {first_link(page, demo_server, "/imports/", r"/imports/[0-9a-f-]{36}/")}
    pages += sorted(named_by_data)
    page.goto(f"{demo_server}/")
    vietnamese = {}
    for path in pages:
        page.goto(f"{demo_server}{path}")
        vietnamese[path] = read(page)
    choose(page, "en")
    problems = []
    for path in pages:
        page.goto(f"{demo_server}{path}")
        vi, en = vietnamese[path], read(page)
        if (vi["lang"], en["lang"]) != ("vi", "en"):
            problems.append(f"{path}: lang {vi['lang']} then {en['lang']}")
        for part in ("title", "h1"):
            if vi[part] == en[part] and path not in named_by_data:
                problems.append(f"{path}: the {part} {en[part]!r} is the same in both languages")
            if VIETNAMESE.search(en[part]):
                problems.append(f"{path}: the English {part} holds Vietnamese: {en[part]!r}")
        if VIETNAMESE.search(en["frame"]):
            problems.append(f"{path}: the English page frame holds Vietnamese: {en['frame']!r}")
        if vi["pairs"] != "0" or en["pairs"] != "0":
            problems.append(f"{path}: {vi['pairs']} hand-written English halves (.en) left")
    assert not problems, "\n".join(problems)
