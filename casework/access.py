"""Who may see and change case reviews. Built on the inspection rules below it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from accounts.models import User
from inspections.access import is_lead_on
from inspections.models import TeamMember

from .models import CaseReview

EDITABLE_BY_INSPECTOR = {CaseReview.Status.DRAFT, CaseReview.Status.RETURNED}


def case_reviews_visible_to(user: User) -> QuerySet[CaseReview]:
    """Case-level records go to the inspection team and administrators only.

    Directors and analysts read aggregates (and analysts a pseudonymised API), so
    they get no case reviews here.
    """
    reviews = CaseReview.objects.filter(archived_at__isnull=True)
    if not user.is_authenticated or not user.is_active:
        return reviews.none()
    if user.is_administrator:
        return reviews
    if user.role in (User.Role.INSPECTOR, User.Role.LEAD_INSPECTOR):
        return reviews.filter(Exists(TeamMember.objects.filter(inspection=OuterRef("inspection_id"), user=user)))
    return reviews.none()


def can_change_case_review(user: User, review: CaseReview) -> bool:
    # Checked first: an anonymous user's pk (None) would otherwise "match" an unassigned case.
    if not user.is_authenticated or not user.is_active:
        return False
    if review.inspection.is_locked or review.archived_at is not None:
        return False
    if is_lead_on(user, review.inspection):
        return True
    return review.inspector_id == user.pk and review.status in EDITABLE_BY_INSPECTOR


def case_review_for(user: User, reference: str, case_reference: str, *, change: bool = False) -> CaseReview:
    try:
        review = (
            case_reviews_visible_to(user)
            .select_related("inspection__pdu__region", "inspection__framework", "inspector", "updated_by")
            .get(inspection__reference=reference, case_reference=case_reference)
        )
    except CaseReview.DoesNotExist:
        raise Http404("No case review with that reference") from None
    if change and not can_change_case_review(user, review):
        raise PermissionDenied("You may view this case review but not change it")
    return review
