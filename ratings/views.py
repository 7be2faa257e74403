"""The ratings pages: the ratings with their explanation, and the lead's panel work.

Everyone who can see an inspection reads its ratings page. Only its lead
inspector (or an administrator) records judgements and panel decisions, moves
the inspection on, publishes it, and unlocks it: the other pages answer 404
to whoever may not see the inspection and 403 to whoever may only read it.
Views stay thin: parse the form, call one service, render or redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inspections.access import inspection_for, is_lead_on
from inspections.errors import Refused
from inspections.locking import inspection_relock, inspection_unlock
from inspections.models import Inspection, OrganisationalJudgement, Standard
from inspections.refusals import errors_onto_form, refusal_message
from inspections.selectors import lock_events
from inspections.services import ADVANCE_TO, organisational_judgement_record

from .explain import InspectionExplanation, explain_inspection
from .forms import JudgementForm, OverrideForm, RelockForm, UnlockForm
from .models import RatingOverride, RatingsSnapshot
from .selectors import DisplayedRatings, inspection_ratings_for_display, latest_snapshots, standard_rows
from .services import inspection_move_on, inspection_publish, rating_override_record, rating_override_remove

# Where a ratings service's refusal belongs on the override form, by its error code.
OVERRIDE_ERROR_FIELDS = {"no_reason": "reason", "bad_rating": "to_rating", "no_change": "to_rating"}


def _ratings_url(inspection: Inspection, name: str = "ratings", **kwargs) -> str:
    return reverse(f"ratings:{name}", kwargs={"reference": inspection.reference, **kwargs})


def _lead_inspection(request: HttpRequest, reference: str) -> Inspection:
    """The inspection, for its lead: 404 when the user may not see it, 403 when they may only read it."""
    inspection = inspection_for(request.user, reference)
    if not is_lead_on(request.user, inspection):
        raise PermissionDenied("Only the inspection's lead inspector or an administrator can do this")
    return inspection


def _standard(inspection: Inspection, code: str) -> Standard:
    standard = Standard.objects.filter(framework_id=inspection.framework_id, code=code).first()
    if standard is None:
        raise Http404("The inspection's framework has no standard with that code")
    return standard


def _displayed(inspection: Inspection, *, can_change: bool) -> DisplayedRatings:
    # A lead correcting an unlocked, published inspection works on the live ratings;
    # everyone else reads what was published until it is republished.
    return inspection_ratings_for_display(inspection, live=can_change and inspection.is_published)


def _explanation(displayed: DisplayedRatings) -> InspectionExplanation | None:
    if displayed.result.rules is None:
        return None
    return explain_inspection(displayed.result, draft_cases=displayed.draft_cases)


def _standard_page(inspection: Inspection, standard: Standard) -> dict:
    """What a lead's page about one standard shows: its ratings and the engine's explanation."""
    can_change = not inspection.is_locked
    displayed = _displayed(inspection, can_change=can_change)
    row = next(r for r in standard_rows(inspection, displayed) if r.code == standard.code)
    return {
        "inspection": inspection,
        "standard": standard,
        "row": row,
        "ratings": displayed,
        "can_change": can_change,
        # Where an error about the whole form points: what to do instead of filling it in.
        "anchor": "" if can_change else "unlock-link",
    }


@require_GET
def ratings(request: HttpRequest, reference: str) -> HttpResponse:
    inspection = inspection_for(request.user, reference)
    is_lead = is_lead_on(request.user, inspection)
    can_change = is_lead and not inspection.is_locked
    displayed = _displayed(inspection, can_change=can_change)
    published = None
    if displayed.is_live and inspection.is_published:
        published = latest_snapshots([inspection.id], kind=RatingsSnapshot.Kind.PUBLISHED).get(inspection.id)
    next_status = ADVANCE_TO.get(inspection.status)
    return render(
        request,
        "ratings/ratings.html",
        {
            "inspection": inspection,
            "ratings": displayed,
            "published": published,
            "explanation": _explanation(displayed),
            "rows": standard_rows(inspection, displayed),
            "is_lead": is_lead,
            "can_change": can_change,
            "next_status": Inspection.Status(next_status) if next_status else None,
            "can_publish": is_lead
            and (inspection.status == Inspection.Status.RATINGS_PANEL or inspection.is_open_for_correction),
            "lock_events": lock_events(inspection),
        },
    )


@require_http_methods(["GET", "POST"])
def judgement(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    inspection = _lead_inspection(request, reference)
    standard = _standard(inspection, code)
    if request.method == "POST":
        form = JudgementForm(request.POST)
        if form.is_valid():
            try:
                organisational_judgement_record(
                    inspection=inspection,
                    standard=standard,
                    rating=form.cleaned_data["rating"],
                    rationale=form.cleaned_data["rationale"],
                    by=request.user,
                )
            except Refused as refused:
                form.add_error(None, refusal_message(refused))
            except ValidationError as error:
                errors_onto_form(form, error)
            else:
                messages.success(request, f"Judgement on {standard.code} {standard.title} saved")
                return redirect(_ratings_url(inspection) + f"#standard-{standard.code}")
    else:
        current = OrganisationalJudgement.objects.filter(inspection=inspection, standard=standard).first()
        form = JudgementForm(initial={"rating": current.rating, "rationale": current.rationale} if current else None)
    context = _standard_page(inspection, standard)
    if standard.rated_by != Standard.RatedBy.JUDGEMENT:
        context["anchor"] = "panel-link"
    context["form"] = form
    return render(request, "ratings/judgement.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def override(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    inspection = _lead_inspection(request, reference)
    standard = _standard(inspection, code)
    # The judgement page is where a judgement-rated standard changes (the service refuses an override);
    # an override recorded before this rule still shows, so that it can be removed.
    if (
        standard.rated_by == Standard.RatedBy.JUDGEMENT
        and request.method == "GET"
        and not RatingOverride.objects.filter(inspection=inspection, standard=standard).exists()
    ):
        return redirect(_ratings_url(inspection, "judgement", code=standard.code))
    if request.method == "POST":
        form = OverrideForm(request.POST)
        if form.is_valid():
            try:
                rating_override_record(
                    inspection=inspection,
                    standard=standard,
                    to_rating=form.cleaned_data["to_rating"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except Refused as refused:
                form.add_error(None, refusal_message(refused))
            except ValidationError as error:
                errors_onto_form(form, error, fields=OVERRIDE_ERROR_FIELDS)
            else:
                messages.success(request, f"The ratings panel's decision on {standard.code} {standard.title} saved")
                return redirect(_ratings_url(inspection) + f"#standard-{standard.code}")
    context = _standard_page(inspection, standard)
    if request.method == "GET":
        current = context["row"].standard.override
        form = OverrideForm(initial={"to_rating": current.to_rating, "reason": current.reason} if current else None)
    context["form"] = form
    return render(request, "ratings/override.html", context, status=400 if form.errors else 200)


@require_POST
def override_remove(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    inspection = _lead_inspection(request, reference)
    standard = _standard(inspection, code)
    try:
        rating_override_remove(inspection=inspection, standard=standard, by=request.user)
    except Refused as refused:
        messages.error(request, refusal_message(refused))
        return redirect(_ratings_url(inspection, "override", code=standard.code))
    messages.success(request, f"The ratings panel's decision on {standard.code} removed: it takes its own rating again")
    return redirect(_ratings_url(inspection) + f"#standard-{standard.code}")


@require_POST
def advance(request: HttpRequest, reference: str) -> HttpResponse:
    inspection = _lead_inspection(request, reference)
    confirming = "confirming" in request.POST  # posted from the confirmation page, ticked or not
    try:
        inspection_move_on(
            inspection=inspection,
            by=request.user,
            expected_status=request.POST.get("from_status"),
            unfinished_confirmed=request.POST.get("confirm_unfinished") == "yes",
        )
    except Refused as refused:
        if refused.code == "unfinished_cases":
            # Nothing moved: a GOV.UK confirmation page, with an error if it was posted unticked.
            next_status = ADVANCE_TO.get(inspection.status)
            return render(
                request,
                "ratings/advance_confirm.html",
                {
                    "inspection": inspection,
                    "message": refusal_message(refused),
                    "next_status": Inspection.Status(next_status) if next_status else None,
                    "error": "Confirm that the inspection moves to moderation with cases not yet submitted"
                    if confirming
                    else "",
                },
                status=400 if confirming else 200,
            )
        messages.error(request, refusal_message(refused))
    else:
        messages.success(request, f"{inspection.reference} moved to {inspection.get_status_display().lower()}")
    return redirect(_ratings_url(inspection))


@require_http_methods(["GET", "POST"])
def publish(request: HttpRequest, reference: str) -> HttpResponse:
    inspection = _lead_inspection(request, reference)
    errors = []
    if request.method == "POST":
        try:
            inspection_publish(inspection=inspection, by=request.user)
        except Refused as refused:
            errors = [{"href": "#publish", "text": refusal_message(refused)}]
        else:
            messages.success(request, f"{inspection.reference} published: its case reviews and ratings are locked")
            return redirect(_ratings_url(inspection))
    displayed = _displayed(inspection, can_change=not inspection.is_locked)
    return render(
        request,
        "ratings/publish.html",
        {
            "inspection": inspection,
            "ratings": displayed,
            "explanation": _explanation(displayed),
            "republishing": inspection.is_open_for_correction,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


def _locking_page(request, inspection: Inspection, *, unlock_form=None, relock_form=None, status: int = 200):
    return render(
        request,
        "ratings/locking.html",
        {
            "inspection": inspection,
            "unlock_form": unlock_form or UnlockForm(),
            "relock_form": relock_form or RelockForm(),
            "lock_events": lock_events(inspection),
        },
        status=status,
    )


@require_GET
def locking(request: HttpRequest, reference: str) -> HttpResponse:
    return _locking_page(request, _lead_inspection(request, reference))


@require_POST
def unlock(request: HttpRequest, reference: str) -> HttpResponse:
    inspection = _lead_inspection(request, reference)
    form = UnlockForm(request.POST)
    if form.is_valid():
        try:
            inspection_unlock(inspection=inspection, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            errors_onto_form(form, error)
        except Refused as refused:
            form.add_error(None, refusal_message(refused))
        else:
            messages.success(request, f"{inspection.reference} unlocked for corrections")
            return redirect(_ratings_url(inspection))
    return _locking_page(request, inspection, unlock_form=form, status=400)


@require_POST
def relock(request: HttpRequest, reference: str) -> HttpResponse:
    inspection = _lead_inspection(request, reference)
    form = RelockForm(request.POST)
    if form.is_valid():
        try:
            inspection_relock(inspection=inspection, by=request.user, reason=form.cleaned_data["reason"])
        except Refused as refused:
            form.add_error(None, refusal_message(refused))
        else:
            messages.success(request, f"{inspection.reference} locked again, with the ratings as last published")
            return redirect(_ratings_url(inspection))
    return _locking_page(request, inspection, relock_form=form, status=400)
