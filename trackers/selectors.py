"""Reading a region's action plan: one canonical query for the pages, the exports and the reminders."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from inspections.models import Addressee, Inspection, Recommendation
from regions.models import Region

from .models import Action, ProgressNote, RecommendationResponse

ADDRESSEE_ORDER = {value: position for position, value in enumerate(Addressee.values)}


def tracker_recommendations(
    *, region: Region, inspections: QuerySet[Inspection] | None = None, with_notes: bool = False
) -> QuerySet[Recommendation]:
    """Every published inspection's recommendations in the region, with responses and actions: three queries at most.

    `inspections` narrows it to those a user may read; `with_notes` fetches the progress notes too.
    """
    actions = Action.objects.order_by("number")
    if with_notes:
        actions = actions.prefetch_related(Prefetch("notes", queryset=ProgressNote.objects.order_by("date", "id")))
    recommendations = Recommendation.objects.filter(
        inspection__pdu__region=region, inspection__status=Inspection.Status.PUBLISHED
    )
    if inspections is not None:
        recommendations = recommendations.filter(inspection__in=inspections)
    return (
        recommendations.select_related("inspection__pdu", "response__standard")
        .prefetch_related(Prefetch("response__actions", queryset=actions))
        .order_by("inspection__pdu__name", "inspection__reference", "order")
    )


def response_of(recommendation: Recommendation) -> RecommendationResponse | None:
    try:
        return recommendation.response
    except RecommendationResponse.DoesNotExist:
        return None


@dataclass
class RecommendationRow:
    recommendation: Recommendation
    response: RecommendationResponse | None
    actions: list[Action]  # overdue first, then by number
    overdue: list[Action]


@dataclass
class AddresseeGroup:
    addressee: str
    label: str
    rows: list[RecommendationRow] = field(default_factory=list)


@dataclass
class InspectionGroup:
    inspection: Inspection
    addressees: list[AddresseeGroup] = field(default_factory=list)


@dataclass
class Tracker:
    region: Region
    today: datetime.date
    inspections: list[InspectionGroup]
    overdue: list[tuple[RecommendationRow, Action]]

    @property
    def recommendation_count(self) -> int:
        return sum(len(a.rows) for group in self.inspections for a in group.addressees)


def recommendation_row(recommendation: Recommendation, today: datetime.date) -> RecommendationRow:
    response = response_of(recommendation)
    actions = list(response.actions.all()) if response else []
    for action in actions:
        action.overdue = action.is_overdue(today)  # for the templates, which cannot pass today
    overdue = [a for a in actions if a.overdue]
    ordered = overdue + [a for a in actions if not a.overdue]
    return RecommendationRow(recommendation=recommendation, response=response, actions=ordered, overdue=overdue)


def region_tracker(
    *, region: Region, inspections: QuerySet[Inspection] | None = None, today: datetime.date | None = None
) -> Tracker:
    """The region's tracker grouped by inspection, then addressee (the PDU, the region, HMPPS)."""
    today = today or timezone.localdate()
    groups: dict[int, InspectionGroup] = {}
    overdue: list[tuple[RecommendationRow, Action]] = []
    for recommendation in tracker_recommendations(region=region, inspections=inspections):
        group = groups.setdefault(recommendation.inspection_id, InspectionGroup(inspection=recommendation.inspection))
        addressee = next((a for a in group.addressees if a.addressee == recommendation.addressee), None)
        if addressee is None:
            addressee = AddresseeGroup(recommendation.addressee, recommendation.get_addressee_display())
            group.addressees.append(addressee)
        row = recommendation_row(recommendation, today)
        addressee.rows.append(row)
        overdue.extend((row, action) for action in row.overdue)
    for group in groups.values():
        group.addressees.sort(key=lambda a: ADDRESSEE_ORDER[a.addressee])
    overdue.sort(key=lambda item: (item[1].due_date, item[0].recommendation.inspection.reference))
    return Tracker(region=region, today=today, inspections=list(groups.values()), overdue=overdue)


def actions_to_remind(today: datetime.date) -> QuerySet[Action]:
    """Actions not complete, due within 7 days or overdue, of recommendations still open."""
    return (
        Action.objects.exclude(status=Action.Status.COMPLETE)
        .filter(due_date__lte=today + datetime.timedelta(days=7), response__closed_at__isnull=True)
        .select_related("response__recommendation__inspection__pdu__region")
        .order_by("due_date", "id")
    )
