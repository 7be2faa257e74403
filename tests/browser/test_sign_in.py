"""Signing in and out in a real browser, with the keyboard alone, checked by axe-core."""

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible, sign_in, tab_to

pytestmark = pytest.mark.browser


def test_an_inspector_signs_in_with_the_keyboard_alone(page, inspector):
    page.goto("/")  # everything sends a visitor to sign in, and back afterwards
    expect(page).to_have_title("Sign in – Inspection case records – HM Inspectorate of Probation")
    assert_accessible(page)

    # The skip link comes first, then the form in order.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    tab_to(page, page.get_by_label("Email address"))
    page.keyboard.type(inspector.email)
    tab_to(page, page.get_by_label("Password", exact=True))
    page.keyboard.type("Correct-Horse-42")
    tab_to(page, page.get_by_role("button", name="Sign in"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Your inspections")
    assert page.url.endswith("/")
    assert_accessible(page)


def test_a_failed_sign_in_focuses_the_error_summary_whose_link_leads_to_the_field(page, inspector):
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(inspector.email)
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter a correct email address and password")
    expect(page).to_have_title("Error: Sign in – Inspection case records – HM Inspectorate of Probation")
    assert_accessible(page)

    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Email address")).to_be_focused()


def test_the_password_can_be_shown_with_javascript(page, db):
    page.goto("/sign-in/")
    password = page.get_by_label("Password", exact=True)
    expect(password).to_have_attribute("type", "password")
    page.get_by_role("button", name="Show password").click()
    expect(password).to_have_attribute("type", "text")


def test_signing_out_ends_the_session(page, inspector):
    sign_in(page, inspector)
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("You have signed out")
    assert_accessible(page)
    page.goto("/inspections/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
