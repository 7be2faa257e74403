"""The case review workflow: create, save, submit, return, moderate, reassign.

Every function takes the acting user, checks the record's state under a row
lock, and records who and why in the audit history (django-pghistory context),
so a change made here, in the admin or by an import is always traceable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from inspections.access import require_lead
from inspections.choices import AnswerValue
from inspections.errors import Refused
from inspections.models import Inspection, Question, TeamMember

from .access import require_change_case_review
from .models import Answer, CaseReview, QAComment, SecondReview
from .review_selectors import Change, applicable_questions, changes_since, missing_answers

ATTRIBUTE_FIELDS = CaseReview.ATTRIBUTE_FIELDS


class StaleEdit(Refused):
    """A save from a version someone else has moved on since; carries the current review and what changed."""

    def __init__(self, *, review: CaseReview, changes: list[Change]):
        self.review = review
        self.changes = changes
        super().__init__(
            "This case review was changed by someone else while you were editing it. "
            "Nothing you entered has been saved.",
            code="stale",
        )


@dataclass(frozen=True)
class AnswerInput:
    value: str
    note: str = ""


def check_answers(answers: Mapping[str, AnswerInput], questions: Mapping[str, Question]) -> None:
    """Each answer is to a question asked in the case (`questions`, by code), with a value it allows.

    The form-level explanation of what the database's answer triggers enforce; every
    service that writes answers (the case's own, a second review's) calls it first.
    """
    errors = {}
    for code, given in answers.items():
        question = questions.get(code)
        if question is None:
            errors[code] = f"{code} is not asked in a case of this type"
        elif given.value not in AnswerValue.values:
            errors[code] = f"Select yes, no or not applicable for {code}"
        elif given.value == AnswerValue.NOT_APPLICABLE and not question.allows_not_applicable:
            errors[code] = f"{code} applies to every case: select yes or no"
    if errors:
        raise ValidationError(errors)


def _lock(review: CaseReview) -> CaseReview:
    locked = CaseReview.objects.select_for_update().select_related("inspection").get(pk=review.pk)
    if locked.inspection.is_locked:
        raise Refused("This inspection is published, so its case reviews are read-only.", code="locked")
    if locked.archived_at is not None:
        raise Refused("This case review has been archived.", code="archived")
    return locked


def case_review_create(
    *, inspection: Inspection, case_reference: str, inspector: User | None, by: User, **attributes
) -> CaseReview:
    require_lead(inspection=inspection, by=by, action="add a case to its sample")
    if inspection.is_locked:
        raise Refused("This inspection is published, so no cases can be added.", code="locked")
    if inspector is not None and not TeamMember.objects.filter(inspection=inspection, user=inspector).exists():
        raise ValidationError({"inspector": "Choose an inspector on this inspection's team."})
    unknown = set(attributes) - set(ATTRIBUTE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown case details: {', '.join(sorted(unknown))}")
    review = CaseReview(
        inspection=inspection, case_reference=case_reference.strip().upper(), inspector=inspector, updated_by=by
    )
    for field, value in attributes.items():
        setattr(review, field, value)
    review.full_clean()
    with transaction.atomic(), pghistory.context(user=by.pk, reason="case added to the sample"):
        review.save()
    return review


def case_review_save(
    *,
    review: CaseReview,
    by: User,
    expected_version: int,
    attributes: Mapping[str, object] | None = None,
    answers: Mapping[str, AnswerInput] | None = None,
    reason: str = "",
    remove_answers_that_no_longer_apply: bool = False,
) -> CaseReview:
    """Save case details and answers, complete or not. Refuses a stale version, writing nothing.

    A change of case type or court report that would leave answers to questions no longer
    asked is refused (code "answers_would_be_removed", naming them) unless the caller says
    the user confirmed their removal; removed answers stay in the history with the reason.
    """
    attributes = attributes or {}
    answers = answers or {}
    with transaction.atomic():
        current = _lock(review)
        require_change_case_review(review=current, by=by)
        if current.version != expected_version:
            raise StaleEdit(review=current, changes=changes_since(current, expected_version))

        changed_attributes = {f: v for f, v in attributes.items() if getattr(current, f) != v}
        unknown = set(attributes) - set(ATTRIBUTE_FIELDS)
        if unknown:
            raise ValidationError(f"Unknown case details: {', '.join(sorted(unknown))}")
        for field, value in changed_attributes.items():
            setattr(current, field, value)
        current.full_clean(exclude=["inspection", "inspector", "updated_by"])

        questions = {
            q.code: q
            for q in applicable_questions(
                framework_id=current.inspection.framework_id,
                case_type=current.case_type,
                court_report=current.court_report,
            )
        }
        check_answers(answers, questions)

        existing = {a.question.code: a for a in current.answers.select_related("question")}
        new_version = current.version + 1
        to_create, to_update = [], []
        for code, given in answers.items():
            answer = existing.get(code)
            note = given.note.strip()
            if answer is None:
                to_create.append(
                    Answer(
                        case_review=current,
                        question=questions[code],
                        value=given.value,
                        note=note,
                        changed_in_version=new_version,
                        updated_by=by,
                    )
                )
            elif (answer.value, answer.note) != (given.value, note):
                answer.value, answer.note = given.value, note
                answer.changed_in_version, answer.updated_by = new_version, by
                to_update.append(answer)
        # Questions that no longer apply (say, the court report was removed) must stop counting.
        obsolete = {code: a for code, a in existing.items() if code not in questions}
        if obsolete and not remove_answers_that_no_longer_apply:
            raise Refused(
                f"{current.case_reference} has answers to {', '.join(obsolete)}, which are not asked in a case "
                "with these details. Confirm that they should be removed, or keep the case details as they were.",
                code="answers_would_be_removed",
            )

        if not (changed_attributes or to_create or to_update or obsolete):
            return current
        if current.status in (CaseReview.Status.SUBMITTED, CaseReview.Status.MODERATED) and not reason.strip():
            raise ValidationError({"reason": "Give a reason for changing a case review after it was submitted"})

        if obsolete and not reason.strip():
            reason = f"answers to {', '.join(obsolete)} removed: no longer asked after the case details changed"
        with pghistory.context(user=by.pk, reason=reason.strip() or None):
            # In this order: the database refuses a case whose details no longer fit its
            # answers (case_review_answers_still_apply), and answers that do not fit the case.
            Answer.objects.filter(pk__in=[a.pk for a in obsolete.values()]).delete()
            current.version = new_version
            current.updated_by = by
            current.save()
            Answer.objects.bulk_create(to_create)
            for answer in to_update:
                answer.updated_at = timezone.now()
            Answer.objects.bulk_update(to_update, ["value", "note", "changed_in_version", "updated_by", "updated_at"])
    return current


def _transition(current: CaseReview, *, to: str, by: User, reason: str | None = None) -> CaseReview:
    with pghistory.context(user=by.pk, reason=reason):
        current.status = to
        current.version += 1
        current.updated_by = by
        current.save()
    return current


def case_review_submit(*, review: CaseReview, by: User, expected_version: int) -> CaseReview:
    """Send a complete case for quality assurance; every applicable question must be answered."""
    with transaction.atomic():
        current = _lock(review)
        require_change_case_review(review=current, by=by)
        if current.version != expected_version:
            raise StaleEdit(review=current, changes=changes_since(current, expected_version))
        if current.status not in (CaseReview.Status.DRAFT, CaseReview.Status.RETURNED):
            raise Refused(f"This case review is {current.get_status_display().lower()} already.", code="wrong_state")
        missing = missing_answers(current)
        if missing:
            raise ValidationError({q.code: f"Answer {q.code}: {q.text}" for q in missing})
        current.qa_comments.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
        return _transition(current, to=CaseReview.Status.SUBMITTED, by=by, reason="submitted for quality assurance")


def case_review_return(*, review: CaseReview, by: User, comments: Mapping[str | None, str]) -> CaseReview:
    """Return a submitted case to its inspector with comments on specific questions (or the whole case)."""
    comments = {code: text.strip() for code, text in comments.items() if text and text.strip()}
    if not comments:
        raise ValidationError({"comments": "Add at least one comment saying what needs to change"})
    with transaction.atomic():
        current = _lock(review)
        require_lead(inspection=current.inspection, by=by, action="return a case review with comments")
        if current.status != CaseReview.Status.SUBMITTED:
            raise Refused("Only a submitted case review can be returned.", code="wrong_state")
        questions = {
            q.code: q for q in Question.objects.filter(framework_id=current.inspection.framework_id, code__in=comments)
        }
        unknown = [code for code in comments if code is not None and code not in questions]
        if unknown:
            raise ValidationError({"comments": f"Unknown question codes: {', '.join(unknown)}"})
        with pghistory.context(user=by.pk):
            QAComment.objects.bulk_create(
                QAComment(case_review=current, question=questions.get(code) if code else None, text=text, author=by)
                for code, text in comments.items()
            )
        return _transition(current, to=CaseReview.Status.RETURNED, by=by, reason="returned with comments")


def qa_comment_reply(*, comment: QAComment, by: User, text: str) -> QAComment:
    """The assigned inspector's reply to a lead's open comment; replying again replaces the reply."""
    text = text.strip()
    if not text:
        raise ValidationError({"reply": "Enter your reply to the comment"})
    with transaction.atomic():
        review = _lock(comment.case_review)
        if not by.is_authenticated or review.inspector_id != by.pk:
            raise Refused("Only the inspector assigned to this case can reply to its comments.", code="not_allowed")
        current = QAComment.objects.select_for_update().get(pk=comment.pk, case_review=review)
        if current.resolved_at is not None:
            raise Refused("This comment was resolved when the case was submitted again.", code="wrong_state")
        with pghistory.context(user=by.pk, reason="replied to a quality-assurance comment"):
            current.reply = text
            current.replied_at = timezone.now()
            current.save(update_fields=["reply", "replied_at"])
    return current


def case_review_moderate(*, review: CaseReview, by: User) -> CaseReview:
    with transaction.atomic():
        current = _lock(review)
        require_lead(inspection=current.inspection, by=by, action="moderate a case review")
        if current.status != CaseReview.Status.SUBMITTED:
            raise Refused("Only a submitted case review can be moderated.", code="wrong_state")
        return _transition(current, to=CaseReview.Status.MODERATED, by=by, reason="moderated")


def case_review_reassign(*, review: CaseReview, to: User, by: User, reason: str) -> CaseReview:
    if not reason.strip():
        raise ValidationError({"reason": "Give a reason for reassigning the case"})
    with transaction.atomic():
        current = _lock(review)
        require_lead(inspection=current.inspection, by=by, action="reassign a case review")
        if not TeamMember.objects.filter(inspection=current.inspection, user=to).exists():
            raise ValidationError({"inspector": "Choose an inspector on this inspection's team"})
        # The database refuses it too (second_review_other_inspector); here it is a message on the field.
        if SecondReview.objects.filter(case_review=current, second_inspector=to).exists():
            raise ValidationError({"inspector": f"{to} is this case's second inspector: choose another inspector"})
        if current.inspector_id == to.pk:
            return current
        with pghistory.context(user=by.pk, reason=reason.strip()):
            current.inspector = to
            current.version += 1
            current.updated_by = by
            current.save()
    return current


def _archive(*, review: CaseReview, by: User, reason: str, archive: bool) -> CaseReview:
    verb = "archive" if archive else "restore"
    if not reason.strip():
        raise ValidationError({"reason": f"Give a reason to {verb} a case review"})
    with transaction.atomic():
        current = CaseReview.objects.select_for_update().select_related("inspection").get(pk=review.pk)
        require_lead(inspection=current.inspection, by=by, action=f"{verb} a case review")
        if current.inspection.is_locked:
            raise Refused(
                f"{current.inspection.reference} is published and locked, so {current.case_reference} "
                f"cannot be {verb}d: a lead must unlock it, with a reason, first.",
                code="locked",
            )
        if (current.archived_at is not None) == archive:
            raise Refused(
                f"{current.case_reference} is {'already archived' if archive else 'not archived'}.",
                code="wrong_state",
            )
        with pghistory.context(user=by.pk, reason=reason.strip()):
            current.archived_at = timezone.now() if archive else None
            current.version += 1
            current.updated_by = by
            current.save(update_fields=["archived_at", "version", "updated_by", "updated_at"])
    return current


def case_review_archive(*, review: CaseReview, by: User, reason: str) -> CaseReview:
    """Take a case out of the sample (and out of the ratings), keeping its record: archived, never deleted."""
    return _archive(review=review, by=by, reason=reason, archive=True)


def case_review_restore(*, review: CaseReview, by: User, reason: str) -> CaseReview:
    """Put an archived case back in the sample, as it was."""
    return _archive(review=review, by=by, reason=reason, archive=False)
