"""The language switch, as a reader uses it: Vietnamese first, English by a keyboard-usable switch on every page
(citizen, official, administration), remembered from page to page and across a new visit."""

import pytest

from tests.browser.helpers import login
from tests.browser.test_navigation import WIDTHS, no_horizontal_overflow, tab_to

pytestmark = pytest.mark.browser


def choose(page, language: str) -> None:  # noqa: ANN001
    """Reach the switch's button for `language` with Tab alone and press it."""
    tab_to(page, f'#language-switch button[value="{language}"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize(("width", "height"), WIDTHS, ids=["1366px", "390px"])
def test_a_citizen_switches_to_english_and_the_choice_follows_her(page, demo_server, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{demo_server}/")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator("h1").inner_text() == "Sổ tiêm chủng quốc gia"
    pressed = page.locator('#language-switch button[aria-pressed="true"]')
    assert pressed.inner_text() == "Tiếng Việt"
    assert no_horizontal_overflow(page)

    choose(page, "en")
    assert page.url == f"{demo_server}/"  # the switch brings the reader back where she was
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "National immunization registry"
    assert pressed.inner_text() == "English"
    assert no_horizontal_overflow(page)

    page.goto(f"{demo_server}/my/phone/")  # another page, the same choice
    assert page.locator("html").get_attribute("lang") == "en"
    assert "National immunization registry" in page.locator("header").inner_text()

    choose(page, "vi")
    assert page.url == f"{demo_server}/my/phone/"
    assert page.locator("html").get_attribute("lang") == "vi"


def test_the_choice_outlives_the_visit_and_beats_the_browser_language(browser, demo_server):
    context = browser.new_context(locale="vi-VN")  # the browser asks for Vietnamese
    page = context.new_page()
    page.goto(f"{demo_server}/")
    choose(page, "en")
    cookies = {cookie["name"]: cookie for cookie in context.cookies()}
    assert cookies["django_language"]["value"] == "en"
    assert cookies["django_language"]["expires"] > 0  # kept after the browser closes, not a session cookie
    page.close()
    again = context.new_page()
    again.goto(f"{demo_server}/")
    assert again.locator("h1").inner_text() == "National immunization registry"
    context.close()


def test_an_english_browser_without_a_choice_gets_english(browser, demo_server):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(f"{demo_server}/")
    assert page.locator("html").get_attribute("lang") == "en"
    context.close()


@pytest.mark.parametrize(("width", "height"), WIDTHS, ids=["1366px", "390px"])
def test_an_official_switches_language_on_the_officials_pages_and_in_the_administration(
    page, demo_server, width, height
):
    page.set_viewport_size({"width": width, "height": height})
    login(page, demo_server, "hcdc")
    page.goto(f"{demo_server}/review/")
    assert page.locator("#sign-out button").inner_text() == "Đăng xuất"
    choose(page, "en")
    assert page.url == f"{demo_server}/review/"
    assert page.locator("#sign-out button").inner_text() == "Sign out"
    assert page.locator('#officials-nav a[href="/imports/"]').inner_text() == "Imports"
    assert no_horizontal_overflow(page)

    page.goto(f"{demo_server}/admin/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Registry administration" in page.locator("#content h1").inner_text()
    choose(page, "vi")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert "Quản trị sổ tiêm" in page.locator("#content h1").inner_text()
