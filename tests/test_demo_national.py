"""`load_demo --national`: the benchmark's synthetic national data beside the South West demo.

Loaded at a tiny size (one PDU per new region, a few cases per inspection); the real
inspections are checked to be exactly as the demo alone leaves them.
"""

import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F
from django.test import TestCase
from django.utils import timezone

from accounts.models import User
from casework.models import Answer, CaseReview
from demo.national import ATTRIBUTE_CHOICES
from demo.national_load import REGIONS
from inspections.models import Inspection, LockEvent, Recommendation, reference_validator
from ratings.models import RatingsSnapshot
from ratings.selectors import inspection_ratings, inspections_ratings
from regions.models import PDU, Region
from trackers.models import Action, RecommendationResponse

TINY = ["--national", "--pdus-per-region", "2", "--cases", "7"]
REAL = {
    "SW-SOM-2023": (8, "requires_improvement"),
    "SW-DOR-2023": (3, "inadequate"),
    "SW-BSG-2023": (6, "requires_improvement"),
}
YEARS = [2019, 2020, 2021, 2022, 2023]


def real_state() -> dict:
    """The demo's own records, as the demo alone leaves them."""
    real = Inspection.objects.filter(synthetic=False)
    return {
        "inspections": sorted(real.values_list("reference", "pdu__slug", "status", "published_on", "updated_at")),
        "case_reviews": CaseReview.objects.filter(inspection__in=real).count(),
        "answers": sorted(
            Answer.objects.filter(case_review__inspection__in=real).values_list("id", "value", "updated_at")
        ),
        "snapshots": sorted(RatingsSnapshot.objects.filter(inspection__in=real).values_list("id", "score", "rating")),
        "recommendations": Recommendation.objects.filter(inspection__in=real).count(),
        "actions": Action.objects.filter(response__recommendation__inspection__in=real).count(),
        "lock_events": LockEvent.objects.filter(inspection__in=real).count(),
    }


def national_state() -> dict:
    return {
        "regions": Region.objects.count(),
        "pdus": PDU.objects.count(),
        "inspections": sorted(Inspection.objects.values_list("reference", "status", "updated_at")),
        "case_reviews": CaseReview.objects.count(),
        "answers": Answer.objects.count(),
        "snapshots": RatingsSnapshot.objects.count(),
        "lock_events": LockEvent.objects.count(),
        "recommendations": Recommendation.objects.count(),
        "responses": RecommendationResponse.objects.count(),
        "actions": Action.objects.count(),
    }


class NationalDemoTests(TestCase):
    """One tiny national load, rolled back after the class."""

    @classmethod
    def setUpTestData(cls):
        call_command("load_demo", stdout=io.StringIO())
        cls.real_before = real_state()
        cls.out = io.StringIO()
        call_command("load_demo", *TINY, stdout=cls.out)

    def test_the_summary_says_what_was_loaded_and_how_long_it_took(self):
        printed = self.out.getvalue()
        assert "Synthetic national data loaded in" in printed
        for words in ("12 regions", "synthetic inspections", "case reviews", "answers", " s:"):
            assert words in printed

    def test_twelve_real_regions_each_with_its_pdus_inspected_every_year_from_2019_to_2023(self):
        regions = Region.objects.filter(slug__in=[slug for slug, _, _ in REGIONS])
        assert sorted(regions.values_list("name", flat=True)) == sorted(name for _, name, _ in REGIONS)
        assert "Wales" in set(regions.values_list("name", flat=True))
        # The demo's South West and London are reused, with their own PDUs.
        assert Region.objects.count() == 12
        assert PDU.objects.filter(region__slug="south-west").count() == 9
        assert PDU.objects.filter(region__slug="london", slug="lambeth").exists()
        assert PDU.objects.filter(name="Wales PDU 2", region__slug="wales").exists()
        for region in regions:
            pdus = PDU.objects.filter(region=region)
            assert pdus.count() == max(2, {"south-west": 9}.get(region.slug, 2))
            for pdu in pdus:
                years = sorted(
                    pdu.inspections.filter(fieldwork_start__year__lte=2023).values_list(
                        "fieldwork_start__year", flat=True
                    )
                )
                assert years == YEARS, pdu.slug

    def test_every_generated_inspection_is_marked_synthetic_with_a_valid_unique_reference(self):
        synthetic = Inspection.objects.filter(synthetic=True)
        assert (
            synthetic.count() == (11 * 2 + 9) * 5 - 3
        )  # two PDUs a region, nine in the South West; less the real three
        assert set(Inspection.objects.filter(synthetic=False).values_list("reference", flat=True)) == {
            *REAL,
            "SW-CIS-2026",
        }
        for reference in synthetic.values_list("reference", flat=True):
            reference_validator(reference)
        # Never beside a real inspection of the same PDU and year.
        assert not synthetic.filter(
            pdu__slug__in=["somerset", "dorset", "bristol-and-south-gloucestershire"], fieldwork_start__year=2023
        ).exists()

    def test_the_real_south_west_inspections_are_unchanged(self):
        assert real_state() == self.real_before
        for reference, (score, rating) in REAL.items():
            inspection = Inspection.objects.get(reference=reference)
            result = inspection_ratings(inspection)
            assert (result.score, result.max_score, result.rating) == (score, 27, rating)
            assert not inspection.synthetic and inspection.is_locked

    def test_earlier_rounds_are_published_and_the_last_mostly_with_a_few_in_progress(self):
        synthetic = Inspection.objects.filter(synthetic=True)
        earlier = synthetic.filter(fieldwork_start__year__lt=2023)
        assert not earlier.exclude(status="published").exists()
        assert not synthetic.filter(status="published", published_on__isnull=True).exists()
        assert not synthetic.filter(published_on__gt=timezone.localdate()).exists()
        last = dict(synthetic.filter(fieldwork_start__year=2023).values_list("status").annotate(n=Count("id")))
        assert last["published"] > last.get("ratings_panel", 0) + last.get("fieldwork", 0) > 0

    def test_each_published_synthetic_inspection_has_its_published_snapshot_dated_to_publication(self):
        published = list(Inspection.objects.filter(synthetic=True, status="published"))
        snapshots = {s.inspection_id: s for s in RatingsSnapshot.objects.filter(inspection__in=published)}
        assert set(snapshots) == {i.id for i in published}
        live = inspections_ratings(published)
        for inspection in published:
            snapshot = snapshots[inspection.id]
            assert snapshot.kind == "published" and snapshot.score is not None
            assert (snapshot.score, snapshot.rating) == (live[inspection.id].score, live[inspection.id].rating)
            assert timezone.localtime(snapshot.created_at).date() == inspection.published_on
        events = LockEvent.objects.filter(inspection__in=published, action="published")
        assert events.count() == len(published)
        assert not events.exclude(at__date=F("inspection__published_on")).exists()

    def test_published_synthetic_inspections_have_action_plans_some_of_them_overdue(self):
        today = timezone.localdate()
        published = Inspection.objects.filter(synthetic=True, status="published")
        recommendations = Recommendation.objects.filter(inspection__in=published)
        assert recommendations.count() >= 2 * published.count()
        assert not Recommendation.objects.filter(inspection__synthetic=True).exclude(inspection__in=published).exists()
        assert RecommendationResponse.objects.filter(recommendation__in=recommendations).count() == (
            recommendations.count()
        )
        actions = Action.objects.filter(response__recommendation__in=recommendations)
        overdue = actions.filter(due_date__lt=today).exclude(status="complete")
        assert overdue.exists() and actions.filter(status="complete").exists()
        assert actions.filter(due_date__gte=today).exists()
        assert set(actions.values_list("status", flat=True)) == {"complete", "in_progress", "not_started"}

    def test_case_reviews_have_the_benchmarks_attributes_and_answers_fit_the_framework(self):
        reviews = CaseReview.objects.filter(inspection__synthetic=True)
        assert reviews.exists()
        fields = ["tier", "rosh_level", "gender", "ethnicity_group", "age_band", "disability"]
        for name, choices in zip(fields, ATTRIBUTE_CHOICES, strict=True):
            assert set(reviews.values_list(name, flat=True)) <= set(choices), name
        assert not reviews.exclude(case_reference__regex=r"^C\d{5}$").exists()
        assert not reviews.filter(inspection__status="published").exclude(status="moderated").exists()
        answers = Answer.objects.filter(case_review__inspection__synthetic=True)
        assert not answers.filter(value="not_applicable", question__allows_not_applicable=False).exists()
        assert not answers.filter(question__requires_court_report=True, case_review__court_report="none").exists()
        assert not answers.filter(question__standard__rated_by="judgement").exists()
        # Every case answers every question asked in it.
        reviews_by_questions = reviews.annotate(n=Count("answers")).values_list("n", flat=True)
        assert min(reviews_by_questions) > 0

    def test_a_second_run_says_the_national_data_is_loaded_and_changes_nothing(self):
        before = national_state()
        out = io.StringIO()
        call_command("load_demo", *TINY, stdout=out)
        assert national_state() == before
        assert "National data already loaded" in out.getvalue()
        assert "Demo already loaded" in out.getvalue()

    def test_pages_mark_synthetic_inspections_and_say_the_page_includes_synthetic_data(self):
        analyst = User.objects.get(email="analyst@demo.test")
        self.client.force_login(analyst)
        notice = "This page includes synthetic data"
        listing = self.client.get("/inspections/").content.decode()
        assert listing.count(notice) == 1 and ">Synthetic</strong>" in listing
        home = self.client.get("/").content.decode()
        assert home.count(notice) == 1
        synthetic = Inspection.objects.filter(synthetic=True, status="published").first()
        page = self.client.get(f"/inspections/{synthetic.reference}/").content.decode()
        assert notice in page and ">Synthetic</strong>" in page
        real = self.client.get("/inspections/SW-SOM-2023/").content.decode()
        assert notice not in real and ">Synthetic</strong>" not in real


@pytest.mark.django_db
def test_without_the_owners_privilege_the_national_load_is_refused_and_writes_nothing():
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{settings.DATABASE_APP_USER}"')
    try:
        with pytest.raises(CommandError, match="make demo-national"):
            call_command("load_demo", *TINY, stdout=io.StringIO())
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert not Inspection.objects.exists() and not Region.objects.exists()
