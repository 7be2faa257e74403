"""A case review from first answer to moderation in a real browser, checked by axe-core on every page.

The inspector completes the case with the keyboard alone; the lead inspector returns it
with a comment on one key question; the inspector corrects it and resubmits; the lead
moderates it and the inspection's live ratings move to the figures worked out by hand
below. Then: two people saving the same section, and autosave (an incomplete submit is in
test_inspector_day).

The sample (`rated_sample`): four moderated community cases, one with a court report,
answered "yes" to every key question of 2.1 to 2.5 except 2.2.1, which three of the four
answered "yes"; the team's judgement on 1.1 to 1.4 is Good. The 2021 framework's bars
are 80 % (outstanding), 65 % (good) and 50 % (requires improvement), exact, and a
case-based standard takes the band of its lowest key question. So:

- before the new case: 2.2.1 is 3 of 4 = 75.0 % (good), so 2.2 is Good; the score is
  4 × 2 (1.1-1.4) + 3 (2.1) + 2 (2.2) + 3 × 3 (2.3-2.5) = 22/27, Good;
- the new case submitted with 2.2.1 "no": 3 of 5 = 60.0 %, Requires improvement: 21/27;
- corrected to "yes" and moderated: 4 of 5 = 80.0 %, Outstanding: 23/27, Outstanding.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from casework.models import Answer, CaseReview, QAComment
from casework.review_selectors import applicable_questions
from inspections.models import Question, Standard

from ..factories import CaseReviewFactory, JudgementFactory
from .conftest import PASSWORD, assert_accessible, sign_in, tab_to

pytestmark = pytest.mark.browser

REFERENCE = "SW-TST-2024"
CASE = "X200001"
CASE_URL = f"/inspections/{REFERENCE}/cases/{CASE}/"
RATED_STANDARDS = ["2.1", "2.2", "2.3", "2.4", "2.5"]

# The radios' keys from an unanswered group's first radio ("Yes"): Space checks it; each
# arrow moves to the next radio and checks it.
KEYS = {"yes": ["Space"], "no": ["ArrowRight"], "not_applicable": ["ArrowRight", "ArrowRight"]}

# The form's tab stops in document order: one per radio group (by name), one per text area.
TAB_STOPS = """form => {
  const stops = [], seen = new Set()
  for (const element of form.elements) {
    if (element.type === 'radio' && !seen.has(element.name)) { seen.add(element.name); stops.push(element.name) }
    if (element.tagName === 'TEXTAREA') stops.push(element.name)
  }
  return stops
}"""


# --- Set-up -------------------------------------------------------------------------------


def _answers(review: CaseReview, values: dict[Question, str]) -> None:
    Answer.objects.bulk_create(Answer(case_review=review, question=q, value=v) for q, v in values.items())


@pytest.fixture
def key_questions(inspection) -> dict[str, Question]:
    return {
        q.code: q
        for q in Question.objects.filter(
            framework=inspection.framework, kind=Question.Kind.KEY_QUESTION, standard__code__in=RATED_STANDARDS
        )
    }


@pytest.fixture
def rated_sample(inspection, inspector, lead_inspector, key_questions):
    """Moderated cases and judgements enough for a full score (see the module's docstring)."""
    for code in ["1.1", "1.2", "1.3", "1.4"]:
        JudgementFactory(
            inspection=inspection, standard=Standard.objects.get(framework=inspection.framework, code=code)
        )
    for n in range(4):
        review = CaseReviewFactory(
            inspection=inspection,
            case_reference=f"X10000{n + 1}",
            inspector=lead_inspector,
            court_report="standard" if n == 0 else "none",
            status=CaseReview.Status.MODERATED,
        )
        applicable = [
            q for q in key_questions.values() if q.applies_to(case_type="community", court_report=review.court_report)
        ]
        _answers(review, {q: "no" if (q.code == "2.2.1" and n == 3) else "yes" for q in applicable})


@pytest.fixture
def draft_case(inspection, inspector) -> CaseReview:
    """A new community case with no court report, details entered, assigned to the inspector."""
    return CaseReviewFactory(inspection=inspection, case_reference=CASE, inspector=inspector)


@pytest.fixture
def second_page(page, live_server):
    """Another browser window with its own cookies: a second person, or the same one elsewhere."""
    context = page.context.browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1024, "height": 768}
    )
    context.set_default_timeout(10_000)
    other = context.new_page()
    errors: list[str] = []
    other.on("pageerror", lambda error: errors.append(str(error)))
    other.on("response", lambda response: response.status >= 500 and errors.append(f"{response.status} {response.url}"))
    yield other
    context.close()
    assert not errors, f"Errors in the second browser: {errors}"


def applicable(review: CaseReview) -> list[Question]:
    return applicable_questions(
        framework_id=review.inspection.framework_id, case_type=review.case_type, court_report=review.court_report
    )


# --- Keyboard helpers ---------------------------------------------------------------------


def press(page, key: str, locator=None, limit: int = 40) -> None:
    """Tab to `locator` (when given) and press `key`, and wait for the page that it leads to."""
    if locator is not None:
        tab_to(page, locator, limit)
    with page.expect_navigation():
        page.keyboard.press(key)


def sign_in_by_keyboard(page, user) -> None:
    page.goto("/sign-in/")
    assert_accessible(page)
    tab_to(page, page.get_by_label("Email address"))
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    press(page, "Enter")
    expect(page).not_to_have_url(re.compile("/sign-in/"))


def focused_name(page) -> str:
    return page.evaluate("document.activeElement.name || document.activeElement.tagName")


def complete_section_by_keyboard(page, answers: dict[str, str], notes: dict[str, str]) -> dict[str, str]:
    """Answer every question of the section on screen with Tab, Space and the arrow keys.

    Every question not in `answers` gets "yes"; the notes in `notes` are typed into their
    evidence boxes. Returns what was entered, by question code.
    """
    stops = page.locator("#main-form").evaluate(TAB_STOPS)
    tab_to(page, page.locator(f'input[name="{stops[0]}"]').first)
    entered = {}
    for position, name in enumerate(stops):
        if position:
            page.keyboard.press("Tab")
        assert focused_name(page) == name, f"Tab went to {focused_name(page)}, not {name}"
        kind, code = name.split("-", 1)
        if kind == "answer":
            assert page.evaluate("document.activeElement.value") == "yes"
            entered[code] = answers.get(code, "yes")
            for key in KEYS[entered[code]]:
                page.keyboard.press(key)
        elif code in notes:
            page.keyboard.type(notes[code])
    form = page.locator("#main-form").evaluate("form => Object.fromEntries(new FormData(form).entries())")
    assert {code: form.get(f"answer-{code}") for code in entered} == entered
    assert all(form[f"note-{code}"] == text for code, text in notes.items() if f"note-{code}" in form)
    return entered


def pause_clock(page) -> None:
    """Stop the page's (fake) clock, so that its timers fire only when the test moves it on."""
    page.clock.pause_at(page.evaluate("Date.now()") / 1_000 + 1)  # Unix time in seconds


def ratings_row(page, standard: str):
    return page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=re.compile(rf"^{re.escape(standard)} "))
    )


def expect_inspection_ratings(page, *, percent: str, yes: int, relevant: int, rating: str, score: str, band: str):
    """The live ratings on the inspection's page: 2.2's rating and lowest key question, and the score."""
    row = ratings_row(page, "2.2")
    expect(row).to_contain_text(f"2.2.1: {percent}% ({yes} of {relevant} relevant cases)")
    expect(row.get_by_role("cell").first).to_have_text(rating)
    expect(page.locator("p.govuk-body-l", has_text="Score")).to_have_text(re.compile(rf"Score\s+{score}\s+{band}"))


# --- Tests --------------------------------------------------------------------------------


def test_a_case_is_completed_by_keyboard_returned_corrected_moderated_and_moves_the_ratings(
    page, second_page, inspector, lead_inspector, rated_sample, draft_case
):
    lead = second_page
    answers = {"2.2.1": "no", "2.3.1.a": "no", "2.2.2.c": "not_applicable", "C.3": "not_applicable"}
    notes = {
        "2.2.1": "Assessment did not draw on police domestic abuse information.",
        "2.3.1": "Plan set out the sentence requirements with the person.",
        "2.4.1": "Delivery supported desistance.",
        "2.5.1": "Review after the change of address.",
        "C.1": "Oversight recorded at every stage.",
    }

    # The inspector signs in and finds the case through the inspection's page.
    sign_in_by_keyboard(page, inspector)
    expect(page.get_by_role("link", name=CASE)).to_be_visible()
    assert_accessible(page)
    press(page, "Enter", page.get_by_role("link", name=REFERENCE).first)
    expect_inspection_ratings(page, percent="75.0", yes=3, relevant=4, rating="Good", score="22/27", band="Good")
    assert_accessible(page)
    press(page, "Enter", page.get_by_role("link", name=CASE), limit=60)
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Case {CASE}")
    assert_accessible(page)

    # Every section, in the task list's order, by keyboard; "Save and continue" leads on.
    titles = page.locator(".govuk-task-list__link").all_inner_texts()[1:]  # after "Case details"
    assert [t.split(" ")[0] for t in titles] == ["2.2", "2.3", "2.4", "2.5", "Across"]
    press(page, "Enter", page.get_by_role("link", name=titles[0]))
    entered: dict[str, str] = {}
    for position, title in enumerate(titles):
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        assert_accessible(page)
        entered |= complete_section_by_keyboard(page, answers, notes)
        last = position == len(titles) - 1
        press(
            page,
            "Enter",
            page.get_by_role("button", name="Save and return to the case" if last else "Save and continue"),
        )
        expect(page.get_by_role("alert")).to_contain_text(f"{title} saved")
    assert set(entered) == {q.code for q in applicable(draft_case)}  # every question asked in this case

    # Back on the case: every section completed; submit for quality assurance.
    expect(page.locator(".govuk-task-list__status")).to_have_text(["Completed"] * (len(titles) + 1))
    assert_accessible(page)
    press(page, "Enter", page.get_by_role("link", name="Check your answers and submit"))
    assert_accessible(page)
    press(page, "Enter", page.get_by_role("button", name="Submit for quality assurance"), limit=300)
    expect(page.get_by_role("alert")).to_contain_text(f"{CASE} submitted for quality assurance")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Submitted")
    assert_accessible(page)

    # The lead inspector sees the new case counted, and returns it with a comment on 2.2.1.
    comment = "The risk section records the police domestic abuse check: look at 2.2.1 again."
    sign_in_by_keyboard(lead, lead_inspector)
    expect(lead.get_by_text("1 waiting for quality assurance")).to_be_visible()
    assert_accessible(lead)
    press(lead, "Enter", lead.get_by_role("link", name=REFERENCE).first)
    expect_inspection_ratings(
        lead, percent="60.0", yes=3, relevant=5, rating="Requires improvement", score="21/27", band="Good"
    )
    assert_accessible(lead)
    press(lead, "Enter", lead.get_by_role("link", name=CASE), limit=60)
    assert_accessible(lead)
    press(lead, "Enter", lead.get_by_role("link", name="Return with comments"))
    expect(lead.get_by_role("heading", level=1)).to_have_text("Return with comments")
    assert_accessible(lead)
    expect(lead.locator("#question-2\\.2\\.1-answer")).to_have_text("Answer: No")
    tab_to(lead, lead.locator("#question-2\\.2\\.1 summary"))
    lead.keyboard.press("Enter")  # opens the details
    lead.keyboard.press("Tab")
    expect(lead.get_by_label("Comment on 2.2.1", exact=True)).to_be_focused()
    lead.keyboard.type(comment)
    assert_accessible(lead)
    press(lead, "Enter", lead.get_by_role("button", name="Return to inspector"), limit=100)
    expect(lead.get_by_role("alert")).to_contain_text(f"{CASE} returned to {inspector}")
    expect(lead.get_by_role("heading", level=1)).to_contain_text("Returned")
    assert_accessible(lead)

    # The inspector sees the comment beside 2.2.1, changes the answer and resubmits.
    page.goto("/")
    press(page, "Enter", page.get_by_role("link", name=CASE))
    expect(page.get_by_role("region", name="Quality assurance")).to_contain_text(comment)
    expect(page.locator(".govuk-task-list__hint", has_text="1 comment to address")).to_be_visible()
    assert_accessible(page)
    press(page, "Enter", page.get_by_role("link", name=titles[0]))
    question = page.get_by_role("group", name=re.compile(r"^2\.2\.1 "))
    expect(question).to_contain_text(f"Quality assurance comment from {lead_inspector}: {comment}")
    expect(question).to_have_accessible_description(re.compile(re.escape(comment)))
    assert_accessible(page)
    tab_to(page, page.locator('input[name="answer-2.2.1"]:checked'))  # Tab lands on the chosen radio, "No"
    page.keyboard.press("ArrowLeft")  # "Yes"
    expect(page.get_by_role("radio", name="Yes").and_(page.locator('[name="answer-2.2.1"]'))).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Evidence for 2.2.1")).to_be_focused()
    page.keyboard.press("Control+End")
    page.keyboard.type(" Corrected: it did, in the risk section.")
    press(page, "Enter", page.get_by_role("button", name="Save and return to the case"))
    expect(page.get_by_role("alert")).to_contain_text(f"{titles[0]} saved")
    assert_accessible(page)
    press(page, "Enter", page.get_by_role("link", name="Check your answers and submit"))
    press(page, "Enter", page.get_by_role("button", name="Submit for quality assurance"), limit=300)
    expect(page.get_by_role("alert")).to_contain_text(f"{CASE} submitted for quality assurance")
    expect(page.get_by_text("comment to address")).to_have_count(0)
    assert_accessible(page)

    # The lead moderates it; the ratings move as worked out by hand.
    lead.goto(CASE_URL)
    assert_accessible(lead)
    press(lead, "Enter", lead.get_by_role("button", name="Moderate (accept)"))
    expect(lead.get_by_role("alert")).to_contain_text(f"{CASE} moderated")
    expect(lead.get_by_role("heading", level=1)).to_contain_text("Moderated")
    assert_accessible(lead)
    press(lead, "Enter", lead.get_by_role("link", name=f"Back to {REFERENCE}"))
    expect_inspection_ratings(
        lead, percent="80.0", yes=4, relevant=5, rating="Outstanding", score="23/27", band="Outstanding"
    )
    assert_accessible(lead)
    press(lead, "Enter", lead.get_by_role("link", name=re.compile("^How each rating was worked out")), limit=80)
    card = lead.locator("#standard-2\\.2")
    expect(card.get_by_role("row").filter(has_text="2.2.1")).to_contain_text(
        re.compile(r"80\.0%\s+4 out of 5 relevant cases\s+Outstanding")
    )
    expect(lead.locator("#score")).to_contain_text("23/27")
    assert_accessible(lead)

    # What was kept: moderated, every answer as entered (2.2.1 corrected), the comment resolved.
    draft_case.refresh_from_db()
    assert draft_case.status == CaseReview.Status.MODERATED
    assert draft_case.updated_by == lead_inspector
    stored = {a.question.code: (a.value, a.note) for a in draft_case.answers.select_related("question")}
    expected = {code: (value, notes.get(code, "")) for code, value in entered.items()}
    expected["2.2.1"] = ("yes", notes["2.2.1"] + " Corrected: it did, in the risk section.")
    assert stored == expected
    assert stored["2.3.1.a"][0] == "no" and stored["C.3"][0] == "not_applicable"
    (qa_comment,) = QAComment.objects.filter(case_review=draft_case)
    assert (qa_comment.question.code, qa_comment.text, qa_comment.author) == ("2.2.1", comment, lead_inspector)
    assert qa_comment.resolved_at is not None


def test_a_save_over_someone_elses_newer_save_is_refused_and_keeps_what_was_typed(
    page, second_page, inspector, lead_inspector, draft_case
):
    section = f"{CASE_URL}sections/2.2/"
    sign_in(page, inspector)
    sign_in(second_page, lead_inspector)
    page.goto(section)
    second_page.goto(section)

    # The inspector saves first.
    page.get_by_role("group", name=re.compile(r"^2\.2\.1 ")).get_by_label("Yes").check()
    page.get_by_label("Evidence for 2.2.1").fill("Inspector's evidence.")
    page.get_by_role("button", name="Save and return to the case").click()
    expect(page.get_by_role("alert")).to_contain_text("saved")
    draft_case.refresh_from_db()
    version_after_first = draft_case.version

    # The lead, on the page as it was before, enters different answers and saves.
    theirs = "Lead's own evidence, typed before the conflict: nothing here may be lost."
    second_page.get_by_role("group", name=re.compile(r"^2\.2\.1 ")).get_by_label("No").check()
    second_page.get_by_role("group", name=re.compile(r"^2\.2\.2 ")).get_by_label("No").check()
    second_page.get_by_label("Evidence for 2.2.1").fill(theirs)
    with second_page.expect_response(
        lambda r: r.request.method == "POST" and "x-autosave" not in r.request.headers
    ) as posted:
        second_page.get_by_role("button", name="Save and continue").click()
    assert posted.value.status == 409

    summary = second_page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Someone else changed this case review while you were editing it")
    expect(summary.get_by_test_id("stale-changes")).to_contain_text(
        re.compile(rf"2\.2\.1 .*now Yes – “Inspector's evidence\.” \(changed by {re.escape(str(inspector))} at ")
    )
    # The lead's own entries are shown again, unchanged.
    expect(second_page.get_by_role("group", name=re.compile(r"^2\.2\.1 ")).get_by_label("No")).to_be_checked()
    expect(second_page.get_by_role("group", name=re.compile(r"^2\.2\.2 ")).get_by_label("No")).to_be_checked()
    expect(second_page.get_by_label("Evidence for 2.2.1")).to_have_value(theirs)
    assert_accessible(second_page)

    # Nothing of theirs was written.
    draft_case.refresh_from_db()
    assert draft_case.version == version_after_first
    assert {
        a.question.code: (a.value, a.note, a.updated_by) for a in draft_case.answers.select_related("question")
    } == {"2.2.1": ("yes", "Inspector's evidence.", inspector)}

    # Saving again, having seen the change, keeps what is shown.
    second_page.get_by_role("button", name="Save and continue").click()
    expect(second_page.get_by_role("alert")).to_contain_text("2.2 Assessment saved")
    expect(second_page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^2\.3 "))
    draft_case.refresh_from_db()
    assert draft_case.version == version_after_first + 1
    assert {
        a.question.code: (a.value, a.note, a.updated_by) for a in draft_case.answers.select_related("question")
    } == {
        "2.2.1": ("no", theirs, lead_inspector),
        "2.2.2": ("no", "", lead_inspector),
    }


def test_autosave_saves_a_draft_shortly_after_a_change(page, inspector, draft_case):
    page.clock.install()
    sign_in(page, inspector)
    page.goto(f"{CASE_URL}sections/2.2/")
    pause_clock(page)
    status = page.locator("#autosave-status")
    version = page.locator('input[name="version"]')
    expect(version).to_have_value("1")

    # A radio: saved 1.5 seconds after the change, not before.
    page.get_by_role("group", name=re.compile(r"^2\.2\.1 ")).get_by_label("No").check()
    page.clock.run_for(1_000)
    expect(status).to_have_text("")
    with page.expect_response(lambda r: r.request.headers.get("x-autosave") == "1") as autosaved:
        page.clock.run_for(600)
    assert autosaved.value.status == 200
    expect(status).to_have_text(re.compile(r"^Draft saved at \d\d:\d\d$"))
    expect(version).to_have_value("2")
    assert {a.question.code: a.value for a in draft_case.answers.select_related("question")} == {"2.2.1": "no"}

    # Typing: saved 4 seconds after the last key.
    page.get_by_label("Evidence for 2.2.1").press_sequentially("Typed, not yet saved by hand.")
    with page.expect_response(lambda r: r.request.headers.get("x-autosave") == "1"):
        page.clock.run_for(4_100)
    expect(version).to_have_value("3")
    assert Answer.objects.get(case_review=draft_case, question__code="2.2.1").note == "Typed, not yet saved by hand."
    page.clock.resume()  # axe-core needs its timers
    assert_accessible(page)

    # Saving by hand afterwards carries the version autosave moved to: no conflict with oneself.
    page.get_by_role("group", name=re.compile(r"^2\.2\.2 ")).get_by_label("Yes").check()
    page.get_by_role("button", name="Save and return to the case").click()
    expect(page.get_by_role("alert")).to_contain_text("2.2 Assessment saved")
    answers = {a.question.code: a.value for a in draft_case.answers.select_related("question")}
    assert answers == {"2.2.1": "no", "2.2.2": "yes"}


def test_saving_while_an_autosave_is_on_its_way_is_not_a_conflict_with_oneself(page, inspector, draft_case):
    page.clock.install()
    sign_in(page, inspector)
    section = f"{CASE_URL}sections/2.2/"
    page.goto(section)
    pause_clock(page)

    # The autosave reaches the server, but its answer is slow to come back...
    held = []

    def hold_autosave(route):
        if route.request.headers.get("x-autosave") == "1":
            held.append((route, route.fetch()))
        else:
            route.continue_()

    page.route(f"**{section}", hold_autosave)
    page.get_by_role("group", name=re.compile(r"^2\.2\.1 ")).get_by_label("No").check()
    page.clock.run_for(1_600)
    while not held:
        page.wait_for_timeout(20)
    assert CaseReview.objects.get(pk=draft_case.pk).version == 2  # the server has saved the draft
    # ...and the inspector presses "Save" meanwhile.
    page.get_by_role("group", name=re.compile(r"^2\.2\.2 ")).get_by_label("Yes").check()
    page.get_by_role("button", name="Save and return to the case").click()
    for route, response in held:
        route.fulfill(response=response)
    expect(page.get_by_role("alert")).to_contain_text("2.2 Assessment saved")
    answers = {a.question.code: a.value for a in draft_case.answers.select_related("question")}
    assert answers == {"2.2.1": "no", "2.2.2": "yes"}
