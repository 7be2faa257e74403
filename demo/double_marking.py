"""The double-marked sample of each published 2023 inspection: six cases reviewed a second time.

The lead inspector is the second marker (the demo's team is one inspector and the lead, as in a
small PDU inspection where the lead quality-assures by marking a sample again). Their answers
follow the first inspector's with realistic disagreements — more on prompts than on key questions,
about one pair in seven overall — each resolved by the lead in favour of the first answer with a
reason. So the case's own answers, which alone count in the ratings, are exactly the seed's: the
letter's ratings and figures are untouched.

Deterministic (a `random.Random` seeded with the inspection's reference) and created only when
missing: a second run writes nothing.
"""

from __future__ import annotations

import datetime
import random

import pghistory
from django.utils import timezone

from accounts.models import User
from casework.models import Answer, AnswerResolution, CaseReview, SecondAnswer, SecondReview
from inspections.choices import AnswerValue
from inspections.models import Inspection, Question

SAMPLE_SIZE = 6
# Chance that the second marker answers a question differently from the first.
DISAGREE = {Question.Kind.KEY_QUESTION: 0.10, Question.Kind.PROMPT: 0.16}
REASONS = (
    "The case record supports the first inspector's judgement: the evidence was recorded in the contact log.",
    "Discussed with both inspectors: the first judgement stands on the evidence in the assessment.",
    "The second inspector missed the review completed after sentence; the first answer is right.",
    "Borderline case: the first inspector's judgement is within the guidance, kept for consistency.",
)


def _second_value(first: str, question: Question, rng: random.Random) -> str:
    if rng.random() >= DISAGREE[question.kind]:
        return first
    if first == AnswerValue.NOT_APPLICABLE:
        return AnswerValue.NO
    if question.allows_not_applicable and rng.random() < 0.25:
        return AnswerValue.NOT_APPLICABLE
    return AnswerValue.NO if first == AnswerValue.YES else AnswerValue.YES


def _moment(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(15, 0)))


def load_double_marking(*, inspection: Inspection, second_inspector: User, summary, gate) -> None:
    """Create the inspection's double-marked sample if it has none; never change an existing one."""
    if SecondReview.objects.filter(case_review__inspection=inspection).exists():
        return
    reviews = list(
        CaseReview.objects.filter(inspection=inspection, archived_at__isnull=True)
        .exclude(inspector=second_inspector)
        .order_by("case_reference")
    )
    if len(reviews) < SAMPLE_SIZE:
        return
    step = len(reviews) // SAMPLE_SIZE
    chosen = reviews[::step][:SAMPLE_SIZE]
    answers = (
        Answer.objects.filter(case_review__in=chosen)
        .select_related("question")
        .order_by("case_review__case_reference", "question__order")
    )
    rng = random.Random(f"double-marking {inspection.reference}")
    submitted = _moment(inspection.fieldwork_start + datetime.timedelta(days=9))
    resolved = _moment(inspection.fieldwork_start + datetime.timedelta(days=23))

    gate.before_write()
    with pghistory.context(reason="double-marked sample of the 2023 inspection"):
        seconds = {
            s.case_review_id: s
            for s in SecondReview.objects.bulk_create(
                SecondReview(
                    case_review=review,
                    second_inspector=second_inspector,
                    assigned_by=second_inspector,
                    status=SecondReview.Status.SUBMITTED,
                    submitted_at=submitted,
                    version=2,
                )
                for review in chosen
            )
        }
        second_answers, resolutions = [], []
        for answer in answers:
            second = seconds[answer.case_review_id]
            value = _second_value(answer.value, answer.question, rng)
            second_answers.append(SecondAnswer(second_review=second, question=answer.question, value=value))
            if value != answer.value:
                resolutions.append(
                    AnswerResolution(
                        second_review=second,
                        question=answer.question,
                        first_value=answer.value,
                        second_value=value,
                        final_value=answer.value,
                        reason=rng.choice(REASONS),
                        resolved_by=second_inspector,
                        resolved_at=resolved,
                    )
                )
        SecondAnswer.objects.bulk_create(second_answers, batch_size=2000)
        AnswerResolution.objects.bulk_create(resolutions, batch_size=2000)
    summary.created["Second reviews"] += len(seconds)
    summary.created["Second answers"] += len(second_answers)
    summary.created["Resolved disagreements"] += len(resolutions)
