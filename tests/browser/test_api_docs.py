"""/api/v1/docs renders in Chromium with every host but the server out of reach (no CDN)."""

from urllib.parse import urlsplit

import pytest

from sotiem.api import api

pytestmark = pytest.mark.browser


def test_the_api_docs_render_with_the_network_off(browser, demo_server):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    requested: list[str] = []

    def only_the_server(route) -> None:  # noqa: ANN001
        url = route.request.url
        requested.append(url)
        if urlsplit(url).netloc == urlsplit(demo_server).netloc:
            route.continue_()
        else:
            route.abort("internetdisconnected")

    context.route("**/*", only_the_server)
    page = context.new_page()
    try:
        page.goto(f"{demo_server}/api/v1/docs")
        page.locator(".opblock").first.wait_for(state="visible", timeout=15_000)
        assert page.locator(".swagger-ui .info .title").inner_text().startswith("sotiem API")
        dose_records = page.locator(".opblock-summary-path", has_text="/api/v1/dose-records").first
        assert dose_records.is_visible()
        operations = sum(len(methods) for methods in api.get_openapi_schema()["paths"].values())
        assert page.locator(".opblock").count() == operations
    finally:
        context.close()

    outside = [url for url in requested if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1")]
    assert outside == []
    assert any(url.endswith("swagger-ui-bundle.js") for url in requested)
