"""The inspector's end of a case: check your answers, submit, and reply to the lead's comments.

Thin like `views`: parse the form, call one service or selector, render or redirect.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from inspections.errors import Refused
from inspections.refusals import refusal_message

from . import services
from .access import can_change_case_review, case_review_for
from .forms import ANSWER_PREFIX
from .models import CaseReview, QAComment
from .review_selectors import Section, review_answers, review_comments, review_sections

MISSING = "missing"  # the query parameter that asks a section page to mark its unanswered questions


def _url(review: CaseReview, name: str = "case_review", **kwargs) -> str:
    return reverse(
        f"casework:{name}",
        kwargs={"reference": review.inspection.reference, "case_reference": review.case_reference, **kwargs},
    )


def question_href(review: CaseReview, slug: str, code: str) -> str:
    """A question on its section page: the form group, so the legend shows and the next Tab is its first radio."""
    return f"{_url(review, 'section', slug=slug)}#field-{code}"


@dataclass(frozen=True)
class CommentNote:
    """A lead's open comment as the inspector reads it: where it points, and whether they may reply."""

    comment: QAComment
    href: str | None  # the question on its section page; None for the whole case
    can_reply: bool


def comment_notes(request: HttpRequest, review: CaseReview, sections: list[Section], comments) -> list[CommentNote]:
    """Open comments, the whole case's first and then in framework order."""
    can_reply = _may_reply(request.user, review)
    notes = [CommentNote(c, None, can_reply) for c in comments.get(None, [])]
    for section in sections:
        for q in section.questions:
            notes += [
                CommentNote(c, question_href(review, section.slug, q.code), can_reply) for c in comments.get(q.code, [])
            ]
    return notes


def _may_reply(user, review: CaseReview) -> bool:
    return (
        user.is_authenticated
        and review.inspector_id == user.pk
        and review.status == CaseReview.Status.RETURNED
        and not review.inspection.is_locked
        and review.archived_at is None
    )


def mark_missing(form, section: Section, answers: dict) -> None:
    """Show a section's unanswered questions as errors on its (unbound) form, in question order."""
    form.full_clean()
    form.cleaned_data = {}  # add_error expects it; an unbound form's full_clean stops before setting it
    for q in section.questions:
        if q.code not in answers:
            form.add_error(ANSWER_PREFIX + q.code, f"Select an answer for {q.code}")


def _missing_by_section(review: CaseReview, sections: list[Section], missing: dict) -> list[dict]:
    """One error line per section with unanswered questions, linking to the section, which then marks them."""
    lines = []
    for section in sections:
        count = sum(q.code in missing for q in section.questions)
        if count:
            lines.append(
                {
                    "href": f"{_url(review, 'section', slug=section.slug)}?{MISSING}=1",
                    "text": f"{section.title}: {count} question{'s' if count != 1 else ''} not answered",
                }
            )
    return lines


def _check_page(request: HttpRequest, review: CaseReview, *, status: int = 200, missing: dict | None = None):
    sections = review_sections(review)
    answers = review_answers(review)
    groups = [
        {
            "section": section,
            "rows": [
                {"question": q, "answer": answers.get(q.code), "href": question_href(review, section.slug, q.code)}
                for q in section.questions
            ],
        }
        for section in sections
    ]
    context = {
        "review": review,
        "groups": groups,
        "can_change": can_change_case_review(request.user, review),
        "can_submit": review.status in (CaseReview.Status.DRAFT, CaseReview.Status.RETURNED),
        "unanswered": sum(s.total - s.answered for s in sections),
        "errors": _missing_by_section(review, sections, missing) if missing else [],
    }
    return render(request, "casework/check_answers.html", context, status=status)


@login_required
@require_GET
def check_answers(request: HttpRequest, reference: str, case_reference: str) -> HttpResponse:
    return _check_page(request, case_review_for(request.user, reference, case_reference))


@login_required
@require_POST
def submit(request: HttpRequest, reference: str, case_reference: str) -> HttpResponse:
    review = case_review_for(request.user, reference, case_reference, change=True)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    try:
        services.case_review_submit(review=review, by=request.user, expected_version=version)
    except services.StaleEdit as stale:
        messages.error(request, f"{stale} Check the latest answers, then submit again.")
        return redirect(_url(review, "check_answers"))
    except Refused as refused:
        messages.error(request, refusal_message(refused))
        return redirect(_url(review, "check_answers"))
    except ValidationError as missing:
        return _check_page(request, review, status=400, missing=missing.message_dict)
    messages.success(request, f"{review.case_reference} submitted for quality assurance")
    return redirect(_url(review))


@login_required
@require_POST
def reply(request: HttpRequest, reference: str, case_reference: str) -> HttpResponse:
    review = case_review_for(request.user, reference, case_reference)
    try:
        comment = review.qa_comments.get(pk=int(request.POST.get("comment", "")))
    except (ValueError, QAComment.DoesNotExist):
        raise Http404("No such comment on this case") from None
    try:
        services.qa_comment_reply(comment=comment, by=request.user, text=request.POST.get("reply", ""))
    except Refused as refused:
        messages.error(request, refusal_message(refused))
    except ValidationError as error:
        from .views import _case_page

        return _case_page(
            request,
            review,
            status=400,
            reply_error={
                "comment": comment.pk,
                "text": " ".join(error.messages),
                "summary": [{"href": f"#reply-{comment.pk}", "text": " ".join(error.messages)}],
            },
        )
    else:
        messages.success(request, "Reply saved")
    return redirect(f"{_url(review)}#comment-{comment.pk}")


def case_comment_context(request: HttpRequest, review: CaseReview, sections: list[Section]) -> dict:
    """What the case page needs to show the lead's comments prominently and take replies."""
    comments = review_comments(review)
    return {"comments": comments, "comment_notes": comment_notes(request, review, sections, comments)}
