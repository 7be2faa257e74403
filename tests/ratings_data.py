"""Building case data for the ratings tests: case reviews with chosen answers, and judgements."""

from __future__ import annotations

from casework.models import Answer, CaseReview
from inspections.models import Inspection, OrganisationalJudgement, Question, Standard

# The key questions of the 2021 framework's case-based standards (2.1–2.5).
CASE_KEY_QUESTIONS = ["2.1.1", *(f"2.{s}.{k}" for s in range(2, 6) for k in range(1, 4))]


def add_cases(
    inspection: Inspection,
    n: int,
    *,
    value: str | None = "yes",
    answers: dict[str, list[str | None]] | None = None,
    status: str = CaseReview.Status.SUBMITTED,
    prefix: str = "T",
    start: int = 0,
    reverse: bool = False,
) -> list[CaseReview]:
    """`n` case reviews answering every case-based key question with `value`, except where `answers`
    gives a value per case for a code (None: left unanswered). Three queries whatever `n`."""
    questions = {
        q.code: q for q in Question.objects.filter(framework=inspection.framework, code__in=CASE_KEY_QUESTIONS)
    }
    order = range(n - 1, -1, -1) if reverse else range(n)
    reviews = CaseReview.objects.bulk_create(
        [
            CaseReview(
                inspection=inspection,
                case_reference=f"{prefix}{start + i:06d}",
                case_type="community",
                court_report="oral",  # so that 2.1.1 (court work) is asked
                status=status,
            )
            for i in order
        ]
    )
    rows = []
    for review in reviews:
        i = int(review.case_reference[len(prefix) :]) - start
        for code, question in questions.items():
            v = (answers or {}).get(code, [value] * n)[i]
            if v is not None:
                rows.append(Answer(case_review=review, question=question, value=v))
    Answer.objects.bulk_create(rows)
    return reviews


def judge(inspection: Inspection, rating: str = "good", *, codes=("1.1", "1.2", "1.3", "1.4")) -> None:
    OrganisationalJudgement.objects.bulk_create(
        [
            OrganisationalJudgement(inspection=inspection, standard=s, rating=rating, rationale="From the evidence.")
            for s in Standard.objects.filter(framework=inspection.framework, code__in=codes)
        ]
    )


def answers(yes: int = 0, no: int = 0, not_applicable: int = 0, unanswered: int = 0) -> list[str | None]:
    return ["yes"] * yes + ["no"] * no + ["not_applicable"] * not_applicable + [None] * unanswered
