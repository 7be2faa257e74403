"""The case history as a timeline: one entry per save, readable values, filters, a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework import review_selectors, services
from casework.history_selectors import ChangeKind, case_review_timeline
from casework.models import Answer
from casework.services import AnswerInput

from .factories import CaseReviewFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(inspection, inspector):
    return CaseReviewFactory(inspection=inspection, inspector=inspector, case_reference="X300001")


def history_url(review, **query):
    path = reverse(
        "casework:history", kwargs={"reference": review.inspection.reference, "case_reference": review.case_reference}
    )
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def questions(review):
    return review_selectors.applicable_questions(
        framework_id=review.inspection.framework_id, case_type=review.case_type, court_report=review.court_report
    )


def answer_all(review, by, version, value="yes", count=None):
    codes = [q.code for q in questions(review)][:count]
    return services.case_review_save(
        review=review, by=by, expected_version=version, answers={code: AnswerInput(value) for code in codes}
    )


def test_each_save_is_one_entry_with_who_why_and_how_many_answers(review, inspector, lead_inspector):
    answer_all(review, inspector, 1, count=3)
    services.case_review_save(
        review=review,
        by=inspector,
        expected_version=2,
        answers={"2.2.1": AnswerInput("no")},
        attributes={"tier": "A"},
        reason="Checked the records again",
    )
    timeline = case_review_timeline(review)
    newest, first, added = timeline.entries
    assert added.summary == "Case added to the sample"  # the factory's insert: a save of its own
    assert (first.by, first.answers_changed) == (str(inspector), 3)
    assert (newest.answers_changed, newest.reason) == (1, "Checked the records again")
    assert newest.kinds == {ChangeKind.ANSWERS, ChangeKind.DETAILS}
    changes = {(c.label, c.before, c.after) for c in newest.changes}
    assert ("2.2.1", "Yes", "No") in changes and ("Tier", "B", "A") in changes
    assert [c.text for c in newest.changes if c.label == "2.2.1"] == [
        "Does assessment focus sufficiently on engaging the person on probation?"
    ]


def test_values_read_as_words_not_codes(client, review, inspector, lead_inspector):
    services.case_review_save(review=review, by=inspector, expected_version=1, answers={"2.2.1": AnswerInput("yes")})
    client.force_login(lead_inspector)
    page = client.get(history_url(review)).content.decode()
    assert "Not answered → Yes" in page
    assert "— → yes" not in page and "→ yes" not in page
    assert 'class="app-timeline"' in page and "govuk-details" in page
    text = Answer.objects.get(case_review=review).question.text
    assert text in page  # the question's text, not only its code


def test_a_removed_answer_reads_removed(client, review, inspector):
    services.case_review_save(
        review=review,
        by=inspector,
        expected_version=1,
        attributes={"court_report": "oral"},
        answers={"2.1.1": AnswerInput("no")},
    )
    services.case_review_save(
        review=review,
        by=inspector,
        expected_version=2,
        attributes={"court_report": "none"},
        remove_answers_that_no_longer_apply=True,
    )
    removal = case_review_timeline(review).entries[0]
    assert ("2.1.1", "No", "Removed") in {(c.label, c.before, c.after) for c in removal.changes}
    assert "no longer asked" in removal.reason


def test_status_changes_use_the_case_state_vocabulary(review, inspector, lead_inspector):
    answer_all(review, inspector, 1)
    services.case_review_submit(review=review, by=inspector, expected_version=2)
    services.case_review_return(review=review, by=lead_inspector, comments={None: "Say more about risk"})
    timeline = case_review_timeline(review, kind=ChangeKind.STATUS)
    statuses = [(c.before, c.after) for e in timeline.entries for c in e.changes if c.label == "Status"]
    assert ("Submitted", "Returned") in statuses and ("In progress", "Submitted") in statuses
    assert not any("Draft" in pair for pair in statuses)
    comments = case_review_timeline(review, kind=ChangeKind.COMMENTS).entries
    assert comments and comments[0].changes[0].after == "Say more about risk"


def test_filters_by_person_and_kind_and_the_url_holds_them(client, review, inspector, lead_inspector):
    answer_all(review, inspector, 1, count=2)
    services.case_review_reassign(review=review, to=lead_inspector, by=lead_inspector, reason="Cover for leave")
    client.force_login(lead_inspector)
    page = client.get(history_url(review, person=lead_inspector.pk)).content.decode()
    assert "Cover for leave" in page and "2 answers" not in page
    assert f'<option value="{lead_inspector.pk}" selected>' in page and "Clear filters" in page
    page = client.get(history_url(review, kind="answers")).content.decode()
    assert "2 answers" in page and "Cover for leave" not in page
    assert '<option value="answers" selected>' in page
    page = client.get(history_url(review, kind="nonsense", person="999999")).content.decode()
    assert "Cover for leave" in page and "2 answers" in page  # unknown filters show everything


def test_the_timeline_costs_the_same_queries_from_3_to_70_answers(client, inspection, inspector, lead_inspector):
    # With a court report the case asks 70 questions.
    review = CaseReviewFactory(
        inspection=inspection, inspector=inspector, case_reference="X300070", court_report="oral"
    )
    client.force_login(lead_inspector)
    client.get(history_url(review))  # warm the session and content-type caches

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(history_url(review)).status_code == 200
        return len(queries)

    answer_all(review, inspector, 1, count=3)
    services.case_review_save(
        review=review, by=inspector, expected_version=2, answers={"2.2.1": AnswerInput("no")}, reason="Second look"
    )
    few = count()
    assert len(questions(review)) == 70
    answer_all(review, inspector, 3, value="no")
    services.case_review_submit(review=review, by=inspector, expected_version=4)
    services.case_review_return(review=review, by=lead_inspector, comments={None: "More on risk", "2.2.1": "Why?"})
    many = count()
    assert Answer.objects.filter(case_review=review).count() == len(questions(review))
    assert few == many, (few, many)
