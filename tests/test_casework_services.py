"""The case review workflow: saving, stale edits, submission, quality assurance, locking."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InternalError, transaction

from casework import review_selectors, services
from casework.models import Answer, CaseReview, QAComment
from casework.services import AnswerInput, StaleEdit
from inspections.errors import Refused

from .factories import CaseReviewFactory, UserFactory, set_publication


@pytest.fixture
def review(inspection, inspector):
    return CaseReviewFactory(inspection=inspection, inspector=inspector, case_reference="X200001")


def all_yes(review):
    return {
        q.code: AnswerInput("yes")
        for q in review_selectors.applicable_questions(
            framework_id=review.inspection.framework_id, case_type=review.case_type, court_report=review.court_report
        )
    }


def test_an_incomplete_save_keeps_the_answers_and_moves_the_version(review, inspector):
    saved = services.case_review_save(
        review=review,
        by=inspector,
        expected_version=1,
        answers={"2.2.1": AnswerInput("yes", " Good engagement "), "2.2.3.e": AnswerInput("not_applicable")},
    )
    assert saved.version == 2
    answers = {
        a.question.code: (a.value, a.note, a.changed_in_version) for a in Answer.objects.filter(case_review=review)
    }
    assert answers == {"2.2.1": ("yes", "Good engagement", 2), "2.2.3.e": ("not_applicable", "", 2)}


def test_a_save_that_changes_nothing_keeps_the_version(review, inspector):
    services.case_review_save(review=review, by=inspector, expected_version=1, answers={"2.2.1": AnswerInput("yes")})
    again = services.case_review_save(
        review=review, by=inspector, expected_version=2, answers={"2.2.1": AnswerInput("yes")}
    )
    assert again.version == 2


def test_stale_save_is_refused_names_the_changes_and_writes_nothing(review, inspector, lead_inspector):
    services.case_review_save(
        review=review, by=lead_inspector, expected_version=1, answers={"2.2.1": AnswerInput("no", "Weak")}
    )
    with pytest.raises(StaleEdit) as refused:
        services.case_review_save(
            review=review,
            by=inspector,
            expected_version=1,
            answers={"2.2.1": AnswerInput("yes"), "2.2.2": AnswerInput("yes")},
        )
    changes = refused.value.changes
    assert [c.label.split()[0] for c in changes] == ["2.2.1"]
    assert changes[0].by == str(lead_inspector) and changes[0].value.startswith("No")
    assert list(Answer.objects.filter(case_review=review).values_list("question__code", "value")) == [("2.2.1", "no")]
    assert CaseReview.objects.get(pk=review.pk).version == 2


def test_a_stale_save_names_changed_case_details(review, inspector, lead_inspector):
    services.case_review_save(review=review, by=lead_inspector, expected_version=1, attributes={"rosh_level": "high"})
    with pytest.raises(StaleEdit) as refused:
        services.case_review_save(review=review, by=inspector, expected_version=1, attributes={"tier": "A"})
    assert [(c.label, c.value) for c in refused.value.changes] == [("RoSH level", "High")]
    assert CaseReview.objects.get(pk=review.pk).tier == "B"


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"2.2.1": AnswerInput("not_applicable")}, "applies to every case"),
        ({"2.2.1": AnswerInput("maybe")}, "Select yes, no or not applicable"),
        ({"2.1.1": AnswerInput("yes")}, "not asked in a case of this type"),
        ({"C.2": AnswerInput("yes")}, "not asked in a case of this type"),
        ({"9.9.9": AnswerInput("yes")}, "not asked"),
    ],
)
def test_bad_answers_are_refused_with_a_message_and_nothing_is_written(review, inspector, answers, message):
    with pytest.raises(ValidationError, match=message):
        services.case_review_save(
            review=review, by=inspector, expected_version=1, answers={"2.2.2": AnswerInput("yes"), **answers}
        )
    assert not Answer.objects.filter(case_review=review).exists()
    assert CaseReview.objects.get(pk=review.pk).version == 1


def test_removing_the_court_report_removes_court_work_answers_so_they_stop_counting(review, inspector):
    services.case_review_save(
        review=review,
        by=inspector,
        expected_version=1,
        attributes={"court_report": "oral"},
        answers={"2.1.1": AnswerInput("no")},
    )
    # Refused until the inspector confirms: nothing written, the answer still there.
    with pytest.raises(Refused) as refused:
        services.case_review_save(review=review, by=inspector, expected_version=2, attributes={"court_report": "none"})
    assert refused.value.code == "answers_would_be_removed" and "2.1.1" in refused.value.message
    review.refresh_from_db()
    assert review.court_report == "oral" and review.version == 2
    services.case_review_save(
        review=review,
        by=inspector,
        expected_version=2,
        attributes={"court_report": "none"},
        remove_answers_that_no_longer_apply=True,
    )
    assert not Answer.objects.filter(case_review=review, question__code="2.1.1").exists()


def test_submit_names_every_missing_answer_then_accepts_a_complete_case(review, inspector):
    with pytest.raises(ValidationError) as refused:
        services.case_review_submit(review=review, by=inspector, expected_version=1)
    missing = refused.value.message_dict
    assert "2.2.1" in missing and "C.1" in missing and "2.1.1" not in missing
    assert missing["2.2.1"][0].startswith("Answer 2.2.1: Does assessment focus")
    services.case_review_save(review=review, by=inspector, expected_version=1, answers=all_yes(review))
    submitted = services.case_review_submit(review=review, by=inspector, expected_version=2)
    assert submitted.status == "submitted"


def test_quality_assurance_return_resubmit_and_moderate(review, inspector, lead_inspector):
    services.case_review_save(review=review, by=inspector, expected_version=1, answers=all_yes(review))
    services.case_review_submit(review=review, by=inspector, expected_version=2)
    with pytest.raises(Refused, match="lead inspector") as refused:
        services.case_review_return(review=review, by=inspector, comments={"2.2.3": "Check"})
    assert refused.value.code == "not_lead"
    with pytest.raises(ValidationError, match="at least one comment"):
        services.case_review_return(review=review, by=lead_inspector, comments={"2.2.3": "  "})
    returned = services.case_review_return(
        review=review, by=lead_inspector, comments={"2.2.3": "No police enquiry was made", None: "Check the dates"}
    )
    assert returned.status == "returned"
    assert QAComment.objects.filter(case_review=review, resolved_at__isnull=True).count() == 2
    services.case_review_save(
        review=review, by=inspector, expected_version=returned.version, answers={"2.2.3": AnswerInput("no")}
    )
    resubmitted = services.case_review_submit(review=review, by=inspector, expected_version=returned.version + 1)
    assert resubmitted.status == "submitted"
    assert QAComment.objects.filter(case_review=review, resolved_at__isnull=True).count() == 0
    moderated = services.case_review_moderate(review=review, by=lead_inspector)
    assert moderated.status == "moderated"


def test_a_change_after_submission_needs_a_reason_which_the_history_keeps(review, inspector, lead_inspector):
    services.case_review_save(review=review, by=inspector, expected_version=1, answers=all_yes(review))
    services.case_review_submit(review=review, by=inspector, expected_version=2)
    with pytest.raises(ValidationError, match="reason"):
        services.case_review_save(
            review=review, by=lead_inspector, expected_version=3, answers={"2.2.1": AnswerInput("no")}
        )
    services.case_review_save(
        review=review,
        by=lead_inspector,
        expected_version=3,
        answers={"2.2.1": AnswerInput("no")},
        reason="Evidence shows no engagement",
    )
    event = Answer.objects.get(case_review=review, question__code="2.2.1").events.latest("pgh_id")
    assert event.value == "no"
    assert event.pgh_context.metadata == {"user": lead_inspector.pk, "reason": "Evidence shows no engagement"}


def test_reassign_needs_a_team_member_and_a_reason(review, inspector, lead_inspector, inspection):
    from inspections.models import TeamMember

    stranger = UserFactory(email="stranger@example.test")
    with pytest.raises(ValidationError, match="reason"):
        services.case_review_reassign(review=review, to=lead_inspector, by=lead_inspector, reason="")
    with pytest.raises(ValidationError, match="team"):
        services.case_review_reassign(review=review, to=stranger, by=lead_inspector, reason="Leave")
    colleague = UserFactory(email="colleague@example.test")
    TeamMember.objects.create(inspection=inspection, user=colleague, role="inspector")
    moved = services.case_review_reassign(review=review, to=colleague, by=lead_inspector, reason="Annual leave")
    assert moved.inspector == colleague


def test_a_published_inspection_is_read_only_on_every_write_path(review, inspector):
    services.case_review_save(review=review, by=inspector, expected_version=1, answers={"2.2.1": AnswerInput("yes")})
    inspection = review.inspection
    set_publication(inspection, status="published", published_on=datetime.date(2024, 9, 1))
    with pytest.raises(Refused) as refused:
        services.case_review_save(
            review=review, by=inspector, expected_version=2, answers={"2.2.2": AnswerInput("yes")}
        )
    assert refused.value.code == "locked"
    with pytest.raises((IntegrityError, InternalError), match="locked"), transaction.atomic():
        Answer.objects.filter(case_review=review).update(value="no")
    with pytest.raises((IntegrityError, InternalError), match="locked"), transaction.atomic():
        CaseReview.objects.filter(pk=review.pk).update(tier="A")
    assert Answer.objects.get(case_review=review).value == "yes"


def test_history_records_bulk_updates_made_outside_the_services(review, inspector):
    services.case_review_save(review=review, by=inspector, expected_version=1, answers={"2.2.1": AnswerInput("yes")})
    Answer.objects.filter(case_review=review).update(value="no")
    values = list(Answer.objects.get(case_review=review).events.order_by("pgh_id").values_list("value", flat=True))
    assert values == ["yes", "no"]


def test_a_lead_unlocks_with_a_reason_corrects_and_locks_again(review, inspector, lead_inspector):
    from inspections.locking import inspection_relock, inspection_unlock
    from inspections.models import LockEvent

    inspection = review.inspection
    set_publication(inspection, status="published", published_on=datetime.date(2024, 9, 1))
    with pytest.raises(ValidationError, match="reason"):
        inspection_unlock(inspection=inspection, by=lead_inspector, reason=" ")
    with pytest.raises(Refused, match="lead inspector"):
        inspection_unlock(inspection=inspection, by=inspector, reason="Typo")
    inspection_unlock(inspection=inspection, by=lead_inspector, reason="Factual accuracy: wrong case type")
    review.refresh_from_db()
    services.case_review_save(review=review, by=lead_inspector, expected_version=1, attributes={"case_type": "licence"})
    inspection_relock(inspection=inspection, by=lead_inspector, reason="")
    assert list(
        LockEvent.objects.filter(inspection=inspection).exclude(action="published").values_list("action", flat=True)
    ) == [
        "relocked",
        "unlocked",
    ]
    review.refresh_from_db()
    with pytest.raises(Refused, match="read-only"):
        services.case_review_save(review=review, by=lead_inspector, expected_version=2, attributes={"tier": "A"})


def test_only_the_lead_or_an_administrator_adds_a_case_to_the_sample(inspection, inspector, administrator):
    with pytest.raises(Refused, match="lead inspector") as refused:
        services.case_review_create(
            inspection=inspection, case_reference="X300001", inspector=None, by=inspector, case_type="community"
        )
    assert refused.value.code == "not_lead"
    assert not CaseReview.objects.filter(case_reference="X300001").exists()
    added = services.case_review_create(
        inspection=inspection, case_reference="x300001", inspector=None, by=administrator, case_type="community"
    )
    assert added.case_reference == "X300001"


def test_only_the_assigned_inspector_or_the_lead_saves_a_case_and_nothing_is_written_otherwise(
    review, inspector, lead_inspector, inspection
):
    from inspections.models import TeamMember

    colleague = UserFactory(email="colleague@example.test")
    TeamMember.objects.create(inspection=inspection, user=colleague, role="inspector")
    with pytest.raises(Refused) as refused:
        services.case_review_save(
            review=review, by=colleague, expected_version=1, answers={"2.2.1": AnswerInput("yes")}
        )
    assert refused.value.code == "not_allowed"
    with pytest.raises(Refused) as refused:
        services.case_review_submit(review=review, by=colleague, expected_version=1)
    assert refused.value.code == "not_allowed"
    assert not Answer.objects.filter(case_review=review).exists()

    services.case_review_save(review=review, by=inspector, expected_version=1, answers=all_yes(review))
    services.case_review_submit(review=review, by=inspector, expected_version=2)
    # Submitted, the case is the lead's to change: its inspector is refused, saying why.
    with pytest.raises(Refused, match="submitted") as refused:
        services.case_review_save(
            review=review, by=inspector, expected_version=3, answers={"2.2.1": AnswerInput("no")}, reason="Typo"
        )
    assert refused.value.code == "wrong_state"
    saved = services.case_review_save(
        review=review, by=lead_inspector, expected_version=3, answers={"2.2.1": AnswerInput("no")}, reason="QA"
    )
    assert saved.version == 4


def test_a_refusal_of_the_person_is_the_403_page_and_any_other_is_a_message():
    from django.core.exceptions import PermissionDenied

    from inspections.refusals import refusal_message

    with pytest.raises(PermissionDenied, match="Only the lead"):
        refusal_message(Refused("Only the lead inspector may do this.", code="not_lead"))
    with pytest.raises(PermissionDenied):
        refusal_message(Refused("Not your case.", code="not_allowed"))
    assert refusal_message(Refused("SW-TST-2024 is published.", code="locked")) == "SW-TST-2024 is published."
    stale = StaleEdit(review=None, changes=[])
    assert (stale.code, isinstance(stale, Refused)) == ("stale", True)


def test_the_mappa_rule_has_one_python_home_used_by_saves_forms_and_the_import(review, inspector):
    from casework.models import mappa_problem

    assert mappa_problem(category="2", level="none") == "A MAPPA case needs its MAPPA level."
    assert mappa_problem(category="2", level="2") is None
    assert mappa_problem(category="none", level="none") is None
    with pytest.raises(ValidationError) as refused:
        services.case_review_save(review=review, by=inspector, expected_version=1, attributes={"mappa_category": "2"})
    assert refused.value.message_dict == {"mappa_level": ["A MAPPA case needs its MAPPA level."]}
    assert CaseReview.objects.get(pk=review.pk).mappa_category == "none"
