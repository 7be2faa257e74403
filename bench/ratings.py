"""Benchmark of the ratings engine at national scale. Not a test: it prints figures and ratios.

    make bench            # or: DATABASE_URL=postgres://... python -m bench.ratings

It drops and recreates its own database (`probation_bench` on the server
named by DATABASE_URL), migrates it, generates five yearly rounds of PDU
inspections in twelve regions (about 540 inspections, 30,000 case reviews and
1.8 million answers) with COPY, then measures in the same run:

  (a) rating one inspection with `inspection_ratings`,
  (b) rating every inspection with `inspections_ratings`,
  (c) the plain SQL aggregate the rules need over the same rows, as the floor,

and prints the medians, the ratios a/c and b/c and the queries per inspection.
Timings on a shared 2-core machine are noisy, so only medians and same-run
ratios mean anything.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from urllib.parse import urlsplit, urlunsplit

# The generator is shared with `load_demo --national` (the same data beside the demo).
from demo.national import generate

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/probation_inspections"
BENCH_DATABASE = "probation_bench"


def _bench_url(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(url: str, name: str) -> None:
    import psycopg2

    parts = urlsplit(_bench_url(url, "postgres"))
    conn = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password, dbname="postgres"
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def drop_database(url: str, name: str) -> None:
    import psycopg2

    parts = urlsplit(_bench_url(url, "postgres"))
    conn = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password, dbname="postgres"
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")
    # DEBUG keeps every query in memory and slows each one down: measure without it.
    os.environ["DJANGO_DEBUG"] = "false"
    import django

    django.setup()


FLOOR_ONE = """
    SELECT a.question_id,
           count(*) FILTER (WHERE a.value = 'yes'),
           count(*) FILTER (WHERE a.value = 'no'),
           count(*) FILTER (WHERE a.value = 'not_applicable')
      FROM casework_answer a
      JOIN casework_casereview c ON c.id = a.case_review_id
      JOIN inspections_question q ON q.id = a.question_id
     WHERE c.inspection_id = %s AND c.archived_at IS NULL AND q.kind = 'key_question'
     GROUP BY a.question_id
"""
FLOOR_ALL = """
    SELECT c.inspection_id, a.question_id,
           count(*) FILTER (WHERE a.value = 'yes'),
           count(*) FILTER (WHERE a.value = 'no'),
           count(*) FILTER (WHERE a.value = 'not_applicable')
      FROM casework_answer a
      JOIN casework_casereview c ON c.id = a.case_review_id
      JOIN inspections_question q ON q.id = a.question_id
     WHERE c.archived_at IS NULL AND q.kind = 'key_question'
     GROUP BY c.inspection_id, a.question_id
"""


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def measure(*, sample: int, repeats: int, all_repeats: int, seed: int) -> dict[str, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inspections.models import Inspection
    from ratings.selectors import inspection_ratings, inspections_ratings

    inspections = list(Inspection.objects.all())
    chosen = random.Random(seed).sample(inspections, min(sample, len(inspections)))

    def floor_one(inspection):
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_ONE, [inspection.id])
            return cursor.fetchall()

    def floor_all():
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_ALL)
            return cursor.fetchall()

    # Warm the caches (PostgreSQL's buffers, Python's imports) before timing anything.
    for inspection in chosen:
        inspection_ratings(inspection)
        floor_one(inspection)
    one, one_floor = [], []
    for _ in range(repeats):
        for inspection in chosen:
            start = time.perf_counter()
            inspection_ratings(inspection)
            one.append(time.perf_counter() - start)
            start = time.perf_counter()
            floor_one(inspection)
            one_floor.append(time.perf_counter() - start)

    with CaptureQueriesContext(connection) as queries:
        inspection_ratings(chosen[0])
    queries_one = len(queries)
    with CaptureQueriesContext(connection) as queries:
        results = inspections_ratings(inspections)
    queries_all = len(queries)
    assert len(results) == len(inspections)

    every, every_floor = [], []
    for _ in range(all_repeats):
        start = time.perf_counter()
        inspections_ratings(inspections)
        every.append(time.perf_counter() - start)
        start = time.perf_counter()
        floor_all()
        every_floor.append(time.perf_counter() - start)

    return {
        "one": statistics.median(one),
        "one_floor": statistics.median(one_floor),
        "all": statistics.median(every),
        "all_floor": statistics.median(every_floor),
        "queries_one": queries_one,
        "queries_all": queries_all,
        "inspections": len(inspections),
        "timed_one": len(one),
        "timed_all": len(every),
        "scored": sum(1 for r in results.values() if r.score is not None),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--regions", type=int, default=12)
    parser.add_argument("--pdus-per-region", type=int, default=9)
    parser.add_argument("--rounds", type=int, default=5, help="yearly rounds of inspections, ending in 2023")
    parser.add_argument("--cases", type=int, default=55, help="mean case reviews per inspection (±5)")
    parser.add_argument("--sample", type=int, default=40, help="inspections timed one at a time")
    parser.add_argument("--repeats", type=int, default=5, help="timings per sampled inspection")
    parser.add_argument("--all-repeats", type=int, default=7, help="timings of rating every inspection")
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--keep", action="store_true", help=f"keep the {BENCH_DATABASE} database afterwards")
    args = parser.parse_args(argv)

    base_url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    url = _bench_url(base_url, BENCH_DATABASE)
    started = time.perf_counter()
    print(f"Recreating database {BENCH_DATABASE} on {urlsplit(url).hostname}…", flush=True)
    recreate_database(base_url, BENCH_DATABASE)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    generation_start = time.perf_counter()
    counts = generate(
        regions=args.regions,
        pdus_per_region=args.pdus_per_region,
        rounds=args.rounds,
        cases=args.cases,
        seed=args.seed,
    )
    generated_in = time.perf_counter() - generation_start
    print(
        f"Generated {counts['regions']} regions, {counts['pdus']} PDUs, {counts['inspections']} inspections, "
        f"{counts['case_reviews']:,} case reviews and {counts['answers']:,} answers in {generated_in:.1f} s",
        flush=True,
    )
    m = measure(sample=args.sample, repeats=args.repeats, all_repeats=args.all_repeats, seed=args.seed)
    print()
    print(f"(a) rate one inspection, inspection_ratings      median {_ms(m['one'])}  ({m['timed_one']} timings)")
    print(f"(c) floor: the SQL aggregate for one inspection  median {_ms(m['one_floor'])}")
    print(f"(b) rate all {m['inspections']} inspections, inspections_ratings  median {_ms(m['all'])}")
    print(f"(c) floor: the SQL aggregate for all of them     median {_ms(m['all_floor'])}")
    print(f"a/c = {m['one'] / m['one_floor']:.2f}   b/c = {m['all'] / m['all_floor']:.2f}")
    print(
        f"queries: {m['queries_one']} to rate one inspection; {m['queries_all']} to rate all "
        f"{m['inspections']} ({m['queries_all'] / m['inspections']:.3f} per inspection)"
    )
    print(f"{m['scored']} of {m['inspections']} inspections have a complete score")
    connections.close_all()
    if not args.keep:
        drop_database(base_url, BENCH_DATABASE)
    print(f"Total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
