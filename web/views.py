"""Home, the inspection list and an inspection's page. Thin: scope, call selectors, render.

Every lookup goes through the role helpers (`inspections.access`, `casework.access`),
so a page never shows what its user may not see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import User
from casework.models import CaseReview, QAComment
from casework.selectors import InspectorWork, cases_assigned_to, inspection_case_list, inspector_work, sample_progress
from inspections.access import can_change_inspection, can_view_case_data, inspection_for
from inspections.models import Inspection
from inspections.selectors import inspection_list, team, team_roles
from ratings.selectors import DisplayedRatings, inspection_ratings_for_display, inspections_ratings_for_display

from .forms import CaseFilterForm


@dataclass
class InspectionRow:
    inspection: Inspection
    ratings: DisplayedRatings | None = None
    role: str | None = None  # the user's role on the team, for inspectors and leads
    work: InspectorWork | None = None
    cases: list[CaseReview] = field(default_factory=list)


def _rated_rows(inspections: list[Inspection]) -> list[InspectionRow]:
    # Published inspections show the ratings as published; the others are computed live.
    ratings = inspections_ratings_for_display(inspections)
    return [InspectionRow(inspection=i, ratings=ratings[i.id]) for i in inspections]


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    inspections = list(inspection_list(user))
    if user.is_hmi_staff:
        roles = team_roles(user, inspections)
        work = inspector_work(user=user, inspections=inspections)
        rows = {i.id: InspectionRow(inspection=i, role=roles.get(i.id), work=work[i.id]) for i in inspections}
        # The lead's open comment on the whole case shows as a line under the case (one query for all).
        case_comments = Prefetch(
            "qa_comments",
            queryset=QAComment.objects.filter(resolved_at__isnull=True, question__isnull=True).select_related("author"),
            to_attr="case_comments",
        )
        for review in cases_assigned_to(user).prefetch_related(case_comments):
            rows[review.inspection_id].cases.append(review)
        return render(
            request,
            "web/home_team.html",
            {"rows": list(rows.values()), "has_cases": any(row.cases for row in rows.values())},
        )
    # Directors read their own region's published results; analysts every region's; administrators everything.
    region = user.region if user.role == User.Role.REGIONAL_DIRECTOR else None
    return render(
        request,
        "web/home_readers.html",
        {
            "rows": _rated_rows(inspections),
            "region": region,
            "show_region": region is None,
            "show_status": user.is_administrator,
        },
    )


@require_GET
def inspection_list_page(request: HttpRequest) -> HttpResponse:
    return render(request, "web/inspection_list.html", {"rows": _rated_rows(list(inspection_list(request.user)))})


@require_GET
def inspection_detail(request: HttpRequest, reference: str) -> HttpResponse:
    user = request.user
    inspection = inspection_for(user, reference)
    context = {"inspection": inspection, "ratings": inspection_ratings_for_display(inspection)}
    # Directors and analysts read the ratings only: case-level records are for the team.
    if can_view_case_data(user, inspection):
        members = list(team(inspection))
        filter_form = CaseFilterForm(request.GET or None, inspectors=[m.user for m in members])
        cases = inspection_case_list(user=user, inspection=inspection, **filter_form.filters)
        context.update(
            show_cases=True,
            can_add_cases=can_change_inspection(user, inspection),
            filter_form=filter_form,
            cases=cases,
            progress=sample_progress(user=user, inspection=inspection),
        )
    return render(request, "web/inspection_detail.html", context)
