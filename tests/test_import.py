"""Importing case reviews from CSV: a good file round-trips; any bad row is named by line and nothing is written."""

import io

import pytest
from django.core.management import CommandError, call_command

from casework.imports import case_reviews_import
from casework.models import Answer, CaseReview
from ratings.selectors import inspection_ratings

from .factories import CaseReviewFactory, set_publication
from .ratings_data import CASE_KEY_QUESTIONS, judge

HEADER = "case_reference,case_type,court_report,question,answer,rosh_level,gender,domestic_abuse,note"


def good_file() -> str:
    """Six invented cases. By hand: 2.1.1 1 of 2 (50 %, RI); 2.3.2 4 of 6 (66.7 %, Good);
    2.5.1 1 of 1 relevant (5 n/a, Outstanding); 2.5.2 3 of 6 (50 %, RI); everything else yes (Outstanding)."""
    rows = [HEADER]
    for n in range(1, 7):
        court_report = "oral" if n <= 2 else "none"
        for code in CASE_KEY_QUESTIONS:
            if code == "2.1.1":
                if n > 2:
                    continue
                value = "yes" if n == 1 else "no"
            elif code == "2.3.2":
                value = "yes" if n <= 4 else "no"
            elif code == "2.5.1":
                value = "yes" if n == 1 else "n/a"
            elif code == "2.5.2":
                value = "yes" if n % 2 else "no"
            else:
                value = "yes"
            rows.append(f"A10000{n},community,{court_report},{code},{value},high,female,yes,")
        rows.append(f"A10000{n},community,{court_report},2.2.3.e,{'no' if n < 4 else 'n/a'},high,female,yes,no enquiry")
    return "\n".join(rows) + "\n"


def run_import(inspection, text, **kwargs):
    return case_reviews_import(inspection=inspection, source=io.StringIO(text), **kwargs)


def nothing_written(inspection):
    return not CaseReview.objects.filter(inspection=inspection).exists() and not Answer.objects.exists()


@pytest.mark.django_db
def test_a_good_file_round_trips_into_the_ratings_a_hand_calculation_gives(inspection):
    report = run_import(inspection, good_file())
    assert report.ok and report.written
    assert (report.case_reviews, report.answers) == (6, 2 + 6 * 12 + 6)
    assert CaseReview.objects.filter(inspection=inspection, status="submitted").count() == 6
    review = CaseReview.objects.get(inspection=inspection, case_reference="A100001")
    assert (review.case_type, review.court_report, review.rosh_level, review.gender, review.domestic_abuse) == (
        "community",
        "oral",
        "high",
        "female",
        True,
    )
    assert review.answers.get(question__code="2.2.3.e").note == "no enquiry"

    judge(inspection, "requires_improvement")
    result = inspection_ratings(inspection)
    assert {s.code: s.rating for s in result.standards if s.rated_by == "case_data"} == {
        "2.1": "requires_improvement",
        "2.2": "outstanding",
        "2.3": "good",
        "2.4": "outstanding",
        "2.5": "requires_improvement",
    }
    assert result.score == 4 * 1 + 1 + 3 + 2 + 3 + 1 == 14
    assert result.rating == "good"
    reviewing = {kq.code: kq.counts for kq in result.standard("2.5").key_questions}
    assert (reviewing["2.5.1"].yes, reviewing["2.5.1"].relevant, reviewing["2.5.1"].not_applicable) == (1, 1, 5)


@pytest.mark.django_db
def test_a_dry_run_checks_and_counts_but_writes_nothing(inspection):
    report = run_import(inspection, good_file(), dry_run=True)
    assert report.ok and not report.written
    assert report.case_reviews == 6
    assert nothing_written(inspection)


@pytest.mark.django_db
def test_the_status_can_be_chosen(inspection):
    run_import(inspection, good_file(), status="draft")
    assert set(CaseReview.objects.values_list("status", flat=True)) == {"draft"}
    with pytest.raises(ValueError, match="not a case review status"):
        run_import(inspection, good_file(), status="finished")


BAD_ROWS = {
    "unknown question code": ("A100001,community,none,2.9.9,yes,,,,", "unknown question code '2.9.9'"),
    "bad answer": (
        "A100001,community,none,2.2.1,maybe,,,,",
        "bad answer to 2.2.1: 'maybe' is not an answer: use yes, no or n/a",
    ),
    "n/a where not allowed": ("A100001,community,none,2.2.1,n/a,,,,", "question 2.2.1 does not allow n/a"),
    "question not asked for the case type": (
        "A100001,community,none,C.2,yes,,,,",
        "question C.2 is asked only in licence or post-sentence supervision cases "
        "(case A100001 is community, court report none)",
    ),
    "court work without a court report": (
        "A100001,community,none,2.1.1,yes,,,,",
        "question 2.1.1 is asked only where a court report was prepared (case A100001 is community, court report none)",
    ),
    "a judgement standard's question": (
        "A100001,community,none,1.1.1,yes,,,,",
        "question 1.1.1 belongs to 1.1 Leadership, which is rated by the inspectors' judgement",
    ),
    "conflicting attributes": (
        "A100002,community,none,2.2.2,yes,low,,,",
        "case A100002 has rosh_level 'low' here but 'high' on line 2",
    ),
    "duplicate case and question": (
        "A100002,community,none,2.2.1,no,high,,,",
        "case A100002 already has an answer to 2.2.1 on line 2",
    ),
    "bad case reference": ("a 1,community,none,2.2.1,yes,,,,", "bad case reference 'a 1'"),
    "bad case type": ("A100001,custody,none,2.2.1,yes,,,,", "case_type 'custody' is not one of community"),
    "bad attribute value": ("A100001,community,none,2.2.1,yes,extreme,,,", "rosh_level 'extreme' is not one of low"),
    "bad boolean": ("A100001,community,none,2.2.1,yes,,,perhaps,", "domestic_abuse: 'perhaps' is not yes or no"),
    "too many cells": ("A100001,community,none,2.2.1,yes,,,,,,", "the row has 11 cells but the header has 9 columns"),
    "too few cells": ("A100001,community,none,2.2.1,yes,,", "the row has 7 cells but the header has 9 columns"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(BAD_ROWS))
def test_each_kind_of_bad_row_is_refused_with_its_line_number_and_nothing_is_written(inspection, kind):
    bad_row, message = BAD_ROWS[kind]
    text = "\n".join([HEADER, "A100002,community,none,2.2.1,yes,high,,,", "A100003,licence,none,C.2,yes,,,,", bad_row])
    report = run_import(inspection, text + "\n")
    assert not report.ok and not report.written
    assert [problem.line for problem in report.problems] == [4], report.problems
    assert message in report.problems[0].message
    assert nothing_written(inspection)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("case_reference,case_type,question", "missing required column: answer"),
        ("case_reference,case_type,question,answer,favourite_colour", "unknown column: 'favourite_colour'"),
        ("case_reference,case_type,question,answer,answer", "column given twice: answer"),
    ],
)
def test_a_bad_header_is_refused_on_line_1(inspection, header, message):
    report = run_import(inspection, f"{header}\nA100001,community,2.2.1,yes\n")
    assert len(report.problems) == 1
    assert str(report.problems[0]).startswith(f"line 1: {message}")
    assert nothing_written(inspection)


@pytest.mark.django_db
def test_an_empty_file_and_a_header_alone_are_refused(inspection):
    assert "the file is empty" in str(run_import(inspection, "").problems[0])
    assert "a header but no rows" in str(run_import(inspection, HEADER + "\n").problems[0])
    assert nothing_written(inspection)


@pytest.mark.django_db
def test_a_case_already_in_the_inspection_is_refused(inspection):
    CaseReviewFactory(inspection=inspection, case_reference="A100004")
    report = run_import(inspection, good_file())
    # After the header, cases 1 and 2 take 14 rows each and case 3 (no court report) 13: case 4 starts on line 43.
    assert [(p.line, p.message) for p in report.problems] == [
        (43, f"case A100004 is already in {inspection.reference}")
    ]
    assert CaseReview.objects.filter(inspection=inspection).count() == 1
    assert not Answer.objects.exists()


@pytest.mark.django_db
def test_a_mappa_category_without_a_level_is_refused(inspection):
    text = "case_reference,case_type,question,answer,mappa_category\nA100001,community,2.2.1,yes,2\n"
    report = run_import(inspection, text)
    assert [str(p) for p in report.problems] == ["line 2: case A100001 has a MAPPA category but no level"]


@pytest.mark.django_db
def test_every_problem_in_a_file_is_reported_at_once(inspection):
    text = "\n".join([HEADER, *(row for row, _ in BAD_ROWS.values() if "A100002" not in row)])
    report = run_import(inspection, text + "\n")
    assert len(report.problems) >= len(BAD_ROWS) - 2
    assert all(problem.line is not None and problem.line >= 2 for problem in report.problems)
    assert nothing_written(inspection)


@pytest.mark.django_db
def test_importing_into_a_published_inspection_is_refused(inspection):
    set_publication(inspection, status="published", published_on="2024-09-01")
    inspection.refresh_from_db()
    report = run_import(inspection, good_file())
    assert [str(p) for p in report.problems] == [
        f"{inspection.reference} is published: case reviews cannot be imported into it"
    ]
    assert nothing_written(inspection)


# The command -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_imports_a_utf8_file_with_a_byte_order_mark(inspection, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text(good_file(), encoding="utf-8-sig")
    out = io.StringIO()
    call_command("import_case_reviews", str(path), "--inspection", inspection.reference, stdout=out)
    assert f"Imported 6 case reviews with 80 answers into {inspection.reference}, as submitted." in out.getvalue()
    assert CaseReview.objects.filter(inspection=inspection).count() == 6


@pytest.mark.django_db
def test_the_command_dry_run_writes_nothing(inspection, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text(good_file(), encoding="utf-8")
    out = io.StringIO()
    call_command("import_case_reviews", str(path), "--inspection", inspection.reference, "--dry-run", stdout=out)
    assert "would be imported" in out.getvalue() and "Nothing was written" in out.getvalue()
    assert nothing_written(inspection)


@pytest.mark.django_db
def test_the_command_lists_problems_by_line_and_fails(inspection, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text(HEADER + "\nA100001,community,none,2.2.1,maybe,,,,\nA100001,community,none,2.9.9,yes,,,,\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"2 problems in .*: nothing was imported"):
        call_command("import_case_reviews", str(path), "--inspection", inspection.reference, stderr=err)
    assert err.getvalue().splitlines() == [
        "line 2: bad answer to 2.2.1: 'maybe' is not an answer: use yes, no or n/a",
        "line 3: unknown question code '2.9.9': not in the pdu-2021 framework",
    ]
    assert nothing_written(inspection)


@pytest.mark.django_db
def test_the_command_refuses_an_unknown_inspection_or_a_missing_file(inspection, tmp_path):
    with pytest.raises(CommandError, match="No inspection has the reference 'XX-NOPE-2024'"):
        call_command("import_case_reviews", str(tmp_path / "x.csv"), "--inspection", "XX-NOPE-2024")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_case_reviews", str(tmp_path / "missing.csv"), "--inspection", inspection.reference)


@pytest.mark.django_db
def test_imported_rows_are_in_the_history_with_the_import_as_their_source():
    from casework.models import AnswerEvent, CaseReviewEvent

    from .factories import InspectionFactory

    inspection = InspectionFactory(reference="SW-HIS-2024")
    source = io.StringIO("case_reference,case_type,question,answer\nH100001,community,2.2.1,yes\n")
    from casework.imports import case_reviews_import

    report = case_reviews_import(inspection=inspection, source=source, status="submitted", by=None, dry_run=False)
    assert report.ok
    for event in (CaseReviewEvent.objects.get(case_reference="H100001"), AnswerEvent.objects.get()):
        assert event.pgh_context.metadata["reason"] == "imported from a CSV file"


# Reading the file: quotes, encodings, NUL bytes, ragged rows, limits -----------------------------------------------


def write_bytes(tmp_path, data: bytes):
    path = tmp_path / "cases.csv"
    path.write_bytes(data)
    return str(path)


def command_problems(inspection, path) -> list[str]:
    """Runs the command on a file that must be refused; the problems it printed."""
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import_case_reviews", path, "--inspection", inspection.reference, stderr=err, stdout=io.StringIO()
        )
    return err.getvalue().splitlines()


UNTERMINATED = (
    "case_reference,case_type,question,answer,note\n"
    'A100001,community,2.2.1,yes,"the note never closes\n'
    "A100002,community,2.2.1,no,a case of its own\n"
)


@pytest.mark.django_db
def test_an_unterminated_quote_is_refused_on_the_line_it_opens_and_does_not_swallow_the_next_case(inspection, tmp_path):
    problems = command_problems(inspection, write_bytes(tmp_path, UNTERMINATED.encode()))
    assert problems == [
        "line 2: a quote opens cell 5 (note) and is not closed on this line: a cell may not contain a line break, "
        'and a quote inside a quoted cell is written twice ("")'
    ]
    assert nothing_written(inspection)


@pytest.mark.django_db
def test_a_nul_byte_in_a_note_is_a_line_numbered_problem_not_a_traceback(inspection, tmp_path):
    data = b"case_reference,case_type,question,answer,note\nA100001,community,2.2.1,yes,ok\n"
    data += b"A100002,community,2.2.1,no,a\x00b\n"
    problems = command_problems(inspection, write_bytes(tmp_path, data))
    assert problems == [
        "line 3: the line has a NUL character at position 29: is the file plain text, saved as “CSV UTF-8”?"
    ]
    assert nothing_written(inspection)


@pytest.mark.django_db
def test_a_latin1_file_is_refused_on_each_line_that_is_not_utf8(inspection, tmp_path):
    text = "case_reference,case_type,question,answer,note\nA100001,community,2.2.1,yes,fine\n"
    text += "A100002,community,2.2.1,no,café\n"
    problems = command_problems(inspection, write_bytes(tmp_path, text.encode("latin-1")))
    assert len(problems) == 1
    assert problems[0].startswith("line 3: the line is not UTF-8 text: byte 0xE9 at byte 31 (“é” in Latin-1")
    assert nothing_written(inspection)


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_file_is_refused_on_line_1(inspection, tmp_path, encoding):
    problems = command_problems(inspection, write_bytes(tmp_path, good_file().encode(encoding)))
    assert problems == ["line 1: the file is UTF-16 text, not UTF-8: save it as “CSV UTF-8 (comma delimited)”"]
    assert nothing_written(inspection)


LINE_PROBLEMS = {
    "text after a closing quote": (
        'A100001,community,2.2.1,yes,"said "no" twice"',
        'cell 5 (note) has text after its closing quote: a quote inside a quoted cell is written twice ("")',
    ),
    "a carriage return inside a line": (
        "A100001,community,2.2.1,yes,one\rtwo",
        "the line has a carriage return inside it: a cell may not contain a line break",
    ),
    "a note over the limit": (
        "A100001,community,2.2.1,yes," + "x" * 10_001,
        "the note has 10,001 characters; a note may have at most 10,000",
    ),
    "a line over the limit": (
        "A100001,community,2.2.1,yes," + "x" * 70_000,
        "the line is longer than 65,536 bytes (a note has at most 10,000 characters)",
    ),
    "too few cells": ("A100001,community,2.2.1", "the row has 3 cells but the header has 5 columns"),
    "too many cells": ("A100001,community,2.2.1,yes,note,more", "the row has 6 cells but the header has 5 columns"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(LINE_PROBLEMS))
def test_each_kind_of_unreadable_line_is_refused_with_its_line_number(inspection, tmp_path, kind):
    line, message = LINE_PROBLEMS[kind]
    data = f"case_reference,case_type,question,answer,note\nA100002,community,2.2.1,yes,\n{line}\n".encode()
    assert command_problems(inspection, write_bytes(tmp_path, data)) == [f"line 3: {message}"]
    assert nothing_written(inspection)


@pytest.mark.django_db
def test_a_note_at_the_limit_with_quotes_commas_and_tabs_is_imported_exactly(inspection, tmp_path):
    note = ('He said "no", twice\tthen left. ' * 400)[:10_000]
    quoted = '"' + note.replace('"', '""') + '"'
    data = f"case_reference,case_type,question,answer,note\nA100001,community,2.2.1,yes,{quoted}\n".encode()
    call_command(
        "import_case_reviews", write_bytes(tmp_path, data), "--inspection", inspection.reference, stdout=io.StringIO()
    )
    assert Answer.objects.get().note == note.strip()


@pytest.mark.django_db
def test_blank_lines_and_rows_of_empty_cells_are_skipped(inspection):
    text = "case_reference,case_type,question,answer\r\n\r\nA100001,community,2.2.1,yes\r\n,,,\r\n\r\n"
    report = run_import(inspection, text)
    assert report.ok and (report.case_reviews, report.answers) == (1, 1)


@pytest.mark.django_db
def test_empty_attribute_cells_mean_not_recorded_or_the_default(inspection):
    header = (
        "case_reference,case_type,court_report,question,answer,tier,domestic_abuse,same_practitioner,mappa_category"
    )
    report = run_import(inspection, f"{header}\nA100001,community,,2.2.1,yes,,,,\n")
    assert report.ok, report.problems
    review = CaseReview.objects.get()
    assert (
        review.court_report,
        review.tier,
        review.domestic_abuse,
        review.same_practitioner,
        review.mappa_category,
    ) == (
        "none",
        "",
        False,
        None,
        "none",
    )


@pytest.mark.django_db
def test_a_file_with_very_many_problems_lists_the_first_500_and_counts_the_rest(inspection, tmp_path):
    rows = "".join(f"A1{n:05d},community,2.2.1,maybe\n" for n in range(600))
    problems = command_problems(
        inspection, write_bytes(tmp_path, f"case_reference,case_type,question,answer\n{rows}".encode())
    )
    assert len(problems) == 501 and problems[-1] == "… and 100 more problems, not listed"


# Checked without the lock, re-checked under it -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_case_added_while_the_file_was_checked_is_refused_under_the_lock(inspection, monkeypatch):
    from casework import imports

    first_check = imports._refuse_cases_already_there

    def someone_adds_a_case_meanwhile(**kwargs):
        first_check(**kwargs)
        monkeypatch.setattr(imports, "_refuse_cases_already_there", first_check)
        CaseReviewFactory(inspection=inspection, case_reference="A100003")

    monkeypatch.setattr(imports, "_refuse_cases_already_there", someone_adds_a_case_meanwhile)
    report = run_import(inspection, good_file())
    assert [str(p) for p in report.problems] == [f"line 30: case A100003 is already in {inspection.reference}"]
    assert not report.written
    assert list(CaseReview.objects.values_list("case_reference", flat=True)) == ["A100003"]
    assert not Answer.objects.exists()


@pytest.mark.django_db
def test_an_inspection_published_while_the_file_was_checked_is_refused_under_the_lock(inspection, monkeypatch):
    from casework import imports

    first_check = imports._refuse_cases_already_there

    def the_lead_publishes_meanwhile(**kwargs):
        first_check(**kwargs)
        set_publication(inspection, status="published", published_on="2024-09-01")

    monkeypatch.setattr(imports, "_refuse_cases_already_there", the_lead_publishes_meanwhile)
    report = run_import(inspection, good_file())
    assert [str(p) for p in report.problems] == [
        f"{inspection.reference} is published: case reviews cannot be imported into it"
    ]
    assert nothing_written(inspection)


@pytest.mark.django_db
def test_a_dry_run_makes_every_check_a_real_run_makes(inspection):
    CaseReviewFactory(inspection=inspection, case_reference="A100004")
    report = run_import(inspection, good_file(), dry_run=True)
    assert [(p.line, p.message) for p in report.problems] == [
        (43, f"case A100004 is already in {inspection.reference}")
    ]


@pytest.mark.django_db
def test_progress_is_reported_for_every_row_checked_and_every_batch_of_answers_written(inspection, monkeypatch):
    from casework import imports

    monkeypatch.setattr(imports, "COPY_BATCH", 30)
    seen: list[tuple[str, int]] = []
    report = run_import(inspection, good_file(), progress=lambda step, rows: seen.append((step, rows)))
    assert report.written
    assert seen == [("check", 80), ("write", 30), ("write", 30), ("write", 20)]
    # Written in three COPYs, still exactly the file's answers.
    assert Answer.objects.filter(case_review__inspection=inspection).count() == 80
    assert Answer.objects.get(case_review__case_reference="A100006", question__code="2.2.3.e").note == "no enquiry"


@pytest.mark.django_db
def test_the_command_without_a_terminal_or_with_no_progress_prints_no_bar(inspection, tmp_path):
    path = write_bytes(tmp_path, good_file().encode())
    err = io.StringIO()
    call_command(
        "import_case_reviews",
        path,
        "--inspection",
        inspection.reference,
        "--no-progress",
        stderr=err,
        stdout=io.StringIO(),
    )
    assert err.getvalue() == ""
    assert CaseReview.objects.filter(inspection=inspection).count() == 6


@pytest.mark.django_db
def test_the_benchmarks_import_file_is_one_the_importer_accepts(inspection, tmp_path):
    from bench.imports import write_file

    path = tmp_path / "bench.csv"
    rows = write_file(path, rows=150, prefix="B", seed=1)
    with path.open("rb") as source:
        report = case_reviews_import(inspection=inspection, source=source)
    assert report.ok, report.problems
    assert (report.case_reviews, report.answers) == (3, rows) and rows == 150


@pytest.mark.django_db
def test_the_import_writes_as_the_application_role_with_every_row_in_the_history(inspection):
    """COPY needs nothing the service's own role lacks (INSERT), and the history triggers see every copied row."""
    from django.conf import settings
    from django.db import connection, transaction

    from casework.models import AnswerEvent

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f'SET LOCAL ROLE "{settings.DATABASE_APP_USER}"')
        report = run_import(inspection, good_file())
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone() == (settings.DATABASE_APP_USER,)
    assert report.written
    assert Answer.objects.count() == 80
    events = AnswerEvent.objects.filter(pgh_label="insert")
    assert events.count() == 80
    assert {e.pgh_context.metadata["reason"] for e in events.select_related("pgh_context")} == {
        "imported from a CSV file"
    }
