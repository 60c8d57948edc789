"""The console's browser tests: one gunicorn and one headless Debian chromium (driven by
Playwright, never a browser of its own) for the console package, pages reused."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import requests

from tests.ops.live_server import LiveServer
from tests.e2e.conftest import server_database
from tests.support.servers import BIN

CHROMIUM = Path("/usr/bin/chromium")
PREFIX = "/api/lazy-loading-config"
PASSWORD = "correct horse battery"
SECRET_KEY = "console_api_secret"


@pytest.fixture(scope="package")  # Playwright runs a loop on this thread while open
def chromium():
    if not CHROMIUM.exists():
        message = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)  # CI installs it (scripts/test.sh)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


class Console:
    """The served app, its accounts and API calls made as a user would make them."""

    def __init__(self, server: LiveServer):
        self.server, self.url = server, server.url

    def api(self, method: str, path: str, user: str = "api-user", role: str = "admin",
            **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.server.token(user, role)}",
                   **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.url}{PREFIX}{path}", headers=headers,
                                timeout=10, **kwargs)

    def value(self, key: str):
        return self.api("GET", f"/values/{key}").json()["value"]


@pytest.fixture(scope="package")  # one server for the console modules: its start is costly
def console(tmp_path_factory, postgres_url):
    workdir, database_url = server_database(tmp_path_factory, postgres_url, "console")
    server = LiveServer(workdir, database_url)
    server.start()
    try:
        for name, role in (("alice", "editor"), ("victor", "viewer")):
            subprocess.run([str(BIN / "lazyconfig"), "user", "add", name, "--role", role,
                            "--password-stdin"], input=PASSWORD + "\n", env=server.env,
                           check=True, capture_output=True, text=True, timeout=60)
        app = Console(server)
        rule = {"type": "string", "default": "none", "sensitive": True,
                "description": "a secret the console must mask for viewers"}
        assert app.api("PUT", f"/rules/{SECRET_KEY}", json=rule).status_code in (200, 201)
        assert app.api("PUT", f"/values/{SECRET_KEY}", json={"value": "hunter2"}).ok
        yield app
    finally:
        server.stop()
    assert "Traceback" not in server.log(), "gunicorn logged an error"


def signed_in(browser, url: str, **form) -> tuple:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{url}/console/sign-in")
    if "token" in form:
        page.get_by_label("Access token").fill(form["token"])
        page.get_by_role("button", name="Sign in with the token").click()
    else:
        page.get_by_label("Name").fill(form["name"])
        page.get_by_label("Password").fill(form["password"])
        page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/console/values")
    page.wait_for_selector("#values tbody tr")
    return context, page


@pytest.fixture(scope="module")
def editor(chromium, console):
    context, page = signed_in(chromium, console.url, name="alice", password=PASSWORD)
    yield page
    context.close()


@pytest.fixture(scope="module")
def admin(chromium, console):
    context, page = signed_in(chromium, console.url, token=console.server.token("ada", "admin"))
    yield page
    context.close()


@pytest.fixture(scope="module")
def viewer(chromium, console):
    context, page = signed_in(chromium, console.url, token=console.server.token("vera", "viewer"))
    yield page
    context.close()
