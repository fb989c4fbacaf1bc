"""/api/v1/docs loads the Swagger UI from the project's own static files, never from a CDN (it works offline)."""

import re

from django.conf import settings
from django.contrib.staticfiles import finders

ATTRIBUTE_URL = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']+)["']""")
ABSOLUTE_URL = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""")


def test_the_docs_page_references_no_url_outside_the_server(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()

    assert ABSOLUTE_URL.findall(html) == []
    referenced = ATTRIBUTE_URL.findall(html)
    scripts = [url for url in referenced if url.endswith(".js")]
    assert any("swagger-ui-bundle" in url for url in scripts)
    assert any(url.endswith(".css") for url in referenced)
    static = "/" + settings.STATIC_URL.strip("/") + "/"
    for url in referenced:
        assert url.startswith(static), url
        assert finders.find(url.removeprefix(static)), f"{url} is not among the static files"
