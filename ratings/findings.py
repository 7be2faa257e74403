"""Findings: how many relevant cases met a prompt or key question, over any scope.

"In 59 out of 109 relevant cases there was no enquiry to children's services"
is `findings(question_code="2.2.3.e", region="south-west")`: relevant 109, no 59.
Each call is one aggregate query (a second, cheap one only to tell an unknown
question code from a scope with no answers).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q

from casework.models import Answer, CaseReview
from inspections.choices import AnswerValue
from inspections.models import Inspection, Question
from regions.models import PDU, Region

from .rules import Counts

# The case review fields a finding can be filtered or broken down by.
CASE_ATTRIBUTES = (
    # Months in service is a number, not a category: breakdowns group it no further here.
    *(f for f in CaseReview.ATTRIBUTE_FIELDS if f != "practitioner_months_in_service"),
    "status",
)
# Breakdowns by where the case was inspected, besides the case's own attributes.
PLACE_ATTRIBUTES = {
    "inspection": "case_review__inspection__reference",
    "pdu": "case_review__inspection__pdu__slug",
    "region": "case_review__inspection__pdu__region__slug",
}
BREAKDOWN_ATTRIBUTES = (*CASE_ATTRIBUTES, *PLACE_ATTRIBUTES)


class UnknownQuestion(LookupError):
    pass


class UnknownAttribute(LookupError):
    pass


@dataclass(frozen=True)
class Finding:
    question: str
    counts: Counts

    @property
    def yes(self) -> int:
        return self.counts.yes

    @property
    def no(self) -> int:
        return self.counts.no

    @property
    def not_applicable(self) -> int:
        return self.counts.not_applicable

    @property
    def relevant(self) -> int:
        return self.counts.relevant

    @property
    def percent(self) -> Decimal | None:
        """Yes as a share of the relevant cases, to one decimal place."""
        return self.counts.percent

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "relevant": self.relevant,
            "yes": self.yes,
            "no": self.no,
            "not_applicable": self.not_applicable,
            "percent": float(self.percent) if self.percent is not None else None,
        }


_COUNTS = {
    "yes": Count("id", filter=Q(value=AnswerValue.YES)),
    "no": Count("id", filter=Q(value=AnswerValue.NO)),
    "not_applicable": Count("id", filter=Q(value=AnswerValue.NOT_APPLICABLE)),
}


def _answers(
    *,
    question_code: str,
    framework: str | None,
    inspections: Iterable[Inspection | str] | None,
    region: Region | str | None,
    pdu: PDU | str | None,
    date_from: datetime.date | None,
    date_to: datetime.date | None,
    case_attributes: Mapping[str, Any],
):
    unknown = set(case_attributes) - set(CASE_ATTRIBUTES)
    if unknown:
        raise UnknownAttribute(
            f"cannot filter findings by {', '.join(sorted(unknown))}; use one of {', '.join(CASE_ATTRIBUTES)}"
        )
    answers = Answer.objects.filter(question__code=question_code, case_review__archived_at__isnull=True)
    if framework is not None:
        answers = answers.filter(question__framework__code=framework)
    if inspections is not None:
        inspections = list(inspections)
        ids = [i.id for i in inspections if isinstance(i, Inspection)]
        references = [i for i in inspections if isinstance(i, str)]
        answers = answers.filter(
            Q(case_review__inspection_id__in=ids) | Q(case_review__inspection__reference__in=references)
        )
    if region is not None:
        answers = answers.filter(
            Q(case_review__inspection__pdu__region=region)
            if isinstance(region, Region)
            else Q(case_review__inspection__pdu__region__slug=region)
        )
    if pdu is not None:
        answers = answers.filter(
            Q(case_review__inspection__pdu=pdu) if isinstance(pdu, PDU) else Q(case_review__inspection__pdu__slug=pdu)
        )
    if date_from is not None:
        answers = answers.filter(case_review__inspection__fieldwork_start__gte=date_from)
    if date_to is not None:
        answers = answers.filter(case_review__inspection__fieldwork_start__lte=date_to)
    if case_attributes:
        answers = answers.filter(**{f"case_review__{name}": value for name, value in case_attributes.items()})
    return answers


def _check_question(question_code: str, framework: str | None) -> None:
    questions = Question.objects.filter(code=question_code)
    if framework is not None:
        questions = questions.filter(framework__code=framework)
    if not questions.exists():
        where = f" in the {framework} framework" if framework else ""
        raise UnknownQuestion(f"There is no key question or prompt {question_code!r}{where}")


def findings(
    *,
    question_code: str,
    framework: str | None = None,
    inspections: Iterable[Inspection | str] | None = None,
    region: Region | str | None = None,
    pdu: PDU | str | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    **case_attributes: Any,
) -> Finding:
    """Relevant cases, yes, no, not applicable and the percentage for one question over a scope.

    Scopes combine (all must hold): inspections (instances or references), a
    region or PDU (instances or slugs), fieldwork starting within
    `date_from`..`date_to`, and case attributes such as `rosh_level="high"`.
    Archived case reviews are outside every scope; every other status counts,
    as in the live ratings.
    """
    answers = _answers(
        question_code=question_code,
        framework=framework,
        inspections=inspections,
        region=region,
        pdu=pdu,
        date_from=date_from,
        date_to=date_to,
        case_attributes=case_attributes,
    )
    row = answers.aggregate(**_COUNTS)
    counts = Counts(yes=row["yes"], no=row["no"], not_applicable=row["not_applicable"])
    if not (counts.relevant or counts.not_applicable):
        _check_question(question_code, framework)
    return Finding(question=question_code, counts=counts)


@dataclass(frozen=True)
class BreakdownRow:
    value: Any
    label: str
    finding: Finding


def _labels(attribute: str) -> dict[Any, str]:
    if attribute in PLACE_ATTRIBUTES:
        return {}
    field = CaseReview._meta.get_field(attribute)
    if field.get_internal_type() == "BooleanField":
        return {True: "Yes", False: "No", None: "Not recorded"}
    return dict(field.flatchoices)


def findings_by(
    *,
    question_code: str,
    attribute: str,
    framework: str | None = None,
    inspections: Iterable[Inspection | str] | None = None,
    region: Region | str | None = None,
    pdu: PDU | str | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    **case_attributes: Any,
) -> list[BreakdownRow]:
    """The same finding broken down by a case attribute (or by inspection, PDU or region): one GROUP BY.

    Groups with no answers at all do not appear; an empty value (an attribute
    not recorded) is a group of its own.
    """
    if attribute not in BREAKDOWN_ATTRIBUTES:
        raise UnknownAttribute(
            f"cannot break findings down by {attribute!r}; use one of {', '.join(BREAKDOWN_ATTRIBUTES)}"
        )
    answers = _answers(
        question_code=question_code,
        framework=framework,
        inspections=inspections,
        region=region,
        pdu=pdu,
        date_from=date_from,
        date_to=date_to,
        case_attributes=case_attributes,
    )
    column = PLACE_ATTRIBUTES.get(attribute, f"case_review__{attribute}")
    rows = answers.values_list(column).annotate(**_COUNTS).order_by(column)
    labels = _labels(attribute)
    breakdown = [
        BreakdownRow(
            value=value,
            label=labels.get(value) or (str(value) if value not in ("", None) else "Not recorded"),
            finding=Finding(question=question_code, counts=Counts(yes=yes, no=no, not_applicable=not_applicable)),
        )
        for value, yes, no, not_applicable in rows
    ]
    if not breakdown:
        _check_question(question_code, framework)
    return breakdown
