"""The inspector's day: the lead's comments where they are seen, replies, check your answers, and an
incomplete submit that points at each section and then at each unanswered question in it."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework import review_selectors, services
from casework.models import CaseReview, QAComment, QACommentEvent
from casework.services import AnswerInput
from inspections.errors import Refused
from inspections.models import Inspection

from .factories import CaseReviewFactory, TeamMemberFactory, UserFactory, set_publication

CASE_COMMENT = "The case summary does not say why the order was made: add it to the evidence."
QUESTION_COMMENT = "No police enquiry is recorded for domestic abuse."


@pytest.fixture
def review(inspection, inspector):
    return CaseReviewFactory(inspection=inspection, inspector=inspector, case_reference="X700001")


def url(review, name="case_review", **kwargs):
    return reverse(
        f"casework:{name}",
        kwargs={"reference": review.inspection.reference, "case_reference": review.case_reference, **kwargs},
    )


def questions(review):
    return review_selectors.review_questions(review)


def answer(review, by, codes, value="yes", note=""):
    current = CaseReview.objects.get(pk=review.pk)
    return services.case_review_save(
        review=current,
        by=by,
        expected_version=current.version,
        answers={code: AnswerInput(value, note) for code in codes},
    )


@pytest.fixture
def returned(review, inspector, lead_inspector):
    """The case answered in full, submitted, and returned with a whole-case and a 2.2.1 comment."""
    saved = answer(review, inspector, [q.code for q in questions(review)])
    services.case_review_submit(review=saved, by=inspector, expected_version=saved.version)
    services.case_review_return(
        review=saved, by=lead_inspector, comments={None: CASE_COMMENT, "2.2.1": QUESTION_COMMENT}
    )
    return CaseReview.objects.get(pk=review.pk)


def comment_on(review, code):
    return (
        QAComment.objects.get(case_review=review, question__code=code)
        if code
        else QAComment.objects.get(case_review=review, question__isnull=True)
    )


# --- The reply service -------------------------------------------------------------------


def test_the_assigned_inspector_replies_to_a_comment_and_the_reply_is_audited_with_a_reason(returned, inspector):
    comment = comment_on(returned, "2.2.1")
    services.qa_comment_reply(comment=comment, by=inspector, text="  Checked: the enquiry is in the risk section.  ")
    comment.refresh_from_db()
    assert comment.reply == "Checked: the enquiry is in the risk section."
    assert comment.replied_at is not None and comment.resolved_at is None
    event = QACommentEvent.objects.filter(pgh_obj=comment).latest("pgh_id")
    assert event.reply == comment.reply
    assert event.pgh_context.metadata == {"user": inspector.pk, "reason": "replied to a quality-assurance comment"}
    # Replying again replaces the reply; the history keeps the first.
    services.qa_comment_reply(comment=comment, by=inspector, text="Corrected the answer instead.")
    comment.refresh_from_db()
    assert comment.reply == "Corrected the answer instead."
    assert QACommentEvent.objects.filter(pgh_obj=comment, reply="Checked: the enquiry is in the risk section.").exists()


def test_only_the_assigned_inspector_may_reply(returned, inspection, lead_inspector):
    other = UserFactory(email="other.inspector@example.test")
    TeamMemberFactory(inspection=inspection, user=other)
    comment = comment_on(returned, None)
    for person in (lead_inspector, other):
        with pytest.raises(Refused) as refused:
            services.qa_comment_reply(comment=comment, by=person, text="Not mine to answer")
        assert refused.value.code == "not_allowed"
    comment.refresh_from_db()
    assert comment.reply == "" and comment.replied_at is None


def test_an_empty_reply_is_a_validation_error_and_nothing_is_stored(returned, inspector):
    comment = comment_on(returned, None)
    with pytest.raises(ValidationError) as error:
        services.qa_comment_reply(comment=comment, by=inspector, text="   ")
    assert "reply" in error.value.message_dict
    comment.refresh_from_db()
    assert comment.reply == ""


def test_a_resolved_comment_or_a_published_inspection_takes_no_reply(returned, inspector):
    comment = comment_on(returned, "2.2.1")
    resubmitted = services.case_review_submit(review=returned, by=inspector, expected_version=returned.version)
    assert resubmitted.status == CaseReview.Status.SUBMITTED
    with pytest.raises(Refused) as refused:
        services.qa_comment_reply(comment=comment, by=inspector, text="Too late")
    assert refused.value.code == "wrong_state"

    set_publication(returned.inspection, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 1))
    with pytest.raises(Refused) as refused:
        services.qa_comment_reply(comment=comment, by=inspector, text="Too late")
    assert refused.value.code == "locked"


# --- The lead's comments where the inspector looks -----------------------------------------


def test_a_returned_case_shows_every_open_comment_at_the_top_linking_to_its_question(client, returned, inspector):
    client.force_login(inspector)
    page = client.get(url(returned)).content.decode()
    banner = page[page.index("govuk-notification-banner") : page.index("<h1")]
    assert "Returned by the lead inspector with 2 comments to address" in banner
    assert CASE_COMMENT in banner and QUESTION_COMMENT in banner
    assert banner.index(CASE_COMMENT) < banner.index(QUESTION_COMMENT)  # the whole case's first
    assert f'href="{url(returned, "section", slug="2.2")}#field-2.2.1"' in banner
    assert banner.count('name="reply"') == 2


def test_the_whole_case_comment_is_on_every_section_page_and_the_inspectors_home(client, returned, inspector):
    client.force_login(inspector)
    for section in review_selectors.review_sections(returned):
        assert CASE_COMMENT in client.get(url(returned, "section", slug=section.slug)).content.decode(), section.slug
    home = client.get("/").content.decode()
    assert CASE_COMMENT in home and returned.case_reference in home


def test_the_lead_sees_the_reply_but_gets_no_reply_form(client, returned, inspector, lead_inspector):
    services.qa_comment_reply(comment=comment_on(returned, None), by=inspector, text="Reason added to 2.2.1")
    client.force_login(lead_inspector)
    page = client.get(url(returned)).content.decode()
    assert f"Reply from {inspector}: “Reason added to 2.2.1”" in page
    assert 'name="reply"' not in page
    assert (
        client.post(url(returned, "reply"), {"comment": comment_on(returned, None).pk, "reply": "x"}).status_code == 403
    )


def test_replying_through_the_case_page_and_an_empty_reply_shows_an_error(client, returned, inspector):
    client.force_login(inspector)
    comment = comment_on(returned, "2.2.1")
    empty = client.post(url(returned, "reply"), {"comment": comment.pk, "reply": " "})
    assert empty.status_code == 400
    page = empty.content.decode()
    assert "<title>Error: " in page and f'href="#reply-{comment.pk}"' in page and "Enter your reply" in page
    saved = client.post(url(returned, "reply"), {"comment": comment.pk, "reply": "It is in the risk section."})
    assert saved.status_code == 302 and saved.url.endswith(f"#comment-{comment.pk}")
    comment.refresh_from_db()
    assert comment.reply == "It is in the risk section."
    # Someone else's case's comment is not found through this case.
    other = CaseReviewFactory(inspection=returned.inspection, inspector=inspector, case_reference="X700002")
    assert client.post(url(other, "reply"), {"comment": comment.pk, "reply": "x"}).status_code == 404


# --- Check your answers ------------------------------------------------------------------


def test_check_your_answers_lists_every_question_by_section_with_answer_evidence_and_change_link(
    client, review, inspector
):
    asked = questions(review)
    answer(review, inspector, [q.code for q in asked], note="Seen in the case record")
    answer(review, inspector, ["2.2.1"], value="no", note="No police check")
    client.force_login(inspector)
    response = client.get(url(review, "check_answers"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Check your answers before you submit" in page
    for section in review_selectors.review_sections(review):
        assert f">{section.title}</h2>" in page
        for q in section.questions:
            assert f'href="{url(review, "section", slug=section.slug)}#field-{q.code}"' in page, q.code
    assert page.count("govuk-summary-list__row") == len(asked)
    assert page.count(">Change<") == len(asked)
    assert "Evidence: No police check" in page and page.count("Evidence: Seen in the case record") == len(asked) - 1
    assert "Submit for quality assurance" in page and "Not answered" not in page


def test_check_your_answers_marks_what_is_not_answered(client, review, inspector):
    answer(review, inspector, ["2.2.1"])
    client.force_login(inspector)
    page = client.get(url(review, "check_answers")).content.decode()
    assert page.count("Not answered") == len(questions(review)) - 1
    assert re.search(r"\d+ questions are not answered yet", page)


def test_check_your_answers_costs_the_same_queries_however_many_answers(client, review, inspector):
    client.force_login(inspector)
    client.get(url(review, "check_answers"))  # warm the per-process caches
    counts = []
    asked = [q.code for q in questions(review)]
    for codes in (asked[:1], asked):
        answer(review, inspector, codes)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(review, "check_answers")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_the_lead_reads_a_submitted_cases_answers_without_change_links_or_submit(
    client, review, inspector, lead_inspector
):
    saved = answer(review, inspector, [q.code for q in questions(review)])
    services.case_review_submit(review=saved, by=inspector, expected_version=saved.version)
    client.force_login(inspector)
    page = client.get(url(review, "check_answers")).content.decode()
    assert ">Change<" not in page and "Submit for quality assurance" not in page


# --- An incomplete submit ----------------------------------------------------------------


def test_an_incomplete_submit_lists_one_line_per_section_with_a_count(client, review, inspector):
    sections = review_selectors.review_sections(review)
    assessment = next(s for s in sections if s.slug == "2.2")
    answered = [q.code for s in sections for q in s.questions if s.slug != "2.2"] + [
        q.code for q in assessment.questions[4:]
    ]
    answer(review, inspector, answered)
    client.force_login(inspector)
    version = CaseReview.objects.get(pk=review.pk).version
    response = client.post(url(review, "submit"), {"version": version})
    assert response.status_code == 400
    page = response.content.decode()
    summary = page[page.index("govuk-error-summary") : page.index("</ul>", page.index("govuk-error-summary"))]
    links = re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', summary)
    assert links == [
        (f"{url(review, 'section', slug='2.2')}?missing=1", f"{assessment.title}: 4 questions not answered")
    ]
    assert "4 questions still need an answer" in summary
    assert CaseReview.objects.get(pk=review.pk).status == CaseReview.Status.DRAFT


def test_an_empty_case_lists_each_section_once_not_every_question(client, review, inspector):
    client.force_login(inspector)
    page = client.post(url(review, "submit"), {"version": 1}).content.decode()
    sections = review_selectors.review_sections(review)
    summary = page[page.index("govuk-error-summary") : page.index("</ul>", page.index("govuk-error-summary"))]
    assert summary.count("<li>") == len(sections)
    for section in sections:
        n = section.total
        assert f"{section.title}: {n} question{'s' if n != 1 else ''} not answered" in summary


def test_a_stale_submit_goes_back_to_check_answers_with_the_message(client, review, inspector):
    client.force_login(inspector)
    response = client.post(url(review, "submit"), {"version": 99}, follow=True)
    assert response.redirect_chain[-1][0] == url(review, "check_answers")
    assert "changed by someone else" in response.content.decode()


def test_a_section_opened_from_the_summary_shows_its_own_missing_answers_inline(client, review, inspector):
    assessment = next(s for s in review_selectors.review_sections(review) if s.slug == "2.2")
    missing = [q.code for q in assessment.questions[:3]]
    answer(review, inspector, [q.code for q in assessment.questions[3:]])
    client.force_login(inspector)
    response = client.get(url(review, "section", slug="2.2") + "?missing=1")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Error: " in page and 'data-module="govuk-error-summary"' in page
    summary = page[page.index("govuk-error-summary") : page.index("</ul>", page.index("govuk-error-summary"))]
    assert re.findall(r'href="#([^"]+)"', summary) == [f"answer-{code}" for code in missing]
    for code in missing:
        assert f'<p id="answer-{code}-error" class="govuk-error-message">' in page
    assert page.count("govuk-form-group--error") == len(missing)
    # Without the parameter the section is as it always was.
    plain = client.get(url(review, "section", slug="2.2")).content.decode()
    assert "govuk-error-summary" not in plain
