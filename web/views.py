"""Home, the inspection list and an inspection's page. Thin: scope, call selectors, render.

Every lookup goes through the role helpers (`inspections.access`, `casework.access`),
so a page never shows what its user may not see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts.models import User
from casework.models import CaseReview, QAComment
from casework.selectors import InspectorWork, cases_assigned_to, inspection_case_list, inspector_work, sample_progress
from inspections.access import can_change_inspection, can_view_case_data, inspection_for
from inspections.models import Inspection
from inspections.selectors import inspection_list, inspection_list_options, team, team_roles
from ratings.selectors import DisplayedRatings, inspection_ratings_for_display, inspections_ratings_for_display

from .forms import CaseFilterForm, InspectionFilterForm
from .paging import paginate


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


def _inspection_listing(request: HttpRequest, *, filters: bool = True) -> dict:
    """One page of the inspections the user may see, filtered as the address asks, rated.

    Its cost does not grow with the number of inspections: the filters' choices in one
    GROUP BY, a COUNT, the page's 25 rows, and ratings for those rows only. An invalid
    filter lists nothing: the form says what is wrong.
    """
    user = request.user
    if filters:
        options = inspection_list_options(user)
        form = InspectionFilterForm(request.GET, options=options)
        chosen, query = form.filters, form.query
    else:
        options, form, chosen, query = None, None, {}, ""
    inspections = inspection_list(user, **chosen) if chosen is not None else Inspection.objects.none()
    paging = paginate(inspections, page=request.GET.get("page"), query=query)
    return {
        "rows": _rated_rows(list(paging.page.object_list)),
        "paging": paging,
        "filter_form": form,
        # All the user may see, filtered or not: none at all is said differently from none matching.
        "total": options.total if options is not None else paging.page.paginator.count,
        "action": request.path,
    }


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_hmi_staff:
        inspections = list(inspection_list(user))
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
    # A director's home is their region's dashboard (which links to the list of its inspections).
    if user.role == User.Role.REGIONAL_DIRECTOR and user.region_id:
        return redirect("dashboards:region", slug=user.region.slug)
    # Directors read their own region's published results; analysts every region's; administrators everything.
    # A director's list is one region's few published inspections: paginated, not filtered.
    region = user.region if user.role == User.Role.REGIONAL_DIRECTOR else None
    return render(
        request,
        "web/home_readers.html",
        {
            **_inspection_listing(request, filters=region is None),
            "region": region,
            "show_region": region is None,
            "show_status": user.is_administrator,
        },
    )


@require_GET
def inspection_list_page(request: HttpRequest) -> HttpResponse:
    return render(request, "web/inspection_list.html", _inspection_listing(request))


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
