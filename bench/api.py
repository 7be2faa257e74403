"""Benchmark of the analysts' API on the national-scale data. Not a test: it prints figures and ratios.

    make bench            # or: DATABASE_URL=postgres://... python -m bench.api

It works on a copy of the national data that `python -m bench.ratings --keep` leaves
(`probation_bench`, 540 inspections, 29,639 case reviews, 1.87 million answers): `CREATE
DATABASE probation_bench_api TEMPLATE probation_bench`, migrated (the API's token table),
dropped at the end unless --keep. The original is only read, as the template. If it is
missing, the ratings benchmark's generator fills the copy instead.

In the same run it measures, as an analyst (who sees the published inspections only):

  (a) a JSON page of 500 answers, `/api/v1/answers/?page_size=500`, the first page and a
      page deep into the cursor, against a plain Django view returning the same 500 rows
      from `.values()` with `JsonResponse` (the same columns, the case key computed with
      `api.pseudonym.case_key`, once per case as the API does). Both go through Django's
      test client and the whole middleware in this process, signed in with the session;
      the API again with a knox token. Median and 95th percentile of --requests each,
      the three interleaved.
  (b) the answers CSV, `?format=csv`, streamed by a real server (gunicorn, one sync worker,
      DEBUG off) and read by a streaming client that counts rows and bytes without keeping
      them, while the worker's resident memory is sampled every 0.2 s; against PostgreSQL's
      own `COPY (<the API's query>) TO STDOUT WITH CSV` of the same rows in the same order
      (the case reference in place of its key, which is computed in Python), read through
      psycopg2's copy_expert into a counting sink. At two sizes: one region's answers
      (`?region=`) and the whole list.

It prints the ratios API ÷ plain view (target ≤ 2) and API rows/s ÷ COPY rows/s (target
≥ 0.33), and the worker's memory growth during each stream (target: flat). The machine is
shared (2 cores: client, server and PostgreSQL at once), so only same-run ratios mean much.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench.pages import database_exists, percentile, unapplied_migrations
from bench.ratings import DEFAULT_URL, _bench_url, drop_database, generate, setup_django

TEMPLATE_DATABASE = "probation_bench"
COPY_DATABASE = "probation_bench_api"
PAGE_SIZE = 500
ROOT = Path(__file__).resolve().parent.parent
ANALYST_EMAIL = "bench-api-analyst@example.test"
TARGET_PAGE_RATIO = 2.0
TARGET_STREAM_RATIO = 1 / 3

ANSWER_FIELDS = [
    "id",
    "case_review_id",
    "case_review__case_reference",
    "case_review__inspection__reference",
    "question__code",
    "value",
    "updated_at",
]


# The plain view (a) is measured against, mounted beside the project's own addresses --------------


def plain_answers(request):
    """The same 500 answers as the API's page, from `.values()`, with JsonResponse and nothing else."""
    from django.http import JsonResponse

    from api.pseudonym import case_key
    from casework.models import Answer
    from inspections.access import inspections_visible_to

    after = int(request.GET.get("after", 0))
    answers = (
        Answer.objects.filter(
            case_review__inspection__in=inspections_visible_to(request.user),
            case_review__archived_at__isnull=True,
            id__gt=after,
        )
        .order_by("id")
        .values(*ANSWER_FIELDS)[:PAGE_SIZE]
    )
    keys: dict[int, str] = {}
    results = []
    for a in answers:
        key = keys.get(a["case_review_id"])
        if key is None:
            key = keys[a["case_review_id"]] = case_key(
                a["case_review__inspection__reference"], a["case_review__case_reference"]
            )
        results.append(
            {
                "case_key": key,
                "inspection": a["case_review__inspection__reference"],
                "question": a["question__code"],
                "value": a["value"],
                "updated_at": a["updated_at"],
            }
        )
    return JsonResponse({"results": results})


def _urlpatterns():
    from django.urls import path

    from config.urls import urlpatterns

    return [path("bench/answers/", plain_answers), *urlpatterns]


def __getattr__(name: str):
    # ROOT_URLCONF = "bench.api" while measuring (a); built on first use, once Django is set up.
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


# Databases -------------------------------------------------------------------------------------


def _admin_connection(url: str):
    import psycopg2

    parts = urlsplit(_bench_url(url, "postgres"))
    conn = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password, dbname="postgres"
    )
    conn.autocommit = True
    return conn


def copy_database(url: str, template: str, name: str, *, attempts: int = 30) -> None:
    """`name` as a copy of `template`, which must have no other connections while it is copied."""
    import psycopg2

    conn = _admin_connection(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            for attempt in range(attempts):
                try:
                    cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
                    return
                except psycopg2.errors.ObjectInUse:
                    if attempt == attempts - 1:
                        raise
                    print(f"  {template} is in use; waiting to copy it…", flush=True)
                    time.sleep(2)
    finally:
        conn.close()


def create_empty_database(url: str, name: str) -> None:
    conn = _admin_connection(url)
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


# (a) JSON pages ------------------------------------------------------------------------------------


def cursor_at(position: int) -> str:
    """DRF's CursorPagination cursor for the rows after id `position` (what a `next` link holds)."""
    return base64.b64encode(urlencode({"p": str(position)}).encode()).decode()


def time_gets(variants: dict[str, tuple], *, requests: int, warmup: int) -> tuple[dict, dict]:
    """Median and p95 of each (client, path, headers), their requests interleaved so that the
    machine's load weighs on all alike; and each one's last body."""
    bodies: dict[str, bytes] = {}
    timings: dict[str, list[float]] = {label: [] for label in variants}
    for round_ in range(warmup + requests):
        for label, (client, path, headers) in variants.items():
            started = time.perf_counter()
            response = client.get(path, **headers)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}: {response.content[:300]!r}")
            if round_ >= warmup:
                timings[label].append(elapsed)
            bodies[label] = response.content
    figures = {label: {"median": statistics.median(t), "p95": percentile(t, 0.95)} for label, t in timings.items()}
    return figures, bodies


def _comparable(body: bytes) -> list[dict]:
    """The page's rows, times to the millisecond: JsonResponse's encoder drops the microseconds, DRF's keeps them."""
    rows = json.loads(body)["results"]
    for row in rows:
        moment = datetime.datetime.fromisoformat(row["updated_at"])
        row["updated_at"] = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    return rows


def measure_pages(analyst, token: str, *, requests: int, warmup: int) -> dict:
    from django.test import Client, override_settings

    from api.base import visible_inspections
    from casework.models import Answer

    scope = Answer.objects.filter(
        case_review__inspection__in=visible_inspections(analyst), case_review__archived_at__isnull=True
    ).order_by("id")
    in_scope = scope.count()
    # A page four fifths of the way through the analyst's answers: the id just before it.
    deep = scope.values_list("id", flat=True)[in_scope * 4 // 5 - 1]
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(analyst)
    token_header = {"HTTP_AUTHORIZATION": f"Token {token}"}
    figures: dict[str, dict] = {}
    with override_settings(ROOT_URLCONF="bench.api"):
        for label, after, cursor in (("first page", 0, ""), ("deep page", deep, f"&cursor={cursor_at(deep)}")):
            api_path = f"/api/v1/answers/?page_size={PAGE_SIZE}{cursor}"
            timed, bodies = time_gets(
                {
                    "api": (client, api_path, {}),
                    "api_token": (Client(HTTP_HOST="127.0.0.1"), api_path, token_header),
                    "plain": (client, f"/bench/answers/?after={after}", {}),
                },
                requests=requests,
                warmup=warmup,
            )
            api, api_token, plain = timed["api"], timed["api_token"], timed["plain"]
            api_body, plain_body = bodies["api"], bodies["plain"]
            api_rows, plain_rows = _comparable(api_body), _comparable(plain_body)
            figures[label] = {
                "api": api,
                "api_token": api_token,
                "plain": plain,
                "rows": len(api_rows),
                "same": api_rows == plain_rows,
                "api_kb": len(api_body) / 1024,
                "plain_kb": len(plain_body) / 1024,
            }
    return {"in_scope": in_scope, "pages": figures}


# (b) streaming CSV -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(process: subprocess.Popen, port: int, failure: str, seconds: float = 60) -> None:
    """Wait until a server started as `process` accepts connections on 127.0.0.1:`port`; stop with
    `failure` if it exits or is not listening within `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(failure) from None
            time.sleep(0.2)


class Server:
    """gunicorn serving the project on 127.0.0.1 with one sync worker, DEBUG off."""

    def __init__(self, database_url: str):
        self.port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.development",
            "DATABASE_URL": database_url,
            "DJANGO_DEBUG": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        }
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{self.port}"),
                *("--workers", "1", "--timeout", "900", "--log-level", "warning"),
            ],
            cwd=ROOT,
            env=env,
        )
        wait_for_port(self.process, self.port, "gunicorn did not start")
        self.worker_pid = self._worker()

    def _worker(self) -> int:
        import psutil

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            children = psutil.Process(self.process.pid).children()
            if children:
                return children[0].pid
            time.sleep(0.1)
        raise SystemExit("gunicorn started no worker")

    def rss(self) -> int:
        import psutil

        return psutil.Process(self.worker_pid).memory_info().rss

    def get(self, path: str, token: str) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=900)
        connection.request("GET", path, headers={"Authorization": f"Token {token}", "Host": "127.0.0.1"})
        return connection.getresponse()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def stream_csv(server: Server, path: str, token: str) -> dict:
    """Read `path` in chunks, counting lines and bytes, while sampling the worker's memory every 0.2 s."""
    samples: list[int] = []
    done = threading.Event()

    def sample():
        while not done.is_set():
            samples.append(server.rss())
            done.wait(0.2)

    start_rss = server.rss()
    sampler = threading.Thread(target=sample, daemon=True)
    started = time.perf_counter()
    sampler.start()
    response = server.get(path, token)
    if response.status != 200:
        done.set()
        raise SystemExit(f"{path} answered {response.status}: {response.read(300)!r}")
    lines = size = 0
    while chunk := response.read(1 << 16):
        lines += chunk.count(b"\n")
        size += len(chunk)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    rows = lines - 1  # the header
    return {
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "mb_per_s": size / seconds / 1e6,
        "bytes": size,
        "start_rss": start_rss,
        "peak_rss": max([*samples, start_rss]),
    }


class CountingSink:
    def __init__(self):
        self.lines = self.size = 0

    def write(self, data):
        self.lines += data.count(b"\n") if isinstance(data, bytes) else data.count("\n")
        self.size += len(data)


def api_queryset(user, params: dict):
    """The exact queryset the answers list streams for `user` and `params` (its scope, filters and order)."""
    from rest_framework.test import APIRequestFactory, force_authenticate

    from api.views import AnswerViewSet

    request = APIRequestFactory().get("/api/v1/answers/", params)
    force_authenticate(request, user=user)
    view = AnswerViewSet(action_map={"get": "list"}, args=(), kwargs={}, format_kwarg=None)
    view.request = view.initialize_request(request)
    return view.list_queryset(view.filter_queryset(view.get_queryset()))


def copy_rows(queryset) -> dict:
    """`COPY (<the queryset's SQL>) TO STDOUT WITH CSV` into a counting sink."""
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        query = cursor.cursor.mogrify(sql, params).decode()
        sink = CountingSink()
        started = time.perf_counter()
        cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH CSV", sink)
        seconds = time.perf_counter() - started
    return {"rows": sink.lines, "seconds": seconds, "rows_per_s": sink.lines / seconds, "bytes": sink.size}


def measure_streams(server: Server, analyst, token: str, region: str, *, rounds: int) -> dict:
    # A small page first: the worker's start-up (URLs, schema, first queries) is not the stream's.
    response = server.get(f"/api/v1/answers/?page_size={PAGE_SIZE}", token)
    response.read()
    figures = {}
    for label, params in ((f"region {region}", {"region": region}), ("all answers", {})):
        api_runs, copy_runs = [], []
        for _ in range(rounds):
            api_runs.append(stream_csv(server, f"/api/v1/answers/?{urlencode({**params, 'format': 'csv'})}", token))
            copy_runs.append(copy_rows(api_queryset(analyst, params)))
        api = _median_run(api_runs)
        floor = _median_run(copy_runs)
        api["start_rss"] = api_runs[0]["start_rss"]
        api["peak_rss"] = max(r["peak_rss"] for r in api_runs)
        figures[label] = {"api": api, "copy": floor, "runs": api_runs}
    return figures


def _median_run(runs: list[dict]) -> dict:
    return dict(sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2])


# Report ----------------------------------------------------------------------------------------------


def report(pages: dict, streams: dict, requests: int, rounds: int) -> None:
    mib = 1024 * 1024
    print()
    print(
        f"(a) JSON pages of {PAGE_SIZE} answers, as an analyst ({pages['in_scope']:,} answers in scope), "
        f"{requests} requests each after warm-up, interleaved, in this process through the middleware"
    )
    print(f"{'':34}{'median ms':>10}{'p95 ms':>8}{'KB':>7}")
    for label, f in pages["pages"].items():
        same = "yes" if f["same"] else "NO"
        print(f"{label}: {f['rows']} rows, the same in the API and the plain view (times to the ms): {same}")
        print(f"{'  API, session':34}{f['api']['median']:10.1f}{f['api']['p95']:8.1f}{f['api_kb']:7.0f}")
        print(f"{'  API, knox token':34}{f['api_token']['median']:10.1f}{f['api_token']['p95']:8.1f}")
        print(
            f"{'  plain view (.values, JsonResponse)':34}{f['plain']['median']:10.1f}{f['plain']['p95']:8.1f}"
            f"{f['plain_kb']:7.0f}"
        )
        ratio = f["api"]["median"] / f["plain"]["median"]
        verdict = "ok" if ratio <= TARGET_PAGE_RATIO else "OVER"
        print(
            f"  API ÷ plain: median {ratio:.2f}, p95 {f['api']['p95'] / f['plain']['p95']:.2f}, "
            f"token median ÷ plain {f['api_token']['median'] / f['plain']['median']:.2f}   {verdict} (≤ 2)"
        )
    print()
    print(f"(b) the answers CSV streamed by gunicorn (1 sync worker), as an analyst; median of {rounds}")
    print(
        f"{'':24}{'rows':>10}{'s':>7}{'rows/s':>9}{'MB/s':>6}{'RSS start':>10}{'peak':>7}{'growth':>7}"
        f"  |{'COPY s':>7}{'rows/s':>10}{'MB/s':>6}  |{'API ÷ COPY':>11}"
    )
    for label, f in streams.items():
        a, c = f["api"], f["copy"]
        ratio = a["rows_per_s"] / c["rows_per_s"]
        verdict = "ok" if ratio >= TARGET_STREAM_RATIO else "UNDER"
        same = "" if a["rows"] == c["rows"] else f"  ROWS DIFFER: COPY {c['rows']:,}"
        print(
            f"{label:24}{a['rows']:10,}{a['seconds']:7.2f}{a['rows_per_s']:9,.0f}{a['mb_per_s']:6.1f}"
            f"{a['start_rss'] / mib:9.1f}M{a['peak_rss'] / mib:6.1f}M{(a['peak_rss'] - a['start_rss']) / mib:+6.1f}M"
            f"  |{c['seconds']:7.2f}{c['rows_per_s']:10,.0f}{c['bytes'] / c['seconds'] / 1e6:6.1f}"
            f"  |{ratio:11.3f}   {verdict} (≥ 0.33){same}"
        )
    labels = list(streams)
    small, large = streams[labels[0]]["api"], streams[labels[1]]["api"]
    print(
        f"Cost per row, whole list ÷ one region: API {small['rows_per_s'] / large['rows_per_s']:.2f}, "
        f"COPY {streams[labels[0]]['copy']['rows_per_s'] / streams[labels[1]]['copy']['rows_per_s']:.2f} "
        f"({large['rows'] / small['rows']:.1f}× the rows)"
    )


# Run ---------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30, help="timed requests of each page")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests of each page first")
    parser.add_argument("--rounds", type=int, default=1, help="streams of each size (the median is reported)")
    parser.add_argument("--template-db", default=TEMPLATE_DATABASE, help="the national-scale data, only copied")
    parser.add_argument("--copy-db", default=COPY_DATABASE, help="the copy measured, dropped afterwards")
    parser.add_argument("--keep", action="store_true", help="keep the copy afterwards")
    args = parser.parse_args(argv)

    base_url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    started = time.perf_counter()
    generate_here = not database_exists(base_url, args.template_db)
    if generate_here:
        print(f"No database {args.template_db}: generating the data into {args.copy_db}…", flush=True)
        create_empty_database(base_url, args.copy_db)
    else:
        print(f"Copying {args.template_db} to {args.copy_db}…", flush=True)
        copy_database(base_url, args.template_db, args.copy_db)
    print(f"  {time.perf_counter() - started:.0f} s", flush=True)
    copy_url = _bench_url(base_url, args.copy_db)
    setup_django(copy_url)
    from django.db import connections

    server = None
    try:
        from django.core.management import call_command

        if generate_here:
            call_command("migrate", verbosity=0)
            counts = generate(regions=12, pdus_per_region=9, rounds=5, cases=55, seed=2023)
            print(f"Generated {counts['inspections']} inspections, {counts['case_reviews']:,} case reviews", flush=True)
        elif unapplied_migrations():
            call_command("migrate", verbosity=0)  # the copy only: the template is left as it is
        analyst, token = make_analyst()
        pages = measure_pages(analyst, token, requests=args.requests, warmup=args.warmup)
        connections.close_all()
        server = Server(copy_url)
        region = busiest_region_slug()
        streams = measure_streams(server, analyst, token, region, rounds=args.rounds)
        report(pages, streams, args.requests, args.rounds)
        return 0
    finally:
        if server is not None:
            server.stop()
        connections.close_all()
        if not args.keep:
            drop_database(base_url, args.copy_db)
        print(f"Total {time.perf_counter() - started:.0f} s")


def make_analyst():
    """An analyst and a knox token, in the copy (committed: the server must see them)."""
    from knox.models import AuthToken

    from accounts.models import User

    analyst = User.objects.create_user(ANALYST_EMAIL, role=User.Role.ANALYST)
    _, token = AuthToken.objects.create(analyst)
    return analyst, token


def busiest_region_slug() -> str:
    from bench.pages import busiest_region

    return busiest_region().slug


if __name__ == "__main__":
    sys.exit(main())
