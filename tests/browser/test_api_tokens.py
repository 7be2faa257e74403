"""API tokens and the API's docs in Chromium: created by keyboard, shown once, revoked; the docs from our own files.

axe-core checks the tokens pages against WCAG 2.2 A and AA.
"""

import re

import pytest
from playwright.sync_api import expect

from api.models import APIToken

from .conftest import assert_accessible, sign_in, tab_to

pytestmark = pytest.mark.browser


def test_an_analyst_creates_a_token_by_keyboard_sees_it_once_and_revokes_it(page, analyst):
    sign_in(page, analyst)
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()
    assert_accessible(page)

    # A bad number of days: the error summary, and nothing made.
    days = page.get_by_label("How many days should the token work?")
    tab_to(page, days)
    page.keyboard.type("400")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("between 1 and 365")
    expect(page).to_have_title(re.compile(r"^Error: API tokens"))
    assert not APIToken.objects.exists()
    assert_accessible(page)

    days = page.get_by_label("How many days should the token work?")
    days.fill("")
    tab_to(page, days)
    page.keyboard.type("7")
    tab_to(page, page.get_by_role("button", name="Create token"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("API token created")
    expect(page.get_by_text("this is the only time it is shown")).to_be_visible()
    token = page.get_by_label("Your new token").input_value()
    assert re.fullmatch(r"[0-9a-f]{64}", token)
    assert_accessible(page)

    # Listed by how it starts; the whole token is never on the page again.
    tab_to(page, page.get_by_role("link", name="Back to your API tokens"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("table", name="Your API tokens")).to_contain_text(token[:8])
    assert token not in page.content()
    assert_accessible(page)

    tab_to(page, page.get_by_role("link", name=f"Revoke token {token[:8]}"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Revoke token {token[:8]}…?")
    assert_accessible(page)
    tab_to(page, page.get_by_role("button", name="Revoke token"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text(f"Token {token[:8]}… revoked")
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()
    assert not APIToken.objects.exists()


def test_the_api_docs_open_on_the_guide_from_our_own_static_files(page, live_server):
    requested: list[str] = []
    outside: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    def only_ours(route):
        if route.request.url.startswith(live_server.url) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_ours)
    page.goto("/api/v1/docs/")
    expect(page.get_by_role("heading", name="Get a token").first).to_be_visible()
    expect(page.get_by_text("59 of 109").first).to_be_attached()
    assert outside == [], f"the docs asked for files from elsewhere: {outside}"
    assert any("/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in url for url in requested)
    assert any("/api/v1/schema/" in url for url in requested)
    expect(page.locator("html")).to_have_attribute("lang", "en-GB")
    assert_accessible(page)
