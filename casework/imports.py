"""Import case reviews from a CSV file: checked completely first, then written all at once or not at all.

The format (long: one row per case × question, one row per line) is described in
docs/import-format.md. Every problem is reported with the line it is on, so the
person fixing the file can go straight to it; a file with any problem writes nothing.

The import runs in three steps:

1. **Check**, streaming, without any lock: each line is decoded and split into cells
   (`import_lines.py`) and checked as it is read. Memory holds one small record per
   case (per question, the line that answered it; its description, shared with the
   cases described alike), never the rows: while the file is still good each answer goes to a temporary
   spool file as a COPY row of ids, so neither the rows nor their notes stay in memory.
2. **Re-check under the lock**: only once the whole file is good is the
   inspection's row locked, and what may have changed meanwhile (publication, a
   case reference added by someone else) checked again.
3. **Write** in the same transaction: the case reviews with `bulk_create`, the
   answers with COPY from the spool (measured: see `python -m bench.imports`).
"""

from __future__ import annotations

import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any, NamedTuple

import pghistory
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import NOT_PROVIDED
from django.utils import timezone

from accounts.models import User
from inspections.choices import AnswerValue, CourtReport, parse_answer, parse_yes_no
from inspections.models import Inspection, Question

from . import import_lines as reading
from .import_lines import NOTE_MAX_CHARS
from .models import Answer, CaseReview, case_reference_validator, mappa_problem

REQUIRED_COLUMNS = ("case_reference", "case_type", "question", "answer")
OPTIONAL_COLUMNS = ("court_report", "note")
# Case review fields that a file may set, by their field names; the same value on every row of a case.
ATTRIBUTE_COLUMNS = tuple(f for f in CaseReview.ATTRIBUTE_FIELDS if f not in ("case_type", "court_report"))
CASE_COLUMNS = ("case_type", "court_report", *ATTRIBUTE_COLUMNS)

# Problems listed in a report; past this they are only counted (a file in the wrong
# format would otherwise list every one of its lines).
MAX_LISTED_PROBLEMS = 500
# How much of the answer spool stays in memory before it moves to a temporary file.
SPOOL_MEMORY_BYTES = 1 << 18
PROGRESS_EVERY = 1_000
REVIEW_BATCH = 1_000
COPY_BATCH = 10_000

# Called with the step ("check" or "write") and how many more rows it has done.
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class ImportProblem:
    line: int | None  # None for a problem with the inspection rather than the file
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
    unlisted_problems: int = 0  # found past MAX_LISTED_PROBLEMS

    def add(self, line: int | None, message: str) -> None:
        if len(self.problems) < MAX_LISTED_PROBLEMS:
            self.problems.append(ImportProblem(line, message))
        else:
            self.unlisted_problems += 1

    @property
    def ok(self) -> bool:
        return not self.problems and not self.unlisted_problems

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run


def case_reviews_import(
    *,
    inspection: Inspection,
    source: IO[bytes] | IO[str] | Iterable[str],
    status: CaseReview.Status | str = CaseReview.Status.SUBMITTED,
    by: User | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check the whole file, then create its case reviews and answers in one transaction, or nothing.

    `source` is the CSV file opened in binary mode (so a line that is not UTF-8
    can be named), or its text (an open text file or lines). With `dry_run` the
    file is checked and counted exactly as for a real import, but nothing is written.
    """
    if status not in CaseReview.Status.values:
        raise ValueError(f"{status!r} is not a case review status; use one of {', '.join(CaseReview.Status.values)}")
    report = ImportReport(inspection=inspection.reference, status=str(status), dry_run=dry_run)
    inspection = Inspection.objects.select_related("framework").get(pk=inspection.pk)
    if inspection.is_published:
        report.add(None, _published(inspection))
        return report
    with _answer_spool() as spool:
        cases = _check_file(source=source, inspection=inspection, report=report, spool=spool, progress=progress)
        _refuse_cases_already_there(inspection=inspection, cases=cases, report=report)
        report.case_reviews = len(cases)
        report.answers = sum(case.answers for case in cases.values())
        if report.ok and not dry_run:
            _recheck_and_write(
                inspection=inspection, cases=cases, spool=spool, status=status, by=by, report=report, progress=progress
            )
    report.problems.sort(key=lambda problem: problem.line or 0)
    return report


def _published(inspection: Inspection) -> str:
    return f"{inspection.reference} is published: case reviews cannot be imported into it"


# Step 1c: the header ---------------------------------------------------------------------------------------------


class _Header(NamedTuple):
    names: list[str]
    reference: int
    question: int
    answer: int
    note: int | None
    case_columns: list[tuple[str, int]]  # (field name, position) of every case column present


def _read_header(lines: Iterator[tuple[int, str | None, str | None]], report: ImportReport) -> _Header | None:
    empty = f"the file is empty: expected a header row with {', '.join(REQUIRED_COLUMNS)}"
    first = next(lines, None)
    if first is None:
        report.add(1, empty)
        return None
    _, text, problem = first
    if problem is not None:
        report.add(1, problem)
        return None
    if not text or not text.strip():
        report.add(1, empty)
        return None
    try:
        names = [name.strip() for name in reading.cells(text, ())]
    except reading.LineError as error:
        report.add(1, str(error))
        return None
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        report.add(1, f"missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    unknown = [name for name in names if name not in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *ATTRIBUTE_COLUMNS)]
    if unknown:
        report.add(
            1,
            f"unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(map(reading.shown, unknown))}; "
            f"case attribute columns are {', '.join(ATTRIBUTE_COLUMNS)}",
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        report.add(1, f"column{'s' if len(repeated) > 1 else ''} given twice: {', '.join(repeated)}")
    if not report.ok:
        return None
    return _Header(
        names=names,
        reference=names.index("case_reference"),
        question=names.index("question"),
        answer=names.index("answer"),
        note=names.index("note") if "note" in names else None,
        case_columns=[(name, names.index(name)) for name in CASE_COLUMNS if name in names],
    )


# Step 1d: rows, checked as a set ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Case:
    index: int  # its place in the file, which the spool names it by until it has an id
    reference: str
    first_line: int
    raw: tuple[str, ...]  # its case columns' text on its first row
    attributes: dict[str, Any]  # the values that text stands for (those that are valid)
    answered: array  # per question (by position), the line that answered it; 0 for none
    answers: int = 0


class _Question(NamedTuple):
    position: int
    id: int
    code: str
    allows_not_applicable: bool
    model: Question


_EMPTY = object()


def _parse_attribute(name: str, text: str) -> Any:
    """A case attribute from its (stripped) text, or ValueError saying what is wrong with it.

    An empty cell is "not recorded": the field's default (`none` for court report and the
    MAPPA columns, `no` for the yes/no concerns, which have no "not recorded"), else empty.
    """
    model_field = CaseReview._meta.get_field(name)
    if text == "":
        if model_field.null:
            return None
        if model_field.has_default():
            return model_field.get_default()
        if not model_field.blank:
            raise ValueError(f"{name} is required")
        return ""
    if model_field.get_internal_type() == "BooleanField":
        try:
            return parse_yes_no(text)
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None
    if model_field.choices:
        allowed = [str(value) for value, _ in model_field.flatchoices]
        if text not in allowed:
            raise ValueError(f"{name} {reading.shown(text)} is not one of {', '.join(allowed)}")
        return text
    try:
        return model_field.clean(text, None)
    except ValidationError as error:
        raise ValueError(f"{name} {reading.shown(text)}: {' '.join(error.messages)}") from None


def _mappa_problem(reference: str, attributes: dict[str, Any]) -> str | None:
    # The model's MAPPA rule, so the file is told before the database refuses.
    if (
        mappa_problem(
            category=attributes.get("mappa_category", CaseReview.Mappa.NONE),
            level=attributes.get("mappa_level", CaseReview.Mappa.NONE),
        )
        is not None
    ):
        return f"case {reference} has a MAPPA category but no level"
    return None


class _Checker:
    """Checks rows one at a time against the framework and each other, spooling good answers."""

    def __init__(self, *, inspection: Inspection, header: _Header, report: ImportReport, spool: IO[str]):
        self.framework = inspection.framework.code
        self.header = header
        self.report = report
        self.spool = spool
        self.cases: dict[str, _Case] = {}
        framework_questions = Question.objects.filter(framework_id=inspection.framework_id).select_related("standard")
        self.questions = {
            q.code: _Question(position, q.id, q.code, q.allows_not_applicable, q)
            for position, q in enumerate(framework_questions)
        }
        self.unanswered = array("I", [0]) * len(self.questions)
        self._attribute_memo: dict[tuple[str, str], tuple[Any, str | None]] = {}
        self._why_memo: dict[tuple[int, str, str], str | None] = {}
        self._descriptions: dict[tuple[str, ...], tuple[tuple[str, ...], dict[str, Any], list[str]]] = {}

    def row(self, line: int, cells: list[str]) -> None:
        if len(cells) != len(self.header.names):
            self.report.add(line, f"the row has {len(cells)} cells but the header has {len(self.header.names)} columns")
            return
        reference = cells[self.header.reference].strip()
        case = self.cases.get(reference)
        if case is None:
            try:
                case_reference_validator(reference)
            except ValidationError as error:
                self.report.add(line, f"bad case reference {reading.shown(reference)}: {' '.join(error.messages)}")
                return
            case = self._new_case(line, reference, cells)
        else:
            self._check_same_attributes(case, line, cells)
        self._answer(case, line, cells)

    def finish(self) -> dict[str, _Case]:
        for case in self.cases.values():
            if (problem := _mappa_problem(case.reference, case.attributes)) is not None:
                self.report.add(case.first_line, problem)
        return self.cases

    def _attribute(self, name: str, text: str) -> tuple[Any, str | None]:
        key = (name, text)
        if (known := self._attribute_memo.get(key, _EMPTY)) is not _EMPTY:
            return known
        try:
            result = (_parse_attribute(name, text), None)
        except ValueError as error:
            result = (None, str(error))
        if len(self._attribute_memo) < 10_000:  # the vocabularies are small; junk need not be kept
            self._attribute_memo[key] = result
        return result

    def _new_case(self, line: int, reference: str, cells: list[str]) -> _Case:
        raw = tuple(cells[position].strip() for _, position in self.header.case_columns)
        # Cases described alike share one text tuple and one attributes dict (never changed after
        # this), so a file of many cases keeps one copy of each description, not one per case.
        shared = self._descriptions.get(raw)
        if shared is None:
            attributes, problems = {}, []
            for (name, _), text in zip(self.header.case_columns, raw, strict=True):
                value, problem = self._attribute(name, text)
                if problem is None:
                    attributes[name] = value
                else:
                    problems.append(problem)
            shared = (raw, attributes, problems)
            if len(self._descriptions) < 10_000:
                self._descriptions[raw] = shared
        raw, attributes, problems = shared
        for problem in problems:
            self.report.add(line, problem)
        case = _Case(len(self.cases), reference, line, raw, attributes, array("I", self.unanswered))
        self.cases[reference] = case
        return case

    def _check_same_attributes(self, case: _Case, line: int, cells: list[str]) -> None:
        raw = tuple(cells[position].strip() for _, position in self.header.case_columns)
        if raw == case.raw:
            return
        for (name, _), text, first_text in zip(self.header.case_columns, raw, case.raw, strict=True):
            if text == first_text:
                continue
            value, problem = self._attribute(name, text)
            if problem is not None:
                self.report.add(line, problem)
            elif name in case.attributes and case.attributes[name] != value:
                here, there = reading.shown(text), reading.shown(first_text)
                self.report.add(
                    line,
                    f"case {case.reference} has {name} {here} here but {there} on line {case.first_line}: "
                    "a case's attributes must be the same on all its rows",
                )

    def _why_not_asked(self, question: _Question, case: _Case) -> str | None:
        case_type = case.attributes.get("case_type")
        if case_type is None:  # already reported as a bad or missing case type
            return None
        court_report = case.attributes.get("court_report", CourtReport.NONE)
        key = (question.position, case_type, court_report)
        if key not in self._why_memo:
            self._why_memo[key] = question.model.why_not_asked(case_type=case_type, court_report=court_report)
        why = self._why_memo[key]
        return None if why is None else f"{why} (case {case.reference} is {case_type}, court report {court_report})"

    def _answer(self, case: _Case, line: int, cells: list[str]) -> None:
        code = cells[self.header.question].strip()
        question = self.questions.get(code)
        if question is None:
            self.report.add(line, f"unknown question code {reading.shown(code)}: not in the {self.framework} framework")
            return
        try:
            value = parse_answer(cells[self.header.answer])
        except ValueError as error:
            self.report.add(line, f"bad answer to {code}: {error}")
            return
        if value == AnswerValue.NOT_APPLICABLE and not question.allows_not_applicable:
            self.report.add(line, f"question {code} does not allow n/a: it is asked in every case it applies to")
            return
        if (why_not := self._why_not_asked(question, case)) is not None:
            self.report.add(line, why_not)
            return
        note = cells[self.header.note].strip() if self.header.note is not None else ""
        if len(note) > NOTE_MAX_CHARS:
            self.report.add(line, f"the note has {len(note):,} characters; a note may have at most {NOTE_MAX_CHARS:,}")
            return
        if previous := case.answered[question.position]:
            self.report.add(line, f"case {case.reference} already has an answer to {code} on line {previous}")
            return
        case.answered[question.position] = line
        case.answers += 1
        if self.report.ok:  # once the file is refused, nothing will be written: stop spooling
            self.spool.write(f"{case.index}\t{question.id}\t{value}\t{_copy_text(note)}\n")


def _check_file(
    *, source, inspection: Inspection, report: ImportReport, spool: IO[str], progress: Progress | None
) -> dict[str, _Case]:
    lines = reading.lines(source)
    header = _read_header(lines, report)
    if header is None:
        return {}
    checker = _Checker(inspection=inspection, header=header, report=report, spool=spool)
    rows = 0
    for line, text, problem in lines:
        if problem is not None:
            report.add(line, problem)
        elif text.strip(" ,\t"):  # a blank line, or one of empty cells as spreadsheets leave, holds nothing
            try:
                checker.row(line, reading.cells(text, header.names))
            except reading.LineError as error:
                report.add(line, str(error))
        rows += 1
        if progress is not None and rows == PROGRESS_EVERY:
            progress("check", rows)
            rows = 0
    if progress is not None and rows:
        progress("check", rows)
    cases = checker.finish()
    if not cases and report.ok:
        report.add(2, "the file has a header but no rows")
    return cases


def _refuse_cases_already_there(*, inspection: Inspection, cases: dict[str, _Case], report: ImportReport) -> None:
    existing = CaseReview.objects.filter(inspection=inspection, case_reference__in=list(cases)).values_list(
        "case_reference", flat=True
    )
    for reference in sorted(existing, key=lambda ref: cases[ref].first_line):
        report.add(cases[reference].first_line, f"case {reference} is already in {inspection.reference}")


# Steps 2 and 3: re-check under the lock, write -------------------------------------------------------------------


def _recheck_and_write(
    *,
    inspection: Inspection,
    cases: dict[str, _Case],
    spool: IO[str],
    status: str,
    by: User | None,
    report: ImportReport,
    progress: Progress | None,
) -> None:
    with transaction.atomic():
        # The lock is taken only now, for the write, so a long check never holds up the inspection's
        # other users; what could have changed while the file was checked is checked again under it.
        locked = Inspection.objects.select_for_update().get(pk=inspection.pk)
        if locked.is_published:
            report.add(None, _published(locked))
            return
        _refuse_cases_already_there(inspection=locked, cases=cases, report=report)
        if not report.ok:
            return
        # The history names the import as the source of every row it writes.
        with pghistory.context(user=by.pk if by else None, reason="imported from a CSV file"):
            review_ids = _create_case_reviews(inspection=locked, cases=cases, status=status, by=by)
            _copy_answers(spool=spool, answers=report.answers, review_ids=review_ids, by=by, progress=progress)


def _create_case_reviews(*, inspection: Inspection, cases: dict[str, _Case], status: str, by: User | None) -> array:
    """The new case reviews' ids, in the order the file introduced the cases (their spool index)."""
    review_ids = array("q")
    batch: list[CaseReview] = []
    for case in cases.values():
        batch.append(
            CaseReview(
                inspection=inspection, case_reference=case.reference, status=status, updated_by=by, **case.attributes
            )
        )
        if len(batch) == REVIEW_BATCH:
            review_ids.extend(review.pk for review in CaseReview.objects.bulk_create(batch))
            batch = []
    if batch:
        review_ids.extend(review.pk for review in CaseReview.objects.bulk_create(batch))
    return review_ids


def _copy_text(value: Any) -> str:
    """A value in PostgreSQL's COPY text format."""
    if value is None:
        return r"\N"
    if value is True or value is False:
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


SPOOLED_ANSWER_COLUMNS = ("case_review_id", "question_id", "value", "note")


def _answer_constant_columns(*, by: User | None) -> dict[str, str]:
    """COPY text for every answer column the file does not give, read from the model.

    Read from the model so that a column added later gets its default (or stops the import
    loudly here) rather than being silently left out of the COPY.
    """
    now = timezone.now()
    columns = {}
    for model_field in Answer._meta.concrete_fields:
        if model_field.primary_key or model_field.column in SPOOLED_ANSWER_COLUMNS:
            continue
        if getattr(model_field, "generated", False) or model_field.db_default is not NOT_PROVIDED:
            continue  # the database fills it
        if model_field.column == "updated_by_id":
            value = by.pk if by else None
        elif getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
            value = now
        elif model_field.has_default() or model_field.null:
            value = model_field.get_db_prep_value(model_field.get_default(), connection)
        else:
            raise RuntimeError(f"the importer does not know what to write in Answer.{model_field.name}")
        columns[model_field.column] = _copy_text(value)
    return columns


class _AnswerRows:
    """Up to `rows` spooled answers as COPY text, each case's index in the file replaced by its case review's id."""

    def __init__(self, *, lines: Iterator[str], rows: int, review_ids: array, constant: str):
        self.lines = islice(lines, rows)
        self.review_ids = review_ids
        self.constant = constant

    def read(self, size: int = -1) -> str:
        ids, constant = self.review_ids, self.constant
        out, length = [], 0
        for line in self.lines:
            index, rest = line.split("\t", 1)
            row = f"{ids[int(index)]}\t{rest[:-1]}{constant}\n"
            out.append(row)
            length += len(row)
            if length >= size > 0:
                break
        return "".join(out)


def _copy_answers(
    *, spool: IO[str], answers: int, review_ids: array, by: User | None, progress: Progress | None
) -> None:
    # COPY rather than bulk_create: the same rows, the same triggers, a fraction of the Python
    # time per row (bench/imports.py measures both).
    constants = _answer_constant_columns(by=by)
    columns = ", ".join(connection.ops.quote_name(name) for name in (*SPOOLED_ANSWER_COLUMNS, *constants))
    constant = "".join(f"\t{value}" for value in constants.values())
    spool.seek(0)
    lines = iter(spool)
    with connection.cursor() as cursor:
        # pghistory's context travels in transaction-local settings, set by the case reviews'
        # INSERT just before, so the history trigger sees it for every copied row too.
        # One COPY per batch: a COPY returns once the server has stored (and checked) its rows,
        # so the progress bar shows rows written, not rows waiting in the socket's buffers.
        for start in range(0, answers, COPY_BATCH):
            rows = min(COPY_BATCH, answers - start)
            batch = _AnswerRows(lines=lines, rows=rows, review_ids=review_ids, constant=constant)
            cursor.copy_expert(f"COPY {Answer._meta.db_table} ({columns}) FROM STDIN", batch, size=1 << 16)
            if progress is not None:
                progress("write", rows)


def _answer_spool() -> IO[str]:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES, mode="w+", encoding="utf-8", newline="\n")
