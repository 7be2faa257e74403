"""Recommendations of an inspection and the regional letter composer. Thin: scope, parse, one service, render.

Recommendations: everyone who may see the inspection reads them; its lead (or an
administrator) writes them until it is published. Regional letters: the team of any of
the review's inspections and administrators write them; the region's director reads
them; `inspections.regional` decides who sees what (404) and who may change it (403).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inspections.access import can_change_inspection, inspection_for, is_lead_on
from inspections.errors import Refused
from inspections.models import Inspection, Recommendation, RegionalFinding, RegionalReview
from inspections.recommendations import (
    recommendation_create,
    recommendation_delete,
    recommendation_move,
    recommendation_update,
)
from inspections.refusals import errors_onto_form, refusal_message
from inspections.regional import (
    can_edit_review,
    can_start_review,
    inspections_for_review,
    regional_finding_create,
    regional_finding_delete,
    regional_finding_move,
    regional_finding_update,
    regional_review_create,
    regional_review_update,
    review_for,
    review_inspection_ids,
    reviews_visible_to,
)
from ratings.figures import FigureError, figure_value, resolve_many, token_text

from .letters_forms import FigurePickerForm, FindingForm, LetterDetailsForm, RecommendationForm, ReviewStartForm

# Recommendations ------------------------------------------------------------------------


def _lead_inspection(request: HttpRequest, reference: str) -> Inspection:
    inspection = inspection_for(request.user, reference)
    if not is_lead_on(request.user, inspection):
        raise PermissionDenied("Only the inspection's lead inspector or an administrator can do this")
    return inspection


def _recommendation(inspection: Inspection, pk: int) -> Recommendation:
    recommendation = Recommendation.objects.filter(inspection=inspection, pk=pk).select_related("inspection").first()
    if recommendation is None:
        raise Http404("No such recommendation")
    return recommendation


def _recommendations_url(inspection: Inspection) -> str:
    return reverse("web:recommendations", kwargs={"reference": inspection.reference})


@require_GET
def recommendations(request: HttpRequest, reference: str) -> HttpResponse:
    inspection = inspection_for(request.user, reference)
    items = list(Recommendation.objects.filter(inspection=inspection).order_by("order"))
    return render(
        request,
        "letters/recommendations.html",
        {
            "inspection": inspection,
            "recommendations": items,
            "can_change": can_change_inspection(request.user, inspection),
            "is_lead": is_lead_on(request.user, inspection),
        },
    )


def _recommendation_form_page(request, inspection, recommendation=None) -> HttpResponse:
    initial = {"addressee": recommendation.addressee, "text": recommendation.text} if recommendation else None
    form = RecommendationForm(request.POST or None, initial=initial)
    can_change = can_change_inspection(request.user, inspection)
    if request.method == "POST" and can_change and form.is_valid():
        try:
            if recommendation is None:
                recommendation_create(inspection=inspection, by=request.user, **form.cleaned_data)
                messages.success(request, "Recommendation added")
            else:
                recommendation_update(recommendation=recommendation, by=request.user, **form.cleaned_data)
                messages.success(request, f"Recommendation {recommendation.order} saved")
            return redirect(_recommendations_url(inspection))
        except ValidationError as error:
            errors_onto_form(form, error)
        except Refused as refused:
            form.add_error(None, refusal_message(refused))
    return render(
        request,
        "letters/recommendation_form.html",
        {"inspection": inspection, "recommendation": recommendation, "form": form, "can_change": can_change},
    )


@require_http_methods(["GET", "POST"])
def recommendation_add(request: HttpRequest, reference: str) -> HttpResponse:
    return _recommendation_form_page(request, _lead_inspection(request, reference))


@require_http_methods(["GET", "POST"])
def recommendation_edit(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    inspection = _lead_inspection(request, reference)
    return _recommendation_form_page(request, inspection, _recommendation(inspection, pk))


@require_http_methods(["GET", "POST"])
def recommendation_delete_page(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    inspection = _lead_inspection(request, reference)
    recommendation = _recommendation(inspection, pk)
    error = None
    if request.method == "POST":
        try:
            recommendation_delete(recommendation=recommendation, by=request.user)
            messages.success(request, f"Recommendation {recommendation.order} deleted")
            return redirect(_recommendations_url(inspection))
        except Refused as refused:
            error = refusal_message(refused)
    return render(
        request,
        "letters/recommendation_delete.html",
        {
            "inspection": inspection,
            "recommendation": recommendation,
            "error": error,
            "can_change": can_change_inspection(request.user, inspection),
        },
    )


@require_POST
def recommendation_move_action(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    inspection = _lead_inspection(request, reference)
    recommendation = _recommendation(inspection, pk)
    try:
        recommendation_move(recommendation=recommendation, up=request.POST.get("direction") == "up", by=request.user)
    except Refused as refused:
        messages.error(request, refusal_message(refused))
    return redirect(f"{_recommendations_url(inspection)}#recommendation-{recommendation.pk}")


# Regional reviews and their letters ----------------------------------------------------


def _review_url(review: RegionalReview, anchor: str = "") -> str:
    return reverse("web:regional_review", kwargs={"slug": review.slug}) + (f"#{anchor}" if anchor else "")


def _generate_links(review: RegionalReview) -> dict:
    """Where the composer's "Generate the letter" section points: the documents app's request (a POST
    taking format=docx|pdf) and its list of letters and jobs, when they are installed."""
    try:
        action = reverse("documents:request_letter", kwargs={"slug": review.slug})
    except NoReverseMatch:
        action = None
    try:
        documents = reverse("documents:letters")
    except NoReverseMatch:
        documents = "/documents/"
    return {"generate_action": action, "documents_url": documents}


@require_GET
def regional_reviews(request: HttpRequest) -> HttpResponse:
    reviews = list(reviews_visible_to(request.user).select_related("region").prefetch_related("inspections__pdu"))
    return render(
        request,
        "letters/reviews.html",
        {"reviews": reviews, "can_start": can_start_review(request.user)},
    )


@require_http_methods(["GET", "POST"])
def regional_review_new(request: HttpRequest) -> HttpResponse:
    if not can_start_review(request.user):
        raise Http404("Only lead inspectors and administrators start regional letters")
    form = ReviewStartForm(request.POST or None, inspections=inspections_for_review(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            review = regional_review_create(
                region=data["region"],
                inspections=list(data["inspections"]),
                letter_date=data["letter_date"],
                addressee=data["addressee"],
                slug=data["slug"],
                by=request.user,
            )
            messages.success(request, "Regional letter started")
            return redirect(_review_url(review))
        except ValidationError as error:
            errors_onto_form(form, error)
        except Refused as refused:
            form.add_error(None, refusal_message(refused))
    return render(request, "letters/review_new.html", {"form": form})


def _sections(review: RegionalReview, findings: list[RegionalFinding]) -> list[dict]:
    sections = []
    for heading in RegionalFinding.Heading:
        mine = [f for f in findings if f.heading == heading]
        sections.append(
            {
                "heading": heading,
                "groups": [
                    {"kind": kind, "findings": [f for f in mine if f.kind == kind]} for kind in RegionalFinding.Kind
                ],
                "empty": not mine,
            }
        )
    return sections


def _picker(request: HttpRequest, review: RegionalReview, ids: list[int]) -> dict:
    framework_ids = set(review.inspections.values_list("framework_id", flat=True))
    bound = "question" in request.GET
    form = FigurePickerForm(request.GET if bound else None, framework_ids=framework_ids)
    picked = None
    if bound and form.is_valid():
        data = form.cleaned_data
        try:
            picked = {
                "token": token_text(data["kind"], data["question"], data["answer"]),
                "value": figure_value(data["kind"], data["question"], data["answer"], inspection_ids=ids),
            }
        except FigureError as error:
            form.add_error("question", str(error))
    return {"picker": form, "picked": picked}


@require_http_methods(["GET", "POST"])
def regional_review(request: HttpRequest, slug: str) -> HttpResponse:
    """The letter composer: its details, its findings by heading, a figure picker and the link to generate it."""
    review = review_for(request.user, slug)
    can_edit = can_edit_review(request.user, review)
    details = LetterDetailsForm(
        request.POST if request.method == "POST" and request.POST.get("form") == "details" else None, review=review
    )
    finding_form = FindingForm(
        request.POST if request.method == "POST" and request.POST.get("form") == "finding" else None,
        prefix="finding",
        initial={"kind": RegionalFinding.Kind.NARRATIVE},
    )
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("You may read this regional letter but not change it")
        try:
            if details.is_bound and details.is_valid():
                data = {k: v for k, v in details.cleaned_data.items() if not k.startswith("letter_date_")}
                regional_review_update(review=review, by=request.user, **data)
                messages.success(request, "Letter details saved")
                return redirect(_review_url(review, "details"))
            if finding_form.is_bound and finding_form.is_valid():
                finding = regional_finding_create(review=review, by=request.user, **finding_form.cleaned_data)
                messages.success(request, f"Finding added under {finding.get_heading_display()}")
                return redirect(_review_url(review, f"finding-{finding.pk}"))
        except ValidationError as error:
            errors_onto_form(details if details.is_bound else finding_form, error)
        except Refused as refused:
            (details if details.is_bound else finding_form).add_error(None, refusal_message(refused))
    ids = review_inspection_ids(review)
    findings = list(RegionalFinding.objects.filter(review=review).order_by("order"))
    try:  # each finding with figures also shows how it reads now: one query for all of them
        readings = resolve_many([f.text for f in findings], inspection_ids=ids)
    except FigureError:
        readings = [f.text for f in findings]
    for finding, reading in zip(findings, readings, strict=True):
        finding.reading = reading if reading != finding.text else None
    error_form = details if details.errors else finding_form if finding_form.errors else None
    context = {
        "review": review,
        "inspections": list(review.inspections.select_related("pdu").order_by("reference")),
        "can_edit": can_edit,
        "details": details,
        "finding_form": finding_form,
        "error_form": error_form,
        "sections": _sections(review, findings),
        "finding_count": len(findings),
        **_generate_links(review),
        **_picker(request, review, ids),
    }
    if error_form is None and context["picker"].errors:
        context["error_form"] = context["picker"]
    return render(request, "letters/composer.html", context)


def _finding(request: HttpRequest, slug: str, pk: int) -> RegionalFinding:
    review = review_for(request.user, slug, change=True)
    finding = RegionalFinding.objects.filter(review=review, pk=pk).select_related("review__region").first()
    if finding is None:
        raise Http404("No such finding")
    return finding


@require_http_methods(["GET", "POST"])
def regional_finding_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    finding = _finding(request, slug, pk)
    if request.method == "POST" and request.POST.get("direction") in ("up", "down"):
        # The composer's "Move up" and "Move down" buttons post here.
        try:
            regional_finding_move(finding=finding, up=request.POST["direction"] == "up", by=request.user)
        except Refused as refused:
            messages.error(request, refusal_message(refused))
        return redirect(_review_url(finding.review, f"finding-{finding.pk}"))
    form = FindingForm(
        request.POST or None, initial={"heading": finding.heading, "kind": finding.kind, "text": finding.text}
    )
    if request.method == "POST" and form.is_valid():
        try:
            regional_finding_update(finding=finding, by=request.user, **form.cleaned_data)
            messages.success(request, "Finding saved")
            return redirect(_review_url(finding.review, f"finding-{finding.pk}"))
        except ValidationError as error:
            errors_onto_form(form, error)
        except Refused as refused:
            form.add_error(None, refusal_message(refused))
    return render(request, "letters/finding_form.html", {"review": finding.review, "finding": finding, "form": form})


@require_http_methods(["GET", "POST"])
def regional_finding_delete_page(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    finding = _finding(request, slug, pk)
    if request.method == "POST":
        try:
            regional_finding_delete(finding=finding, by=request.user)
            messages.success(request, "Finding deleted")
            return redirect(_review_url(finding.review, "findings"))
        except Refused as refused:
            messages.error(request, refusal_message(refused))
    return render(request, "letters/finding_delete.html", {"review": finding.review, "finding": finding})
