"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

`page` opens a fresh browser context (no cookies, no storage) on the live server for
each test; `sign_in(page, user)` signs in through the sign-in form as a person would;
`assert_accessible(page)` runs axe-core on the page as it stands and fails with a
readable list of every WCAG 2.2 A/AA violation. Every test fails on a script error, a server
error, a missing static file or anything the Content-Security-Policy refuses.

A missing Chromium fails the tests rather than skipping them: a browser suite that
quietly skips proves nothing. `.ci/run` installs it (`apt-get install chromium`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The rules of WCAG 2.0, 2.1 and 2.2 at levels A and AA, as axe-core tags them.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PASSWORD = "Correct-Horse-42"  # tests.factories.UserFactory's password

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (event) => {
  const where = event.sourceFile ? ` in ${event.sourceFile}:${event.lineNumber}` : ''
  window.__reportCSPViolation(
    `${event.effectiveDirective} refused ${event.blockedURI || 'an inline ' + event.effectiveDirective}` +
    ` on ${document.location.pathname}${where}` + (event.sample ? `: ${event.sample}` : '')
  )
}, true)
"""


def _require_chromium() -> None:
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: the browser tests need it. "
            "Install it with `apt-get install -y chromium` (as .ci/run does), or set CHROMIUM_PATH.",
            pytrace=False,
        )


@pytest.fixture
def page(live_server, django_db_serialized_rollback, monkeypatch, request):
    """A new Chromium on the live server, with its own cookies and storage, for one test.

    The live server needs real commits (transactional_db); serialized rollback puts the
    framework data from the migrations back after each test's flush.

    Playwright's sync API keeps an asyncio event loop running in this thread while it is
    started. Django then treats the thread as async: it refuses ORM calls unless
    DJANGO_ALLOW_ASYNC_UNSAFE is set (safe here: the tests use the ORM only between
    browser steps, never concurrently), and it keeps database connections in separate,
    per-context storage. So Playwright is started here, after the database fixtures
    (which must see the ordinary connection, where the serialized data lives), and
    stopped, with the connections the test opened closed, before they are torn down.
    """
    _require_chromium()
    from django.db import connections
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport={"width": 1024, "height": 768})
    context.set_default_timeout(10_000)
    errors: list[str] = []
    # The Content-Security-Policy is enforced in tests as in production (config/settings/base.py): any
    # script, style, image or connection it refuses is a failure. Each refusal fires the document's
    # securitypolicyviolation event, reported here by a script Playwright adds to every page (which the
    # policy does not govern), as well as Chromium's console message "Refused to …".
    context.expose_binding("__reportCSPViolation", lambda source, text: errors.append(f"CSP violation: {text}"))
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Failed requests are judged by their responses below: a 401 from keep-alive is expected. A request
    # the policy blocked is named by its own message ("Refused to load …"), kept with the other errors.
    page.on(
        "console",
        lambda message: (
            (
                (message.type == "error" and not message.text.startswith("Failed to load resource"))
                or "Content Security Policy" in message.text
            )
            and errors.append(message.text)
        ),
    )
    page.on(
        "response",
        lambda response: (
            (response.status >= 500 or (response.status == 404 and "/static/" in response.url))
            and errors.append(f"{response.status} {response.url}")
        ),
    )
    try:
        yield page
        rep_call = getattr(request.node, "rep_call", None)
        if rep_call is not None and rep_call.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
    finally:
        context.close()
        browser.close()
        connections.close_all()
        playwright.stop()
    # A script error, a server error or a missing asset on any page is a failure too.
    assert not errors, f"Errors in the browser: {errors}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def sign_in(page, user, password: str = PASSWORD) -> None:
    """Sign in through the sign-in page, and wait for the page it leads to (with OTP_REQUIRED, or for
    an account with an authenticator app, the second factor's: tests/browser/test_two_factor.py)."""
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: urlsplit(url).path != "/sign-in/")


def assert_accessible(page) -> None:
    """Run axe-core on the page and fail with every WCAG 2.2 A/AA violation it finds."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    violations = results.response["violations"]
    if violations:
        lines = [f"{len(violations)} accessibility violation(s) on {page.url}:"]
        for violation in violations:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
            for node in violation["nodes"]:
                lines.append(
                    f"    at {', '.join(map(str, node['target']))}: {node['failureSummary'].splitlines()[-1].strip()}"
                )
        pytest.fail("\n".join(lines), pytrace=False)


def tab_to(page, locator, limit: int = 30) -> None:
    """Press Tab until `locator` has focus, as a keyboard user would; fail if it never does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("element => element === document.activeElement"):
            return
    pytest.fail(f"{locator} was not reached with {limit} presses of Tab", pytrace=False)
