"""The action plan's pages: the region's tracker, a recommendation with its response and actions, the follow-up.

Thin: scope through `trackers.access` (404 for what the user may not see, 403 for what they
may only read), parse a form, call one service, redirect or show the page again with its errors.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inspections.errors import Refused
from inspections.models import Recommendation, Standard
from inspections.refusals import errors_onto_form, refusal_message
from regions.models import Region

from . import services
from .access import can_follow_up, can_maintain, recommendation_for, region_for, tracked_inspections
from .export import tracker_csv, tracker_xlsx
from .forms import ActionForm, ActionStatusForm, FollowUpForm, ProgressNoteForm, ResponseForm
from .models import RAG_DEFINITIONS, Action, RecommendationResponse
from .selectors import recommendation_row, region_tracker, tracker_recommendations

# The direct download, for a small region; the documents app's jobs produce the same files as Celery tasks.
DOWNLOADS = {
    "xlsx": (tracker_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": (tracker_csv, "text/csv; charset=utf-8"),
}


def _rag_definitions() -> list[tuple[str, str, str]]:
    return [(value, Action.Rag(value).label, RAG_DEFINITIONS[value]) for value in Action.Rag.values[::-1]]


def _lookup(request: HttpRequest, region: str, reference: str, order: int) -> tuple[Region, Recommendation]:
    found = region_for(request.user, region)
    return found, recommendation_for(request.user, region=found, reference=reference, order=order)


def _url(recommendation: Recommendation, name: str = "recommendation") -> str:
    inspection = recommendation.inspection
    return reverse(
        f"trackers:{name}",
        kwargs={"region": inspection.pdu.region.slug, "reference": inspection.reference, "order": recommendation.order},
    )


def _standards(recommendation: Recommendation):
    return Standard.objects.filter(framework_id=recommendation.inspection.framework_id).order_by("order")


def _response_initial(response: RecommendationResponse | None) -> dict:
    if response is None:
        return {}
    return {"answer": response.answer, "narrative": response.narrative, "standard": response.standard_id or ""}


def _action(recommendation: Recommendation, number: int) -> Action:
    action = (
        Action.objects.filter(response__recommendation=recommendation, number=number)
        .select_related("response__recommendation__inspection__pdu__region")
        .first()
    )
    if action is None:
        raise Http404("No action with that number")
    return action


def _page(request: HttpRequest, region: Region, recommendation: Recommendation, **bound) -> HttpResponse:
    """The recommendation's page, with any bound form that failed in place of its empty one."""
    fresh = tracker_recommendations(region=region, with_notes=True).get(pk=recommendation.pk)
    row = recommendation_row(fresh, timezone.localdate())
    maintain = can_maintain(request.user, recommendation.inspection) and not (row.response and row.response.is_closed)
    actions = [
        {
            "action": action,
            "overdue": action in row.overdue,
            "notes": list(action.notes.all()),
            "status_form": bound.get(f"status_{action.number}") or ActionStatusForm(action=action),
            "note_form": bound.get(f"note_{action.number}") or ProgressNoteForm(action=action),
        }
        for action in row.actions
    ]
    failed = [form for form in bound.values() if form is not None and form.errors]
    return render(
        request,
        "trackers/recommendation.html",
        {
            "region": region,
            "recommendation": fresh,
            "inspection": fresh.inspection,
            "row": row,
            "actions": actions,
            "can_maintain": maintain,
            "can_follow_up": can_follow_up(request.user, recommendation.inspection),
            "response_form": bound.get("response")
            or ResponseForm(initial=_response_initial(row.response), standards=_standards(recommendation)),
            "action_form": bound.get("action") or ActionForm(),
            "failed_form": failed[0] if failed else None,
            "rag_definitions": _rag_definitions(),
        },
        status=200,
    )


@require_GET
def tracker(request: HttpRequest, region: str) -> HttpResponse:
    found = region_for(request.user, region)
    return render(
        request,
        "trackers/tracker.html",
        {
            "tracker": region_tracker(region=found, inspections=tracked_inspections(request.user)),
            "region": found,
            "rag_definitions": _rag_definitions(),
        },
    )


@require_GET
def download(request: HttpRequest, region: str, fmt: str) -> HttpResponse:
    found = region_for(request.user, region)
    if fmt not in DOWNLOADS:
        raise Http404("No such format")
    render_file, content_type = DOWNLOADS[fmt]
    response = HttpResponse(render_file(region=found), content_type=content_type)
    name = f"{found.slug}-action-plan-{timezone.localdate():%Y-%m-%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
def recommendation(request: HttpRequest, region: str, reference: str, order: int) -> HttpResponse:
    found, rec = _lookup(request, region, reference, order)
    return _page(request, found, rec)


def _maintained(request: HttpRequest, region: str, reference: str, order: int) -> tuple[Region, Recommendation]:
    found, rec = _lookup(request, region, reference, order)
    if not can_maintain(request.user, rec.inspection):
        raise PermissionDenied("Only the region's director keeps its action plan")
    return found, rec


def _run(form, call) -> bool:
    """Call the service with the form's data; put what it refuses on the form. True when it succeeded."""
    if not form.is_valid():
        return False
    try:
        call(form.cleaned_data)
    except ValidationError as error:
        errors_onto_form(form, error)
    except Refused as refused:
        form.add_error(None, refusal_message(refused))
    return not form.errors


@require_POST
def response(request: HttpRequest, region: str, reference: str, order: int) -> HttpResponse:
    found, rec = _maintained(request, region, reference, order)
    form = ResponseForm(request.POST, standards=_standards(rec))
    if _run(form, lambda data: services.response_record(recommendation=rec, by=request.user, **data)):
        messages.success(request, "The region's response is saved.")
        return redirect(_url(rec) + "#response")
    return _page(request, found, rec, response=form)


@require_POST
def action_add(request: HttpRequest, region: str, reference: str, order: int) -> HttpResponse:
    found, rec = _maintained(request, region, reference, order)
    form = ActionForm(request.POST)
    if _run(form, lambda data: services.action_create(recommendation=rec, by=request.user, **data)):
        messages.success(request, "The action is added.")
        return redirect(_url(rec) + "#actions")
    return _page(request, found, rec, action=form)


@require_POST
def action_update(request: HttpRequest, region: str, reference: str, order: int, number: int) -> HttpResponse:
    found, rec = _maintained(request, region, reference, order)
    action = _action(rec, number)
    form = ActionStatusForm(request.POST, action=action)
    if _run(form, lambda data: services.action_update(action=action, by=request.user, **data)):
        messages.success(request, f"Action {number} is updated.")
        return redirect(_url(rec) + f"#action-{number}")
    return _page(request, found, rec, **{f"status_{number}": form})


@require_POST
def note_add(request: HttpRequest, region: str, reference: str, order: int, number: int) -> HttpResponse:
    found, rec = _maintained(request, region, reference, order)
    action = _action(rec, number)
    form = ProgressNoteForm(request.POST, action=action)
    if _run(form, lambda data: services.progress_note_add(action=action, by=request.user, **data)):
        messages.success(request, f"The progress note on action {number} is added.")
        return redirect(_url(rec) + f"#action-{number}")
    return _page(request, found, rec, **{f"note_{number}": form})


def _followed_up(request: HttpRequest, region: str, reference: str, order: int) -> tuple[Region, Recommendation]:
    found, rec = _lookup(request, region, reference, order)
    if not can_follow_up(request.user, rec.inspection):
        raise PermissionDenied("Only the inspection's inspectors record the follow-up")
    return found, rec


@require_http_methods(["GET", "POST"])
def follow_up(request: HttpRequest, region: str, reference: str, order: int) -> HttpResponse:
    found, rec = _followed_up(request, region, reference, order)
    row = recommendation_row(tracker_recommendations(region=found).get(pk=rec.pk), timezone.localdate())
    response_row = row.response
    if request.method == "POST":
        form = FollowUpForm(request.POST)
        if _run(form, lambda data: services.follow_up_record(recommendation=rec, by=request.user, **data)):
            messages.success(request, "The follow-up judgement is saved.")
            return redirect(_url(rec, "follow_up"))
    else:
        initial = {"judgement": response_row.follow_up, "note": response_row.follow_up_note} if response_row else {}
        form = FollowUpForm(initial=initial)
    return render(
        request,
        "trackers/follow_up.html",
        {"region": found, "recommendation": rec, "inspection": rec.inspection, "row": row, "form": form},
    )


@require_POST
def close(request: HttpRequest, region: str, reference: str, order: int) -> HttpResponse:
    _, rec = _followed_up(request, region, reference, order)
    try:
        services.recommendation_close(recommendation=rec, by=request.user)
    except Refused as refused:
        messages.error(request, refusal_message(refused))
    else:
        messages.success(request, f"Recommendation {rec.order} is closed.")
    return redirect(_url(rec, "follow_up"))
