"""A real browser on the console: Playwright driving Debian's chromium, headless.

`make test` installs chromium with apt-get when it is missing and the user may (root,
as in CI). Without chromium the browser tests are skipped with a reason, unless
STORENET_TEST_BROWSER=required (set by .ci/run), when they fail instead.

Screenshots of every page go under $STORENET_TEST_OUTPUT/screenshots (default
test-output/screenshots in the working directory).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.databases import sqlite_engine
from tests.integration.api.server import ServerThread, test_settings
from tests.integration.web.conftest import Console, _password_hash, seeded_facts
from tests.snapshots import seed_from_snapshot

BROWSER_SKIP_REASON = (
    "browser tests need Debian's chromium: `apt-get install chromium` (make test does it "
    "when run as root), or STORENET_CHROMIUM=/path/to/chromium"
)


def chromium_path() -> str | None:
    """Where chromium is: $STORENET_CHROMIUM, else `chromium` on PATH."""
    return os.environ.get("STORENET_CHROMIUM") or shutil.which("chromium")


def screenshot_dir() -> Path:
    out = Path(os.environ.get("STORENET_TEST_OUTPUT", "test-output")) / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the session."""
    path = chromium_path()
    if path is None:
        if os.environ.get("STORENET_TEST_BROWSER") == "required":
            pytest.fail("STORENET_TEST_BROWSER=required but chromium is not installed")
        pytest.skip(BROWSER_SKIP_REASON)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=path, headless=True, args=["--headless", "--no-sandbox"]
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The console over the seeded network of tests/integration/web (SQLite; seeded once
    per process, tests.snapshots), served once per module: browser tests read more
    than they write."""
    import storenet.accounts.users as users

    home = tmp_path_factory.mktemp("console")
    original = users.hash_password
    users.hash_password = _password_hash
    engine = sqlite_engine(home)
    try:
        facts = seed_from_snapshot("console", engine, home, seeded_facts)
    finally:
        users.hash_password = original
    seeded = Console(url="", engine=engine, **facts)
    server = ServerThread(test_settings(engine, home)).start()
    seeded.url = server.url
    yield seeded
    server.stop()
    engine.dispose()


@pytest.fixture
def page_for(browser, site):
    """page_for(name) -> a new browser page signed in as `name` through the form.
    Collects page errors and every request's host, checked when the test ends."""
    contexts = []
    problems: list[str] = []
    hosts: set[str] = set()

    def open_as(name: str | None):  # type: ignore[no-untyped-def]
        context = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on(
            "console",
            lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
        if name is not None:
            page.goto("/console/sign-in")
            page.get_by_label("Username").fill(name)
            page.get_by_label("Password").fill("correct horse battery")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/console/")
        return page

    yield open_as
    for context in contexts:
        context.close()
    # A 4xx answer is logged by chromium as a failed resource; the tests check those
    # statuses themselves. Script errors and 5xx answers fail the test.
    answered = [p for p in problems if "Failed to load resource" in p and "status of 4" in p]
    assert [p for p in problems if p not in answered] == []
    own = site.url.split("/")[2]
    assert hosts <= {own}, f"the console loaded something from elsewhere: {hosts - {own}}"


def shoot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Save a full-page screenshot as <screenshots>/<name>.png."""
    path = screenshot_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
