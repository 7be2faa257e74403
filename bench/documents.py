"""Benchmark of document generation: the South West letter as PDF and DOCX, the tracker as XLSX. Not a test.

    make bench            # or: DATABASE_URL=postgres://... python -m bench.documents

It drops and recreates its own database (`probation_bench_documents` on the server named by
DATABASE_URL), migrates it and loads the demo, then times, from start to bytes, in this process:

  (a) the letter's content alone: `documents.letter.letter_content` for the demo's
      South West review (three PDUs), the database reads and live figures included;
  (b) the letter as PDF: `render_letter_pdf(letter_content(...))`;
  (c) the letter as DOCX: `render_letter_docx(letter_content(...))`;
  (d) the tracker as XLSX: `trackers.export.tracker_xlsx(region=South West)`;

each run once cold (the first in the process: imports, fonts, templates) and then `--runs`
times; it prints the medians against the issue's targets (PDF ≤ 3 s, DOCX ≤ 1 s, XLSX ≤ 1 s)
and the ratios to (a), the part every format shares, measured in the same run.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from bench.ratings import DEFAULT_URL, _bench_url, drop_database, recreate_database, setup_django

BENCH_DATABASE = "probation_bench_documents"
REVIEW = "south-west-2023"
TARGETS = {"letter as PDF": 3.0, "letter as DOCX": 1.0, "tracker as XLSX": 1.0}


def timed(function: Callable[[], bytes | object], runs: int) -> dict:
    started = time.perf_counter()
    result = function()
    cold = time.perf_counter() - started
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - started)
    size = len(result) if isinstance(result, bytes) else None
    return {"cold": cold, "median": statistics.median(timings), "max": max(timings), "bytes": size}


def jobs() -> dict[str, Callable[[], object] | str]:
    """What to time; a string instead of a function says why that part cannot be timed yet."""
    from documents.letter import letter_content
    from inspections.models import RegionalReview

    review = RegionalReview.objects.select_related("region").get(slug=REVIEW)
    found: dict[str, Callable[[], object] | str] = {"letter content alone": lambda: letter_content(review=review)}
    try:
        from documents.letter_pdf import render_letter_pdf

        found["letter as PDF"] = lambda: render_letter_pdf(letter_content(review=review))
    except ImportError as error:
        found["letter as PDF"] = f"not available: {error}"
    try:
        from documents.letter_docx import render_letter_docx

        found["letter as DOCX"] = lambda: render_letter_docx(letter_content(review=review))
    except ImportError as error:
        found["letter as DOCX"] = f"not available: {error}"
    try:
        from trackers.export import tracker_xlsx

        found["tracker as XLSX"] = lambda: tracker_xlsx(region=review.region)
    except (ImportError, RuntimeError) as error:  # RuntimeError: the trackers app is not installed
        found["tracker as XLSX"] = f"not available: {error}"
    return found


def report(results: dict[str, dict | str], runs: int) -> None:
    base = results.get("letter content alone")
    print()
    print(f"South West letter (three PDUs) and tracker, demo data: first run, then the median of {runs}")
    print(f"{'':24}{'first s':>9}{'median s':>10}{'max s':>8}{'target s':>10}{'':6}{'÷ content':>10}{'KB':>8}")
    for label, result in results.items():
        if isinstance(result, str):
            print(f"{label:24}{result}")
            continue
        target = TARGETS.get(label)
        verdict = "" if target is None else ("  ok" if result["median"] <= target else "  OVER")
        ratio = f"{result['median'] / base['median']:.1f}" if isinstance(base, dict) and base is not result else ""
        size = f"{result['bytes'] / 1024:.0f}" if result["bytes"] is not None else ""
        print(
            f"{label:24}{result['cold']:9.3f}{result['median']:10.3f}{result['max']:8.3f}"
            f"{'' if target is None else f'≤ {target:.0f}':>10}{verdict:6}{ratio:>10}{size:>8}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each, after the first; medians reported")
    parser.add_argument("--keep", action="store_true", help=f"keep the {BENCH_DATABASE} database afterwards")
    args = parser.parse_args(argv)

    base_url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    url = _bench_url(base_url, BENCH_DATABASE)
    started = time.perf_counter()
    print(f"Recreating database {BENCH_DATABASE} on {urlsplit(url).hostname}…", flush=True)
    recreate_database(base_url, BENCH_DATABASE)
    setup_django(url)
    # WeasyPrint logs each layout step at INFO: noise in a timing run.
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=io.StringIO())
    print(f"Demo loaded in {time.perf_counter() - started:.0f} s", flush=True)

    results: dict[str, dict | str] = {}
    for label, job in jobs().items():
        results[label] = job if isinstance(job, str) else timed(job, args.runs)
    report(results, args.runs)
    connections.close_all()
    if not args.keep:
        drop_database(base_url, BENCH_DATABASE)
    print(f"Total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
