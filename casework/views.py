"""Case review pages. Thin: parse the form, call one service, render or redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from inspections.access import can_view_case_data, inspection_for, is_lead_on
from inspections.errors import Refused
from inspections.refusals import errors_onto_form, refusal_message

from . import inspector_views, services
from .access import can_change_case_review, case_review_for
from .forms import ANSWER_PREFIX, NOTE_PREFIX, CaseDetailsForm, NewCaseForm, ReassignForm, ReturnForm, SectionForm
from .history_selectors import ChangeKind, case_review_timeline
from .lead_views import return_sections
from .models import CaseReview
from .review_selectors import (
    review_answers,
    review_comments,
    review_questions,
    review_sections,
)


def _review_url(review: CaseReview, name: str = "case_review", **kwargs) -> str:
    return reverse(
        f"casework:{name}",
        kwargs={"reference": review.inspection.reference, "case_reference": review.case_reference, **kwargs},
    )


def _stale_response(request, template: str, context: dict, error: services.StaleEdit, form) -> HttpResponse:
    """Show the user's own entries again with what changed, and let them save over it knowingly."""
    data = request.POST.copy()
    data["version"] = error.review.version
    form.data = data
    context.update(form=form, stale=error)
    if "section" in context:
        context["groups"] = _groups(form, context["section"], context["comments"])
    return render(request, template, context, status=409)


def _case_page(request: HttpRequest, review: CaseReview, *, status: int = 200, **extra) -> HttpResponse:
    """The case's task list, with the lead's open comments; the reply view reuses it to show an error."""
    sections = review_sections(review)
    context = {
        "review": review,
        "sections": sections,
        **inspector_views.case_comment_context(request, review, sections),
        "can_change": can_change_case_review(request.user, review),
        "is_lead": is_lead_on(request.user, review.inspection),
        "complete": all(s.state == "Completed" for s in sections),
        **extra,
    }
    return render(request, "casework/case_review.html", context, status=status)


@login_required
def case_review(request: HttpRequest, reference: str, case_reference: str) -> HttpResponse:
    return _case_page(request, case_review_for(request.user, reference, case_reference))


@login_required
@require_http_methods(["GET", "POST"])
def case_details(request: HttpRequest, reference: str, case_reference: str) -> HttpResponse:
    review = case_review_for(request.user, reference, case_reference, change=request.method == "POST")
    context = {"review": review, "can_change": can_change_case_review(request.user, review)}
    if request.method == "POST":
        form = CaseDetailsForm(request.POST, instance=CaseReview.objects.get(pk=review.pk))
        if form.is_valid():
            try:
                services.case_review_save(
                    review=review,
                    by=request.user,
                    expected_version=form.cleaned_data["version"],
                    attributes=form.attributes(),
                    reason=form.cleaned_data["reason"],
                    remove_answers_that_no_longer_apply=form.cleaned_data["confirm_removal"],
                )
            except services.StaleEdit as stale:
                return _stale_response(request, "casework/case_details.html", context, stale, form)
            except Refused as refused:
                if refused.code == "answers_would_be_removed":
                    # Nothing saved yet: the page asks the inspector to confirm, keeping what they entered.
                    form.add_error("confirm_removal", refused.message)
                    context["removal"] = refused.message
                else:
                    form.add_error(None, refusal_message(refused))
            except ValidationError as error:
                errors_onto_form(form, error)
            else:
                messages.success(request, "Case details saved")
                return redirect(_review_url(review))
    else:
        form = CaseDetailsForm(instance=review, initial={"version": review.version})
    context["form"] = form
    return render(request, "casework/case_details.html", context, status=400 if form.errors else 200)


def _section_or_404(review: CaseReview, slug: str):
    for section in review_sections(review):
        if section.slug == slug:
            return section
    raise Http404("This section does not apply to this case")


@login_required
@require_http_methods(["GET", "POST"])
def section(request: HttpRequest, reference: str, case_reference: str, slug: str) -> HttpResponse:
    review = case_review_for(request.user, reference, case_reference, change=request.method == "POST")
    current = _section_or_404(review, slug)
    answers = review_answers(review)
    autosave = request.headers.get("X-Autosave") == "1"
    context = {
        "review": review,
        "section": current,
        "comments": review_comments(review),
        "answers": answers,
        "can_change": can_change_case_review(request.user, review),
        "next_section": _next_section(review, slug),
    }
    context["case_comments"] = context["comments"].get(None, [])
    template = "casework/section.html"
    if request.method == "POST":
        form = SectionForm(request.POST, questions=current.questions)
        if form.is_valid():
            try:
                saved = services.case_review_save(
                    review=review,
                    by=request.user,
                    expected_version=form.cleaned_data["version"],
                    answers=form.answers(),
                    reason=form.cleaned_data["reason"],
                )
            except services.StaleEdit as stale:
                if autosave:
                    return JsonResponse({"saved": False, "stale": True, "message": str(stale)}, status=409)
                return _stale_response(request, template, context, stale, form)
            except Refused as refused:
                message = refusal_message(refused)
                if autosave:
                    return JsonResponse({"saved": False, "message": message}, status=409)
                form.add_error(None, message)
            except ValidationError as error:
                errors_onto_form(form, error, prefix=ANSWER_PREFIX)
            else:
                if autosave:
                    return JsonResponse({"saved": True, "version": saved.version})
                messages.success(request, f"{current.title} saved")
                if "continue" in request.POST and context["next_section"]:
                    return redirect(_review_url(review, "section", slug=context["next_section"].slug))
                return redirect(_review_url(review))
        if autosave:
            return JsonResponse({"saved": False, "errors": form.errors}, status=400)
    else:
        initial = {"version": review.version}
        for code, answer in answers.items():
            initial[ANSWER_PREFIX + code] = answer.value
            initial[NOTE_PREFIX + code] = answer.note
        form = SectionForm(initial=initial, questions=current.questions)
        if request.GET.get(inspector_views.MISSING):
            inspector_views.mark_missing(form, current, answers)
    context.update(form=form, groups=_groups(form, current, context["comments"]))
    return render(request, template, context, status=400 if form.errors and request.method == "POST" else 200)


def _item(form, question, comments):
    field = form[ANSWER_PREFIX + question.code]
    note_name = NOTE_PREFIX + question.code
    return {
        "question": question,
        "field": field,
        "note": form[note_name] if note_name in form.fields else None,
        "comments": comments.get(question.code, []),
        # GOV.UK convention: the first radio carries the field's id, so error links land on it.
        "choices": [
            (value, label, field.html_name if i == 0 else f"{field.html_name}-{value}")
            for i, (value, label) in enumerate(field.field.choices)
        ],
    }


def _groups(form, section, comments) -> list[dict]:
    """Key questions with their prompts, in framework order; case-wide prompts stand alone."""
    groups: list[dict] = []
    by_code: dict[str, dict] = {}
    for q in section.questions:
        if q.kind == "key_question":
            by_code[q.code] = {"key_question": _item(form, q, comments), "prompts": []}
            groups.append(by_code[q.code])
        elif q.parent_id and q.parent.code in by_code:
            by_code[q.parent.code]["prompts"].append(_item(form, q, comments))
        else:
            groups.append({"key_question": None, "prompts": [_item(form, q, comments)]})
    return groups


def _next_section(review: CaseReview, slug: str):
    sections = review_sections(review)
    slugs = [s.slug for s in sections]
    position = slugs.index(slug)
    return sections[position + 1] if position + 1 < len(sections) else None


def _lead_review(request, reference, case_reference) -> CaseReview:
    review = case_review_for(request.user, reference, case_reference)
    if not is_lead_on(request.user, review.inspection):
        raise PermissionDenied("Only the inspection's lead inspector can do this")
    return review


@login_required
@require_http_methods(["GET", "POST"])
def return_review(request: HttpRequest, reference: str, case_reference: str) -> HttpResponse:
    review = _lead_review(request, reference, case_reference)
    questions = review_questions(review)
    form = ReturnForm(request.POST or None, questions=questions)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_review_return(review=review, by=request.user, comments=form.comments())
        except ValidationError as error:
            form.add_error("general", " ".join(error.messages))
        except Refused as refused:
            form.add_error(None, refusal_message(refused))
        else:
            messages.success(request, f"{review.case_reference} returned to {review.inspector or 'its inspector'}")
            return redirect(_review_url(review))
    return render(
        request,
        "casework/return.html",
        {"review": review, "form": form, "sections": return_sections(review, form, questions)},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def moderate(request: HttpRequest, reference: str, case_reference: str) -> HttpResponse:
    review = _lead_review(request, reference, case_reference)
    try:
        services.case_review_moderate(review=review, by=request.user)
    except Refused as refused:
        messages.error(request, refusal_message(refused))
    else:
        messages.success(request, f"{review.case_reference} moderated")
    return redirect(_review_url(review))


@login_required
@require_http_methods(["GET", "POST"])
def reassign(request: HttpRequest, reference: str, case_reference: str) -> HttpResponse:
    review = _lead_review(request, reference, case_reference)
    form = ReassignForm(request.POST or None, inspection=review.inspection, initial={"inspector": review.inspector})
    if request.method == "POST" and form.is_valid():
        try:
            services.case_review_reassign(
                review=review, to=form.cleaned_data["inspector"], by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            errors_onto_form(form, error)
        except Refused as refused:
            form.add_error(None, refusal_message(refused))
        else:
            messages.success(request, f"{review.case_reference} reassigned to {form.cleaned_data['inspector']}")
            return redirect(_review_url(review))
    return render(
        request, "casework/reassign.html", {"review": review, "form": form}, status=400 if form.errors else 200
    )


@login_required
def history(request: HttpRequest, reference: str, case_reference: str) -> HttpResponse:
    review = case_review_for(request.user, reference, case_reference)
    # A GET form, so a filtered timeline is a link; a value it does not know shows everything.
    timeline = case_review_timeline(review, person=request.GET.get("person", ""), kind=request.GET.get("kind", ""))
    return render(
        request, "casework/history.html", {"review": review, "timeline": timeline, "kinds": ChangeKind.choices}
    )


@login_required
@require_http_methods(["GET", "POST"])
def new_case(request: HttpRequest, reference: str) -> HttpResponse:
    inspection = inspection_for(request.user, reference, change=True)
    form = NewCaseForm(request.POST or None, inspection=inspection)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            review = services.case_review_create(
                inspection=inspection,
                case_reference=data["case_reference"],
                inspector=data["inspector"],
                by=request.user,
                case_type=data["case_type"],
                court_report=data["court_report"],
            )
        except ValidationError as error:
            errors_onto_form(form, error)
        except Refused as refused:
            form.add_error(None, refusal_message(refused))
        else:
            messages.success(request, f"{review.case_reference} added to the sample")
            return redirect(_review_url(review, "case_details"))
    if not can_view_case_data(request.user, inspection):
        raise Http404
    return render(
        request, "casework/new_case.html", {"inspection": inspection, "form": form}, status=400 if form.errors else 200
    )
