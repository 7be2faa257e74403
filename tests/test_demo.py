"""The South West 2023 demo: idempotent, refused in production, and faithful to the seed letter.

Every figure is read back from the database with aggregate queries and the ratings engine,
never from the plan the demo was generated from.
"""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from django.test import TestCase, override_settings

from accounts.models import User
from casework.models import Answer, AnswerEvent, CaseReview, CaseReviewEvent
from casework.review_selectors import applicable_questions
from inspections.locking import inspection_unlock
from inspections.models import (
    Inspection,
    LockEvent,
    OrganisationalJudgement,
    Recommendation,
    RegionalFinding,
    RegionalReview,
    TeamMember,
)
from ratings.models import RatingOverride, RatingsSnapshot
from ratings.selectors import inspection_ratings
from regions.models import PDU, Region
from tests.factories import set_publication

DEMO_PASSWORD = "Demo-Inspect-2023!"
REFERENCES = ["SW-SOM-2023", "SW-DOR-2023", "SW-BSG-2023"]
INAD, RI, GOOD = "inadequate", "requires_improvement", "good"

# The seed letter's Annexe two: standards 1.1–1.4 and 2.1–2.5, score and overall rating.
ANNEXE_TWO = {
    "SW-SOM-2023": ([RI, RI, GOOD, GOOD, INAD, INAD, INAD, RI, RI], 8, RI),
    "SW-DOR-2023": ([INAD, RI, INAD, RI, RI, INAD, INAD, INAD, INAD], 3, INAD),
    "SW-BSG-2023": ([RI, RI, RI, GOOD, INAD, INAD, RI, INAD, INAD], 6, RI),
}
STANDARDS = ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "2.5"]


def demo_answers(code: str, **filters):
    """Region-wide counts for one question, as the letter quotes them."""
    return Answer.objects.filter(
        question__code=code, case_review__inspection__pdu__region__slug="south-west", **filters
    ).aggregate(
        yes=Count("id", filter=Q(value="yes")),
        no=Count("id", filter=Q(value="no")),
        not_applicable=Count("id", filter=Q(value="not_applicable")),
    )


def database_state() -> dict:
    return {
        "regions": Region.objects.count(),
        "pdus": PDU.objects.count(),
        "inspections": Inspection.objects.count(),
        "case_reviews": CaseReview.objects.count(),
        "answers": Answer.objects.count(),
        "recommendations": Recommendation.objects.count(),
        "findings": RegionalFinding.objects.count(),
        "judgements": OrganisationalJudgement.objects.count(),
        "team": TeamMember.objects.count(),
        "users": User.objects.count(),
        "answer_history": AnswerEvent.objects.count(),
        "case_review_history": CaseReviewEvent.objects.count(),
        "lock_events": LockEvent.objects.count(),
        "snapshots": RatingsSnapshot.objects.count(),
        "answer_values": sorted(
            Answer.objects.values_list("case_review__case_reference", "question__code", "value", "note")
        ),
        "case_attributes": sorted(
            CaseReview.objects.values_list(
                "case_reference", "case_type", "court_report", "rosh_level", "ethnicity_group", "version"
            )
        ),
        "passwords": sorted(User.objects.values_list("email", "password")),
    }


@pytest.mark.django_db
def test_loading_the_demo_twice_changes_nothing():
    call_command("load_demo", stdout=io.StringIO())
    first = database_state()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert database_state() == first
    assert "nothing to change" in out.getvalue()
    assert first["case_reviews"] == 157 + 10  # the seed's sample, and the fieldwork inspection's ten cases
    assert first["inspections"] == 3 + 1


@pytest.mark.django_db
def test_restoring_an_unchanged_demo_writes_nothing_either():
    call_command("load_demo", stdout=io.StringIO())
    first = database_state()
    call_command("load_demo", "--restore", stdout=io.StringIO())
    assert database_state() == first


@pytest.mark.django_db
def test_changes_made_after_loading_are_kept_until_a_logged_restore_puts_the_demo_back():
    call_command("load_demo", stdout=io.StringIO())
    inspection = Inspection.objects.get(reference="SW-DOR-2023")
    lead = User.objects.get(email="lead@demo.test")
    answer = Answer.objects.filter(case_review__inspection=inspection, question__code="2.2.3", value="no").first()
    inspection_unlock(inspection=inspection, by=lead, reason="Correcting a judgement")
    Answer.objects.filter(pk=answer.pk).update(value="yes")
    set_publication(inspection, unlocked_at=None)
    snapshots_before = RatingsSnapshot.objects.filter(inspection=inspection).count()

    out = io.StringIO()
    call_command("load_demo", stdout=out)
    answer.refresh_from_db()
    assert answer.value == "yes"
    assert "1 answers" in out.getvalue() and "--restore" in out.getvalue()

    call_command("load_demo", "--restore", stdout=io.StringIO())
    answer.refresh_from_db()
    inspection.refresh_from_db()
    assert answer.value == "no"
    assert inspection.is_locked
    assert list(
        LockEvent.objects.filter(inspection=inspection, reason__startswith="load_demo").values_list("action", flat=True)
    ) == ["relocked", "unlocked"]
    # The correction is published as a new snapshot; the earlier one is kept.
    assert RatingsSnapshot.objects.filter(inspection=inspection).count() == snapshots_before + 1


@pytest.mark.django_db
@override_settings(DEMO_LOGINS_ALLOWED=False)
def test_the_demo_is_refused_under_production_settings_and_writes_nothing():
    with pytest.raises(CommandError, match="DEMO_LOGINS_ALLOWED"):
        call_command("load_demo", stdout=io.StringIO())
    with pytest.raises(CommandError, match="DEMO_LOGINS_ALLOWED"):
        call_command("demo_logins", stdout=io.StringIO())
    assert not User.objects.filter(email__endswith="@demo.test").exists()
    assert not Region.objects.exists()
    assert not Inspection.objects.exists()


@pytest.mark.django_db
def test_demo_logins_asks_for_the_demo_to_be_loaded_first():
    with pytest.raises(CommandError, match="load_demo"):
        call_command("demo_logins", stdout=io.StringIO())


class LoadedDemoTests(TestCase):
    """Read-only checks on one load of the demo, rolled back after the class."""

    @classmethod
    def setUpTestData(cls):
        call_command("load_demo", stdout=io.StringIO())

    def test_annexe_two_is_reproduced_by_the_ratings_engine_from_case_data_and_judgements(self):
        assert not RatingOverride.objects.exists()
        for reference, (expected, score, overall) in ANNEXE_TWO.items():
            result = inspection_ratings(Inspection.objects.get(reference=reference))
            assert [s.code for s in result.standards] == STANDARDS
            assert [s.rating for s in result.standards] == expected, reference
            assert [s.source for s in result.standards] == ["judgement"] * 4 + ["case_data"] * 5
            assert (result.score, result.max_score, result.rating) == (score, 27, overall)

    def test_each_published_inspection_has_a_published_snapshot_matching_the_letter(self):
        for reference, (_, score, overall) in ANNEXE_TWO.items():
            inspection = Inspection.objects.get(reference=reference)
            assert inspection.status == "published" and inspection.is_locked
            assert inspection.fieldwork_start.strftime("%Y-%m") == "2023-06"
            snapshot = RatingsSnapshot.objects.get(inspection=inspection, kind="published")
            assert (snapshot.score, snapshot.rating) == (score, overall)

    def test_the_letters_region_wide_figures_hold(self):
        # "in 59 out of 109 relevant cases ... which required an enquiry to children's services, no such request"
        assert demo_answers("2.2.3.e") == {"yes": 50, "no": 59, "not_applicable": 48}
        # "in 35 out of 108 relevant cases no police enquiry regarding domestic abuse was made"
        assert demo_answers("2.2.3.d") == {"yes": 73, "no": 35, "not_applicable": 49}
        # "of the 157 cases ... 152 required management oversight, yet in only 48 was this ... sufficient"
        assert demo_answers("C.1") == {"yes": 48, "no": 104, "not_applicable": 5}
        # "only 52 per cent (82) were deemed to have received services most likely to reduce reoffending"
        assert demo_answers("2.4.2.a") == {"yes": 82, "no": 75, "not_applicable": 0}
        # Court work: children's services information in "44 of 63 relevant cases".
        court = demo_answers("2.1.1.c")
        assert court["yes"] + court["no"] == 63 and court["no"] == 44
        # Stand-alone unpaid work: 75 per cent of 12 sufficient on desistance and safety.
        for code in ("2.4.2", "2.4.3"):
            assert demo_answers(code, case_review__case_type="unpaid_work") == {
                "yes": 9,
                "no": 3,
                "not_applicable": 0,
            }
        # "less than 50 per cent ... sufficient ... keeping other people safe across all four" AsPIRe areas.
        for code in ("2.2.3", "2.3.3", "2.4.3", "2.5.3"):
            counts = demo_answers(code)
            assert counts["yes"] * 2 < counts["yes"] + counts["no"], code

    def test_the_flags_mark_exactly_the_cases_where_the_enquiry_was_needed(self):
        reviews = CaseReview.objects.filter(inspection__reference__in=REFERENCES)
        assert reviews.count() == 157
        for flag, code in (("child_safeguarding", "2.2.3.e"), ("domestic_abuse", "2.2.3.d")):
            relevant = set(
                Answer.objects.filter(question__code=code, case_review__in=reviews)
                .exclude(value="not_applicable")
                .values_list("case_review_id", flat=True)
            )
            assert relevant == set(reviews.filter(**{flag: True}).values_list("id", flat=True)), flag

    def test_every_case_answers_exactly_the_questions_that_apply_and_never_na_where_not_allowed(self):
        reviews = CaseReview.objects.filter(inspection__reference__in=REFERENCES).select_related("inspection")
        answered = {}
        for case_review_id, code in Answer.objects.filter(case_review__in=reviews).values_list(
            "case_review_id", "question__code"
        ):
            answered.setdefault(case_review_id, set()).add(code)
        for review in reviews:
            expected = {
                q.code
                for q in applicable_questions(
                    framework_id=review.inspection.framework_id,
                    case_type=review.case_type,
                    court_report=review.court_report,
                )
            }
            assert answered[review.id] == expected, review.case_reference
        assert not Answer.objects.filter(
            case_review__in=reviews, value="not_applicable", question__allows_not_applicable=False
        ).exists()
        assert set(reviews.values_list("status", flat=True)) == {"moderated"}

    def test_the_sample_is_varied_like_the_letters(self):
        reviews = CaseReview.objects.filter(inspection__reference__in=REFERENCES)
        per_inspection = dict(reviews.values_list("inspection__reference").annotate(n=Count("id")))
        assert per_inspection == {"SW-SOM-2023": 53, "SW-DOR-2023": 52, "SW-BSG-2023": 52}
        assert reviews.filter(case_type="unpaid_work").count() == 12
        assert reviews.filter(case_type="licence").count() > 40
        court = dict(reviews.exclude(court_report="none").values_list("inspection__reference").annotate(n=Count("id")))
        assert all(19 <= n <= 23 for n in court.values())
        assert len(set(reviews.values_list("case_reference", flat=True))) == 157
        assert all(len(ref) == 7 and ref[0] == "X" for ref in reviews.values_list("case_reference", flat=True))
        # "over a quarter of the practitioners whose cases we reviewed had joined ... within the last two years"
        assert reviews.filter(practitioner_months_in_service__lt=24).count() * 4 > 157
        assert 0.8 <= reviews.filter(gender="male").count() / 157 <= 0.9
        minority = reviews.filter(ethnicity_group__in=["black", "asian", "mixed"])
        assert {"black", "asian", "mixed"} <= set(minority.values_list("ethnicity_group", flat=True))
        for attribute in ("rosh_level", "tier", "age_band", "disability", "practitioner_grade", "court_report"):
            assert reviews.values(attribute).distinct().count() >= 3, attribute
        assert reviews.exclude(mappa_category="none").exists()

    def test_places_accounts_and_teams_are_the_fixed_names_scripts_rely_on(self):
        south_west = Region.objects.get(slug="south-west")
        assert south_west.pdus.count() == 9
        assert {"somerset", "dorset", "bristol-and-south-gloucestershire"} <= set(
            south_west.pdus.values_list("slug", flat=True)
        )
        london = Region.objects.get(slug="london")
        assert london.pdus.count() == 1 and not Inspection.objects.filter(pdu__region=london).exists()
        roles = dict(User.objects.filter(email__endswith="@demo.test").values_list("email", "role"))
        assert roles == {
            "inspector@demo.test": "inspector",
            "lead@demo.test": "lead_inspector",
            "director.southwest@demo.test": "regional_director",
            "director.london@demo.test": "regional_director",
            "analyst@demo.test": "analyst",
            "admin@demo.test": "administrator",
        }
        for user in User.objects.filter(email__endswith="@demo.test"):
            assert user.check_password(DEMO_PASSWORD) and user.get_full_name()
        assert User.objects.get(email="director.southwest@demo.test").region == south_west
        assert User.objects.get(email="director.london@demo.test").region == london
        admin = User.objects.get(email="admin@demo.test")
        assert admin.is_staff and admin.is_superuser
        team = set(TeamMember.objects.values_list("inspection__reference", "user__email", "role"))
        assert team == {
            (reference, email, role)
            for reference in [*REFERENCES, "SW-CIS-2026"]
            for email, role in (("inspector@demo.test", "inspector"), ("lead@demo.test", "lead_inspector"))
        }

    def test_annexe_one_and_the_regional_findings_come_from_the_letter(self):
        addressees = {
            reference: list(
                Recommendation.objects.filter(inspection__reference=reference)
                .order_by("order")
                .values_list("addressee", flat=True)
            )
            for reference in REFERENCES
        }
        assert addressees == {
            "SW-SOM-2023": ["pdu"] * 5 + ["region"] * 4 + ["hmpps"] * 2,
            "SW-DOR-2023": ["pdu"] * 8 + ["region"] * 4 + ["hmpps"],
            "SW-BSG-2023": ["pdu"] * 6 + ["region"] + ["hmpps"] * 2,
        }
        assert Recommendation.objects.get(inspection__reference="SW-DOR-2023", order=9).text == (
            "prioritise the recruitment of a permanent head of PDU"
        )
        review = RegionalReview.objects.get(slug="south-west-2023")
        assert str(review.letter_date) == "2023-08-24"
        assert review.addressee == "Angela Cossins, Regional Probation Director"
        assert set(review.inspections.values_list("reference", flat=True)) == set(REFERENCES)
        assert "tipping point" in review.summary
        kinds = set(review.findings.values_list("heading", "kind"))
        for heading in ("leadership", "staff", "services", "information", "victim_work"):
            assert {(heading, "narrative"), (heading, "strength"), (heading, "improvement")} <= kinds
        assert ("sfo_learning", "narrative") in kinds
        # A bullet split across a page break in the PDF is one finding again.
        split = review.findings.get(text__contains="in 59 out of 109 relevant cases")
        assert split.text.endswith("to inform the court before sentencing.")
        assert not [t for t in review.findings.values_list("text", flat=True) if t[0].islower() or ", ," in t]

    def test_demo_logins_prints_every_account_the_password_and_the_address(self):
        out = io.StringIO()
        call_command("demo_logins", stdout=out)
        printed = out.getvalue()
        for user in User.objects.filter(email__endswith="@demo.test"):
            assert user.email in printed
        assert DEMO_PASSWORD in printed and "http://127.0.0.1:8000" in printed
        assert "Regional director (London)" in printed


@pytest.mark.django_db
def test_the_demo_has_an_inspection_in_fieldwork_to_try_the_case_review_workflow():
    call_command("load_demo", stdout=io.StringIO())
    inspection = Inspection.objects.get(reference="SW-CIS-2026")
    assert inspection.status == "fieldwork" and not inspection.is_locked
    reviews = CaseReview.objects.filter(inspection=inspection)
    assert reviews.count() == 10 and not Answer.objects.filter(case_review__in=reviews).exists()
    assert reviews.filter(inspector__email="inspector@demo.test", status="draft").count() == 8


@pytest.mark.django_db
def test_loaded_as_the_owner_the_demos_history_is_dated_to_its_inspections_not_today():
    call_command("load_demo", stdout=io.StringIO())
    somerset = Inspection.objects.get(reference="SW-SOM-2023")
    answers = AnswerEvent.objects.filter(case_review__in=CaseReview.objects.filter(inspection=somerset).values("pk"))
    dates = set(answers.values_list("pgh_created_at__date", flat=True))
    assert dates == {somerset.fieldwork_start + datetime.timedelta(days=3)}
    published = somerset.events.filter(status="published").get()
    assert published.pgh_created_at.date() == somerset.published_on
    assert published.pgh_context.created_at.date() <= somerset.published_on


@pytest.mark.django_db
def test_loaded_as_the_application_role_the_demos_history_keeps_todays_date_and_says_so():
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{settings.DATABASE_APP_USER}"')
    try:
        out = io.StringIO()
        call_command("load_demo", stdout=out)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert "history keeps today's date" in out.getvalue()
    somerset = Inspection.objects.get(reference="SW-SOM-2023")
    assert somerset.events.filter(status="published").get().pgh_created_at.date() != somerset.published_on
