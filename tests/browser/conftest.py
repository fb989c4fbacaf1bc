"""A real server (its own SQLite file, loaded by `sotiem demo`) and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sotiem.lib.localserver import free_port, wait_until_healthy

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    var = tmp_path_factory.mktemp("demo-var")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(SOTIEM_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="sotiem.settings")
    run = [sys.executable, "-m", "sotiem"]
    subprocess.run([*run, "migrate", "--no-input", "-v", "0"], env=env, check=True)
    subprocess.run(
        [*run, "demo", "--persons", "300", "--no-progress"], env=env, check=True, stdout=subprocess.DEVNULL
    )
    port = free_port()
    log = (var / "server.log").open("w")
    server = subprocess.Popen(
        [*run, "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_healthy(url, seconds=20)
        except RuntimeError as exc:
            raise RuntimeError(Path(log.name).read_text()) from exc
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def page_in(browser):  # noqa: ANN001, ANN201
    """A page whose browser asks for one language (Accept-Language), closed after the test."""
    contexts = []

    def open_page(locale: str):  # noqa: ANN202
        contexts.append(browser.new_context(locale=locale))
        return contexts[-1].new_page()

    yield open_page
    for context in contexts:
        context.close()
