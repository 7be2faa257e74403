"""Reads of inspections shared by the pages, the API and exports: one canonical queryset each."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from accounts.models import User

from .access import inspections_visible_to
from .models import Inspection, LockEvent, TeamMember


def inspection_list(
    user: User,
    *,
    region: str = "",
    status: str = "",
    year: int | None = None,
    framework: str = "",
    search: str = "",
) -> QuerySet[Inspection]:
    """The inspections `user` may see, newest fieldwork first, with what a list shows of each.

    Filters narrow that scope, never widen it: `region` is a region's slug, `framework` a
    framework's code, `year` the year fieldwork started, `search` part of the reference or
    of the PDU's name. Empty filters are ignored.
    """
    inspections = inspections_visible_to(user)
    if region:
        inspections = inspections.filter(pdu__region__slug=region)
    if status:
        inspections = inspections.filter(status=status)
    if year is not None:
        inspections = inspections.filter(fieldwork_start__year=year)
    if framework:
        inspections = inspections.filter(framework__code=framework)
    if search:
        inspections = inspections.filter(Q(reference__icontains=search) | Q(pdu__name__icontains=search))
    return inspections.select_related("pdu__region", "framework").order_by("-fieldwork_start", "reference")


@dataclass(frozen=True)
class InspectionListOptions:
    """The values the list's filters can offer `user`: those found among the inspections they may see."""

    total: int
    regions: list[tuple[str, str]]  # (slug, name), by name
    statuses: list[tuple[str, str]]  # (value, label), in workflow order
    years: list[int]  # newest first
    frameworks: list[tuple[str, str]]  # (code, title), by code


def inspection_list_options(user: User) -> InspectionListOptions:
    """What the filters offer, and how many inspections `user` may see: one GROUP BY, whatever their number."""
    rows = (
        inspections_visible_to(user)
        .order_by()
        .values_list(
            "pdu__region__slug",
            "pdu__region__name",
            "status",
            "fieldwork_start__year",
            "framework__code",
            "framework__title",
        )
        .annotate(n=Count("id"))
    )
    regions, statuses, years, frameworks, total = {}, set(), set(), {}, 0
    for region_slug, region_name, status, year, framework_code, framework_title, n in rows:
        regions[region_slug] = region_name
        statuses.add(status)
        years.add(year)
        frameworks[framework_code] = framework_title
        total += n
    return InspectionListOptions(
        total=total,
        regions=sorted(regions.items(), key=lambda item: item[1]),
        statuses=[(s.value, s.label) for s in Inspection.STATUS_ORDER if s in statuses],
        years=sorted(years, reverse=True),
        frameworks=sorted(frameworks.items()),
    )


def team(inspection: Inspection) -> QuerySet[TeamMember]:
    """The inspection's team, lead inspectors first: the people cases can be assigned to."""
    return (
        TeamMember.objects.filter(inspection=inspection)
        .select_related("user")
        # "lead_inspector" sorts after "inspector", so descending puts leads first.
        .order_by("-role", "user__first_name", "user__last_name", "user__email")
    )


def team_roles(user: User, inspections: list[Inspection]) -> dict[int, str]:
    """Per inspection id, the role `user` has on its team (absent when not on it)."""
    return dict(TeamMember.objects.filter(user=user, inspection__in=inspections).values_list("inspection_id", "role"))


def lock_events(inspection: Inspection) -> list[LockEvent]:
    """The unlock and relock log of an inspection, newest first."""
    return list(LockEvent.objects.filter(inspection=inspection).select_related("by").order_by("-at", "-id"))
