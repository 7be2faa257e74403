"""Who may see and change case reviews. Built on the inspection rules below it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from accounts.models import User
from inspections.access import is_lead_on
from inspections.errors import Refused
from inspections.models import TeamMember

from .models import CaseReview, SecondReview
from .states import with_progress

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


def require_change_case_review(*, review: CaseReview, by: User) -> None:
    """Who may change a case review, the one rule: its lead (or an administrator) while the case is
    live, or its assigned inspector while it is a draft or returned. Refused otherwise, saying why."""
    # Checked first: an anonymous user's pk (None) would otherwise "match" an unassigned case.
    if not by.is_authenticated or not by.is_active:
        raise Refused("Sign in to change a case review.", code="not_allowed")
    if review.inspection.is_locked:
        raise Refused(f"{review.inspection.reference} is published, so its case reviews are read-only.", code="locked")
    if review.archived_at is not None:
        raise Refused("This case review has been archived.", code="archived")
    if is_lead_on(by, review.inspection):
        return
    if review.inspector_id != by.pk:
        raise Refused(
            "Only the inspector assigned to this case or the inspection's lead inspector may change it.",
            code="not_allowed",
        )
    if review.status not in EDITABLE_BY_INSPECTOR:
        raise Refused(
            f"This case review is {review.get_status_display().lower()}: only the lead inspector can change it now.",
            code="wrong_state",
        )


def can_change_case_review(user: User, review: CaseReview) -> bool:
    try:
        require_change_case_review(review=review, by=user)
    except Refused:
        return False
    return True


def _with_blind_second_marking(reviews: QuerySet[CaseReview], user: User) -> QuerySet[CaseReview]:
    """Marks (`second_marking`) a case whose second review this user has not submitted yet: double
    marking is blind, so its pages stay closed to them until then. In the same query."""
    if not user.is_authenticated:
        return reviews
    return reviews.annotate(
        second_marking=Exists(
            SecondReview.objects.filter(
                case_review=OuterRef("pk"), second_inspector=user, status=SecondReview.Status.ASSIGNED
            )
        )
    )


def case_review_for(user: User, reference: str, case_reference: str, *, change: bool = False) -> CaseReview:
    try:
        # With its state (`progress`), so every case page shows the lists' vocabulary, in the same query.
        review = (
            with_progress(_with_blind_second_marking(case_reviews_visible_to(user), user))
            .select_related("inspection__pdu__region", "inspection__framework", "inspector", "updated_by")
            .get(inspection__reference=reference, case_reference=case_reference)
        )
    except CaseReview.DoesNotExist:
        raise Http404("No case review with that reference") from None
    if getattr(review, "second_marking", False):
        raise PermissionDenied(
            "You are this case's second inspector: its answers are hidden from you until you submit your second review."
        )
    if change and not can_change_case_review(user, review):
        raise PermissionDenied("You may view this case review but not change it")
    return review
