"""Property: a valid file, mutated at random, is imported exactly or refused by line with nothing written.

A valid file is generated from the framework (cases of every type, questions that apply to them,
notes with commas, quotes, tabs and letters beyond ASCII, in any order, with CRLF or LF and perhaps a
byte order mark), then damaged the ways real files are: a quote or a NUL byte inserted, the end cut
off (perhaps inside a character), a line duplicated or two swapped, the whole re-encoded as Latin-1
or UTF-16. Whatever comes out, the import either holds exactly what the file says, as an
independent reading of it with the csv module understands it, or is refused with a problem on a
line and leaves the database as it was.
"""

from __future__ import annotations

import csv
import io
import os

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from casework.imports import case_reviews_import
from casework.models import Answer, CaseReview
from inspections.choices import parse_answer, parse_yes_no
from inspections.models import Question

COLUMNS = ["case_reference", "case_type", "court_report", "question", "answer", "rosh_level", "domestic_abuse", "note"]
# Notes as people write them: commas and quotes that must be quoted, tabs, letters beyond ASCII
# (some in Latin-1, some not), never a line break.
NOTE_ALPHABET = st.sampled_from([*"abc XYZ019,.;:-'\"\t", "é", "ü", "£", "’", "—", "ß", "😀"])
# Modest and repeatable in the suite; IMPORT_PROPERTY_EXAMPLES=5000 explores further (with fresh randomness).
_EXPLORE = int(os.environ.get("IMPORT_PROPERTY_EXAMPLES", "0"))
EXAMPLES = settings(
    max_examples=_EXPLORE or 40,
    deadline=None,
    derandomize=not _EXPLORE,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def framework_questions(inspection) -> list[Question]:
    return list(Question.objects.filter(framework_id=inspection.framework_id).select_related("standard"))


@st.composite
def valid_files(draw, questions: list[Question]) -> str:
    """The text of a valid import file."""
    rows = []
    references = draw(st.lists(st.from_regex(r"[A-Z][0-9]{6}", fullmatch=True), min_size=1, max_size=4, unique=True))
    for reference in references:
        case_type = draw(st.sampled_from(["community", "licence", "unpaid_work"]))
        court_report = draw(st.sampled_from(["none", "oral", "short_format", "standard", ""]))
        attributes = [
            draw(st.sampled_from(["", "low", "high"])),
            draw(st.sampled_from(["", "yes", "no", "Y", "false"])),
        ]
        asked = [q for q in questions if q.applies_to(case_type=case_type, court_report=court_report or "none")]
        for question in draw(st.lists(st.sampled_from(asked), min_size=1, max_size=6, unique_by=lambda q: q.id)):
            answers = ["yes", "no", "YES", "n/a"] if question.allows_not_applicable else ["yes", "no", "No"]
            note = draw(st.text(NOTE_ALPHABET, max_size=30))
            rows.append(
                [reference, case_type, court_report, question.code, draw(st.sampled_from(answers)), *attributes]
            )
            rows[-1].append(note)
    rows = draw(st.permutations(rows))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


def mutate(draw, text: str) -> bytes:
    """The file's bytes after zero to three of the damages real files suffer."""
    damages = draw(st.lists(st.sampled_from(["quote", "nul", "duplicate", "swap", "truncate"]), max_size=3))
    for damage in damages:
        if damage in ("quote", "nul"):
            at = draw(st.integers(0, len(text)))
            text = text[:at] + ('"' if damage == "quote" else "\x00") + text[at:]
        elif damage in ("duplicate", "swap"):
            lines = text.splitlines(keepends=True)
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if damage == "duplicate":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    data = text.encode(encoding, errors="replace")
    if "truncate" in damages:  # anywhere, even inside a character of several bytes
        data = data[: draw(st.integers(0, len(data)))]
    return data


def what_the_file_says(data: bytes) -> tuple[dict, dict]:
    """An independent reading of a file the importer accepted: its cases and its answers."""
    text = data.decode("utf-8-sig")
    cases, answers = {}, {}
    for row in csv.DictReader(io.StringIO(text, newline="")):
        if not any((value or "").strip() for value in row.values()):
            continue
        reference = row["case_reference"].strip()
        cases.setdefault(
            reference,
            (
                row["case_type"].strip(),
                row["court_report"].strip() or "none",
                row["rosh_level"].strip(),
                bool(row["domestic_abuse"].strip()) and parse_yes_no(row["domestic_abuse"]),
            ),
        )
        answers[(reference, row["question"].strip())] = (str(parse_answer(row["answer"])), row["note"].strip())
    return cases, answers


def what_the_database_holds(inspection) -> tuple[dict, dict]:
    cases = {
        r.case_reference: (r.case_type, r.court_report, r.rosh_level, r.domestic_abuse)
        for r in CaseReview.objects.filter(inspection=inspection)
    }
    answers = {
        (a.case_review.case_reference, a.question.code): (a.value, a.note)
        for a in Answer.objects.filter(case_review__inspection=inspection).select_related("case_review", "question")
    }
    return cases, answers


def import_and_judge(inspection, data: bytes) -> bool:
    """Imports the bytes and asserts the property; True when the file was imported."""
    before = (CaseReview.objects.count(), Answer.objects.count())
    report = case_reviews_import(inspection=inspection, source=io.BytesIO(data))
    if report.ok:
        assert what_the_database_holds(inspection) == what_the_file_says(data)
        assert report.answers == Answer.objects.count() - before[1]
        return True
    lines = data.count(b"\n") + 1
    assert report.problems and all(p.line is not None and 1 <= p.line <= lines + 1 for p in report.problems), (
        report.problems
    )
    assert (CaseReview.objects.count(), Answer.objects.count()) == before
    return False


@pytest.mark.django_db
@EXAMPLES
@given(data=st.data())
def test_a_valid_file_is_imported_exactly(inspection, data):
    text = data.draw(valid_files(framework_questions(inspection)))
    with transaction.atomic():
        assert import_and_judge(inspection, text.encode(data.draw(st.sampled_from(["utf-8", "utf-8-sig"]))))
        transaction.set_rollback(True)


@pytest.mark.django_db
@EXAMPLES
@given(data=st.data())
def test_a_damaged_file_is_imported_exactly_or_refused_by_line_with_nothing_written(inspection, data):
    text = data.draw(valid_files(framework_questions(inspection)))
    damaged = mutate(data.draw, text)
    with transaction.atomic():
        event("imported" if import_and_judge(inspection, damaged) else "refused")
        transaction.set_rollback(True)
