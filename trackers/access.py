"""Who may read and keep a region's action plan.

The region's director keeps it; inspectors and leads on an inspection's team, and
administrators, read it; inspectors (and administrators) record the follow-up. Analysts
and other regions' directors get 404, as for anything they may not see.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from inspections.access import can_view_case_data, directs_region_of, inspections_visible_to
from inspections.models import Inspection, Recommendation
from regions.models import Region


def tracked_inspections(user: User) -> QuerySet[Inspection]:
    """Published inspections whose recommendations the user may read in a tracker."""
    if not user.is_authenticated or user.role == User.Role.ANALYST:
        return Inspection.objects.none()
    return inspections_visible_to(user).filter(status=Inspection.Status.PUBLISHED)


def can_maintain(user: User, inspection: Inspection) -> bool:
    return directs_region_of(user, inspection)


def can_follow_up(user: User, inspection: Inspection) -> bool:
    """The inspectorate's side: inspectors and leads on the team, and administrators."""
    return user.is_authenticated and user.is_active and can_view_case_data(user, inspection)


def region_for(user: User, slug: str) -> Region:
    """The region whose tracker the user may read: their own as director, else one they inspected; 404 otherwise."""
    region = Region.objects.filter(slug=slug).first()
    if region is None:
        raise Http404("No region with that name")
    if user.is_authenticated and (
        user.is_administrator
        or (user.role == User.Role.REGIONAL_DIRECTOR and user.region_id == region.id)
        or tracked_inspections(user).filter(pdu__region=region).exists()
    ):
        return region
    raise Http404("No tracker for that region")


def recommendation_for(user: User, *, region: Region, reference: str, order: int) -> Recommendation:
    recommendation = (
        Recommendation.objects.filter(
            inspection__in=tracked_inspections(user),
            inspection__pdu__region=region,
            inspection__reference=reference,
            order=order,
        )
        .select_related("inspection__pdu__region", "inspection__framework")
        .first()
    )
    if recommendation is None:
        raise Http404("No recommendation there")
    return recommendation
