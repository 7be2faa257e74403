"""The session timeout warning, staying signed in, and nothing typed lost when the session ends.

The browser's clock is Playwright's fake clock, moved forward by the test: nothing here
waits for real time to pass.
"""

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from .conftest import PASSWORD, assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.browser.urls")]

WARNING = "You will be signed out in 2 minutes. Save your work or stay signed in."


def until_warning() -> int:
    """Milliseconds from a page load to the warning, by the settings the page is given."""
    return (settings.SESSION_COOKIE_AGE - settings.SESSION_TIMEOUT_WARNING_SECONDS) * 1000


def test_the_warning_comes_two_minutes_before_the_end_and_stay_signed_in_keeps_the_session(page, inspector):
    page.clock.install()
    sign_in(page, inspector)
    link = page.get_by_role("link", name="Inspections", exact=True)
    link.focus()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_hidden()

    page.clock.run_for(until_warning() - 5_000)
    expect(dialog).to_be_hidden()
    page.clock.run_for(6_000)
    expect(dialog).to_be_visible()
    expect(dialog).to_have_accessible_name("You are about to be signed out")
    expect(dialog).to_contain_text(WARNING)
    stay = page.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    assert_accessible(page)

    with page.expect_response("**/session/keep-alive/") as keep_alive:
        page.keyboard.press("Enter")
    assert keep_alive.value.status == 200
    expect(dialog).to_be_hidden()
    expect(link).to_be_focused()  # focus goes back where it was

    # The count starts again from the keep-alive.
    page.clock.run_for(until_warning() - 5_000)
    expect(dialog).to_be_hidden()


def test_escape_also_keeps_the_session(page, inspector):
    page.clock.install()
    sign_in(page, inspector)
    page.clock.run_for(until_warning() + 1_000)
    expect(page.get_by_role("dialog")).to_be_visible()
    with page.expect_response("**/session/keep-alive/"):
        page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()


def test_stay_signed_in_after_the_session_has_already_ended_says_so(page, inspector):
    page.clock.install()
    sign_in(page, inspector)
    page.clock.run_for(until_warning() + 1_000)
    Session.objects.all().delete()  # e.g. signed out in another window
    with page.expect_response("**/session/keep-alive/") as keep_alive:
        page.get_by_role("button", name="Stay signed in").click()
    assert keep_alive.value.status == 401
    expect(page.get_by_role("dialog")).to_have_accessible_name("You have been signed out")
    expect(page.get_by_role("link", name="Sign in again")).to_be_focused()


def test_when_the_session_ends_what_was_typed_comes_back_after_signing_in_again(page, inspector):
    page.clock.install()
    sign_in(page, inspector)
    page.goto("/test/draft/")
    page.get_by_label("Evidence").fill("Risk assessment reviewed; no police enquiry recorded.")
    page.get_by_label("No").check()

    # The session ends on the server and the page's count reaches the end.
    Session.objects.all().delete()
    page.clock.run_for(settings.SESSION_COOKIE_AGE * 1000 + 1_000)
    dialog = page.get_by_role("dialog")
    expect(dialog).to_have_accessible_name("You have been signed out")
    sign_in_again = page.get_by_role("link", name="Sign in again")
    expect(sign_in_again).to_be_focused()
    assert_accessible(page)
    # What was typed is still on the page behind the dialog.
    expect(page.get_by_label("Evidence")).to_have_value("Risk assessment reviewed; no police enquiry recorded.")

    page.keyboard.press("Enter")
    minutes = settings.SESSION_COOKIE_AGE // 60
    expect(page.get_by_text(f"You were signed out after {minutes} minutes of inactivity")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Email address").fill(inspector.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Draft")
    expect(page.get_by_role("alert")).to_contain_text("put back on this page")
    expect(page.get_by_label("Evidence")).to_have_value("Risk assessment reviewed; no police enquiry recorded.")
    expect(page.get_by_label("No")).to_be_checked()
    assert_accessible(page)

    # Saving sends the version the entries were made against, so a newer save by
    # someone else shows up as a conflict instead of being overwritten.
    with page.expect_response("**/test/draft/") as saved:
        page.get_by_role("button", name="Save").click()
    assert saved.value.json() == {
        "version": "3",
        "note": "Risk assessment reviewed; no police enquiry recorded.",
        "answer": "no",
    }


def test_a_form_posted_after_the_session_ended_goes_to_sign_in_and_keeps_its_entries(page, inspector):
    page.clock.install()
    sign_in(page, inspector)
    page.goto("/test/draft/")
    page.get_by_label("Evidence").fill("Typed just before the end.")
    Session.objects.all().delete()
    page.clock.run_for(settings.SESSION_COOKIE_AGE * 1000 + 1_000)
    page.keyboard.press("Escape")  # close the dialog and carry on as if nothing happened
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Email address").fill(inspector.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("Evidence")).to_have_value("Typed just before the end.")


def test_entries_are_never_put_back_for_someone_else(page, inspector, lead_inspector):
    page.clock.install()
    sign_in(page, inspector)
    page.goto("/test/draft/")
    page.get_by_label("Evidence").fill("The first inspector's notes.")
    Session.objects.all().delete()
    page.clock.run_for(settings.SESSION_COOKIE_AGE * 1000 + 1_000)
    page.get_by_role("link", name="Sign in again").click()

    page.get_by_label("Email address").fill(lead_inspector.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draft")
    expect(page.get_by_label("Evidence")).to_have_value("")
    expect(page.get_by_role("alert")).to_have_count(0)
