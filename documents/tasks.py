"""Celery tasks that generate documents: take an id, re-fetch, claim, return early when done.

Safe to run twice: a job is claimed under `SELECT … FOR UPDATE SKIP LOCKED` and marked
running in its own transaction; a second delivery finds it running (or done) and returns.
The file is stored only if the row is not done yet, under a lock, so one job has one file.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib
import logging
import time

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import DocumentJob

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


def _letter(fmt: str):
    def render(job: DocumentJob) -> bytes:
        from inspections.models import RegionalReview

        from .letter import letter_content

        review = RegionalReview.objects.select_related("region").get(slug=job.params["review"])
        content = letter_content(review=review, references=job.params.get("inspections") or None)
        return _renderer_function(LETTER_RENDERERS[fmt])(content)

    return render


def _tracker(fmt: str):
    def render(job: DocumentJob) -> bytes:
        from regions.models import Region

        region = Region.objects.get(slug=job.params["region"])
        return _renderer_function(TRACKER_RENDERERS[fmt])(region=region)

    return render


# "module:function" of each format's renderer; modules written by others are imported when used,
# so a format whose renderer is not installed fails its job with a clear error.
LETTER_RENDERERS = {
    "docx": "documents.letter_docx:render_letter_docx",
    "pdf": "documents.letter_pdf:render_letter_pdf",
}
TRACKER_RENDERERS = {"xlsx": "trackers.export:tracker_xlsx", "csv": "trackers.export:tracker_csv"}

# (kind, format) → renderer taking the job and returning the file's bytes.
RENDERERS = {
    ("letter", "docx"): _letter("docx"),
    ("letter", "pdf"): _letter("pdf"),
    ("tracker", "xlsx"): _tracker("xlsx"),
    ("tracker", "csv"): _tracker("csv"),
}


class RendererMissing(Exception):
    pass


def _renderer_function(path: str):
    module_name, name = path.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise RendererMissing(f"The renderer {path} is not installed ({error}).") from error
    return getattr(module, name)


def renderer_available(kind: str, fmt: str) -> bool:
    path = (LETTER_RENDERERS if kind == "letter" else TRACKER_RENDERERS).get(fmt)
    if path is None:
        return False
    try:
        _renderer_function(path)
    except (RendererMissing, AttributeError):
        return False
    return True


def running_timeout() -> datetime.timedelta:
    """A job running longer than this lost its worker: it may be claimed again."""
    return datetime.timedelta(seconds=getattr(settings, "DOCUMENT_JOB_RUNNING_TIMEOUT_SECONDS", 600))


def _claim(job_id: int) -> DocumentJob | None:
    with transaction.atomic():
        job = DocumentJob.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
        if job is None or job.status in (DocumentJob.Status.DONE, DocumentJob.Status.FAILED):
            return None  # gone, being claimed by another worker, or finished
        if job.status == DocumentJob.Status.RUNNING and job.started_at > timezone.now() - running_timeout():
            return None  # another worker has it
        job.status = DocumentJob.Status.RUNNING
        job.started_at = timezone.now()
        job.finished_at = None
        job.attempts += 1
        job.save(update_fields=["status", "started_at", "finished_at", "attempts"])
        return job


def _store(job_id: int, data: bytes, started: float) -> bool:
    checksum = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        job = DocumentJob.objects.select_for_update().get(pk=job_id)
        if job.status == DocumentJob.Status.DONE:
            return False  # another run stored it first: one file per job
        job.file.save(f"{job.pk}-{checksum[:12]}-{job.filename()}", ContentFile(data), save=False)
        job.checksum = checksum
        job.status = DocumentJob.Status.DONE
        job.error = ""
        job.finished_at = timezone.now()
        job.save(update_fields=["file", "checksum", "status", "error", "finished_at"])
    logger.info("Document job %s stored in %.3f s", job_id, time.perf_counter() - started)
    return True


@shared_task(bind=True, acks_late=True, max_retries=MAX_ATTEMPTS - 1, name="documents.generate_document")
def generate_document(self, job_id: int) -> str:
    job = _claim(job_id)
    if job is None:
        return "skipped"
    started = time.perf_counter()
    try:
        data = RENDERERS[(job.kind, job.format)](job)
    except Exception as error:  # every failure is recorded on the row
        message = f"{type(error).__name__}: {error}"
        final = isinstance(error, RendererMissing) or job.attempts >= MAX_ATTEMPTS
        with transaction.atomic():
            DocumentJob.objects.filter(pk=job_id, status=DocumentJob.Status.RUNNING).update(
                status=DocumentJob.Status.FAILED if final else DocumentJob.Status.QUEUED,
                error=message,
                finished_at=timezone.now() if final else None,
            )
        if final:
            logger.warning("Document job %s failed: %s", job_id, message)
            return "failed"
        backoff = getattr(settings, "DOCUMENT_JOB_RETRY_BACKOFF_SECONDS", 5)
        raise self.retry(exc=error, countdown=backoff * 2 ** (job.attempts - 1)) from error
    return "done" if _store(job_id, data, started) else "skipped"


@shared_task(name="documents.sweep_document_jobs")
def sweep_document_jobs(older_than_seconds: int | None = None) -> int:
    """Enqueue again the jobs left queued (the broker was down) or running without a worker."""
    from .services import enqueue

    if older_than_seconds is None:
        older_than_seconds = getattr(settings, "DOCUMENT_JOB_SWEEP_AFTER_SECONDS", 300)
    now = timezone.now()
    cutoff = now - datetime.timedelta(seconds=older_than_seconds)
    stale = DocumentJob.objects.filter(
        Q(status=DocumentJob.Status.QUEUED)
        & (Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=cutoff))
        & Q(created_at__lte=cutoff)
        | Q(status=DocumentJob.Status.RUNNING, started_at__lte=now - running_timeout())
    ).values_list("pk", flat=True)
    sent = 0
    for job_id in stale:
        sent += enqueue(job_id)
    return sent
