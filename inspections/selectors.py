"""Reads of inspections shared by the pages, the API and exports: one canonical queryset each."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User

from .access import inspections_visible_to
from .models import Inspection, LockEvent, TeamMember


def inspection_list(user: User) -> QuerySet[Inspection]:
    """The inspections `user` may see, newest fieldwork first, with what a list shows of each."""
    return (
        inspections_visible_to(user)
        .select_related("pdu__region", "framework")
        .order_by("-fieldwork_start", "reference")
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
