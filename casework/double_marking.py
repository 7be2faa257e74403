"""Double marking: a lead chooses cases for an independent second review, the second inspector
answers without seeing the first's answers, and the lead resolves each disagreement.

Only the case's own answers count in the ratings. Resolving a disagreement writes the final
answer into the case through `services.case_review_save` (row lock, version, history, the
database's rules), with the lead's reason in the history; the resolution row keeps what each
marker said, so the agreement figures stay those of the independent marking.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from inspections.access import require_lead
from inspections.choices import AnswerValue
from inspections.errors import Refused
from inspections.models import Question, TeamMember

from . import services
from .models import Answer, AnswerResolution, CaseReview, SecondAnswer, SecondReview
from .review_selectors import applicable_questions

AnswerInput = services.AnswerInput


def _check_open(review: CaseReview) -> None:
    if review.inspection.is_locked:
        raise Refused(f"{review.inspection.reference} is published, so its records are read-only.", code="locked")
    if review.archived_at is not None:
        raise Refused(f"{review.case_reference} has been archived.", code="archived")


def second_review_assign(*, review: CaseReview, second_inspector: User, by: User) -> SecondReview:
    """Choose one case for a second review by another inspector of the team (lead only)."""
    with transaction.atomic():
        current = CaseReview.objects.select_for_update().select_related("inspection").get(pk=review.pk)
        require_lead(inspection=current.inspection, by=by, action="choose cases for double marking")
        _check_open(current)
        if not TeamMember.objects.filter(inspection=current.inspection, user=second_inspector).exists():
            raise ValidationError({"second_inspector": "Choose an inspector on this inspection's team"})
        if current.inspector_id == second_inspector.pk:
            raise ValidationError(
                {
                    "second_inspector": f"{second_inspector} is the inspector of {current.case_reference}: "
                    "choose another inspector for its second review"
                }
            )
        if SecondReview.objects.filter(case_review=current).exists():
            raise Refused(f"{current.case_reference} already has a second review.", code="wrong_state")
        with pghistory.context(user=by.pk, reason="chosen for double marking"):
            return SecondReview.objects.create(case_review=current, second_inspector=second_inspector, assigned_by=by)


def second_reviews_assign(*, reviews: Iterable[CaseReview], second_inspector: User, by: User) -> list[SecondReview]:
    """Several cases at once, all or nothing: the first refusal undoes the others."""
    with transaction.atomic():
        return [second_review_assign(review=r, second_inspector=second_inspector, by=by) for r in reviews]


def _lock_own(second_review: SecondReview, *, by: User, expected_version: int) -> SecondReview:
    current = (
        SecondReview.objects.select_for_update().select_related("case_review__inspection").get(pk=second_review.pk)
    )
    if not by.is_authenticated or current.second_inspector_id != by.pk:
        raise Refused("Only the inspector asked for this second review may answer it.", code="not_allowed")
    _check_open(current.case_review)
    if current.status != SecondReview.Status.ASSIGNED:
        raise Refused("This second review has been submitted: it can no longer change.", code="wrong_state")
    if current.version != expected_version:
        raise Refused(
            "This second review was saved elsewhere while you were editing it. Nothing you entered has been "
            "saved: open it again to see the latest answers.",
            code="stale",
        )
    return current


def _questions(review: CaseReview) -> dict[str, Question]:
    return {
        q.code: q
        for q in applicable_questions(
            framework_id=review.inspection.framework_id, case_type=review.case_type, court_report=review.court_report
        )
    }


def second_review_save(
    *, second_review: SecondReview, by: User, expected_version: int, answers: Mapping[str, AnswerInput]
) -> SecondReview:
    """Save the second inspector's answers, complete or not; a stale version is refused, writing nothing."""
    with transaction.atomic():
        current = _lock_own(second_review, by=by, expected_version=expected_version)
        questions = _questions(current.case_review)
        services.check_answers(answers, questions)
        existing = {a.question_id: a for a in current.answers.all()}
        to_create, to_update = [], []
        for code, given in answers.items():
            question, note = questions[code], given.note.strip()
            answer = existing.get(question.pk)
            if answer is None:
                to_create.append(SecondAnswer(second_review=current, question=question, value=given.value, note=note))
            elif (answer.value, answer.note) != (given.value, note):
                answer.value, answer.note, answer.updated_at = given.value, note, timezone.now()
                to_update.append(answer)
        if not (to_create or to_update):
            return current
        with pghistory.context(user=by.pk):
            SecondAnswer.objects.bulk_create(to_create)
            SecondAnswer.objects.bulk_update(to_update, ["value", "note", "updated_at"])
            current.version += 1
            current.save(update_fields=["version", "updated_at"])
    return current


def second_review_missing(second_review: SecondReview) -> list[Question]:
    """The questions of the case the second inspector has not answered yet, in framework order."""
    answered = set(second_review.answers.values_list("question_id", flat=True))
    return [q for q in _questions(second_review.case_review).values() if q.pk not in answered]


def second_review_submit(*, second_review: SecondReview, by: User, expected_version: int) -> SecondReview:
    """Hand in a complete second review: it can be compared, and no longer changes."""
    with transaction.atomic():
        current = _lock_own(second_review, by=by, expected_version=expected_version)
        missing = second_review_missing(current)
        if missing:
            raise ValidationError({q.code: f"Answer {q.code}: {q.text}" for q in missing})
        with pghistory.context(user=by.pk, reason="second review submitted"):
            current.status = SecondReview.Status.SUBMITTED
            current.submitted_at = timezone.now()
            current.version += 1
            current.save(update_fields=["status", "submitted_at", "version", "updated_at"])
    return current


def disagreement_resolve(
    *, review: CaseReview, question: Question, final_value: str, reason: str, by: User
) -> AnswerResolution:
    """Resolve one disagreement into the case's final answer, with a reason (lead only)."""
    if not reason.strip():
        raise ValidationError({"reason": "Give a reason for the final answer"})
    if final_value not in AnswerValue.values:
        raise ValidationError({"final_value": "Select the final answer"})
    with transaction.atomic():
        current = CaseReview.objects.select_for_update().select_related("inspection").get(pk=review.pk)
        require_lead(inspection=current.inspection, by=by, action="resolve a double-marking disagreement")
        _check_open(current)
        second = SecondReview.objects.select_for_update().filter(case_review=current).first()
        if second is None or second.status != SecondReview.Status.SUBMITTED:
            raise Refused(f"{current.case_reference} has no submitted second review.", code="wrong_state")
        if AnswerResolution.objects.filter(second_review=second, question=question).exists():
            raise Refused(f"{question.code} in {current.case_reference} is resolved already.", code="wrong_state")
        first = Answer.objects.filter(case_review=current, question=question).first()
        second_answer = SecondAnswer.objects.filter(second_review=second, question=question).first()
        if first is None or second_answer is None or first.value == second_answer.value:
            raise Refused(
                f"The two inspectors did not disagree on {question.code} in {current.case_reference}.",
                code="wrong_state",
            )
        recorded = f"double marking: {reason.strip()}"
        services.case_review_save(
            review=current,
            by=by,
            expected_version=current.version,
            answers={question.code: AnswerInput(value=final_value, note=first.note)},
            reason=recorded,
        )
        with pghistory.context(user=by.pk, reason=recorded):
            return AnswerResolution.objects.create(
                second_review=second,
                question=question,
                first_value=first.value,
                second_value=second_answer.value,
                final_value=final_value,
                reason=reason.strip(),
                resolved_by=by,
            )
