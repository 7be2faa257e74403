"""Benchmark of the CSV import against PostgreSQL's COPY of the same answers. Not a test: it prints figures and ratios.

    make bench            # or: DATABASE_URL=postgres://... python -m bench.imports

It drops and recreates its own database (`probation_bench_imports` on the server named by
DATABASE_URL), migrates it, writes two import files (10,000 rows and 120,000 rows: 2,000
cases × 60 answers) and measures in the same run, at both sizes, each in one transaction:

  (a) the import end to end: `import_case_reviews` (so `case_reviews_import`), in a fresh
      process, as an operator runs it: reading, checking, locking, writing;
  (b) the floor: COPY of the same answers, already resolved to ids, into casework_answer with
      all its triggers firing (inside `pghistory.context`, so the history trigger has its
      context), after the case reviews are created: the least a write that keeps its history costs;
  (c) for the importer's choice of writer, `Answer.objects.bulk_create` in batches of 2,000 in
      place of (b)'s COPY;
  (d) the command's memory: the peak resident size of its process (VmHWM) and, in a dry run,
      the peak of Python's own allocations (tracemalloc), which must not grow with the file.

It prints rows per second, the ratio a/b, and the cost per row at 10,000 and at 120,000 rows:
within 1.5× of each other when the cost is linear in the rows of one transaction.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench.ratings import DEFAULT_URL, _bench_url, drop_database, recreate_database, setup_django

BENCH_DATABASE = "probation_bench_imports"
ANSWERS_PER_CASE = 60
COLUMNS = ["case_reference", "case_type", "court_report", "question", "answer", "rosh_level", "gender", "note"]


# The files ---------------------------------------------------------------------------------------------------------


def write_file(path: Path, *, rows: int, prefix: str, seed: int) -> int:
    """A valid import file of about `rows` rows (whole cases of up to 60 answers); the rows written."""
    import csv

    from inspections.models import Question

    rnd = random.Random(seed)
    questions = list(Question.objects.filter(framework__code="pdu-2021").select_related("standard"))
    asked = {
        (case_type, court_report): [
            q for q in questions if q.applies_to(case_type=case_type, court_report=court_report)
        ]
        for case_type in ("community", "licence", "unpaid_work")
        for court_report in ("none", "oral", "short_format", "standard")
    }
    written, case = 0, 0
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(COLUMNS)
        while written < rows:
            case += 1
            case_type = rnd.choices(["community", "licence", "unpaid_work"], weights=[55, 35, 10])[0]
            court_report = "standard" if case_type != "licence" else rnd.choice(["none", "standard"])
            chosen = asked[(case_type, court_report)][:ANSWERS_PER_CASE][: rows - written]
            rosh, gender = rnd.choice(["low", "medium", "high"]), rnd.choice(["male", "female"])
            for q in chosen:
                value = "n/a" if q.allows_not_applicable and rnd.random() < 0.2 else rnd.choice(["yes", "no"])
                note = (
                    "Evidence seen in the case record, discussed with the practitioner." if rnd.random() < 0.3 else ""
                )
                writer.writerow([f"{prefix}{case:05d}", case_type, court_report, q.code, value, rosh, gender, note])
            written += len(chosen)
    return written


# (a) and (d): the command in a process of its own ----------------------------------------------------------------


def child(args: argparse.Namespace) -> int:
    """Runs the command once and prints what it cost as JSON (used by the parent; not for people)."""
    import tracemalloc

    setup_django(args.url)
    from django.core.management import call_command

    import casework.management.commands.import_case_reviews  # noqa: F401  (imported before the baseline)

    options = ["--no-progress", *(["--dry-run"] if args.dry_run else [])]
    baseline_kib = _status_kib("VmRSS")
    if args.tracemalloc:
        tracemalloc.start()
    started = time.perf_counter()
    call_command("import_case_reviews", args.file, "--inspection", args.inspection, *options, stdout=io.StringIO())
    seconds = time.perf_counter() - started
    python_peak = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
    # The peak of this process's own memory. Not getrusage's ru_maxrss: Linux carries the parent's
    # peak across fork and exec into it, so every child started after the COPY floor (which holds
    # its rows in memory in the parent) would report the parent's 150 MiB.
    peak_kib = _status_kib("VmHWM")
    print(json.dumps({"seconds": seconds, "baseline_kib": baseline_kib, "peak_kib": peak_kib, "python": python_peak}))
    return 0


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(f"{field}:"))


def run_command(url: str, path: Path, inspection: str, *, dry_run: bool = False, trace: bool = False) -> dict:
    command = [sys.executable, "-m", "bench.imports", "--child", "--url", url, "--file", str(path)]
    command += ["--inspection", inspection, *(["--dry-run"] if dry_run else []), *(["--tracemalloc"] if trace else [])]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench: the import failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# (b) and (c): the floor and bulk_create, in this process ---------------------------------------------------------


def resolved_answers(path: Path) -> tuple[dict[str, tuple[str, str]], list[tuple[str, int, str, str]]]:
    """The file's cases (type, court report) and answers with question ids, as the importer resolves them."""
    import csv

    from inspections.choices import parse_answer
    from inspections.models import Question

    ids = dict(Question.objects.filter(framework__code="pdu-2021").values_list("code", "id"))
    cases, answers = {}, []
    with path.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            cases.setdefault(row["case_reference"], (row["case_type"], row["court_report"]))
            answers.append((row["case_reference"], ids[row["question"]], str(parse_answer(row["answer"])), row["note"]))
    return cases, answers


def create_case_reviews(inspection, cases: dict[str, tuple[str, str]]) -> dict[str, int]:
    from casework.models import CaseReview

    reviews = CaseReview.objects.bulk_create(
        [
            CaseReview(inspection=inspection, case_reference=ref, case_type=case_type, court_report=court_report)
            for ref, (case_type, court_report) in cases.items()
        ]
    )
    return {review.case_reference: review.pk for review in reviews}


def copy_floor(inspection, path: Path) -> float:
    """Seconds to COPY the file's answers into casework_answer, triggers and history included."""
    import pghistory
    from django.db import connection, transaction
    from django.utils import timezone

    cases, answers = resolved_answers(path)
    with transaction.atomic(), pghistory.context(reason="benchmark floor"):
        # Its INSERT also sets pghistory's transaction-local context for the COPY below.
        review_ids = create_case_reviews(inspection, cases)
        now = timezone.now().isoformat()
        buffer = io.StringIO(
            "".join(f"{review_ids[ref]}\t{qid}\t{value}\t{note}\t1\t{now}\t\\N\n" for ref, qid, value, note in answers)
        )
        columns = "case_review_id, question_id, value, note, changed_in_version, updated_at, updated_by_id"
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.copy_expert(f"COPY casework_answer ({columns}) FROM STDIN", buffer, size=1 << 16)
            seconds = time.perf_counter() - started
    return seconds


def bulk_create_alternative(inspection, path: Path) -> float:
    """Seconds to write the same answers with bulk_create in batches of 2,000 (the importer's other option)."""
    import pghistory
    from django.db import transaction

    from casework.models import Answer

    cases, answers = resolved_answers(path)
    with transaction.atomic(), pghistory.context(reason="benchmark bulk_create"):
        review_ids = create_case_reviews(inspection, cases)
        started = time.perf_counter()
        for start in range(0, len(answers), 2000):
            Answer.objects.bulk_create(
                [
                    Answer(case_review_id=review_ids[ref], question_id=qid, value=value, note=note)
                    for ref, qid, value, note in answers[start : start + 2000]
                ]
            )
        seconds = time.perf_counter() - started
    return seconds


# The run -----------------------------------------------------------------------------------------------------------


KINDS = ("IMP", "FLR", "BLK")


def measure_size(url: str, path: Path, label: str, *, repeats: int, bulk: bool) -> dict:
    """Medians of `repeats` rounds, each importing, copying and bulk-creating once, in turn, so that
    other work on the machine slows all three alike."""
    from django.db import connection

    from inspections.models import Inspection

    connection.close()  # the children must not wait on this process
    dry = run_command(url, path, f"BN-IMP{label}0-2024", dry_run=True)
    # Apart, because tracing every allocation slows the run it measures.
    dry["python"] = run_command(url, path, f"BN-IMP{label}0-2024", dry_run=True, trace=True)["python"]
    imports, floors, bulks = [], [], []
    for n in range(repeats):
        imports.append(run_command(url, path, f"BN-IMP{label}{n}-2024"))
        floors.append(copy_floor(Inspection.objects.get(reference=f"BN-FLR{label}{n}-2024"), path))
        if bulk:
            bulks.append(bulk_create_alternative(Inspection.objects.get(reference=f"BN-BLK{label}{n}-2024"), path))
        print(
            f"  round {n + 1}: import {imports[-1]['seconds']:.1f} s (peak {_mib(imports[-1]['peak_kib'])}), "
            f"COPY {floors[-1]:.1f} s",
            flush=True,
        )
    imported = dict(sorted(imports, key=lambda run: run["seconds"])[len(imports) // 2])
    # The highest peak of any round, not the median round's: memory must stay flat in every run.
    imported["peak_kib"] = max(run["peak_kib"] for run in imports)
    imported["baseline_kib"] = min(run["baseline_kib"] for run in imports)
    return {
        "import": imported,
        "dry": dry,
        "floor": statistics.median(floors),
        "bulk": statistics.median(bulks) if bulks else None,
    }


def make_inspections(names: list[str]) -> dict:
    from inspections.models import Framework, Inspection
    from regions.models import PDU, Region

    region = Region.objects.create(slug="bench", name="Bench")
    pdu = PDU.objects.create(slug="bench-pdu", name="Bench PDU", region=region)
    framework = Framework.objects.get(code="pdu-2021")
    return {
        name: Inspection.objects.create(
            reference=f"BN-{name}-2024",
            pdu=pdu,
            framework=framework,
            fieldwork_start=datetime.date(2024, 6, 3),
            status=Inspection.Status.FIELDWORK,
        )
        for name in names
    }


def _mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000, help="rows in the small file")
    parser.add_argument("--large", type=int, default=120_000, help="rows in the large file")
    parser.add_argument("--repeats", type=int, default=3, help="rounds at each size; medians are reported")
    parser.add_argument("--no-bulk-create", action="store_true", help="skip (c), the bulk_create comparison")
    parser.add_argument("--keep", action="store_true", help=f"keep the {BENCH_DATABASE} database afterwards")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--inspection", help=argparse.SUPPRESS)
    parser.add_argument("--dry-run", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tracemalloc", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)

    base_url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    url = _bench_url(base_url, BENCH_DATABASE)
    started = time.perf_counter()
    print(f"Recreating database {BENCH_DATABASE} on {urlsplit(url).hostname}…", flush=True)
    recreate_database(base_url, BENCH_DATABASE)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    sizes = {"small": args.small, "large": args.large}
    make_inspections([f"{kind}{label}{n}" for label in "SL" for kind in KINDS for n in range(args.repeats)])
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as folder:
        for label, (size, rows_wanted) in zip("SL", sizes.items(), strict=True):
            path = Path(folder) / f"{size}.csv"
            rows = write_file(path, rows=rows_wanted, prefix=label, seed=args.seed)
            print(f"{size}: {rows:,} rows in {path.stat().st_size / 1e6:.1f} MB", flush=True)
            results[size] = measure_size(url, path, label, repeats=args.repeats, bulk=not args.no_bulk_create)
            results[size]["rows"] = rows
    report(results)
    connections.close_all()
    if not args.keep:
        drop_database(base_url, BENCH_DATABASE)
    print(f"Total {time.perf_counter() - started:.0f} s")
    return 0


def report(results: dict[str, dict]) -> None:
    print()
    print(f"{'':46}{'rows':>9}{'seconds':>10}{'rows/s':>10}{'µs/row':>9}{'÷ floor':>9}")
    for r in results.values():
        rows = r["rows"]
        lines = [
            ("import_case_reviews, end to end", r["import"]["seconds"]),
            ("  the same, --dry-run (no writes)", r["dry"]["seconds"]),
            ("floor: COPY with every trigger", r["floor"]),
        ]
        if r["bulk"] is not None:
            lines.append(("bulk_create, batches of 2,000", r["bulk"]))
        for label, seconds in lines:
            print(
                f"{label + f' ({rows:,})':46}{rows:>9,}{seconds:>10.2f}{rows / seconds:>10,.0f}"
                f"{seconds / rows * 1e6:>9.0f}{seconds / r['floor']:>9.2f}"
            )
    small, large = results["small"], results["large"]

    def per_row(r, seconds):
        return seconds / r["rows"]

    print()
    print("Cost per row, large ÷ small (linear when within 1.5):")
    print(
        f"  import {per_row(large, large['import']['seconds']) / per_row(small, small['import']['seconds']):.2f}"
        f"   floor {per_row(large, large['floor']) / per_row(small, small['floor']):.2f}"
        + (
            f"   bulk_create {per_row(large, large['bulk']) / per_row(small, small['bulk']):.2f}"
            if large["bulk"] is not None
            else ""
        )
    )
    print("Memory of the command's process (highest peak resident of the rounds; start-up; Python's peak, dry run):")
    for r in results.values():
        i, d = r["import"], r["dry"]
        print(
            f"  {r['rows']:>9,} rows: peak {_mib(i['peak_kib'])} (start-up {_mib(i['baseline_kib'])}, "
            f"import +{_mib(i['peak_kib'] - i['baseline_kib'])}); dry run's Python peak {d['python'] / 2**20:.1f} MiB"
        )


if __name__ == "__main__":
    sys.exit(main())
