"""Import case reviews from a CSV file: checked completely first, then written all at once or not at all.

The format (long: one row per case × question) is described in
docs/import-format.md. Every problem is reported with the line it is on, so
the person fixing the file can go straight to it; a file with any problem
writes nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from inspections.choices import AnswerValue, CaseType, CourtReport
from inspections.models import Inspection, Question, Standard

from .models import Answer, CaseReview, case_reference_validator

REQUIRED_COLUMNS = ("case_reference", "case_type", "question", "answer")
OPTIONAL_COLUMNS = ("court_report", "note")
# Case review fields that a file may set, by their field names; the same value on every row of a case.
ATTRIBUTE_COLUMNS = tuple(f for f in CaseReview.ATTRIBUTE_FIELDS if f not in ("case_type", "court_report"))
CASE_COLUMNS = ("case_type", "court_report", *ATTRIBUTE_COLUMNS)
ANSWERS = {"yes": AnswerValue.YES, "no": AnswerValue.NO, "n/a": AnswerValue.NOT_APPLICABLE}
BOOLEAN_WORDS = {"yes": True, "true": True, "no": False, "false": False}


@dataclass(frozen=True)
class ImportProblem:
    line: int | None  # None for a problem with the whole file or the inspection
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


@dataclass
class ImportReport:
    inspection: str
    status: str
    dry_run: bool
    case_reviews: int = 0
    answers: int = 0
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run


@dataclass
class _Case:
    reference: str
    first_line: int
    attributes: dict[str, Any]
    answers: list[tuple[int, Question, str, str]] = field(default_factory=list)  # line, question, value, note
    questions: dict[str, int] = field(default_factory=dict)  # question code → line it was answered on


def _parse_attribute(name: str, raw: str) -> Any:
    """A case attribute from its text, or ValidationError saying what is wrong with it."""
    model_field = CaseReview._meta.get_field(name)
    text = raw.strip()
    if model_field.get_internal_type() == "BooleanField":
        if text == "":
            if model_field.null:
                return None
            return model_field.get_default()
        if text.lower() not in BOOLEAN_WORDS:
            raise ValidationError(f"{name} is yes or no, not {text!r}")
        return BOOLEAN_WORDS[text.lower()]
    if text == "":
        if model_field.null:
            return None
        if model_field.has_default():
            return model_field.get_default()
        if not model_field.blank:
            raise ValidationError(f"{name} is required")
        return ""
    if model_field.choices:
        allowed = [str(value) for value, _ in model_field.flatchoices]
        if text not in allowed:
            raise ValidationError(f"{name} {text!r} is not one of {', '.join(allowed)}")
        return text
    try:
        return model_field.clean(text, None)
    except ValidationError as error:
        raise ValidationError(f"{name} {text!r}: {' '.join(error.messages)}") from None


def _parse_case_attributes(row: dict[str, str], columns: Iterable[str]) -> tuple[dict[str, Any], list[str]]:
    values, problems = {}, []
    for name in columns:
        try:
            values[name] = _parse_attribute(name, row.get(name) or "")
        except ValidationError as error:
            problems.extend(error.messages)
    return values, problems


def _applies(question: Question, case: _Case) -> str | None:
    """Why the question is not asked for this case, or None when it is."""
    standard: Standard | None = question.standard
    if standard is not None and standard.rated_by == Standard.RatedBy.JUDGEMENT:
        return (
            f"question {question.code} belongs to {standard.code} {standard.title}, "
            "which is rated by the inspectors' judgement, not case by case"
        )
    case_type = case.attributes.get("case_type")
    court_report = case.attributes.get("court_report", CourtReport.NONE)
    if case_type is None or question.applies_to(case_type=case_type, court_report=court_report):
        return None
    if question.case_types and case_type not in question.case_types:
        kinds = " or ".join(CaseType(t).label.lower() for t in question.case_types)
        return f"question {question.code} is asked only in {kinds} cases; case {case.reference} is {case_type}"
    return f"question {question.code} is asked only where a court report was prepared; case {case.reference} has none"


def _read(
    *, source: Iterable[str], inspection: Inspection, questions: dict[str, Question], report: ImportReport
) -> dict[str, _Case]:
    problems = report.problems
    reader = csv.DictReader(source)
    try:
        header = reader.fieldnames
    except UnicodeDecodeError:
        problems.append(ImportProblem(1, "the file is not UTF-8 text"))
        return {}
    if not header:
        problems.append(
            ImportProblem(None, f"the file is empty: expected a header row with {', '.join(REQUIRED_COLUMNS)}")
        )
        return {}
    reader.fieldnames = header = [(name or "").strip() for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        problems.append(
            ImportProblem(1, f"missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
        )
    unknown = [name for name in header if name not in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *ATTRIBUTE_COLUMNS)]
    if unknown:
        problems.append(
            ImportProblem(
                1,
                f"unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(map(repr, unknown))}; "
                f"case attribute columns are {', '.join(ATTRIBUTE_COLUMNS)}",
            )
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        problems.append(
            ImportProblem(1, f"column{'s' if len(repeated) > 1 else ''} given twice: {', '.join(repeated)}")
        )
    if problems:
        return {}

    case_columns = [name for name in CASE_COLUMNS if name in header]
    cases: dict[str, _Case] = {}
    try:
        for row in reader:
            line = reader.line_num
            if None in row:  # more cells than header columns
                problems.append(ImportProblem(line, "the row has more cells than the header has columns"))
                continue
            reference = (row["case_reference"] or "").strip()
            try:
                case_reference_validator(reference)
            except ValidationError as error:
                problems.append(ImportProblem(line, f"bad case reference {reference!r}: {' '.join(error.messages)}"))
                continue
            attributes, attribute_problems = _parse_case_attributes(row, case_columns)
            problems.extend(ImportProblem(line, message) for message in attribute_problems)
            case = cases.get(reference)
            if case is None:
                case = cases[reference] = _Case(reference=reference, first_line=line, attributes=attributes)
            else:
                for name, value in attributes.items():
                    if name in case.attributes and case.attributes[name] != value:
                        problems.append(
                            ImportProblem(
                                line,
                                f"case {reference} has {name} {(row.get(name) or '').strip()!r} here but "
                                f"{case.attributes[name]!r} on line {case.first_line}: a case's attributes "
                                "must be the same on all its rows",
                            )
                        )
                    case.attributes.setdefault(name, value)

            code = (row["question"] or "").strip()
            question = questions.get(code)
            if question is None:
                problems.append(
                    ImportProblem(
                        line, f"unknown question code {code!r}: not in the {inspection.framework.code} framework"
                    )
                )
                continue
            raw_answer = (row["answer"] or "").strip()
            value = ANSWERS.get(raw_answer.lower())
            if value is None:
                problems.append(ImportProblem(line, f"bad answer {raw_answer!r} to {code}: use yes, no or n/a"))
                continue
            if value == AnswerValue.NOT_APPLICABLE and not question.allows_not_applicable:
                problems.append(
                    ImportProblem(line, f"question {code} does not allow n/a: it is asked in every case it applies to")
                )
                continue
            if (why_not := _applies(question, case)) is not None:
                problems.append(ImportProblem(line, why_not))
                continue
            if code in case.questions:
                problems.append(
                    ImportProblem(
                        line, f"case {reference} already has an answer to {code} on line {case.questions[code]}"
                    )
                )
                continue
            case.questions[code] = line
            case.answers.append((line, question, value, (row.get("note") or "").strip()))
    except UnicodeDecodeError:
        problems.append(ImportProblem(reader.line_num + 1, "the file is not UTF-8 text"))
    except csv.Error as error:
        problems.append(ImportProblem(reader.line_num, f"the CSV cannot be read: {error}"))
    if not cases and not problems:
        problems.append(ImportProblem(None, "the file has a header but no rows"))
    for case in cases.values():
        if (
            case.attributes.get("mappa_category", "none") != "none"
            and case.attributes.get("mappa_level", "none") == "none"
        ):
            problems.append(ImportProblem(case.first_line, f"case {case.reference} has a MAPPA category but no level"))
    return cases


def case_reviews_import(
    *,
    inspection: Inspection,
    source: Iterable[str],
    status: CaseReview.Status | str = CaseReview.Status.SUBMITTED,
    by: User | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Check the whole file, then create its case reviews and answers in one transaction, or nothing.

    `source` is the CSV text (an open file or lines). With `dry_run` the file
    is checked and counted but nothing is written.
    """
    if status not in CaseReview.Status.values:
        raise ValueError(f"{status!r} is not a case review status; use one of {', '.join(CaseReview.Status.values)}")
    report = ImportReport(inspection=inspection.reference, status=str(status), dry_run=dry_run)
    with transaction.atomic():
        # Locked so that publication cannot slip between the check and the write.
        inspection = Inspection.objects.select_for_update().select_related("framework").get(pk=inspection.pk)
        if inspection.is_published:
            report.problems.append(
                ImportProblem(None, f"{inspection.reference} is published: case reviews cannot be imported into it")
            )
            return report
        questions = {
            q.code: q for q in Question.objects.filter(framework_id=inspection.framework_id).select_related("standard")
        }
        cases = _read(source=source, inspection=inspection, questions=questions, report=report)
        existing = set(
            CaseReview.objects.filter(inspection=inspection, case_reference__in=list(cases)).values_list(
                "case_reference", flat=True
            )
        )
        for reference in sorted(existing, key=lambda ref: cases[ref].first_line):
            report.problems.append(
                ImportProblem(cases[reference].first_line, f"case {reference} is already in {inspection.reference}")
            )
        report.problems.sort(key=lambda p: p.line or 0)
        report.case_reviews = len(cases)
        report.answers = sum(len(case.answers) for case in cases.values())
        if not report.ok or dry_run:
            return report
        # The history names the import as the source of every row it writes.
        with pghistory.context(user=by.pk if by else None, reason="imported from a CSV file"):
            _write(inspection=inspection, cases=cases, status=status, by=by)
    return report


def _write(*, inspection: Inspection, cases: dict, status: str, by: User | None) -> None:
    reviews = CaseReview.objects.bulk_create(
        [
            CaseReview(
                inspection=inspection,
                case_reference=case.reference,
                status=status,
                updated_by=by,
                **case.attributes,
            )
            for case in cases.values()
        ]
    )
    by_reference = {review.case_reference: review for review in reviews}
    Answer.objects.bulk_create(
        [
            Answer(case_review=by_reference[case.reference], question=question, value=value, note=note, updated_by=by)
            for case in cases.values()
            for _line, question, value, note in case.answers
        ],
        batch_size=5000,
    )
