"""The case review pages, through Django's test client: validation, stale saves, QA, scoping."""

import pytest
from django.urls import reverse

from casework import review_selectors, services
from casework.models import Answer, CaseReview
from casework.services import AnswerInput

from .factories import CaseReviewFactory


@pytest.fixture
def review(inspection, inspector):
    return CaseReviewFactory(inspection=inspection, inspector=inspector, case_reference="X300001")


def url(review, name="case_review", **kwargs):
    return reverse(
        f"casework:{name}",
        kwargs={"reference": review.inspection.reference, "case_reference": review.case_reference, **kwargs},
    )


def section_post(version, **answers):
    data = {"version": version, "save": ""}
    data.update({f"answer-{code}": value for code, value in answers.items()})
    return data


def test_the_case_page_shows_a_task_list_of_the_sections_that_apply(client, review, inspector):
    client.force_login(inspector)
    page = client.get(url(review)).content.decode()
    assert "2.2 Assessment" in page and "Across the case" in page
    assert "2.1 Court work" not in page  # no court report in this case
    assert "Check your answers and submit" in page


def test_saving_a_section_stores_answers_and_notes(client, review, inspector):
    client.force_login(inspector)
    data = section_post(1, **{"2.2.1": "yes", "2.2.3.e": "not_applicable"})
    data["note-2.2.1"] = "Motivation explored"
    response = client.post(url(review, "section", slug="2.2"), data)
    assert response.status_code == 302
    assert dict(Answer.objects.filter(case_review=review).values_list("question__code", "value")) == {
        "2.2.1": "yes",
        "2.2.3.e": "not_applicable",
    }
    assert Answer.objects.get(case_review=review, question__code="2.2.1").note == "Motivation explored"


def test_not_applicable_on_a_question_that_forbids_it_is_a_field_error_and_nothing_is_saved(client, review, inspector):
    client.force_login(inspector)
    response = client.post(
        url(review, "section", slug="2.2"), section_post(1, **{"2.2.1": "not_applicable", "2.2.2": "yes"})
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and 'href="#answer-2.2.1"' in page
    assert not Answer.objects.filter(case_review=review).exists()


def test_a_section_that_does_not_apply_is_not_found(client, review, inspector):
    client.force_login(inspector)
    assert client.get(url(review, "section", slug="2.1")).status_code == 404


def test_a_stale_save_is_refused_shows_the_users_entries_again_and_names_the_change(
    client, review, inspector, lead_inspector
):
    services.case_review_save(
        review=review, by=lead_inspector, expected_version=1, answers={"2.2.2": AnswerInput("no", "Weak")}
    )
    client.force_login(inspector)
    data = section_post(1, **{"2.2.1": "yes"})
    data["note-2.2.1"] = "My careful evidence"
    response = client.post(url(review, "section", slug="2.2"), data)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this case review" in page
    assert "2.2.2" in page and str(lead_inspector) in page
    assert "My careful evidence" in page
    assert 'name="version" value="2"' in page
    assert not Answer.objects.filter(case_review=review, question__code="2.2.1").exists()


def test_autosave_returns_the_new_version_and_a_stale_autosave_is_refused(client, review, inspector):
    client.force_login(inspector)
    first = client.post(url(review, "section", slug="2.2"), section_post(1, **{"2.2.1": "yes"}), HTTP_X_AUTOSAVE="1")
    assert first.json() == {"saved": True, "version": 2}
    stale = client.post(url(review, "section", slug="2.2"), section_post(1, **{"2.2.1": "no"}), HTTP_X_AUTOSAVE="1")
    assert stale.status_code == 409 and stale.json()["stale"] is True
    assert Answer.objects.get(case_review=review, question__code="2.2.1").value == "yes"


def test_submit_with_missing_answers_lists_each_with_a_link(client, review, inspector):
    client.force_login(inspector)
    response = client.post(url(review, "submit"), {"version": 1})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Answer every question before you submit" in page
    assert "sections/2.2/?missing=1" in page
    assert CaseReview.objects.get(pk=review.pk).status == "draft"


def test_lead_returns_with_a_comment_the_inspector_sees_it_beside_the_question(
    client, review, inspector, lead_inspector
):
    questions = review_selectors.applicable_questions(
        framework_id=review.inspection.framework_id, case_type=review.case_type, court_report=review.court_report
    )
    services.case_review_save(
        review=review, by=inspector, expected_version=1, answers={q.code: AnswerInput("yes") for q in questions}
    )
    services.case_review_submit(review=review, by=inspector, expected_version=2)
    client.force_login(inspector)
    assert client.get(url(review, "return")).status_code == 403
    client.force_login(lead_inspector)
    empty = client.post(url(review, "return"), {"general": ""})
    assert empty.status_code == 400 and "at least one comment" in empty.content.decode()
    response = client.post(url(review, "return"), {"comment-2.2.3": "No police enquiry is recorded"})
    assert response.status_code == 302
    assert CaseReview.objects.get(pk=review.pk).status == "returned"
    client.force_login(inspector)
    page = client.get(url(review, "section", slug="2.2")).content.decode()
    assert "No police enquiry is recorded" in page


def test_people_outside_the_team_get_not_found_and_readers_cannot_post(client, review, outside_inspector, director):
    for user in (outside_inspector, director):
        client.force_login(user)
        assert client.get(url(review)).status_code == 404
        assert client.post(url(review, "section", slug="2.2"), section_post(1, **{"2.2.1": "yes"})).status_code == 404
    assert not Answer.objects.exists()


def test_the_history_page_lists_each_change_with_who_and_why(client, review, inspector, lead_inspector):
    services.case_review_save(review=review, by=inspector, expected_version=1, answers={"2.2.1": AnswerInput("yes")})
    services.case_review_save(
        review=review, by=inspector, expected_version=2, answers={"2.2.1": AnswerInput("no")}, attributes={"tier": "A"}
    )
    Answer.objects.filter(case_review=review).update(note="Edited in bulk")
    client.force_login(lead_inspector)
    page = client.get(url(review, "history")).content.decode()
    assert "Not answered → Yes" in page and "Yes → No" in page
    assert "Tier" in page and "B → A" in page
    assert "Edited in bulk" in page and "No user recorded" in page


def test_the_case_review_pages_cost_the_same_queries_whatever_the_number_of_answers(client, review, inspector):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(inspector)
    client.get(url(review, "section", slug="2.2"))  # warm the session and content-type caches

    def queries():
        with CaptureQueriesContext(connection) as section, CaptureQueriesContext(connection) as both:
            client.get(url(review, "section", slug="2.2"))
        with CaptureQueriesContext(connection) as overview:
            client.get(url(review))
        return len(section.captured_queries), len(overview.captured_queries), len(both.captured_queries)

    before = queries()
    questions = review_selectors.applicable_questions(
        framework_id=review.inspection.framework_id, case_type=review.case_type, court_report=review.court_report
    )
    services.case_review_save(
        review=review, by=inspector, expected_version=1, answers={q.code: AnswerInput("yes", "note") for q in questions}
    )
    assert queries() == before


def test_an_answer_removed_because_its_question_stopped_applying_stays_in_the_history(client, review, inspector):
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
    client.force_login(inspector)
    page = client.get(url(review, "history")).content.decode()
    assert "2.1.1" in page and "No → Removed" in page
    assert "Court report" in page and "Oral → None" in page


def test_a_service_refusal_is_a_message_on_the_page_and_a_refusal_of_the_person_the_403_page(
    client, review, inspector, lead_inspector
):
    client.force_login(lead_inspector)
    response = client.post(url(review, "moderate"), follow=True)
    assert "Only a submitted case review can be moderated." in response.content.decode()
    review.refresh_from_db()
    assert review.status == "draft"
    client.force_login(inspector)
    assert client.post(url(review, "moderate")).status_code == 403
    review.refresh_from_db()
    assert review.status == "draft"
