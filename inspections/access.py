"""Who may see and change inspections: the one place every view, API and export asks.

Lookups return 404 for what the user may not see (so its existence is not
revealed) and 403 when the user may see it but not change it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from accounts.models import User

from .errors import Refused
from .models import Inspection, TeamMember


def inspections_visible_to(user: User) -> QuerySet[Inspection]:
    inspections = Inspection.objects.all()
    if not user.is_authenticated or not user.is_active:
        return inspections.none()
    if user.is_administrator:
        return inspections
    if user.role in (User.Role.INSPECTOR, User.Role.LEAD_INSPECTOR):
        # Inspectors work on the inspections whose team they are on.
        return inspections.filter(Exists(TeamMember.objects.filter(inspection=OuterRef("pk"), user=user)))
    if user.role == User.Role.REGIONAL_DIRECTOR:
        # Directors see their own region's results once they are published, never work in progress.
        return inspections.filter(pdu__region_id=user.region_id, status=Inspection.Status.PUBLISHED)
    if user.role == User.Role.ANALYST:
        return inspections.filter(status=Inspection.Status.PUBLISHED)
    return inspections.none()


def team_role(user: User, inspection: Inspection) -> str | None:
    return (
        TeamMember.objects.filter(inspection=inspection, user=user).values_list("role", flat=True).first()
        if user.is_authenticated
        else None
    )


def is_lead_on(user: User, inspection: Inspection) -> bool:
    return (
        user.is_authenticated
        and user.is_active
        and (user.is_administrator or team_role(user, inspection) == TeamMember.Role.LEAD_INSPECTOR)
    )


def require_lead(*, inspection: Inspection, by: User, action: str = "do this") -> None:
    """The one lead check of every writing service: refused (code "not_lead") unless `by` leads the inspection.

    Administrators pass too, as `is_lead_on` allows.
    """
    if not is_lead_on(by, inspection):
        raise Refused(
            f"Only the lead inspector of {inspection.reference} or an administrator may {action}.", code="not_lead"
        )


def can_view_inspection(user: User, inspection: Inspection) -> bool:
    return inspections_visible_to(user).filter(pk=inspection.pk).exists()


def can_change_inspection(user: User, inspection: Inspection) -> bool:
    """Leads manage their inspection (team, judgements, panel) until it is published."""
    return not inspection.is_locked and is_lead_on(user, inspection)


def directs_region_of(user: User, inspection: Inspection) -> bool:
    """The inspected PDU's regional director: who answers its recommendations and keeps the action plan."""
    return (
        user.is_authenticated
        and user.is_active
        and user.role == User.Role.REGIONAL_DIRECTOR
        and user.region_id is not None
        and user.region_id == inspection.pdu.region_id
    )


def can_view_case_data(user: User, inspection: Inspection) -> bool:
    """Case-level records are for the inspection team only; others see aggregates."""
    if not user.is_authenticated:
        return False
    return user.is_administrator or team_role(user, inspection) is not None


def inspection_for(user: User, reference: str, *, change: bool = False) -> Inspection:
    try:
        inspection = inspections_visible_to(user).select_related("pdu__region", "framework").get(reference=reference)
    except Inspection.DoesNotExist:
        raise Http404("No inspection with that reference") from None
    if change and not can_change_inspection(user, inspection):
        raise PermissionDenied("You may view this inspection but not change it")
    return inspection
