"""Double marking pages: the lead chooses cases, the second inspector answers, the team reads the agreement.

Thin: parse the form, call one service or selector, render or redirect.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from inspections.access import can_view_case_data, inspection_for, is_lead_on
from inspections.choices import AnswerValue
from inspections.errors import Refused
from inspections.models import Inspection, Question
from inspections.refusals import errors_onto_form, refusal_message

from . import double_marking
from .access import case_review_for, case_reviews_visible_to
from .agreement import inspection_agreement, inspection_disagreements
from .forms import ANSWER_PREFIX, NOTE_PREFIX, GovukIdsMixin, SectionForm
from .models import SecondReview
from .review_selectors import CASE_WIDE, applicable_questions


class ChooseCasesForm(GovukIdsMixin, forms.Form):
    cases = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one case for a second review"},
    )
    second_inspector = forms.ModelChoiceField(
        queryset=User.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "Choose an inspector on this inspection's team"},
    )

    def __init__(self, *args, inspection: Inspection, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cases"].choices = [(r.case_reference, r.case_reference) for r in candidates]
        self.fields["second_inspector"].queryset = inspection.team.order_by("first_name", "last_name")


class ResolveForm(GovukIdsMixin, forms.Form):
    question = forms.CharField(widget=forms.HiddenInput)
    final_value = forms.ChoiceField(choices=AnswerValue.choices, error_messages={"required": "Select the final answer"})
    reason = forms.CharField(error_messages={"required": "Give a reason for the final answer"})


def _case_team_inspection(request: HttpRequest, reference: str) -> Inspection:
    """The inspection, for its team (and administrators) only: others get 404, as for case pages."""
    inspection = inspection_for(request.user, reference)
    if not can_view_case_data(request.user, inspection):
        raise Http404("Case-level records are for the inspection team")
    return inspection


@login_required
@require_http_methods(["GET", "POST"])
def choose_cases(request: HttpRequest, reference: str) -> HttpResponse:
    inspection = _case_team_inspection(request, reference)
    if not is_lead_on(request.user, inspection):
        raise PermissionDenied("Only the inspection's lead inspector chooses cases for double marking")
    reviews = list(
        case_reviews_visible_to(request.user)
        .filter(inspection=inspection)
        .select_related("inspector")
        .order_by("case_reference")
    )
    chosen = {
        s.case_review_id: s
        for s in SecondReview.objects.filter(case_review__in=[r.pk for r in reviews]).select_related("second_inspector")
    }
    candidates = [r for r in reviews if r.pk not in chosen]
    form = ChooseCasesForm(request.POST or None, inspection=inspection, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        by_reference = {r.case_reference: r for r in candidates}
        try:
            assigned = double_marking.second_reviews_assign(
                reviews=[by_reference[c] for c in form.cleaned_data["cases"]],
                second_inspector=form.cleaned_data["second_inspector"],
                by=request.user,
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error("second_inspector", message)
        except Refused as refused:
            form.add_error(None, refusal_message(refused))
        else:
            messages.success(
                request,
                f"{len(assigned)} case(s) chosen for a second review by {form.cleaned_data['second_inspector']}",
            )
            return redirect("casework:double_marking", reference=inspection.reference)
    context = {
        "inspection": inspection,
        "form": form,
        "candidates": candidates,
        "chosen": [(r, chosen[r.pk]) for r in reviews if r.pk in chosen],
        "selected": set(form["cases"].value() or []),
    }
    return render(request, "casework/double_marking/choose.html", context, status=400 if form.errors else 200)


def _second_review_for(request: HttpRequest, reference: str, case_reference: str) -> SecondReview:
    """A case's second review, for its second inspector only: 404 for everyone else."""
    try:
        return (
            SecondReview.objects.filter(
                second_inspector=request.user,
                case_review__in=case_reviews_visible_to(request.user),
                case_review__inspection__reference=reference,
                case_review__case_reference=case_reference,
            )
            .select_related("case_review__inspection__framework", "case_review__inspector")
            .get()
        )
    except SecondReview.DoesNotExist:
        raise Http404("No second review of that case for you") from None


def _sections(form: SectionForm, questions: list[Question]) -> list[dict]:
    """The questions grouped by standard (the case-wide prompts last), each with its radios."""
    sections: dict[str, dict] = {}
    for q in questions:
        slug = CASE_WIDE if q.standard_id is None else q.standard.code
        title = "Across the case" if q.standard_id is None else f"{q.standard.code} {q.standard.title}"
        section = sections.setdefault(slug, {"slug": slug, "title": title, "items": []})
        field = form[ANSWER_PREFIX + q.code]
        note = NOTE_PREFIX + q.code
        section["items"].append(
            {
                "question": q,
                "field": field,
                "note": form[note] if note in form.fields else None,
                "choices": [
                    (value, label, field.html_name if i == 0 else f"{field.html_name}-{value}")
                    for i, (value, label) in enumerate(field.field.choices)
                ],
            }
        )
    return list(sections.values())


@login_required
@require_http_methods(["GET", "POST"])
def second_review(request: HttpRequest, reference: str, case_reference: str) -> HttpResponse:
    """The second inspector's answers to the whole case. The first inspector's answers are never read here."""
    second = _second_review_for(request, reference, case_reference)
    review = second.case_review
    questions = applicable_questions(
        framework_id=review.inspection.framework_id, case_type=review.case_type, court_report=review.court_report
    )
    can_change = second.status == SecondReview.Status.ASSIGNED and not review.inspection.is_locked
    if request.method == "POST":
        form = SectionForm(request.POST, questions=questions)
        if form.is_valid():
            try:
                second = double_marking.second_review_save(
                    second_review=second,
                    by=request.user,
                    expected_version=form.cleaned_data["version"],
                    answers=form.answers(),
                )
                if "submit" in request.POST:
                    double_marking.second_review_submit(
                        second_review=second, by=request.user, expected_version=second.version
                    )
            except Refused as refused:
                form.add_error(None, refusal_message(refused))
            except ValidationError as error:
                errors_onto_form(form, error, prefix=ANSWER_PREFIX)
            else:
                if "submit" in request.POST:
                    messages.success(request, f"Second review of {review.case_reference} submitted")
                else:
                    messages.success(request, f"Second review of {review.case_reference} saved")
                return redirect("casework:second_review", reference=reference, case_reference=case_reference)
    else:
        initial = {"version": second.version}
        for answer in second.answers.select_related("question"):
            initial[ANSWER_PREFIX + answer.question.code] = answer.value
            initial[NOTE_PREFIX + answer.question.code] = answer.note
        form = SectionForm(initial=initial, questions=questions)
    if form.is_bound and form.errors:
        # The saved version after a partial save, so the page can be posted again.
        data = form.data.copy()
        data["version"] = type(second).objects.values_list("version", flat=True).get(pk=second.pk)
        form.data = data
    context = {
        "second": second,
        "review": review,
        "form": form,
        "sections": _sections(form, questions),
        "can_change": can_change,
    }
    return render(request, "casework/double_marking/second_review.html", context, status=400 if form.errors else 200)


_VALUE_LABELS = dict(AnswerValue.choices)


def _confusion_cells(agreement) -> list[tuple[str, str, int]]:
    """Each cell of a question's confusion table as (first's answer, second's answer, count)."""
    return [
        (_VALUE_LABELS.get(first, first), _VALUE_LABELS.get(second, second), count)
        for (first, second), count in sorted(agreement.confusion.items())
    ]


def _moderation_page(
    request, inspection: Inspection, *, status: int = 200, failed: str = "", form: ResolveForm | None = None
) -> HttpResponse:
    agreement = inspection_agreement(inspection)
    disagreements = []
    summary_errors = []
    for d in inspection_disagreements(inspection):
        choices = [
            (value, label)
            for value, label in AnswerValue.choices
            if value != AnswerValue.NOT_APPLICABLE or d.question.allows_not_applicable
        ]
        item = {"d": d, "choices": choices, "errors": {}, "value": "", "reason": ""}
        if form is not None and d.key == failed:
            item["value"] = form.data.get("final_value", "")
            item["reason"] = form.data.get("reason", "")
            for name, texts in form.errors.items():
                target = "reason" if name == "reason" else "final_value"
                item["errors"].setdefault(target, []).extend(texts)
                summary_errors += [{"href": f"#{d.key}-{target}", "text": text} for text in texts]
        disagreements.append(item)
    if form is not None and form.errors and not summary_errors:
        summary_errors = [{"href": "#disagreements", "text": t} for texts in form.errors.values() for t in texts]
    context = {
        "inspection": inspection,
        "agreement": agreement,
        "questions": [(a, a.as_dict(), _confusion_cells(a)) for a in agreement.questions],
        "overall": agreement.overall.as_dict(),
        "disagreements": disagreements,
        "open_disagreements": sum(1 for item in disagreements if item["d"].resolution is None),
        "can_resolve": is_lead_on(request.user, inspection) and not inspection.is_locked,
        "summary_errors": summary_errors,
        # The second reviews this person was asked for, so they can find them from here.
        "my_second_reviews": SecondReview.objects.filter(
            second_inspector=request.user, case_review__inspection=inspection, case_review__archived_at__isnull=True
        )
        .select_related("case_review")
        .order_by("case_review__case_reference"),
    }
    return render(request, "casework/double_marking/moderation.html", context, status=status)


@login_required
def moderation(request: HttpRequest, reference: str) -> HttpResponse:
    """Agreement per key question and prompt, and the disagreements to resolve, for the inspection team."""
    return _moderation_page(request, _case_team_inspection(request, reference))


@login_required
@require_POST
def resolve(request: HttpRequest, reference: str, case_reference: str) -> HttpResponse:
    review = case_review_for(request.user, reference, case_reference)
    inspection = review.inspection
    if not is_lead_on(request.user, inspection):
        raise PermissionDenied("Only the inspection's lead inspector resolves disagreements")
    form = ResolveForm(request.POST)
    question = None
    if form.is_valid():
        question = Question.objects.filter(
            framework_id=inspection.framework_id, code=form.cleaned_data["question"]
        ).first()
        if question is None:
            form.add_error("question", "No such question in this framework")
    if form.is_valid():
        try:
            double_marking.disagreement_resolve(
                review=review,
                question=question,
                final_value=form.cleaned_data["final_value"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except Refused as refused:
            form.add_error(None, refusal_message(refused))
        except ValidationError as error:
            errors_onto_form(form, error)
        else:
            messages.success(request, f"{question.code} in {review.case_reference} resolved")
            return redirect(reverse("casework:moderation", kwargs={"reference": reference}) + "#disagreements")
    failed = f"{case_reference}-{request.POST.get('question', '')}"
    return _moderation_page(request, inspection, status=400, failed=failed, form=form)
