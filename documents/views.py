"""Pages to request generated documents, follow their jobs and download them.

What the user may not see is a 404 (its existence is not revealed), as everywhere else.
"""

from __future__ import annotations

import mimetypes

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from inspections.errors import Refused

from . import services
from .models import DocumentJob

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _may_generate_letters(user: User) -> bool:
    return user.is_administrator or user.role in (User.Role.INSPECTOR, User.Role.LEAD_INSPECTOR)


def _job_for(user: User, job_id: int) -> DocumentJob:
    job = get_object_or_404(DocumentJob.objects.select_related("requested_by"), pk=job_id)
    if not services.can_see_job(user, job):
        raise Http404("No document with that number")
    return job


@require_GET
def letters(request: HttpRequest) -> HttpResponse:
    if not _may_generate_letters(request.user):
        raise Http404("No such page")
    reviews = list(services.reviews_visible_to(request.user).prefetch_related("inspections__pdu"))
    jobs = DocumentJob.objects.filter(requested_by=request.user, kind=DocumentJob.Kind.LETTER)[:10]
    return render(request, "documents/letters.html", {"reviews": reviews, "jobs": jobs})


@require_POST
def request_letter(request: HttpRequest, slug: str) -> HttpResponse:
    review = services.reviews_visible_to(request.user).filter(slug=slug).first()
    if review is None:
        raise Http404("No regional review with that name")
    fmt = request.POST.get("format", "")
    if fmt not in services.FORMATS[DocumentJob.Kind.LETTER]:
        return HttpResponseBadRequest("Choose Word or PDF")
    try:
        job = services.document_request(
            kind=DocumentJob.Kind.LETTER,
            fmt=fmt,
            params={"review": review.slug},
            by=request.user,
            force=request.POST.get("force") == "1",
        )
    except Refused:
        raise Http404("No regional review with that name") from None
    return redirect("documents:job", job_id=job.pk)


@require_GET
def job_status(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_for(request.user, job_id)
    return render(request, "documents/job.html", {"job": job})


@require_POST
def retry(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_for(request.user, job_id)
    services.retry_job(job=job, by=request.user)
    return redirect("documents:job", job_id=job.pk)


@require_GET
def download(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_for(request.user, job_id)
    if job.status != DocumentJob.Status.DONE or not job.file:
        raise Http404("The document is not ready")
    content_type = CONTENT_TYPES.get(job.format) or mimetypes.guess_type(job.filename())[0]
    response = FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename(), content_type=content_type)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
