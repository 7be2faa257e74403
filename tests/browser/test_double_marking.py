"""Double marking in a real browser, with the keyboard only: the second inspector answers a case
without seeing the first's answers, and the lead resolves one disagreement on the moderation page."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from casework import double_marking, review_selectors
from casework.models import Answer, AnswerResolution, SecondAnswer, SecondReview
from inspections.models import TeamMember

from ..factories import AnswerFactory, CaseReviewFactory, TeamMemberFactory, UserFactory
from .conftest import assert_accessible, sign_in, tab_to

pytestmark = pytest.mark.browser

CASE = "X800001"


@pytest.fixture
def second_inspector(inspection):
    user = UserFactory(email="second@example.test", role=User.Role.INSPECTOR)
    TeamMemberFactory(inspection=inspection, user=user, role=TeamMember.Role.INSPECTOR)
    return user


@pytest.fixture
def assigned_case(inspection, inspector, lead_inspector, second_inspector):
    review = CaseReviewFactory(inspection=inspection, case_reference=CASE, inspector=inspector)
    for question in review_selectors.applicable_questions(
        framework_id=inspection.framework_id, case_type=review.case_type, court_report=review.court_report
    ):
        AnswerFactory(case_review=review, question=question, value="yes", note="FIRST-EVIDENCE")
    double_marking.second_review_assign(review=review, second_inspector=second_inspector, by=lead_inspector)
    return review


def _focused(page) -> dict:
    return page.evaluate(
        """() => {
            const e = document.activeElement;
            return {tag: e.tagName, type: e.type || "", name: e.name || "", text: (e.textContent || "").trim(),
                    groupChecked: e.type === "radio"
                        && !!document.querySelector(`input[name="${CSS.escape(e.name)}"]:checked`)};
        }"""
    )


def test_keyboard_only_double_marking_and_resolution_of_a_disagreement(
    page, inspection, lead_inspector, second_inspector, assigned_case
):
    sign_in(page, second_inspector)
    page.goto(f"/inspections/{inspection.reference}/moderation/")
    tab_to(page, page.get_by_role("link", name=f"Case {CASE}"), limit=80)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Second review")
    expect(page.get_by_text("FIRST-EVIDENCE")).to_have_count(0)
    expect(page.locator("input[type=radio]:checked")).to_have_count(0)
    assert_accessible(page)

    # Through the page with Tab: each question's radios are one stop. Space picks "Yes", as the
    # first inspector did, except on 2.2.1, where the right arrow moves to and picks "No".
    for _ in range(400):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if focused["type"] == "radio" and not focused["groupChecked"]:
            page.keyboard.press("ArrowRight" if focused["name"] == "answer-2.2.1" else "Space")
        elif focused["tag"] == "BUTTON" and focused["text"] == "Save and submit second review":
            page.keyboard.press("Enter")
            break
    else:
        pytest.fail("The submit button was never reached with Tab")
    expect(page.get_by_text(f"Second review of {CASE} submitted")).to_be_visible()
    second = SecondReview.objects.get(case_review=assigned_case)
    assert second.status == SecondReview.Status.SUBMITTED
    assert dict(
        SecondAnswer.objects.filter(second_review=second, value="no").values_list("question__code", "value")
    ) == {"2.2.1": "no"}

    page.context.clear_cookies()
    sign_in(page, lead_inspector)
    page.goto(f"/inspections/{inspection.reference}/moderation/")
    expect(page.get_by_role("heading", name=f"Case {CASE}: 2.2.1", exact=False)).to_be_visible()
    assert_accessible(page)
    # A narrow phone screen: nothing wider than the viewport.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1024, "height": 768})

    # Resolve without a reason first: the error summary takes focus and says what is missing.
    final = page.locator(f'[id="{CASE}-2.2.1-final_value"]')
    tab_to(page, final, limit=200)
    page.keyboard.press("ArrowRight")  # "No", as the second inspector found
    tab_to(page, page.get_by_role("button", name=f"Resolve 2.2.1 for {CASE}"), limit=5)
    page.keyboard.press("Enter")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Give a reason for the final answer")
    assert_accessible(page)
    assert not AnswerResolution.objects.exists()

    # The error link leads to the reason box; type it and resolve.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    reason = page.locator(f'[id="{CASE}-2.2.1-reason"]')
    expect(reason).to_be_focused()
    page.keyboard.type("The sentence plan was not reviewed after the change of address.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"2.2.1 in {CASE} resolved")).to_be_visible()
    expect(page.get_by_text("Resolved by")).to_be_visible()
    assert_accessible(page)

    answer = Answer.objects.get(case_review=assigned_case, question__code="2.2.1")
    assert answer.value == "no" and answer.note == "FIRST-EVIDENCE"
    resolution = AnswerResolution.objects.get()
    assert (resolution.first_value, resolution.second_value, resolution.final_value) == ("yes", "no", "no")
