"""The inspector's day in a real browser, checked by axe-core: the lead's comment on a returned
case seen and replied to, checking answers before submitting, and an incomplete submit that
leads section by section to each unanswered question. Keyboard only where a person would be."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from casework.models import Answer, CaseReview, QAComment
from casework.review_selectors import review_questions, review_sections

from ..factories import CaseReviewFactory
from .conftest import assert_accessible, sign_in, tab_to

pytestmark = pytest.mark.browser

REFERENCE = "SW-TST-2024"
CASE = "X800001"
CASE_URL = f"/inspections/{REFERENCE}/cases/{CASE}/"
CASE_COMMENT = "Say in the evidence why the order was made; the summary leaves it out."
NOTE = "Seen in the case record"


def press(page, key: str, locator=None, limit: int = 40) -> None:
    """Tab to `locator` (when given) and press `key`, and wait for the page that it leads to."""
    if locator is not None:
        tab_to(page, locator, limit)
    with page.expect_navigation():
        page.keyboard.press(key)


@pytest.fixture
def draft_case(inspection, inspector) -> CaseReview:
    return CaseReviewFactory(inspection=inspection, case_reference=CASE, inspector=inspector)


def answer_all(review: CaseReview, *, leave_out: set[str] = frozenset()) -> list:
    asked = review_questions(review)
    Answer.objects.bulk_create(
        Answer(case_review=review, question=q, value="yes", note=NOTE if q.kind == "key_question" else "")
        for q in asked
        if q.code not in leave_out
    )
    return asked


@pytest.fixture
def submitted_case(draft_case) -> CaseReview:
    answer_all(draft_case)
    CaseReview.objects.filter(pk=draft_case.pk).update(status=CaseReview.Status.SUBMITTED)
    return draft_case


def test_the_lead_returns_a_case_with_a_whole_case_comment_and_the_inspector_sees_it_and_replies(
    page, inspector, lead_inspector, submitted_case
):
    # The lead returns the case with a comment on the whole case.
    sign_in(page, lead_inspector)
    page.goto(f"{CASE_URL}return/")
    page.locator("#general").fill(CASE_COMMENT)
    with page.expect_navigation():
        page.locator('form:has(#general) button[type="submit"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Returned")
    page.context.clear_cookies()

    # The inspector sees it on home, then at the top of the case page.
    sign_in(page, inspector)
    expect(page.get_by_text(CASE_COMMENT)).to_be_visible()
    assert_accessible(page)
    press(page, "Enter", page.get_by_role("link", name=CASE))
    banner = page.get_by_role("region", name="Quality assurance")
    expect(banner).to_contain_text("Returned by the lead inspector with 1 comment to address")
    expect(banner).to_contain_text(f"{lead_inspector} wrote: “{CASE_COMMENT}”")
    assert_accessible(page)

    # An empty reply is an error that says what to do, focused at the top of the page.
    reply_toggle = banner.locator("summary").filter(has_text="Reply")
    tab_to(page, reply_toggle)
    page.keyboard.press("Enter")  # opens the reply box
    page.keyboard.press("Tab")
    expect(page.get_by_label("Your reply to the comment on the whole case")).to_be_focused()
    page.keyboard.press("Tab")
    press(page, "Enter")  # "Save reply", with nothing typed
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your reply to the comment")
    assert_accessible(page)

    # The summary's link leads to the box; the reply is typed and saved by keyboard.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    box = page.get_by_label("Your reply to the comment on the whole case")
    expect(box).to_be_focused()
    page.keyboard.type("Added the reason for the order to the evidence for 2.2.1.")
    page.keyboard.press("Tab")
    press(page, "Enter")
    expect(page.get_by_role("alert")).to_contain_text("Reply saved")
    expect(banner).to_contain_text(
        f"Reply from {inspector}: “Added the reason for the order to the evidence for 2.2.1.”"
    )
    assert_accessible(page)

    # The whole-case comment is on every section page too.
    press(page, "Enter", page.get_by_role("link", name=re.compile(r"^2\.2 ")), limit=60)
    expect(page.locator(".app-case-comments")).to_contain_text(CASE_COMMENT)
    comment = QAComment.objects.get(case_review=submitted_case)
    assert comment.reply == "Added the reason for the order to the evidence for 2.2.1." and comment.replied_at


def test_check_your_answers_lists_every_answer_and_change_returns_to_the_question(page, inspector, draft_case):
    asked = answer_all(draft_case)
    sign_in(page, inspector)
    page.goto(CASE_URL)
    press(page, "Enter", page.get_by_role("link", name="Check your answers and submit"), limit=60)
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before you submit")
    assert_accessible(page)

    # Every question asked in the case, by section, with its answer and any evidence.
    sections = review_sections(draft_case)
    expect(page.get_by_role("heading", level=2)).to_contain_text([s.title for s in sections])
    keys = page.locator(".govuk-summary-list__key")
    expect(keys).to_have_count(len(asked))
    expect(keys).to_have_text([re.compile(rf"^{re.escape(q.code)}\s") for q in asked])
    expect(page.locator(".govuk-summary-list__value").filter(has_text=f"Evidence: {NOTE}")).to_have_count(
        sum(q.kind == "key_question" for q in asked)
    )

    # A change link goes to its question, and the next Tab is that question's first radio.
    code, slug = "2.3.2", "2.3"
    change = page.get_by_role("link", name=f"Change {code}", exact=True)
    press(page, "Enter", change, limit=200)
    assert page.url.endswith(f"{CASE_URL}sections/{slug}/#field-{code}")
    target = page.locator(":target")
    expect(target.get_by_role("group")).to_have_accessible_name(re.compile(rf"^{re.escape(code)} "))
    expect(target).to_be_in_viewport()
    page.keyboard.press("Tab")
    expect(page.locator(f'input[name="answer-{code}"]').first).to_be_focused()

    # The check page fits a phone's screen.
    page.go_back()
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page)
    page.set_viewport_size({"width": 1024, "height": 768})

    # Submitted from the check page, by keyboard.
    press(page, "Enter", page.get_by_role("button", name="Submit for quality assurance"), limit=300)
    expect(page.get_by_role("alert")).to_contain_text(f"{CASE} submitted for quality assurance")
    assert CaseReview.objects.get(pk=draft_case.pk).status == CaseReview.Status.SUBMITTED


def test_an_incomplete_submit_lists_each_section_and_the_section_shows_its_missing_answers(page, inspector, draft_case):
    missing = {"2.3.2": "2.3", "2.3.3": "2.3", "C.3": "case-wide"}  # question: its section
    answer_all(draft_case, leave_out=set(missing))
    titles = {s.slug: s.title for s in review_sections(draft_case)}
    sign_in(page, inspector)
    page.goto(f"{CASE_URL}check/")
    press(page, "Enter", page.get_by_role("button", name="Submit for quality assurance"), limit=300)

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile("^Error: "))
    expect(summary).to_contain_text("3 questions still need an answer")
    expect(summary.get_by_role("link")).to_have_text(
        [f"{titles['2.3']}: 2 questions not answered", f"{titles['case-wide']}: 1 question not answered"]
    )
    assert_accessible(page)
    assert CaseReview.objects.get(pk=draft_case.pk).status == CaseReview.Status.DRAFT

    # From the focused summary, Tab reaches the first section's line; Enter opens that section,
    # whose own summary is focused and lists its unanswered questions, each shown inline.
    page.keyboard.press("Tab")
    press(page, "Enter")
    assert page.url.endswith(f"{CASE_URL}sections/2.3/?missing=1")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile("^Error: "))
    expect(summary.get_by_role("link")).to_have_text(["Select an answer for 2.3.2", "Select an answer for 2.3.3"])
    for code in ["2.3.2", "2.3.3"]:
        group = page.get_by_role("group", name=re.compile(rf"^{re.escape(code)} "))
        expect(group).to_have_accessible_description(re.compile(rf"Error:\s+Select an answer for {re.escape(code)}"))
    expect(page.locator(".govuk-form-group--error")).to_have_count(2)
    assert_accessible(page)

    # The summary's link moves focus to the question's first radio; Space answers it.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    first_radio = page.locator('input[name="answer-2.3.2"]').first
    expect(first_radio).to_be_focused()
    page.keyboard.press("Space")
    expect(first_radio).to_be_checked()
