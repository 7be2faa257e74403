"""Two-factor sign-in in a real browser, by keyboard, as production has it (OTP_REQUIRED), each page checked by axe.

The authenticator app is played by django_otp.oath.totp, from the key the set-up page shows as text.
"""

from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from .conftest import PASSWORD, assert_accessible, tab_to

pytestmark = pytest.mark.browser

TITLE = " – Inspection case records – HM Inspectorate of Probation"


def app_code(secret: str, steps: int = 0) -> str:
    """What the app shows now, or `steps` time steps on (a code is accepted once only)."""
    return f"{totp(b32decode(secret.replace(' ', '')), t0=-30 * steps):06d}"


def type_password(page, user) -> None:
    tab_to(page, page.get_by_label("Email address"))
    page.keyboard.type(user.email)
    tab_to(page, page.get_by_label("Password", exact=True))
    page.keyboard.type(PASSWORD)
    tab_to(page, page.get_by_role("button", name="Sign in"))
    page.keyboard.press("Enter")


def sign_out(page) -> None:
    tab_to(page, page.get_by_role("button", name="Sign out"), limit=40)
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("You have signed out")


def test_a_new_user_sets_up_an_app_by_keyboard_and_signs_in_with_its_codes(page, inspector, settings):
    settings.OTP_REQUIRED = True

    # The password first, then straight to setting an app up: no page before it.
    page.goto("/inspections/")
    type_password(page, inspector)
    expect(page).to_have_title("Set up two-factor sign-in" + TITLE)
    expect(page.get_by_role("navigation", name="Menu").get_by_role("link")).to_have_count(0)
    page.goto("/inspections/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    expect(page.get_by_role("img", name="QR code of the key for your authenticator app")).to_be_visible()
    assert_accessible(page)

    # The key as text, typed into the "app"; a wrong code first.
    secret = page.locator("#secret").inner_text().strip()
    field = page.get_by_label("Code", exact=True)
    tab_to(page, field, limit=40)
    page.keyboard.type("000000" if app_code(secret) != "000000" else "111111")
    page.keyboard.press("Enter")
    expect(page).to_have_title("Error: Set up two-factor sign-in" + TITLE)
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("The code is not correct or has expired")
    assert_accessible(page)
    page.wait_for_timeout(1100)  # django-otp holds the next check back a second after a wrong code
    tab_to(page, field, limit=40)
    page.keyboard.type(app_code(secret))
    page.keyboard.press("Enter")

    # Ten recovery codes, shown once.
    expect(page.get_by_role("heading", name="Two-factor sign-in is set up")).to_be_visible()
    codes = [text.strip() for text in page.locator("#recovery-codes li").all_inner_texts()]
    assert len(codes) == 10 and all(len(code) == 9 for code in codes)
    assert_accessible(page)
    tab_to(page, page.get_by_role("link", name="Continue"), limit=40)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inspections")
    assert page.url.endswith("/inspections/")
    sign_out(page)

    # Signing in again: the password, then the code the app shows (the next one: each works once).
    type_password(page, inspector)
    expect(page).to_have_title("Enter the code from your authenticator app" + TITLE)
    assert_accessible(page)
    tab_to(page, page.get_by_label("Enter the code from your authenticator app"))
    page.keyboard.type(app_code(secret, steps=1))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your inspections")
    sign_out(page)

    # Without the phone: a recovery code, once.
    type_password(page, inspector)
    tab_to(page, page.get_by_role("link", name="I do not have my phone: use a recovery code"))
    page.keyboard.press("Enter")
    expect(page).to_have_title("Enter a recovery code" + TITLE)
    assert_accessible(page)
    tab_to(page, page.get_by_label("Enter a recovery code"))
    page.keyboard.type(codes[0])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your inspections")

    # The user's own page: what is set up, how many codes are left, and new ones.
    tab_to(page, page.get_by_role("link", name="Two-factor sign-in"), limit=40)
    page.keyboard.press("Enter")
    expect(page.locator("#codes-left")).to_have_text("9 of 10 left")
    assert_accessible(page)
    tab_to(page, page.get_by_role("button", name="Get new recovery codes"), limit=40)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your new recovery codes")
    new_codes = [text.strip() for text in page.locator("#recovery-codes li").all_inner_texts()]
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    assert_accessible(page)


def test_a_wrong_code_when_signing_in_is_an_error_on_the_page(page, inspector, settings):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.OTP_REQUIRED = True
    TOTPDevice.objects.create(user=inspector, name="Authenticator app", confirmed=True)
    page.goto("/sign-in/")
    type_password(page, inspector)
    field = page.get_by_label("Enter the code from your authenticator app")
    tab_to(page, field)
    page.keyboard.type("12345")
    page.keyboard.press("Enter")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter the code as 6 digits, like 123456")
    expect(page.locator("#code-error")).to_contain_text("Enter the code as 6 digits, like 123456")
    assert_accessible(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(field).to_be_focused()
