"""The lead inspector's day in a real browser, checked by axe-core on every page and error state:
home → the quality assurance queue (one click) → the case summary → the return page, grouped by
section, where the lead returns the case with a whole-case comment and a comment on one question.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from casework.models import Answer, CaseReview, QAComment
from casework.review_selectors import applicable_questions

from ..factories import CaseReviewFactory
from .conftest import assert_accessible, sign_in, tab_to

pytestmark = pytest.mark.browser

CASE = "X700001"
SUMMARY = f"/inspections/SW-TST-2024/cases/{CASE}/summary/"
# Nothing wider than the window, so nothing is cut off or needs sideways scrolling.
FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def submitted_case(inspection, inspector) -> CaseReview:
    """A community case, every question answered with evidence, submitted; and a later one, returned before."""
    review = CaseReviewFactory(inspection=inspection, inspector=inspector, case_reference=CASE)
    questions = applicable_questions(
        framework_id=inspection.framework_id, case_type=review.case_type, court_report=review.court_report
    )
    Answer.objects.bulk_create(
        Answer(case_review=review, question=q, value="no" if q.code == "2.3.1" else "yes", note=f"Seen in {q.code}.")
        for q in questions
    )
    CaseReview.objects.filter(pk=review.pk).update(status="submitted")
    later = CaseReviewFactory(inspection=inspection, inspector=inspector, case_reference="X700002", case_type="licence")
    for status in ("submitted", "returned", "submitted"):
        CaseReview.objects.filter(pk=later.pk).update(status=status)
    return review


def test_the_lead_goes_from_home_to_the_queue_reads_the_case_and_returns_it_with_comments(
    page, inspector, lead_inspector, submitted_case
):
    sign_in(page, lead_inspector)

    # Home: the count waiting is a link to the queue, one click away.
    link = page.get_by_role("link", name="2 waiting for quality assurance")
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cases waiting for quality assurance")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(CASE)  # the longest waiting first
    expect(rows.nth(1)).to_contain_text("Returned before")
    expect(rows.nth(1)).to_contain_text("Licence or post-sentence supervision")
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate(FITS), "the queue is wider than a 390-pixel screen"
    page.set_viewport_size({"width": 1024, "height": 768})

    # The queue leads to the case summary: every answer readable, the actions at the top.
    page.get_by_role("link", name=re.compile(f"^{CASE}")).click()
    expect(page).to_have_url(re.compile(re.escape(SUMMARY) + "$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Case {CASE}")
    expect(page.get_by_role("heading", level=2, name="2.3 Planning")).to_be_visible()
    expect(page.locator("#question-2\\.3\\.1")).to_contain_text("Seen in 2.3.1.")
    expect(page.get_by_role("radio")).to_have_count(0)
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate(FITS), "the summary is wider than a 390-pixel screen"
    page.set_viewport_size({"width": 1024, "height": 768})

    # The return page, grouped by section; returning with nothing is an error.
    page.get_by_role("link", name="Return with comments").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Return with comments")
    expect(page.get_by_role("heading", level=3)).to_have_text(
        ["2.2 Assessment", "2.3 Planning", "2.4 Implementation and delivery", "2.5 Reviewing", "Across the case"]
    )
    assert_accessible(page)
    page.get_by_role("button", name="Return to inspector").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Add at least one comment")
    expect(page).to_have_title(re.compile("^Error: "))
    assert_accessible(page)

    # A whole-case comment, and one on 2.3.1 typed by keyboard from its "Add a comment".
    page.get_by_label("Comment on the whole case").fill("Planning does not follow from the assessment.")
    expect(page.locator("#question-2\\.3\\.1-answer")).to_have_text("Answer: No")
    tab_to(page, page.locator("#question-2\\.3\\.1 summary"), limit=60)
    page.keyboard.press("Enter")  # opens the comment box
    page.keyboard.press("Tab")
    box = page.get_by_label("Comment on 2.3.1", exact=True)
    expect(box).to_be_focused()
    page.keyboard.type("The plan leaves out the unpaid work hours.")
    assert_accessible(page)
    page.get_by_role("button", name="Return to inspector").click()
    expect(page.get_by_role("alert")).to_contain_text(f"{CASE} returned to {inspector}")

    assert CaseReview.objects.get(pk=submitted_case.pk).status == "returned"
    comments = {c.question.code if c.question else None: c.text for c in QAComment.objects.all()}
    assert comments == {
        None: "Planning does not follow from the assessment.",
        "2.3.1": "The plan leaves out the unpaid work hours.",
    }

    # Back in the queue: only the other case is waiting.
    page.goto("/qa/")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.get_by_role("link", name=re.compile(f"^{CASE}"))).to_have_count(0)

    # The inspector sees the whole-case comment on their case.
    page.context.clear_cookies()
    sign_in(page, inspector)
    page.goto(f"/inspections/SW-TST-2024/cases/{CASE}/")
    expect(page.get_by_text("Planning does not follow from the assessment.").first).to_be_visible()
