"""Synthetic national data: the generator shared by `bench.ratings` and `load_demo --national`.

Judgements, case reviews and answers for yearly rounds of PDU inspections, the answers fitting
the framework by construction (questions only where asked, "not applicable" only where
allowed), written with COPY. `generate` is the benchmark's whole data set in an empty database;
`demo/national_load.py` runs the same generator over the twelve real regions beside the demo.
Every inspection either makes is marked `synthetic`, so that every page showing one says so.

Speed comes from skipping the per-row triggers (the framework check, the publication lock,
the audit history) with `session_replication_role = replica`, which only the tables' owner (a
superuser) may set: `make demo-national` runs the command as the owner, like `make demo`. The
synthetic rows therefore have no audit history.
"""

from __future__ import annotations

import datetime
import io
import random
from collections.abc import Callable

from django.db import connection, transaction

# tier, rosh_level, gender, ethnicity_group, age_band, disability: skewed roughly like a caseload.
ATTRIBUTE_CHOICES = [
    "ABCD",
    ["low", "medium", "medium", "high", "very_high"],
    ["male", "male", "male", "male", "female"],
    ["white", "white", "white", "white", "black", "asian", "mixed", "other"],
    ["18-24", "25-34", "35-49", "50+"],
    ["yes", "no", "no", "not_known"],
]

REVIEW_COLUMNS = [
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
]
ANSWER_COLUMNS = ["case_review_id", "question_id", "value"]


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
            raise SystemExit(f"national data: {model.__name__}.{f.name} has no default; teach the generator about it")
        columns[f.column] = _copy_value(value)
    return columns


def _copy(cursor, table: str, columns: list[str], lines: list[str]) -> None:
    buffer = io.StringIO("".join(lines))
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def _bench_review_status(inspection, rnd: random.Random) -> str:
    from inspections.models import Inspection

    if inspection.status == Inspection.Status.PUBLISHED:
        return "moderated"
    return rnd.choice(["submitted", "moderated", "draft"])


def case_data_generate(
    cursor,
    inspections: list,
    *,
    framework,
    rnd: random.Random,
    cases: int,
    rationale: str,
    review_status: Callable = _bench_review_status,
    court_report_first: bool = False,
) -> tuple[int, int]:
    """Judgements, case reviews and answers for `inspections`; returns (case reviews, answers).

    Call inside a transaction that has set `session_replication_role = replica`.
    `court_report_first` gives each inspection's first case a court report, so that
    standard 2.1 (asked only where one was prepared) is rated even in a small sample.
    """
    from casework.models import Answer, CaseReview
    from inspections.models import OrganisationalJudgement, Question, Standard

    now = datetime.datetime.now(datetime.UTC)
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

    review_columns = _constant_columns(CaseReview, set(REVIEW_COLUMNS), now)
    answer_columns = _constant_columns(Answer, set(ANSWER_COLUMNS), now)
    review_constant = "".join(f"\t{v}" for v in review_columns.values())
    answer_constant = "".join(f"\t{v}" for v in answer_columns.values())

    # Judgements of published inspections too, so inside the block that skips the lock.
    OrganisationalJudgement.objects.bulk_create(
        [
            OrganisationalJudgement(inspection=i, standard=s, rating=rnd.choice(ratings), rationale=rationale)
            for i in inspections
            for s in judgement_standards
        ]
    )

    # Ids are given in the COPY: take a block after every id in use, with inserts held off meanwhile.
    cursor.execute("LOCK TABLE casework_casereview IN SHARE ROW EXCLUSIVE MODE")
    cursor.execute(
        "SELECT greatest(nextval(pg_get_serial_sequence('casework_casereview', 'id')),"
        " (SELECT coalesce(max(id), 0) + 1 FROM casework_casereview))"
    )
    first_id = cursor.fetchone()[0]
    review_id = first_id - 1

    review_lines: list[str] = []
    answer_lines: list[str] = []
    answer_count = 0

    def flush_answers():
        nonlocal answer_lines
        _copy(cursor, "casework_answer", [*ANSWER_COLUMNS, *answer_columns], answer_lines)
        answer_lines = []

    for inspection in inspections:
        quality = rnd.uniform(0.35, 0.9)
        lean = {s.id: rnd.uniform(-0.15, 0.1) for s in case_standards}
        for n in range(rnd.randint(max(1, cases - 5), cases + 5)):
            review_id += 1
            if court_report_first and n == 0:
                case_type, court_report = "community", rnd.choice(["oral", "short_format", "standard"])
            else:
                case_type = rnd.choices(["community", "licence", "unpaid_work"], weights=[55, 35, 10])[0]
                court_report = (
                    rnd.choice(["oral", "short_format", "standard"])
                    if case_type != "licence" and rnd.random() < 0.4
                    else "none"
                )
            status = review_status(inspection, rnd)
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
    _copy(cursor, "casework_casereview", [*REVIEW_COLUMNS, *review_columns], review_lines)
    flush_answers()
    if review_id >= first_id:
        cursor.execute("SELECT setval(pg_get_serial_sequence('casework_casereview', 'id'), %s)", [review_id])
    return review_id - first_id + 1, answer_count


def generate(*, regions: int, pdus_per_region: int, rounds: int, cases: int, seed: int) -> dict[str, int]:
    """The benchmark's data in an empty database: places named Region A, PDU AA and so on."""
    from accounts.models import User
    from inspections.models import Framework, Inspection, Standard
    from ratings.models import RatingOverride
    from regions.models import PDU, Region

    rnd = random.Random(seed)
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
                synthetic=True,
            )
            for year in range(first_year, 2024)
            for pdu in pdu_rows
        ]
    )
    case_standards = list(Standard.objects.filter(framework=framework, rated_by=Standard.RatedBy.CASE_DATA))
    with transaction.atomic(), connection.cursor() as cursor:
        # The generated rows fit the framework by construction; skipping the per-row
        # triggers (framework check, publication lock, audit history) and foreign-key
        # checks keeps generation to seconds. The benchmark measures reads only.
        cursor.execute("SET LOCAL session_replication_role = replica")
        reviews, answers = case_data_generate(
            cursor, inspections, framework=framework, rnd=rnd, cases=cases, rationale="Generated for the benchmark."
        )
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
        cursor.execute("SET LOCAL session_replication_role = origin")

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "regions": len(region_rows),
        "pdus": len(pdu_rows),
        "inspections": len(inspections),
        "case_reviews": reviews,
        "answers": answers,
    }
