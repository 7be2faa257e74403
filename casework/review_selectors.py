"""Reads of one case review: the questions it asks, what is missing, what changed since a
version, and for its pages the sections, their state, answers and open comments.

Each function costs a fixed number of queries whatever the number of answers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.utils.text import capfirst

from inspections.choices import RatedBy
from inspections.models import Question

from .models import Answer, CaseReview, QAComment

CASE_WIDE = "case-wide"


@dataclass(frozen=True)
class Change:
    """Something another person changed since the version a save started from."""

    label: str
    value: str
    by: str
    at: datetime | None


def applicable_questions(*, framework_id: int, case_type: str, court_report: str) -> list[Question]:
    """The key questions and prompts asked in a case of this type, in framework order."""
    # Case-based standards' questions, plus the case-wide prompts that have no standard.
    questions = Question.objects.filter(
        Q(standard__rated_by=RatedBy.CASE_DATA) | Q(standard__isnull=True), framework_id=framework_id
    )
    return [
        q
        for q in questions.select_related("standard", "parent").order_by("order")
        if q.applies_to(case_type=case_type, court_report=court_report)
    ]


def changes_since(review: CaseReview, version: int) -> list[Change]:
    """What moved after `version`: each changed answer and case detail, with who and when."""
    changes = [
        Change(
            label=f"{a.question.code} {a.question.text}",
            value=a.get_value_display() + (f" – “{a.note}”" if a.note else ""),
            by=str(a.updated_by or "unknown"),
            at=a.updated_at,
        )
        for a in review.answers.filter(changed_in_version__gt=version).select_related("question", "updated_by")
    ]
    then = review.events.filter(version=version).order_by("-pgh_id").first()
    if then is not None:
        for attribute in CaseReview.ATTRIBUTE_FIELDS:
            before, now = getattr(then, attribute), getattr(review, attribute)
            if before != now:
                model_field = CaseReview._meta.get_field(attribute)
                display = dict(model_field.choices).get(now, now) if model_field.choices else now
                changes.append(
                    Change(
                        label=capfirst(model_field.verbose_name),
                        value=str(display),
                        by=str(review.updated_by or "unknown"),
                        at=review.updated_at,
                    )
                )
    if review.status != getattr(then, "status", review.status):
        changes.append(
            Change(label="Status", value=review.get_status_display(), by=str(review.updated_by), at=review.updated_at)
        )
    return changes


def missing_answers(review: CaseReview) -> list[Question]:
    """The questions asked in this case that have no answer yet, in framework order."""
    answered = set(review.answers.values_list("question_id", flat=True))
    return [q for q in review_questions(review) if q.pk not in answered]


@dataclass
class Section:
    slug: str
    title: str
    headline: str
    questions: list[Question] = field(default_factory=list)
    answered: int = 0
    open_comments: int = 0

    @property
    def total(self) -> int:
        return len(self.questions)

    @property
    def state(self) -> str:
        if self.answered == 0:
            return "Not started"
        return "Completed" if self.answered == self.total else "In progress"


def review_sections(review: CaseReview, questions: list[Question] | None = None) -> list[Section]:
    """The standards that apply to this case, in framework order, plus the case-wide questions."""
    questions = questions if questions is not None else review_questions(review)
    answered = set(review.answers.values_list("question_id", flat=True))
    comments = defaultdict(int)
    for question_id in review.qa_comments.filter(resolved_at__isnull=True).values_list("question_id", flat=True):
        comments[question_id] += 1
    sections: dict[str, Section] = {}
    for q in questions:
        if q.standard_id is None:
            slug = CASE_WIDE
            section = sections.setdefault(
                slug,
                Section(slug, "Across the case", "Management oversight, pre-release work and victim contact."),
            )
        else:
            slug = q.standard.code
            section = sections.setdefault(
                slug, Section(slug, f"{q.standard.code} {q.standard.title}", q.standard.headline)
            )
        section.questions.append(q)
        section.answered += q.pk in answered
        section.open_comments += comments.get(q.pk, 0)
    return list(sections.values())


def review_questions(review: CaseReview) -> list[Question]:
    return applicable_questions(
        framework_id=review.inspection.framework_id, case_type=review.case_type, court_report=review.court_report
    )


def review_answers(review: CaseReview) -> dict[str, Answer]:
    return {a.question.code: a for a in review.answers.select_related("question", "updated_by")}


def review_comments(review: CaseReview) -> dict[str | None, list[QAComment]]:
    """Open quality-assurance comments by question code (None for the whole case)."""
    comments: dict[str | None, list[QAComment]] = defaultdict(list)
    for comment in review.qa_comments.filter(resolved_at__isnull=True).select_related("question", "author"):
        comments[comment.question.code if comment.question_id else None].append(comment)
    return dict(comments)
