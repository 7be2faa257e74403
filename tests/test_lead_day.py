"""The lead inspector's day: the quality assurance queue, the read-only case summary, and the
return page grouped by section. Through Django's test client, against the real database."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from casework import services
from casework.models import Answer, CaseReview, QAComment
from casework.qa_selectors import qa_queue
from casework.review_selectors import applicable_questions
from inspections.models import Inspection, TeamMember

from .factories import CaseReviewFactory, InspectionFactory, TeamMemberFactory, UserFactory, set_publication

QUEUE = "/qa/"


def case_url(review: CaseReview, name: str) -> str:
    return reverse(
        f"casework:{name}", kwargs={"reference": review.inspection.reference, "case_reference": review.case_reference}
    )


def questions_of(review: CaseReview):
    return applicable_questions(
        framework_id=review.inspection.framework_id, case_type=review.case_type, court_report=review.court_report
    )


def submitted(inspection, inspector, reference: str, **attributes) -> CaseReview:
    """A case put straight into "submitted" (the history records it, as it does for an import)."""
    return CaseReviewFactory(
        inspection=inspection, inspector=inspector, case_reference=reference, status="submitted", **attributes
    )


def answer_all(review: CaseReview, by, *, only: int | None = None) -> None:
    questions = questions_of(review)[:only]
    Answer.objects.bulk_create(
        Answer(case_review=review, question=q, value="no" if i % 3 == 0 else "yes", note=f"Evidence for {q.code}")
        for i, q in enumerate(questions)
    )


def queue_references(client) -> list[str]:
    html = client.get(QUEUE).content.decode()
    return re.findall(r'href="/inspections/[^/]+/cases/([^/]+)/summary/"', html)


@pytest.fixture
def other_inspection(db):
    """An inspection the lead inspector is not on, with its own lead and a submitted case."""
    other = InspectionFactory(reference="SW-OTH-2024")
    other_lead = UserFactory(email="other.lead@example.test", role=User.Role.LEAD_INSPECTOR)
    TeamMemberFactory(inspection=other, user=other_lead, role=TeamMember.Role.LEAD_INSPECTOR)
    submitted(other, other_lead, "X999999")
    return other


# --- The queue ----------------------------------------------------------------------------


def test_the_queue_lists_only_the_submitted_cases_of_inspections_the_user_leads(
    client, inspection, inspector, lead_inspector, administrator, other_inspection
):
    submitted(inspection, inspector, "X000001")
    CaseReviewFactory(inspection=inspection, inspector=inspector, case_reference="X000002")  # a draft
    CaseReviewFactory(inspection=inspection, inspector=inspector, case_reference="X000003", status="moderated")
    CaseReviewFactory(inspection=inspection, inspector=inspector, case_reference="X000004", status="returned")

    # An inspection the lead is on only as an inspector: not theirs to quality-assure.
    as_member = InspectionFactory(reference="SW-MEM-2024")
    TeamMemberFactory(inspection=as_member, user=lead_inspector, role=TeamMember.Role.INSPECTOR)
    submitted(as_member, lead_inspector, "X000005")

    client.force_login(lead_inspector)
    assert queue_references(client) == ["X000001"]
    client.force_login(administrator)
    assert sorted(queue_references(client)) == ["X000001", "X000005", "X999999"]


def test_the_queue_can_be_narrowed_to_one_inspection_as_home_links_it(
    client, inspection, inspector, lead_inspector, other_inspection
):
    submitted(inspection, inspector, "X000001")
    TeamMemberFactory(inspection=other_inspection, user=lead_inspector, role=TeamMember.Role.LEAD_INSPECTOR)
    client.force_login(lead_inspector)
    assert sorted(queue_references(client)) == ["X000001", "X999999"]
    html = client.get(QUEUE, {"inspection": "SW-OTH-2024"}).content.decode()
    assert re.findall(r"/cases/([^/]+)/summary/", html) == ["X999999"]
    assert "Show every inspection you lead" in html


def test_a_published_locked_inspections_submitted_cases_are_not_waiting(client, inspection, inspector, lead_inspector):
    submitted(inspection, inspector, "X000001")
    set_publication(inspection, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 1))
    client.force_login(lead_inspector)
    assert queue_references(client) == []
    assert "No cases are waiting for quality assurance" in client.get(QUEUE).content.decode()


@pytest.mark.parametrize("persona", ["inspector", "director", "analyst", "outside_inspector"])
def test_people_who_lead_no_inspection_do_not_get_the_queue(client, request, persona, inspection):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(QUEUE).status_code == 404


def test_an_inspector_who_leads_one_inspection_gets_the_queue_of_that_inspection(client, inspection, inspector):
    led = InspectionFactory(reference="SW-LED-2024")
    TeamMemberFactory(inspection=led, user=inspector, role=TeamMember.Role.LEAD_INSPECTOR)
    submitted(led, inspector, "X000007")
    submitted(inspection, inspector, "X000008")  # on the team there, not its lead
    client.force_login(inspector)
    assert queue_references(client) == ["X000007"]


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(QUEUE)
    assert response.status_code == 302 and "/sign-in/" in response["Location"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_queue_is_oldest_submission_first_and_a_later_edit_does_not_move_a_case(
    inspection, inspector, lead_inspector
):
    """Each step commits on its own, so the history's timestamps differ as they would in use."""
    status = CaseReview.objects.filter
    first, second, resubmitted = (
        CaseReviewFactory(inspection=inspection, inspector=inspector, case_reference=ref)
        for ref in ("X000001", "X000002", "X000003")
    )
    status(pk=resubmitted.pk).update(status="submitted")  # submitted first of all, then returned
    status(pk=first.pk).update(status="submitted")
    status(pk=second.pk).update(status="submitted")
    status(pk=resubmitted.pk).update(status="returned")
    status(pk=resubmitted.pk).update(status="submitted")
    # The lead corrects an answer of the first case after it was submitted: it keeps its place.
    services.case_review_save(
        review=first,
        by=lead_inspector,
        expected_version=1,
        answers={"2.2.1": services.AnswerInput("yes")},
        reason="typo",
    )
    assert CaseReview.objects.get(pk=first.pk).updated_at > CaseReview.objects.get(pk=second.pk).updated_at

    queue = list(qa_queue(user=lead_inspector))
    assert [r.case_reference for r in queue] == ["X000001", "X000002", "X000003"]
    assert [r.returned_before for r in queue] == [False, False, True]
    assert queue[0].submitted_at < queue[1].submitted_at < queue[2].submitted_at


def test_each_row_shows_inspection_case_inspector_type_when_and_whether_returned_before(
    client, inspection, inspector, lead_inspector
):
    review = submitted(inspection, inspector, "X000001", case_type="licence")
    CaseReview.objects.filter(pk=review.pk).update(status="returned")  # the history now holds a return
    CaseReview.objects.filter(pk=review.pk).update(status="submitted")
    client.force_login(lead_inspector)
    html = client.get(QUEUE).content.decode()
    assert f'href="{case_url(review, "summary")}"' in html
    assert "SW-TST-2024 · Test" in html
    assert str(inspector) in html and "Licence or post-sentence supervision" in html
    assert re.search(r"<time datetime=\"[^\"]+\"[^>]*>just now</time>", html)
    assert "Returned before" in html


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_queue_costs_the_same_number_of_queries_for_1_case_as_for_20(client, inspection, inspector, lead_inspector):
    submitted(inspection, inspector, "X000000")
    client.force_login(lead_inspector)
    one = _queries(client, QUEUE)
    for n in range(1, 20):
        review = submitted(inspection, inspector, f"X0000{n:02d}")
        if n % 2:
            CaseReview.objects.filter(pk=review.pk).update(status="returned")
            CaseReview.objects.filter(pk=review.pk).update(status="submitted")
    assert len(queue_references(client)) == 20
    assert _queries(client, QUEUE) == one
    assert one <= 6  # the session, the user, middleware bookkeeping and the queue itself: one query


def test_home_links_the_count_waiting_to_the_queue_in_one_click(client, inspection, inspector, lead_inspector):
    submitted(inspection, inspector, "X000001")
    client.force_login(lead_inspector)
    html = client.get("/").content.decode()
    link = re.search(r'<a class="govuk-link[^"]*" href="([^"]+)">1 waiting for quality assurance</a>', html)
    assert link and link.group(1) == "/qa/?inspection=SW-TST-2024"
    assert "X000001" in client.get(link.group(1).replace("&amp;", "&")).content.decode()


# --- The case summary ---------------------------------------------------------------------


def test_the_summary_shows_every_applicable_section_with_question_text_answer_and_evidence(
    client, inspection, inspector, lead_inspector
):
    review = submitted(inspection, inspector, "X000001")
    answer_all(review, inspector)
    QAComment.objects.create(
        case_review=review, question=None, text="Look again at the risk work.", author=lead_inspector
    )
    question = questions_of(review)[0]
    QAComment.objects.create(case_review=review, question=question, text="Is this right?", author=lead_inspector)
    client.force_login(inspector)
    html = client.get(case_url(review, "summary")).content.decode()
    headings = re.findall(r'<h2 class="govuk-heading-m" id="section-([^"]+)">', html)
    assert headings == ["2.2", "2.3", "2.4", "2.5", "case-wide"]  # no court report: no 2.1
    for q in questions_of(review):
        assert f'id="question-{q.code}"' in html and f"Evidence for {q.code}" in html
    assert question.text in html
    # The comments beside their questions, and the whole-case one at the top of the answers.
    row = html.split(f'id="question-{question.code}"')[1].split('class="govuk-summary-list__row"')[0]
    assert "Is this right?" in row
    assert html.index("Look again at the risk work.") < html.index('id="section-2.2"')
    # The case details, and no form controls: it is read-only.
    assert "RoSH level" in html and "Medium" in html
    main = html.split('id="main-content"')[1].split("</main>")[0]
    assert "<form" not in main and "<textarea" not in main and 'type="radio"' not in main


def test_the_lead_sees_the_actions_and_the_inspector_does_not(client, inspection, inspector, lead_inspector):
    review = submitted(inspection, inspector, "X000001")
    moderate, return_, reassign = case_url(review, "moderate"), case_url(review, "return"), case_url(review, "reassign")
    client.force_login(lead_inspector)
    html = client.get(case_url(review, "summary")).content.decode()
    assert f'action="{moderate}"' in html and f'href="{return_}"' in html and f'href="{reassign}"' in html
    client.force_login(inspector)
    html = client.get(case_url(review, "summary")).content.decode()
    assert moderate not in html and return_ not in html and reassign not in html


def test_a_draft_offers_the_lead_reassignment_but_not_moderation(client, inspection, inspector, lead_inspector):
    review = CaseReviewFactory(inspection=inspection, inspector=inspector, case_reference="X000001")
    client.force_login(lead_inspector)
    html = client.get(case_url(review, "summary")).content.decode()
    assert case_url(review, "moderate") not in html and case_url(review, "reassign") in html


def test_a_published_inspection_is_read_on_the_summary_with_no_actions(client, inspection, inspector, lead_inspector):
    review = submitted(inspection, inspector, "X000001")
    answer_all(review, inspector)
    set_publication(inspection, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 1))
    client.force_login(lead_inspector)
    html = client.get(case_url(review, "summary")).content.decode()
    assert "is published, so the case review is read-only" in html
    assert case_url(review, "moderate") not in html and case_url(review, "reassign") not in html
    assert "Evidence for 2.2.1" in html


def test_the_summary_is_not_found_for_people_outside_the_team(
    client, inspection, inspector, outside_inspector, director, analyst
):
    review = submitted(inspection, inspector, "X000001")
    for user in (outside_inspector, director, analyst):
        client.force_login(user)
        assert client.get(case_url(review, "summary")).status_code == 404


def test_moderating_from_the_summary_posts_to_the_moderate_view(client, inspection, inspector, lead_inspector):
    review = submitted(inspection, inspector, "X000001")
    client.force_login(lead_inspector)
    assert client.post(case_url(review, "moderate")).status_code == 302
    assert CaseReview.objects.get(pk=review.pk).status == "moderated"


def test_the_summary_costs_the_same_number_of_queries_for_3_answers_as_for_70(
    client, inspection, inspector, lead_inspector
):
    few = submitted(inspection, inspector, "X000001", case_type="licence", court_report="standard")
    many = submitted(inspection, inspector, "X000002", case_type="licence", court_report="standard")
    answer_all(few, inspector, only=3)
    answer_all(many, inspector)
    assert few.answers.count() == 3 and many.answers.count() >= 70
    for review in (few, many):
        QAComment.objects.create(case_review=review, question=None, text="Whole case", author=lead_inspector)
    QAComment.objects.bulk_create(
        QAComment(case_review=many, question=q, text="Check", author=lead_inspector) for q in questions_of(many)[:20]
    )
    client.force_login(lead_inspector)
    assert _queries(client, case_url(few, "summary")) == _queries(client, case_url(many, "summary"))


# --- The return page ----------------------------------------------------------------------


def test_the_return_page_groups_the_questions_by_section_with_text_answer_evidence_and_a_box_each(
    client, inspection, inspector, lead_inspector
):
    review = submitted(inspection, inspector, "X000001")
    answer_all(review, inspector)
    client.force_login(lead_inspector)
    html = client.get(case_url(review, "return")).content.decode()
    sections = re.findall(r'<h3 class="govuk-heading-m[^"]*" id="section-([^"]+)">', html)
    assert sections == ["2.2", "2.3", "2.4", "2.5", "case-wide"]
    assert html.index('id="general"') < html.index('id="section-2.2"')  # the whole-case box first
    boxes = re.findall(r'<textarea[^>]* name="comment-([^"]+)"', html)
    assert boxes == [q.code for q in questions_of(review)]
    first = questions_of(review)[0]
    block = html.split(f'id="question-{first.code}"')[1].split("</details>")[0]
    assert (
        first.text in block
        and "Answer: <strong>No</strong>" in block
        and f"Evidence: Evidence for {first.code}" in block
    )
    assert " open>" not in html  # nothing typed yet: every comment box starts closed


def test_returning_with_a_whole_case_and_a_question_comment_writes_both_through_the_service(
    client, inspection, inspector, lead_inspector
):
    review = submitted(inspection, inspector, "X000001")
    client.force_login(lead_inspector)
    response = client.post(
        case_url(review, "return"), {"general": "Check the risk work throughout.", "comment-2.3.1": "Plan is thin."}
    )
    assert response.status_code == 302
    assert CaseReview.objects.get(pk=review.pk).status == "returned"
    comments = {c.question.code if c.question else None: c.text for c in QAComment.objects.filter(case_review=review)}
    assert comments == {None: "Check the risk work throughout.", "2.3.1": "Plan is thin."}


def test_returning_with_no_comment_is_an_error_and_changes_nothing(client, inspection, inspector, lead_inspector):
    review = submitted(inspection, inspector, "X000001")
    client.force_login(lead_inspector)
    response = client.post(case_url(review, "return"), {"general": "  "})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Error: " in html and 'href="#general"' in html and "at least one comment" in html
    assert CaseReview.objects.get(pk=review.pk).status == "submitted" and not QAComment.objects.exists()


def test_a_comment_box_with_an_error_or_text_is_shown_open(client, inspection, inspector, lead_inspector):
    review = submitted(inspection, inspector, "X000001")
    client.force_login(lead_inspector)
    response = client.post(case_url(review, "return"), {"comment-2.2.1": "Check\x00", "comment-2.3.1": "Kept"})
    assert response.status_code == 400
    html = response.content.decode()
    for code in ("2.2.1", "2.3.1"):
        block = html.split(f'id="question-{code}"')[1].split("</details>")[0]
        assert '<details class="govuk-details govuk-!-margin-bottom-0" open>' in block
    assert 'href="#comment-2.2.1"' in html and "Kept</textarea>" in html


def test_the_return_page_costs_the_same_number_of_queries_for_3_answers_as_for_70(
    client, inspection, inspector, lead_inspector
):
    few = submitted(inspection, inspector, "X000001", case_type="licence", court_report="standard")
    many = submitted(inspection, inspector, "X000002", case_type="licence", court_report="standard")
    answer_all(few, inspector, only=3)
    answer_all(many, inspector)
    client.force_login(lead_inspector)
    assert _queries(client, case_url(few, "return")) == _queries(client, case_url(many, "return"))


def test_the_case_page_links_to_its_summary(client, inspection, inspector):
    review = submitted(inspection, inspector, "X000001")
    client.force_login(inspector)
    html = client.get(case_url(review, "case_review")).content.decode()
    assert f'href="{case_url(review, "summary")}">Read every answer on one page</a>' in html
