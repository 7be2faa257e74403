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
import datetime
import io
import os
import random
import statistics
import sys
import time
from urllib.parse import urlsplit, urlunsplit

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


def _copy_value(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _constant_columns(model, known: set[str], now: datetime.datetime) -> dict[str, str]:
    """COPY text for every column the generator does not set: the field's default, or now for timestamps.

    Read from the model so that a field added later still gets a valid value
    (or fails loudly here if it has no default).
    """
    from django.db import connection

    columns = {}
    for f in model._meta.concrete_fields:
        if f.primary_key or f.column in known:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = now
        elif f.has_default() or f.null or f.empty_strings_allowed:
            # Django's own rule: the default, else NULL, else "" for text fields.
            value = f.get_db_prep_value(f.get_default(), connection)
        else:
            raise SystemExit(f"bench: {model.__name__}.{f.name} has no default; teach the generator about it")
        columns[f.column] = _copy_value(value)
    return columns


def _copy(cursor, table: str, columns: list[str], lines: list[str]) -> None:
    buffer = io.StringIO("".join(lines))
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


# tier, rosh_level, gender, ethnicity_group, age_band, disability: skewed roughly like a caseload.
ATTRIBUTE_CHOICES = [
    "ABCD",
    ["low", "medium", "medium", "high", "very_high"],
    ["male", "male", "male", "male", "female"],
    ["white", "white", "white", "white", "black", "asian", "mixed", "other"],
    ["18-24", "25-34", "35-49", "50+"],
    ["yes", "no", "no", "not_known"],
]


def generate(*, regions: int, pdus_per_region: int, rounds: int, cases: int, seed: int) -> dict[str, int]:
    """National-scale data, generated to fit the framework (N/A only where allowed, questions only where asked)."""
    from django.db import connection, transaction

    from accounts.models import User
    from casework.models import Answer, CaseReview
    from inspections.models import Framework, Inspection, OrganisationalJudgement, Question, Standard
    from ratings.models import RatingOverride
    from regions.models import PDU, Region

    rnd = random.Random(seed)
    now = datetime.datetime.now(datetime.UTC)
    framework = Framework.objects.get(code="pdu-2021")
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    user = User.objects.create_user("bench@example.test", role=User.Role.LEAD_INSPECTOR)
    region_rows = Region.objects.bulk_create(
        [Region(slug=f"region-{letters[r].lower()}", name=f"Region {letters[r]}") for r in range(regions)]
    )
    pdu_rows = PDU.objects.bulk_create(
        [
            PDU(
                slug=f"pdu-{letters[r].lower()}{letters[p].lower()}",
                name=f"PDU {letters[r]}{letters[p]}",
                region=region,
            )
            for r, region in enumerate(region_rows)
            for p in range(pdus_per_region)
        ]
    )
    first_year = 2023 - rounds + 1
    inspections = Inspection.objects.bulk_create(
        [
            Inspection(
                reference=f"R{pdu.slug[4].upper()}-P{pdu.slug[4:6].upper()}-{year}",
                pdu=pdu,
                framework=framework,
                fieldwork_start=datetime.date(year, rnd.randint(1, 12), rnd.randint(1, 28)),
                status=Inspection.Status.PUBLISHED if year < 2023 else Inspection.Status.RATINGS_PANEL,
                published_on=datetime.date(year + 1, 1, 15) if year < 2023 else None,
            )
            for year in range(first_year, 2024)
            for pdu in pdu_rows
        ]
    )
    judgement_standards = list(Standard.objects.filter(framework=framework, rated_by=Standard.RatedBy.JUDGEMENT))
    ratings = ["outstanding", "good", "requires_improvement", "inadequate"]
    questions = list(
        Question.objects.filter(framework=framework)
        .exclude(standard__rated_by=Standard.RatedBy.JUDGEMENT)
        .select_related("standard")
    )
    asked = {
        (case_type, court_report): [
            q for q in questions if q.applies_to(case_type=case_type, court_report=court_report)
        ]
        for case_type in ("community", "licence", "unpaid_work")
        for court_report in ("none", "oral", "short_format", "standard")
    }
    case_standards = list(Standard.objects.filter(framework=framework, rated_by=Standard.RatedBy.CASE_DATA))

    review_known = {
        "id",
        "inspection_id",
        "case_reference",
        "case_type",
        "court_report",
        "tier",
        "rosh_level",
        "gender",
        "ethnicity_group",
        "age_band",
        "disability",
        "status",
    }
    review_columns = _constant_columns(CaseReview, review_known, now)
    answer_known = {"case_review_id", "question_id", "value"}
    answer_columns = _constant_columns(Answer, answer_known, now)
    review_constant = "".join(f"\t{v}" for v in review_columns.values())
    answer_constant = "".join(f"\t{v}" for v in answer_columns.values())

    review_lines: list[str] = []
    answer_lines: list[str] = []
    review_id = 0
    answer_count = 0
    with transaction.atomic(), connection.cursor() as cursor:
        # The generated rows fit the framework by construction; skipping the per-row
        # triggers (framework check, publication lock, audit history) and foreign-key
        # checks keeps generation to seconds. The benchmark measures reads only.
        cursor.execute("SET LOCAL session_replication_role = replica")
        # Judgements of published inspections too, so inside the block that skips the lock.
        OrganisationalJudgement.objects.bulk_create(
            [
                OrganisationalJudgement(
                    inspection=i, standard=s, rating=rnd.choice(ratings), rationale="Generated for the benchmark."
                )
                for i in inspections
                for s in judgement_standards
            ]
        )

        def flush_answers():
            nonlocal answer_lines
            _copy(cursor, "casework_answer", ["case_review_id", "question_id", "value", *answer_columns], answer_lines)
            answer_lines = []

        for inspection in inspections:
            quality = rnd.uniform(0.35, 0.9)
            lean = {s.id: rnd.uniform(-0.15, 0.1) for s in case_standards}
            for n in range(rnd.randint(cases - 5, cases + 5)):
                review_id += 1
                case_type = rnd.choices(["community", "licence", "unpaid_work"], weights=[55, 35, 10])[0]
                court_report = (
                    rnd.choice(["oral", "short_format", "standard"])
                    if case_type != "licence" and rnd.random() < 0.4
                    else "none"
                )
                status = (
                    "moderated"
                    if inspection.status == Inspection.Status.PUBLISHED
                    else rnd.choice(["submitted", "moderated", "draft"])
                )
                attributes = "\t".join(rnd.choice(choices) for choices in ATTRIBUTE_CHOICES)
                review_lines.append(
                    f"{review_id}\t{inspection.id}\tC{n:05d}\t{case_type}\t{court_report}\t{attributes}\t"
                    f"{status}{review_constant}\n"
                )
                for q in asked[(case_type, court_report)]:
                    if q.allows_not_applicable and rnd.random() < (0.15 if q.kind == "key_question" else 0.25):
                        value = "not_applicable"
                    else:
                        p = quality + (lean.get(q.standard_id, 0.0) if q.standard_id else 0.0)
                        value = "yes" if rnd.random() < p else "no"
                    answer_lines.append(f"{review_id}\t{q.id}\t{value}{answer_constant}\n")
                answer_count += len(asked[(case_type, court_report)])
            if len(answer_lines) > 200_000:
                flush_answers()
        _copy(
            cursor,
            "casework_casereview",
            [
                "id",
                "inspection_id",
                "case_reference",
                "case_type",
                "court_report",
                "tier",
                "rosh_level",
                "gender",
                "ethnicity_group",
                "age_band",
                "disability",
                "status",
                *review_columns,
            ],
            review_lines,
        )
        flush_answers()
        cursor.execute("SELECT setval(pg_get_serial_sequence('casework_casereview', 'id'), %s)", [review_id])
        # A few ratings panel decisions, so overrides are read as they would be (some on
        # published inspections, hence inside the block that skips the publication lock).
        RatingOverride.objects.bulk_create(
            [
                RatingOverride(
                    inspection=i,
                    standard=case_standards[1],
                    to_rating="good",
                    from_rating="",
                    reason="Panel decision.",
                    decided_by=user,
                )
                for i in inspections[::20]
            ]
        )

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "regions": len(region_rows),
        "pdus": len(pdu_rows),
        "inspections": len(inspections),
        "case_reviews": review_id,
        "answers": answer_count,
    }


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
