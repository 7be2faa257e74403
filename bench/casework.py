"""Benchmark: saving a complete case review (about 60 answers), with and without the audit triggers.

Run with `make bench` or `python -m bench.casework`. Uses its own database
(`probation_bench_casework` on the server in DATABASE_URL), recreated each run,
and prints medians, 95th percentiles and the ratio audited ÷ unaudited, both
measured in this run on this machine. It also checks that the case review page
costs the same number of queries with no answers and with all of them.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from contextlib import nullcontext
from urllib.parse import urlparse, urlunparse

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "60"))
BENCH_DB = "probation_bench_casework"


def _database_url() -> str:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlparse(base)
    admin = urlunparse(parts._replace(path="/postgres"))
    import psycopg2

    connection = psycopg2.connect(admin)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {BENCH_DB}")
    connection.close()
    return urlunparse(parts._replace(path=f"/{BENCH_DB}"))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    os.environ["DATABASE_URL"] = _database_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    import pgtrigger
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    from accounts.models import User
    from casework import review_selectors, services
    from casework.models import CaseReview
    from inspections.models import Framework, Inspection, TeamMember
    from regions.models import PDU, Region

    region = Region.objects.create(slug="bench", name="Bench")
    pdu = PDU.objects.create(slug="bench-pdu", name="Bench PDU", region=region)
    inspection = Inspection.objects.create(
        reference="BN-PDU-2024",
        pdu=pdu,
        framework=Framework.objects.get(code="pdu-2021"),
        fieldwork_start="2024-06-03",
        status="fieldwork",
    )
    user = User.objects.create_user("bench@example.test", "Bench-Password-1", role="inspector")
    TeamMember.objects.create(inspection=inspection, user=user, role="inspector")
    review = CaseReview.objects.create(
        inspection=inspection, case_reference="X000001", case_type="licence", court_report="standard", inspector=user
    )
    questions = review_selectors.applicable_questions(
        framework_id=inspection.framework_id, case_type="licence", court_report="standard"
    )
    audit_triggers = [
        f"casework.{model}:{name}" for model in ("Answer", "CaseReview") for name in ("insert_insert", "update_update")
    ]

    def run(audited: bool) -> list[float]:
        timings = []
        for round_ in range(ROUNDS):
            review.refresh_from_db()
            # Every round changes every answer, so each save writes (and audits) all of them.
            value = "yes" if round_ % 2 else "no"
            answers = {q.code: services.AnswerInput(value, f"evidence {round_}") for q in questions}
            with nullcontext() if audited else pgtrigger.ignore(*audit_triggers):
                started = time.perf_counter()
                services.case_review_save(review=review, by=user, expected_version=review.version, answers=answers)
                timings.append((time.perf_counter() - started) * 1000)
        return timings

    run(audited=True)  # warm-up: first inserts, caches
    unaudited = run(audited=False)
    audited = run(audited=True)
    print(f"Saving a complete case review: {len(questions)} answers, {ROUNDS} saves each, every answer changed")
    for label, timings in (("without audit", unaudited), ("with audit", audited)):
        print(f"  {label:14} median {statistics.median(timings):6.1f} ms   p95 {percentile(timings, 0.95):6.1f} ms")
    print(f"  ratio audited / unaudited (median): {statistics.median(audited) / statistics.median(unaudited):.2f}")

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    section_url = f"/inspections/{inspection.reference}/cases/{review.case_reference}/sections/2.2/"
    empty_review = CaseReview.objects.create(
        inspection=inspection, case_reference="X000002", case_type="licence", court_report="standard", inspector=user
    )
    client.get(section_url)
    counts = []
    for target in (empty_review, review):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/inspections/{inspection.reference}/cases/{target.case_reference}/sections/2.2/")
        assert response.status_code == 200, response.status_code
        counts.append(len(captured.captured_queries))
    print(f"Case review section page queries: {counts[0]} with no answers, {counts[1]} with {len(questions)} answers")


if __name__ == "__main__":
    sys.exit(main())
