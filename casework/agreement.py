"""How far two inspectors' independent judgements agree: percentage agreement and Cohen's kappa.

The statistics are pure functions of a confusion table (no ORM). The reads below feed them
with three queries whatever the number of cases: one GROUP BY over the pairs of answers, one
for the questions' codes and texts, one counting the cases; the disagreements list is two more.

A pair is one question of one case marked by both: the case's own answer (the first marker's,
as it was before any resolution: `AnswerResolution.first_value` keeps it) and the second
inspector's answer, in a submitted second review of a case still in the sample.

Kappa's edge cases, decided here: with no pairs, neither percentage nor kappa is defined (None).
When both markers used one and the same category only, chance agreement is 1 and kappa is 0/0:
undefined (None), shown as "not defined", while agreement is 100 %. When all pairs agree over
two or more categories, kappa is 1.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from django.db import connection
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce

from inspections.choices import AnswerValue
from inspections.models import Inspection, Question

from .models import Answer, AnswerResolution, SecondAnswer, SecondReview

Pair = tuple[str, str]  # (first marker's value, second marker's value)


def percent_agreement(confusion: Mapping[Pair, int]) -> Fraction | None:
    """The share of pairs where both gave the same answer, as a percentage; None without pairs."""
    pairs = sum(confusion.values())
    if pairs == 0:
        return None
    agree = sum(count for (first, second), count in confusion.items() if first == second)
    return Fraction(100 * agree, pairs)


def cohens_kappa(confusion: Mapping[Pair, int]) -> Fraction | None:
    """Cohen's kappa, (po − pe) / (1 − pe), exactly; None when it is not defined (see the module)."""
    n = sum(confusion.values())
    if n == 0:
        return None
    first, second = Counter(), Counter()
    for (a, b), count in confusion.items():
        first[a] += count
        second[b] += count
    observed = Fraction(sum(count for (a, b), count in confusion.items() if a == b), n)
    chance = sum(Fraction(first[c] * second[c], n * n) for c in first.keys() | second.keys())
    if chance == 1:
        return None
    return (observed - chance) / (1 - chance)


@dataclass(frozen=True)
class Agreement:
    """One question's (or the whole inspection's) pairs and what they say."""

    confusion: dict[Pair, int]
    code: str = ""
    text: str = ""
    kind: str = ""

    @property
    def pairs(self) -> int:
        return sum(self.confusion.values())

    @property
    def agree(self) -> int:
        return sum(count for (a, b), count in self.confusion.items() if a == b)

    @property
    def percent(self) -> Fraction | None:
        return percent_agreement(self.confusion)

    @property
    def kappa(self) -> Fraction | None:
        return cohens_kappa(self.confusion)

    def as_dict(self) -> dict:
        """The command's and the page's shape: rounded figures and "first|second" → count."""
        percent, kappa = self.percent, self.kappa
        return {
            "pairs": self.pairs,
            "agree": self.agree,
            "percent": None if percent is None else round(float(percent), 1),
            "kappa": None if kappa is None else round(float(kappa), 3),
            "confusion": {f"{a}|{b}": count for (a, b), count in sorted(self.confusion.items())},
        }


def combined(agreements: Iterable[Agreement]) -> Agreement:
    """Every question's pairs pooled into one table: the inspection overall."""
    total: Counter = Counter()
    for agreement in agreements:
        total.update(agreement.confusion)
    return Agreement(confusion=dict(total), code="overall", text="All key questions and prompts")


@dataclass(frozen=True)
class InspectionAgreement:
    questions: list[Agreement] = field(default_factory=list)
    overall: Agreement = field(default_factory=lambda: Agreement(confusion={}))
    cases: int = 0


_PAIRS_SQL = """
    SELECT c.inspection_id, sa.question_id, coalesce(r.first_value, a.value), sa.value, count(*)
      FROM casework_secondanswer sa
      JOIN casework_secondreview sr ON sr.id = sa.second_review_id
      JOIN casework_casereview c ON c.id = sr.case_review_id
      JOIN casework_answer a ON a.case_review_id = c.id AND a.question_id = sa.question_id
      LEFT JOIN casework_answerresolution r ON r.second_review_id = sr.id AND r.question_id = sa.question_id
     WHERE c.inspection_id = ANY(%s) AND c.archived_at IS NULL AND sr.status = 'submitted'
     GROUP BY c.inspection_id, sa.question_id, 3, sa.value
"""


def inspections_agreement(inspections: Iterable[Inspection]) -> dict[int, InspectionAgreement]:
    """Per inspection (by id): per key question and prompt, in framework order, and overall.

    Three queries whatever the number of inspections and cases (the API's lists read a page at once).
    """
    ids = [inspection.pk for inspection in inspections]
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_PAIRS_SQL, [ids])
        rows = cursor.fetchall()
    tables: dict[int, dict[int, dict[Pair, int]]] = {}
    for inspection_id, question_id, first, second, count in rows:
        tables.setdefault(inspection_id, {}).setdefault(question_id, {})[(first, second)] = count
    cases = dict(
        SecondReview.objects.filter(
            case_review__inspection_id__in=ids,
            case_review__archived_at__isnull=True,
            status=SecondReview.Status.SUBMITTED,
        )
        .values_list("case_review__inspection_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    question_ids = {question_id for table in tables.values() for question_id in table}
    questions = (
        list(Question.objects.filter(pk__in=question_ids).order_by("order").values_list("pk", "code", "text", "kind"))
        if question_ids
        else []
    )
    results = {}
    for inspection_id in ids:
        table = tables.get(inspection_id, {})
        per_question = [
            Agreement(confusion=table[pk], code=code, text=text, kind=kind)
            for pk, code, text, kind in questions
            if pk in table
        ]
        results[inspection_id] = InspectionAgreement(
            questions=per_question, overall=combined(per_question), cases=cases.get(inspection_id, 0)
        )
    return results


def inspection_agreement(inspection: Inspection) -> InspectionAgreement:
    """Per key question and prompt, in framework order, and overall. Three queries, whatever the cases."""
    return inspections_agreement([inspection])[inspection.pk]


@dataclass(frozen=True)
class Disagreement:
    case_reference: str
    first_inspector: str
    second_inspector: str
    question: Question
    first_value: str
    second_value: str
    first_note: str
    second_note: str
    resolution: AnswerResolution | None

    @property
    def key(self) -> str:
        return f"{self.case_reference}-{self.question.code}"

    @property
    def first_label(self) -> str:
        return AnswerValue(self.first_value).label

    @property
    def second_label(self) -> str:
        return AnswerValue(self.second_value).label


def inspection_disagreements(inspection: Inspection) -> list[Disagreement]:
    """Every pair whose markers disagreed, resolved or not, by case and framework order. Two queries."""
    answer = Answer.objects.filter(case_review=OuterRef("second_review__case_review"), question=OuterRef("question"))
    resolution = AnswerResolution.objects.filter(second_review=OuterRef("second_review"), question=OuterRef("question"))
    second_answers = (
        SecondAnswer.objects.filter(
            second_review__case_review__inspection=inspection,
            second_review__case_review__archived_at__isnull=True,
            second_review__status=SecondReview.Status.SUBMITTED,
        )
        .annotate(
            first_value=Coalesce(Subquery(resolution.values("first_value")[:1]), Subquery(answer.values("value")[:1])),
            first_note=Subquery(answer.values("note")[:1]),
            resolution_id=Subquery(resolution.values("pk")[:1]),
        )
        .filter(first_value__isnull=False)
        .exclude(first_value=F("value"))
        .select_related("question", "second_review__case_review__inspector", "second_review__second_inspector")
        .order_by("second_review__case_review__case_reference", "question__order")
    )
    second_answers = list(second_answers)
    resolution_ids = [s.resolution_id for s in second_answers if s.resolution_id]
    resolutions = (
        AnswerResolution.objects.select_related("resolved_by").in_bulk(resolution_ids) if resolution_ids else {}
    )
    return [
        Disagreement(
            case_reference=s.second_review.case_review.case_reference,
            first_inspector=str(s.second_review.case_review.inspector or "Not assigned"),
            second_inspector=str(s.second_review.second_inspector),
            question=s.question,
            first_value=s.first_value,
            second_value=s.value,
            first_note=s.first_note or "",
            second_note=s.note,
            resolution=resolutions.get(s.resolution_id),
        )
        for s in second_answers
    ]
