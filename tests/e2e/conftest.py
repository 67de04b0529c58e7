"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server."""

import os
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# A busy machine can need more than 10 s a step: E2E_TIMEOUT_MS raises the bound for actions
# and for expect() alike.
TIMEOUT_MS = int(os.environ.get("E2E_TIMEOUT_MS", "10000"))
if "E2E_TIMEOUT_MS" in os.environ:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def teammates():
    """The demo workspace's teammates, each with the password "demo": "admin" (Admin),
    "agent" (Teammate, edits data) and "viewer" (Viewer, edits nothing)."""
    from tests.factories import UserFactory

    return {
        "admin": UserFactory(username="admin", first_name="Ada", last_name="Okafor", role="Admin"),
        "agent": UserFactory(
            username="agent", first_name="Priya", last_name="Raman", role="Teammate"
        ),
        "viewer": UserFactory(
            username="viewer", first_name="Victor", last_name="Lind", role="Viewer"
        ),
    }


@pytest.fixture
def login(browser, live_server):
    """`login("agent")` returns a page signed in as that teammate (password "demo"); options
    go to the browser context (`timezone_id="America/New_York"`, `locale="de-DE"`).

    Every page it opens runs under the app's Content-Security-Policy: anything the policy
    blocked (Chromium says so on the console) fails the test that did it."""
    contexts = []
    blocked = []

    def sign_in(username: str, **options):
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.on(
            "console",
            lambda message: (
                "Content Security Policy" in message.text
                and blocked.append(f"{message.page and message.page.url}: {message.text}")
            ),
        )
        # Says where each block happened, beside Chromium's own console message.
        context.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => console.error("
            "`Content Security Policy: ${e.violatedDirective} blocked ${e.blockedURI} at "
            "${e.sourceFile}:${e.lineNumber} ${e.sample}`))"
        )
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill("demo")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/inbox/")
        return page

    yield sign_in
    for context in contexts:
        context.close()
    assert blocked == [], "the Content-Security-Policy blocked something"


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take
