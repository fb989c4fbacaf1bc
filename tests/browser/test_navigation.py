"""The officials' navigation, used with the keyboard alone, on a desktop and on a phone-width screen."""

import pytest

from tests.browser.helpers import login

pytestmark = pytest.mark.browser

WIDTHS = [(1366, 768), (390, 844)]
# the review heading and the sign-out button as each language writes them (the nav is translated)
WORDS = {"vi": ("Cặp hồ sơ cần xem xét", "Đăng xuất"), "en": ("Records to review", "Sign out")}


def no_horizontal_overflow(page) -> bool:  # noqa: ANN001
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def tab_to(page, selector: str, limit: int = 30) -> None:  # noqa: ANN001
    """Press Tab until the element matching the selector has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never got the focus after {limit} presses of Tab")


@pytest.mark.parametrize(
    ("language", "width", "height"),
    [("vi", *WIDTHS[0]), ("vi", *WIDTHS[1]), ("en", *WIDTHS[1])],
    ids=["vi-1366px", "vi-390px", "en-390px"],
)
def test_an_official_reaches_the_review_queue_and_signs_out_with_the_keyboard(
    page_in, demo_server, language, width, height
):
    heading, sign_out = WORDS[language]
    page = page_in({"vi": "vi-VN", "en": "en-US"}[language])
    page.set_viewport_size({"width": width, "height": height})
    login(page, demo_server, "hcdc")
    page.goto(f"{demo_server}/imports/")
    nav = page.locator("#officials-nav")
    assert nav.is_visible() and page.locator("#signed-in-as").inner_text() == "hcdc"
    assert no_horizontal_overflow(page)

    tab_to(page, '#officials-nav a[href="/review/"]')
    page.keyboard.press("Enter")
    page.wait_for_url(f"{demo_server}/review/")
    assert heading in page.locator("h1").inner_text()
    assert page.locator('#officials-nav a[aria-current="page"]').get_attribute("href") == "/review/"
    assert no_horizontal_overflow(page)

    tab_to(page, "#sign-out button")
    assert sign_out in page.evaluate("document.activeElement.innerText")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{demo_server}/")
    assert page.locator("#officials-nav").count() == 0

    page.goto(f"{demo_server}/review/")
    assert "/admin/login/" in page.url  # signed out: the officials' pages ask for a sign-in again


@pytest.mark.parametrize(("width", "height"), WIDTHS, ids=["1366px", "390px"])
def test_the_officials_pages_fit_the_screen(page, demo_server, width, height):
    page.set_viewport_size({"width": width, "height": height})
    login(page, demo_server, "hcdc")
    for path in ("/imports/", "/review/", "/review/?status=linked", "/households/"):
        page.goto(f"{demo_server}{path}")
        assert page.locator("#sign-out button").is_visible(), path
        assert no_horizontal_overflow(page), path
    # a pair's wide evidence table too, once the demo's backlog leaves pairs to review
    page.goto(f"{demo_server}/review/")
    pairs = page.locator("#candidates tbody a")
    if pairs.count():
        pairs.first.click()
        page.wait_for_selector("#evidence")
        assert no_horizontal_overflow(page), page.url


@pytest.mark.parametrize(
    ("locale", "title", "home"),
    [("vi-VN", "Không tìm thấy trang", "Về trang chủ"), ("en-US", "Page not found", "Back to the home page")],
)
def test_the_error_page_speaks_the_readers_language(page_in, demo_server, locale, title, home):
    page = page_in(locale)
    response = page.goto(f"{demo_server}/no-such-page/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == title
    page.click(f"text={home}")
    page.wait_for_url(f"{demo_server}/")
