"""Reads for the lead inspector's quality assurance: the queue of cases waiting for it, and one
case read whole on one page (the case summary).

Each function costs a fixed number of queries whatever the number of cases or answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import User
from inspections.models import Inspection, Question, TeamMember

from .access import case_reviews_visible_to
from .models import Answer, CaseReview, QAComment
from .review_selectors import review_questions, review_sections


def inspections_led_by(user: User) -> QuerySet[Inspection]:
    """The inspections `user` leads (administrators: every inspection), as `is_lead_on` decides one at a time."""
    if not user.is_authenticated or not user.is_active:
        return Inspection.objects.none()
    if user.is_administrator:
        return Inspection.objects.all()
    return Inspection.objects.filter(
        Exists(TeamMember.objects.filter(inspection=OuterRef("pk"), user=user, role=TeamMember.Role.LEAD_INSPECTOR))
    )


def may_use_qa_queue(user: User) -> bool:
    """The queue is the page of lead inspectors and administrators, and of anyone leading an inspection."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_administrator or user.role == User.Role.LEAD_INSPECTOR or inspections_led_by(user).exists()


def _submitted_at():
    """When the case was last sent for quality assurance, from the trigger-written history.

    The first history row of the latest run of "submitted" rows: a lead's later edit of a
    submitted case (with a reason) or a reassignment writes another "submitted" row and moves
    `updated_at`, but the case has been waiting since it was submitted. The history is written
    by database triggers, so a case imported as submitted has its row too.
    """
    events = CaseReview.pgh_event_model.objects
    last_other_state = (
        events.filter(pgh_obj_id=OuterRef("pgh_obj_id"))
        .exclude(status=CaseReview.Status.SUBMITTED)
        .order_by("-pgh_id")
        .values("pgh_id")[:1]
    )
    return Subquery(
        events.filter(pgh_obj_id=OuterRef("pk"), status=CaseReview.Status.SUBMITTED)
        .filter(pgh_id__gt=Coalesce(Subquery(last_other_state), Value(0)))
        .order_by("pgh_id")
        .values("pgh_created_at")[:1]
    )


def qa_queue(*, user: User, inspection: str = "") -> QuerySet[CaseReview]:
    """The submitted cases of the inspections `user` leads, oldest submission first, in one query.

    Each case carries `submitted_at` and `returned_before` (it was returned to its inspector at
    least once). Cases of a published, locked inspection are left out: nobody can act on them.
    `inspection` narrows the queue to one inspection's reference.
    """
    events = CaseReview.pgh_event_model.objects
    reviews = (
        case_reviews_visible_to(user)
        .filter(status=CaseReview.Status.SUBMITTED, inspection__in=inspections_led_by(user))
        .exclude(inspection__status=Inspection.Status.PUBLISHED, inspection__unlocked_at__isnull=True)
        .select_related("inspection__pdu", "inspector")
        .annotate(
            submitted_at=Coalesce(_submitted_at(), F("updated_at")),
            returned_before=Exists(events.filter(pgh_obj_id=OuterRef("pk"), status=CaseReview.Status.RETURNED)),
        )
        .order_by("submitted_at", "inspection__reference", "case_reference")
    )
    if inspection:
        reviews = reviews.filter(inspection__reference=inspection)
    return reviews


@dataclass
class SummaryItem:
    question: Question
    answer: Answer | None
    comments: list[QAComment] = field(default_factory=list)


@dataclass
class SummarySection:
    slug: str
    title: str
    answered: int
    total: int
    items: list[SummaryItem] = field(default_factory=list)


@dataclass
class CaseSummary:
    sections: list[SummarySection]
    case_comments: list[QAComment]  # on the whole case
    comment_count: int


def case_summary(review: CaseReview, questions: list[Question] | None = None) -> CaseSummary:
    """Every section that applies to the case with each question's answer, evidence and
    quality-assurance comments (open and resolved, oldest first), in five queries whatever the
    number of answers."""
    questions = questions if questions is not None else review_questions(review)
    answers = {a.question_id: a for a in review.answers.select_related("updated_by")}
    comments: dict[int | None, list[QAComment]] = {}
    all_comments = list(review.qa_comments.select_related("author").order_by("created_at", "pk"))
    for comment in all_comments:
        comments.setdefault(comment.question_id, []).append(comment)
    sections = [
        SummarySection(
            slug=section.slug,
            title=section.title,
            answered=section.answered,
            total=section.total,
            items=[SummaryItem(q, answers.get(q.pk), comments.get(q.pk, [])) for q in section.questions],
        )
        for section in review_sections(review, questions)
    ]
    return CaseSummary(sections=sections, case_comments=comments.get(None, []), comment_count=len(all_comments))
