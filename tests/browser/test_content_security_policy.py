"""The pages the other browser tests do not open, under the Content-Security-Policy: Django's admin.

Every browser test fails on anything the policy refuses (tests/browser/conftest.py); the service's
own pages are opened by the others, the API's ReDoc reference by test_api_tokens.py.
"""

import pytest
from playwright.sync_api import expect

from tests.factories import CaseReviewFactory

from .conftest import sign_in

pytestmark = pytest.mark.browser


def test_the_admin_works_under_the_policy(page, administrator, inspection, inspector):
    review = CaseReviewFactory(inspection=inspection, inspector=inspector)
    sign_in(page, administrator)
    for url in [
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{inspector.pk}/change/",
        "/admin/accounts/user/add/",
        "/admin/otp_totp/totpdevice/",
        "/admin/otp_static/staticdevice/",
        f"/admin/casework/casereview/{review.pk}/change/",
        f"/admin/inspections/inspection/{inspection.pk}/change/",
        "/admin/axes/accessfailurelog/",
    ]:
        page.goto(url)
        expect(page.locator("#site-name")).to_be_visible()
    # The admin's scripts run: the user list's "select all" ticks every row.
    page.goto("/admin/accounts/user/")
    page.locator("#action-toggle").check()
    expect(page.locator("input.action-select").first).to_be_checked()
