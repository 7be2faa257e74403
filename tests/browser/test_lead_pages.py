"""The lead inspector's other pages in a real browser, each checked by axe-core, with their error states."""

import pytest
from playwright.sync_api import expect

from casework import review_selectors, services
from casework.services import AnswerInput

from ..factories import CaseReviewFactory
from .conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def submitted_case(inspection, inspector, lead_inspector):
    review = CaseReviewFactory(inspection=inspection, case_reference="X400001", inspector=inspector)
    questions = review_selectors.applicable_questions(
        framework_id=inspection.framework_id, case_type=review.case_type, court_report=review.court_report
    )
    services.case_review_save(
        review=review, by=inspector, expected_version=1, answers={q.code: AnswerInput("yes", "Seen") for q in questions}
    )
    services.case_review_submit(review=review, by=inspector, expected_version=2)
    return review


def test_case_details_reassign_return_and_history_pages_are_accessible_with_and_without_errors(
    page, lead_inspector, submitted_case
):
    case_url = "/inspections/SW-TST-2024/cases/X400001/"
    sign_in(page, lead_inspector)

    page.goto(case_url + "details/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Case details")
    assert_accessible(page)
    page.get_by_label("Practitioner's months in service").fill("many")
    page.get_by_role("button", name="Save case details").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert_accessible(page)

    page.goto(case_url + "reassign/")
    assert_accessible(page)
    page.get_by_role("button", name="Reassign").click()
    expect(page.get_by_text("This field is required.").first).to_be_visible()
    assert_accessible(page)

    page.goto(case_url + "return/")
    assert_accessible(page)
    page.get_by_role("button", name="Return to inspector").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("at least one comment")
    assert_accessible(page)

    page.goto(case_url + "history/")
    expect(page.get_by_role("heading", name="60 answers changed")).to_be_visible()
    page.locator("summary", has_text="60 answers").click()
    expect(page.get_by_text("Not answered → Yes").first).to_be_visible()
    assert_accessible(page)


def test_ratings_judgement_panel_and_lock_pages_are_accessible_with_and_without_errors(
    page, lead_inspector, submitted_case
):
    ratings_url = "/inspections/SW-TST-2024/ratings/"
    sign_in(page, lead_inspector)

    page.goto(ratings_url)
    assert_accessible(page)

    page.goto(ratings_url + "standards/1.1/judgement/")
    assert_accessible(page)
    page.get_by_role("button", name="Save").first.click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert_accessible(page)

    page.goto(ratings_url + "standards/2.2/panel/")
    assert_accessible(page)
    page.get_by_role("button", name="Save").first.click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert_accessible(page)

    page.goto(ratings_url + "publish/")
    assert_accessible(page)
    page.goto(ratings_url + "lock/")
    assert_accessible(page)
