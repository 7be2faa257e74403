"""Celery tasks that generate documents: take an id, re-fetch, claim, return early when done.

Safe to run twice: a job is claimed under `SELECT … FOR UPDATE SKIP LOCKED` and marked
running in its own transaction; a second delivery finds it running (or done) and returns.
The file is stored only if the row is not done yet, under a lock, so one job has one file.

A worker generating a job holds a PostgreSQL advisory lock on it, in its own database session,
from the claim to the end: if the worker dies (killed, out of memory, its machine lost) the
session ends and PostgreSQL lets the lock go at once. So "running, and nobody holds its lock"
means its worker is gone: the next delivery (or the sweep) claims it again, instead of it being
left running (tests/chaos/test_worker_killed.py).
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
from django.db import DatabaseError, connection, transaction
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


# The first key of the jobs' advisory locks (the second is the job's id): any number no other lock uses.
LOCK_CLASS = 0x444F43  # "DOC"

# The running jobs no database session holds the lock of: their worker is gone.
_LOST_JOBS_SQL = """
    SELECT job.id FROM documents_documentjob job
     WHERE job.status = 'running'
       AND NOT EXISTS (SELECT 1 FROM pg_locks
                        WHERE locktype = 'advisory' AND objsubid = 2 AND classid = %s AND objid = job.id
                          AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))
"""


def _lock(job_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_CLASS, job_id])
        return cursor.fetchone()[0]


def _unlock(job_id: int) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, job_id])
    except DatabaseError:  # the connection is gone, and the lock with it
        logger.warning("Could not release the lock of document job %s", job_id, exc_info=True)


def _claim(job_id: int) -> DocumentJob | None:
    """The job, marked running and locked for this worker; None if it is not this worker's to generate."""
    if not _lock(job_id):
        return None  # a live worker is generating it
    job = None
    try:
        job = _claim_locked(job_id)
    finally:
        if job is None:
            _unlock(job_id)
    return job


def _claim_locked(job_id: int) -> DocumentJob | None:
    with transaction.atomic():
        job = DocumentJob.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
        if job is None or job.status in (DocumentJob.Status.DONE, DocumentJob.Status.FAILED):
            return None  # gone, being claimed by another worker, or finished
        if job.status == DocumentJob.Status.RUNNING and job.attempts >= MAX_ATTEMPTS:
            # Running, unlocked: its worker died during the last allowed attempt. A document that
            # kills its worker every time (out of memory, say) is given up, not tried for ever.
            job.status = DocumentJob.Status.FAILED
            job.error = f"The worker generating this document stopped before finishing it (attempt {job.attempts})."
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "error", "finished_at"])
            logger.warning("Document job %s failed: %s", job_id, job.error)
            return None
        job.status = DocumentJob.Status.RUNNING
        job.started_at = timezone.now()
        job.finished_at = None
        job.attempts += 1
        job.save(update_fields=["status", "started_at", "finished_at", "attempts"])
        return job


def _store(job_id: int, data: bytes, started: float) -> bool:
    checksum = hashlib.sha256(data).hexdigest()
    name = None
    try:
        with transaction.atomic():
            job = DocumentJob.objects.select_for_update().get(pk=job_id)
            if job.status == DocumentJob.Status.DONE:
                return False  # another run stored it first: one file per job
            storage, field = job.file.storage, job.file.field
            # The name is chosen here rather than inside the storage, so that a file that cannot be
            # written whole (the disk full) can be removed: Django's storage leaves the part it wrote.
            name = field.generate_filename(job, f"{job.pk}-{checksum[:12]}-{job.filename()}")
            name = storage.get_available_name(name, max_length=field.max_length)
            job.file = storage.save(name, ContentFile(data), max_length=field.max_length)
            job.checksum = checksum
            job.status = DocumentJob.Status.DONE
            job.error = ""
            job.finished_at = timezone.now()
            job.save(update_fields=["file", "checksum", "status", "error", "finished_at"])
    except Exception:
        if name is not None:  # written in part, or whole but not recorded: not the job's file
            try:
                storage.delete(name)
            except OSError:
                logger.warning("Could not remove %s, left by document job %s", name, job_id, exc_info=True)
        raise
    logger.info("Document job %s stored in %.3f s", job_id, time.perf_counter() - started)
    return True


def _describe(error: Exception) -> str:
    """The error as the job page shows it. A file that cannot be written is said so, without the
    server's folders that the storage's errors name."""
    if isinstance(error, OSError):
        chain = (error, error.__cause__, error.__context__)
        reason = next((e.strerror for e in chain if isinstance(e, OSError) and e.strerror), None)
        return f"The file could not be saved: {reason or type(error).__name__}."
    return f"{type(error).__name__}: {error}"


# The outcome of a job is its row, which every page and command reads: no result is stored in Redis,
# and sending the task does not subscribe to one, which with Redis down kept the page waiting ~20 s.
@shared_task(
    bind=True, acks_late=True, ignore_result=True, max_retries=MAX_ATTEMPTS - 1, name="documents.generate_document"
)
def generate_document(self, job_id: int) -> str:
    job = _claim(job_id)
    if job is None:
        return "skipped"
    try:
        started = time.perf_counter()
        try:
            data = RENDERERS[(job.kind, job.format)](job)
            # Storing can fail too (the disk full, the folder read-only): recorded and retried the same way.
            stored = _store(job_id, data, started)
        except Exception as error:  # every failure is recorded on the row
            message = _describe(error)
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
        return "done" if stored else "skipped"
    finally:
        _unlock(job_id)


@shared_task(ignore_result=True, name="documents.sweep_document_jobs")
def sweep_document_jobs(older_than_seconds: int | None = None) -> int:
    """Enqueue again the jobs left queued (the broker was down) or running without a worker."""
    from .services import enqueue

    if older_than_seconds is None:
        older_than_seconds = getattr(settings, "DOCUMENT_JOB_SWEEP_AFTER_SECONDS", 300)
    now = timezone.now()
    cutoff = now - datetime.timedelta(seconds=older_than_seconds)
    stale = list(
        DocumentJob.objects.filter(
            Q(status=DocumentJob.Status.QUEUED)
            & (Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=cutoff))
            & Q(created_at__lte=cutoff)
        ).values_list("pk", flat=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(_LOST_JOBS_SQL, [LOCK_CLASS])
        stale += [job_id for (job_id,) in cursor.fetchall()]
    sent = 0
    for job_id in stale:
        sent += enqueue(job_id)
    return sent
