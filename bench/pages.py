"""Benchmark of the pages that list inspections, at national scale and on the demo. Not a test.

    make bench            # or: DATABASE_URL=postgres://... python -m bench.pages

It reads two databases on the server named by DATABASE_URL, in one run:

  national: `probation_bench` as `python -m bench.ratings --keep` leaves it (twelve
            regions, about 540 inspections, 30,000 case reviews). Only read: the users
            it signs in and their sessions are written in a transaction rolled back at
            the end. If the database is missing, the ratings benchmark's generator fills
            it first, and it is dropped afterwards unless --keep.
  demo:     its own database (`probation_bench_pages`), recreated, migrated and loaded
            with the demo.

On each it GETs, with Django's test client as a signed-in user of the role that reads
the page: the analyst's home `/`, the administrator's home `/`, the inspection list
`/inspections/` (as the analyst), and, once their URLs exist, the region dashboard
`dashboards:region` (as the region's director) and the national view
`dashboards:national` (as the analyst). After a few warm-up requests it times
`--requests` of each, in this process (middleware, view, queries, template, session
save), and prints the median, the 95th percentile, the bytes sent, the queries per
request, and the ratios national ÷ demo measured in the same run. The issue's target
is 200 ms at the 95th percentile at national scale.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from bench.ratings import DEFAULT_URL, _bench_url, drop_database, generate, recreate_database, setup_django

NATIONAL_DATABASE = "probation_bench"
DEMO_DATABASE = "probation_bench_pages"
TARGET_P95_MS = 200.0


@dataclass(frozen=True)
class PageSpec:
    label: str
    url_name: str
    role: str  # who reads it: analyst, administrator or regional_director
    region_kwarg: bool = False  # the URL takes the slug of the director's region
    cache: bool = True  # False: every request computes its aggregates afresh


PAGES = [
    PageSpec("analyst's home", "web:home", "analyst"),
    PageSpec("administrator's home", "web:home", "administrator"),
    PageSpec("inspection list", "web:inspection_list", "analyst"),
    PageSpec("region dashboard", "dashboards:region", "regional_director", region_kwarg=True),
    PageSpec("national view", "dashboards:national", "analyst"),
    # The dashboards again with no cache: what the first request after any change costs.
    PageSpec("region dashboard, uncached", "dashboards:region", "regional_director", region_kwarg=True, cache=False),
    PageSpec("national view, uncached", "dashboards:national", "analyst", cache=False),
]
NO_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


def take_missing_snapshots(by) -> int:
    """Published ratings snapshots for published inspections without one, as publishing takes them.

    The ratings benchmark's generator writes published inspections without snapshots (it
    measures live rating); every inspection published through the service has one, and the
    pages read it. Written inside the measuring transaction, so rolled back with it.
    """
    from inspections.models import Inspection
    from ratings import serialise
    from ratings.models import RatingsSnapshot
    from ratings.selectors import inspections_ratings

    missing = list(
        Inspection.objects.filter(status=Inspection.Status.PUBLISHED).exclude(
            ratings_snapshots__kind=RatingsSnapshot.Kind.PUBLISHED
        )
    )
    results = inspections_ratings(missing)
    RatingsSnapshot.objects.bulk_create(
        [
            RatingsSnapshot(
                inspection=i,
                kind=RatingsSnapshot.Kind.PUBLISHED,
                framework_code=results[i.id].framework,
                result=serialise.result_to_data(results[i.id]),
                score=results[i.id].score,
                max_score=results[i.id].max_score,
                rating=results[i.id].rating,
                draft_cases=0,
                created_by=by,
            )
            for i in missing
            if results[i.id].score is not None
        ],
        batch_size=500,
    )
    return len(missing)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def database_exists(url: str, name: str) -> bool:
    import psycopg2

    parts = urlsplit(_bench_url(url, "postgres"))
    conn = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password, dbname="postgres"
    )
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        found = cursor.fetchone() is not None
    conn.close()
    return found


def use_database(name: str) -> None:
    """Point Django's default connection at database `name` (on the same server) from the next query on."""
    from django.db import connections

    connections.close_all()
    connections["default"].settings_dict["NAME"] = name


def unapplied_migrations() -> list[str]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return [f"{m.app_label}.{m.name}" for m, _ in executor.migration_plan(executor.loader.graph.leaf_nodes())]


def busiest_region():
    """The region with the most published inspections: the one whose dashboard has the most to show."""
    from django.db.models import Count, Q

    from regions.models import Region

    return (
        Region.objects.annotate(n=Count("pdus__inspections", filter=Q(pdus__inspections__status="published")))
        .order_by("-n", "name")
        .first()
    )


def measure_database(*, requests: int, warmup: int) -> tuple[dict[str, dict | str], int]:
    """Every page's figures on the current database, or why it was skipped; and how many inspections it holds.

    The users and their sessions are written in a transaction that is rolled back.
    """
    from django.db import transaction
    from django.test import Client, override_settings
    from django.urls import NoReverseMatch, reverse

    from accounts.models import User
    from inspections.models import Inspection

    results: dict[str, dict | str] = {}
    with transaction.atomic():
        inspections = Inspection.objects.count()
        region = busiest_region()
        users = {
            "analyst": User.objects.create_user("bench-pages-analyst@example.test", role=User.Role.ANALYST),
            "administrator": User.objects.create_user("bench-pages-admin@example.test", role=User.Role.ADMINISTRATOR),
            "regional_director": User.objects.create_user(
                "bench-pages-director@example.test", role=User.Role.REGIONAL_DIRECTOR, region=region
            ),
        }
        take_missing_snapshots(users["administrator"])
        clients = {}
        for role, user in users.items():
            clients[role] = Client(HTTP_HOST="127.0.0.1")
            clients[role].force_login(user)
        for spec in PAGES:
            try:
                path = reverse(spec.url_name, kwargs={"slug": region.slug} if spec.region_kwarg else None)
            except NoReverseMatch:
                results[spec.label] = f"skipped: no URL named {spec.url_name} yet"
                continue
            client = clients[spec.role]
            with override_settings(**({} if spec.cache else {"CACHES": NO_CACHE})):
                results[spec.label] = measure_page(client, path, spec, requests=requests, warmup=warmup)
        transaction.set_rollback(True)
    return results, inspections


def measure_page(client, path: str, spec: PageSpec, *, requests: int, warmup: int) -> dict | str:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(path)
    if response.status_code != 200:
        return f"skipped: {path} answered {response.status_code} to the {spec.role}"
    for _ in range(warmup - 1):
        client.get(path)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
    # Counted apart from the timed requests: capturing forces the debug cursor, which costs time.
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return {
        "path": path,
        "median": statistics.median(timings),
        "p95": percentile(timings, 0.95),
        "bytes": len(response.content),
        "queries": len(captured.captured_queries),
    }


def report(national: dict[str, dict | str], demo: dict[str, dict | str], sizes: tuple[int, int], requests: int):
    print()
    print(
        f"Pages, server time of {requests} requests each after warm-up; national: {sizes[0]} inspections, "
        f"demo: {sizes[1]}"
    )
    print(
        f"{'':28}{'median ms':>10}{'p95 ms':>8}{'KB':>6}{'queries':>8}  |{'median ms':>10}{'p95 ms':>8}{'KB':>6}"
        f"{'queries':>8}  |{'÷ median':>9}{'÷ KB':>6}{'÷ queries':>10}"
    )
    print(f"{'':28}{'national':^32}  |{'demo':^32}  |{'national ÷ demo':^25}")
    for spec in PAGES:
        n, d = national.get(spec.label), demo.get(spec.label)
        if not isinstance(n, dict) or not isinstance(d, dict):
            print(f"{spec.label:28}{n if isinstance(n, str) else d}")
            continue
        verdict = "ok" if n["p95"] <= TARGET_P95_MS else "OVER"
        print(
            f"{spec.label:28}{n['median']:10.1f}{n['p95']:8.1f}{n['bytes'] / 1024:6.1f}{n['queries']:8}  |"
            f"{d['median']:10.1f}{d['p95']:8.1f}{d['bytes'] / 1024:6.1f}{d['queries']:8}  |"
            f"{n['median'] / d['median']:9.2f}{n['bytes'] / d['bytes']:6.2f}{n['queries'] / d['queries']:10.2f}"
            f"   national p95 {verdict} (≤ {TARGET_P95_MS:.0f} ms)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30, help="timed requests of each page")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests of each page first")
    parser.add_argument("--national-db", default=NATIONAL_DATABASE, help="the national-scale data, only read")
    parser.add_argument("--demo-db", default=DEMO_DATABASE, help="recreated with the demo each run")
    parser.add_argument("--keep", action="store_true", help="keep the demo database, and national data generated here")
    args = parser.parse_args(argv)

    base_url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    started = time.perf_counter()
    generated_here = not database_exists(base_url, args.national_db)
    print(f"Recreating database {args.demo_db} on {urlsplit(base_url).hostname}…", flush=True)
    recreate_database(base_url, args.demo_db)
    if generated_here:
        print(f"No database {args.national_db}: generating it as `python -m bench.ratings` does…", flush=True)
        recreate_database(base_url, args.national_db)
    setup_django(_bench_url(base_url, args.demo_db))
    from django.db import connections

    try:
        return run(args, generated_here=generated_here, started=started)
    finally:
        connections.close_all()
        if not args.keep:
            drop_database(base_url, args.demo_db)
            if generated_here:
                drop_database(base_url, args.national_db)
        print(f"Total {time.perf_counter() - started:.0f} s")


def run(args: argparse.Namespace, *, generated_here: bool, started: float) -> int:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=io.StringIO())
    print(f"Demo loaded in {time.perf_counter() - started:.0f} s", flush=True)
    demo, demo_size = measure_database(requests=args.requests, warmup=args.warmup)

    use_database(args.national_db)
    if generated_here:
        call_command("migrate", verbosity=0)
        counts = generate(regions=12, pdus_per_region=9, rounds=5, cases=55, seed=2023)
        print(f"Generated {counts['inspections']} inspections, {counts['case_reviews']:,} case reviews", flush=True)
    missing = unapplied_migrations()
    if missing:
        # Only read: migrating someone's benchmark data is not this benchmark's call.
        print(f"{args.national_db} lacks migrations {', '.join(missing)}: run `python -m bench.ratings --keep` again")
        return 1
    national, national_size = measure_database(requests=args.requests, warmup=args.warmup)
    report(national, demo, (national_size, demo_size), args.requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
