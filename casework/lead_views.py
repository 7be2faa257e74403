"""The lead inspector's quality-assurance pages: the queue and the read-only case summary.

Thin: scope through the access helpers, call one selector, render. The actions (return,
moderate, reassign) stay in `views.py`, where the services are called.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.timesince import timesince
from django.views.decorators.http import require_GET

from inspections.access import is_lead_on

from .access import case_review_for
from .models import CaseReview
from .qa_selectors import SummarySection, case_summary, may_use_qa_queue, qa_queue


def _ago(moment, now) -> str:
    """ "3 days ago", "5 minutes ago": the largest unit only, as a person would say it."""
    if now - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment, now, depth=1)} ago"


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    if not may_use_qa_queue(request.user):
        raise Http404("The quality assurance queue is for lead inspectors")
    inspection = request.GET.get("inspection", "").strip()[:40]
    now = timezone.now()
    reviews = list(qa_queue(user=request.user, inspection=inspection))
    for review in reviews:
        review.submitted_ago = _ago(review.submitted_at, now)
    return render(request, "casework/qa_queue.html", {"reviews": reviews, "inspection": inspection})


def _yes_no(value) -> str:
    return {True: "Yes", False: "No", None: "Not recorded"}[value]


def case_details_rows(review: CaseReview) -> list[tuple[str, str]]:
    """The case's details as (label, shown value), in the order the case details page asks them."""
    rows = []
    for name in CaseReview.ATTRIBUTE_FIELDS:
        model_field = CaseReview._meta.get_field(name)
        value = getattr(review, name)
        if model_field.choices:
            shown = getattr(review, f"get_{name}_display")() or "Not recorded"
        elif model_field.get_internal_type() == "BooleanField":
            shown = _yes_no(value)
        else:
            shown = "Not recorded" if value in (None, "") else str(value)
        rows.append((capfirst(model_field.verbose_name), shown))
    return rows


@login_required
@require_GET
def summary(request: HttpRequest, reference: str, case_reference: str) -> HttpResponse:
    review = case_review_for(request.user, reference, case_reference)
    is_lead = is_lead_on(request.user, review.inspection)
    live = not review.inspection.is_locked and review.archived_at is None
    return render(
        request,
        "casework/case_summary.html",
        {
            "review": review,
            "summary": case_summary(review),
            "details": case_details_rows(review),
            "can_quality_assure": is_lead and live and review.status == CaseReview.Status.SUBMITTED,
            "can_reassign": is_lead and live,
            "is_lead": is_lead,
        },
    )


def return_sections(review: CaseReview, form, questions) -> list[SummarySection]:
    """The case summary's sections for the return page, each question with its comment box
    (`item.field`), and `section.open` when a box in it holds text or an error."""
    sections = case_summary(review, questions).sections
    for section in sections:
        for item in section.items:
            item.field = form[f"comment-{item.question.code}"]
            item.open = bool(item.field.value() or item.field.errors)
        section.open = any(item.open for item in section.items)
    return sections
