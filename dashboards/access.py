"""Who may open which dashboard, and who may follow a count down to its cases.

A regional director sees their own region only (another region is a 404, as for
any record they may not see); inspectors, leads, analysts and administrators see
every region and the national view. Counts lead to case references only for the
inspectorate's own staff, and then only to the cases they may already open.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import User
from regions.models import Region

READERS_OF_EVERY_REGION = {User.Role.INSPECTOR, User.Role.LEAD_INSPECTOR, User.Role.ANALYST, User.Role.ADMINISTRATOR}


def regions_visible_to(user: User):
    regions = Region.objects.order_by("name")
    if not user.is_authenticated or not user.is_active:
        return regions.none()
    if user.role in READERS_OF_EVERY_REGION or user.is_administrator:
        return regions
    if user.role == User.Role.REGIONAL_DIRECTOR and user.region_id:
        return regions.filter(pk=user.region_id)
    return regions.none()


def region_for(user: User, slug: str) -> Region:
    return get_object_or_404(regions_visible_to(user), slug=slug)


def can_open_national(user: User) -> bool:
    return user.is_authenticated and user.is_active and (user.role in READERS_OF_EVERY_REGION or user.is_administrator)


def require_national(user: User) -> None:
    if not can_open_national(user):
        raise Http404("The national view is for the inspectorate's staff and analysts")


def can_drill_down(user: User) -> bool:
    """Inspectors, leads and administrators follow counts to case references; directors and analysts see counts."""
    return user.is_authenticated and user.is_active and (user.is_hmi_staff or user.is_administrator)
