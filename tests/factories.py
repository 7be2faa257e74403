"""factory_boy factories for every app, in dependency order."""

import datetime

import factory

from accounts.models import User
from casework.models import Answer, CaseReview
from inspections.models import Framework, Inspection, OrganisationalJudgement, Question, Standard, TeamMember
from regions.models import PDU, Region


def pdu_2021() -> Framework:
    """The 2021 framework, loaded by the data migration."""
    return Framework.objects.get(code="pdu-2021")


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"region-{n}")
    name = factory.Sequence(lambda n: f"Region {n}")


class PDUFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PDU
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"pdu-{n}")
    name = factory.Sequence(lambda n: f"PDU {n}")
    region = factory.SubFactory(RegionFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User {n}")
    role = User.Role.INSPECTOR
    password = factory.django.Password("Correct-Horse-42")


class InspectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inspection

    reference = factory.Sequence(lambda n: f"TS-P{n:03d}-2024"[:14])
    pdu = factory.SubFactory(PDUFactory)
    framework = factory.LazyFunction(pdu_2021)
    fieldwork_start = datetime.date(2024, 6, 3)
    status = Inspection.Status.FIELDWORK


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMember

    inspection = factory.SubFactory(InspectionFactory)
    user = factory.SubFactory(UserFactory)
    role = TeamMember.Role.INSPECTOR


class CaseReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseReview

    inspection = factory.SubFactory(InspectionFactory)
    case_reference = factory.Sequence(lambda n: f"X{n:06d}")
    case_type = "community"
    court_report = "none"
    tier = "B"
    rosh_level = "medium"
    gender = "male"
    ethnicity_group = "white"
    age_band = "25-34"
    disability = "no"


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer

    case_review = factory.SubFactory(CaseReviewFactory)
    question = factory.LazyFunction(lambda: Question.objects.get(framework__code="pdu-2021", code="2.2.1"))
    value = "yes"


class JudgementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganisationalJudgement

    inspection = factory.SubFactory(InspectionFactory)
    standard = factory.LazyAttribute(lambda o: Standard.objects.get(framework=o.inspection.framework, code="1.1"))
    rating = "good"
    rationale = "Evidence from interviews and documents."


def set_publication(*inspections: Inspection, **columns) -> None:
    """Tests' shortcut past the publication workflow: moves status, published_on or unlocked_at
    directly, with the lock event the database requires in the same transaction."""
    from django.db import transaction

    from inspections.models import LockEvent

    by = UserFactory(email="publication-shortcut@test.example")
    published = Inspection.Status.PUBLISHED
    with transaction.atomic():
        for inspection in inspections:
            inspection.refresh_from_db(fields=["status"])
            if published in (inspection.status, columns.get("status")):
                LockEvent.objects.create(
                    inspection=inspection, action=LockEvent.Action.PUBLISHED, reason="test set-up", by=by
                )
        Inspection.objects.filter(pk__in=[i.pk for i in inspections]).update(**columns)


def published_action(inspection: Inspection):
    """Publish `inspection` with one recommendation, its response and one action; the action."""
    from inspections.models import Recommendation
    from trackers.models import Action, RecommendationResponse

    recommendation = Recommendation.objects.create(inspection=inspection, addressee="pdu", text="Improve", order=1)
    set_publication(inspection, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 1))
    response = RecommendationResponse.objects.create(recommendation=recommendation)
    return Action.objects.create(
        response=response,
        number=1,
        description="Audit",
        owner_name="Owner",
        owner_email="owner@example.test",
        due_date=datetime.date(2025, 1, 1),
    )
