"""The region dashboard, the national view, their CSVs and the cases behind their counts. Thin views.

Addresses: `/regions/<slug>/` and `/national/`; each table's CSV is the same address
with `?format=csv&table=<name>` (and the filters); `…/cases/` lists the cases behind a
count, for the inspectorate's staff only.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from casework.access import case_reviews_visible_to

from . import selectors
from .access import can_drill_down, region_for, require_national
from .filters import DashboardFilterForm, Filters
from .national import NationalDashboard
from .region import RegionDashboard
from .tables import csv_lines

# The most case references one drill-down page lists; the count above it is always complete.
CASES_SHOWN = 500


def _threshold() -> int:
    return settings.DASHBOARD_SMALL_NUMBER_THRESHOLD


def _drill_maker(user, base: str, filters: Filters):
    if not can_drill_down(user):
        return None

    def drill(params: dict[str, str]) -> str:
        query = "&".join(part for part in (filters.query, urlencode(params)) if part)
        return f"{base}?{query}"

    return drill


def _csv(request: HttpRequest, dashboard, filename: str, form: DashboardFilterForm) -> HttpResponse:
    if form.errors:
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        return HttpResponseBadRequest(f"The filters are not valid: {problems}\n", content_type="text/plain")
    name = request.GET.get("table", "")
    table = dashboard.table(name)
    if table is None:
        return HttpResponseBadRequest(
            f"There is no table called {name!r} here. Use one of: {', '.join(dashboard.table_names())}\n",
            content_type="text/plain",
        )
    response = StreamingHttpResponse(csv_lines(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{table.name}.csv"'
    return response


@require_GET
def region_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    region = region_for(request.user, slug)
    form = DashboardFilterForm(request.GET or None)
    filters = form.filters
    dashboard = RegionDashboard(
        region=region,
        filters=filters,
        threshold=_threshold(),
        drill=_drill_maker(request.user, reverse("dashboards:region_cases", args=[region.slug]), filters),
        today=timezone.localdate(),
    )
    if request.GET.get("format") == "csv":
        return _csv(request, dashboard, region.slug, form)
    context = {"region": region, "form": form, "filters": filters, "dashboard": dashboard}
    return render(request, "dashboards/region.html", context, status=400 if form.errors else 200)


@require_GET
def national(request: HttpRequest) -> HttpResponse:
    require_national(request.user)
    form = DashboardFilterForm(request.GET or None)
    filters = form.filters
    dashboard = NationalDashboard(
        filters=filters,
        threshold=_threshold(),
        drill=_drill_maker(request.user, reverse("dashboards:national_cases"), filters),
        today=timezone.localdate(),
    )
    if request.GET.get("format") == "csv":
        return _csv(request, dashboard, "national", form)
    context = {"form": form, "filters": filters, "dashboard": dashboard}
    return render(request, "dashboards/national.html", context, status=400 if form.errors else 200)


def _cases_page(request: HttpRequest, *, region, back: str) -> HttpResponse:
    if not can_drill_down(request.user):
        raise Http404("Case references are for the inspectorate's staff")
    form = DashboardFilterForm(request.GET)
    query = selectors.DrillDownQuery.from_params(request.GET)
    errors = [*query.errors]
    if form.errors or errors:
        return render(
            request,
            "dashboards/cases.html",
            {"form": form, "errors": errors, "region": region, "back": back},
            status=400,
        )
    filters = form.filters
    scope = selectors.published(filters, region=region)
    if query.region:
        scope = scope.filter(pdu__region__slug=query.region)
    cases = selectors.cases_behind(selectors.latest_ids(scope), filters, query=query)
    visible = list(
        case_reviews_visible_to(request.user)
        .filter(id__in=cases.values("id"))
        .select_related("inspection")
        .order_by("inspection__reference", "case_reference")[:CASES_SHOWN]
    )
    total = cases.count()
    context = {
        "region": region,
        "back": f"{back}?{filters.query}" if filters.query else back,
        "filters": filters,
        "query": query,
        "cases": visible,
        "total": total,
        "not_shown": total - len(visible),
    }
    return render(request, "dashboards/cases.html", context)


@require_GET
def region_cases(request: HttpRequest, slug: str) -> HttpResponse:
    region = region_for(request.user, slug)
    return _cases_page(request, region=region, back=reverse("dashboards:region", args=[region.slug]))


@require_GET
def national_cases(request: HttpRequest) -> HttpResponse:
    require_national(request.user)
    return _cases_page(request, region=None, back=reverse("dashboards:national"))
