"""Requesting a generated document: role scope, a row first, then the Celery task after commit.

The row is the intent: if the broker is unreachable the request still succeeds and the row
stays queued until `documents.tasks.sweep_queued_jobs` enqueues it again.
"""

from __future__ import annotations

import hashlib
import json
import logging

from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from inspections.errors import Refused
from inspections.models import Inspection, RegionalReview, TeamMember
from inspections.regional import reviews_visible_to as regional_reviews_visible_to
from regions.models import Region

from .models import DocumentJob

logger = logging.getLogger(__name__)

FORMATS = {DocumentJob.Kind.LETTER: {"docx", "pdf"}, DocumentJob.Kind.TRACKER: {"xlsx", "csv"}}


# Who may ask for what ----------------------------------------------------------------------


def reviews_visible_to(user: User) -> QuerySet[RegionalReview]:
    """The regional reviews whose letter the user may generate: those the team of one of its
    inspections (and administrators) see (`inspections.regional`); a director reads the letter, not
    its drafts."""
    if user.is_authenticated and user.role == User.Role.REGIONAL_DIRECTOR and not user.is_administrator:
        return RegionalReview.objects.none()
    return regional_reviews_visible_to(user).select_related("region")


def can_request_letter(user: User, review: RegionalReview) -> bool:
    return reviews_visible_to(user).filter(pk=review.pk).exists()


def can_request_tracker(user: User, region: Region) -> bool:
    """Inspectors and leads who worked in the region, the region's director, administrators."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_administrator:
        return True
    if user.role == User.Role.REGIONAL_DIRECTOR:
        return user.region_id == region.pk
    if user.role in (User.Role.INSPECTOR, User.Role.LEAD_INSPECTOR):
        return TeamMember.objects.filter(user=user, inspection__pdu__region=region).exists()
    return False


def can_see_job(user: User, job: DocumentJob) -> bool:
    """Whoever may request the same document may see its job and download its file."""
    try:
        _check_scope(kind=job.kind, params=job.params, by=user)
    except (Refused, Http404):
        return False
    return True


def _check_scope(*, kind: str, params: dict, by: User):
    if kind == DocumentJob.Kind.LETTER:
        review = RegionalReview.objects.select_related("region").filter(slug=params.get("review")).first()
        if review is None or not can_request_letter(by, review):
            raise Refused("You may not generate this regional letter.", code="not_allowed")
        return review
    if kind == DocumentJob.Kind.TRACKER:
        region = Region.objects.filter(slug=params.get("region")).first()
        if region is None or not can_request_tracker(by, region):
            raise Refused("You may not generate this region's recommendation tracker.", code="not_allowed")
        return region
    raise Refused(f"There is no document of kind {kind!r}.", code="unknown_kind")


# The inputs fingerprint ----------------------------------------------------------------------


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _letter_inputs(review: RegionalReview, params: dict) -> dict:
    """Everything the letter is built from: its content, figures resolved and ratings read."""
    from .letter import letter_content

    content = letter_content(review=review, references=params.get("inspections") or None)
    return {"content": repr(content)}


def _tracker_inputs(region: Region) -> dict:
    """The tracker's rows change with the trackers app's tables and the region's recommendations."""
    state = {}
    models = [apps.get_model("inspections", "Recommendation")]
    if apps.is_installed("trackers"):
        models += list(apps.get_app_config("trackers").get_models())
    for model in models:
        fields = {f.name for f in model._meta.concrete_fields}
        aggregates = {"n": Count("pk"), "max_id": Max("pk")}
        for name in ("updated_at", "changed_at", "pgh_created_at"):
            if name in fields:
                aggregates[name] = Max(name)
        state[model._meta.label] = model._default_manager.aggregate(**aggregates)
    state["region"] = region.pk
    return state


def fingerprint(*, kind: str, fmt: str, params: dict, target) -> str:
    inputs = _letter_inputs(target, params) if kind == DocumentJob.Kind.LETTER else _tracker_inputs(target)
    return _digest({"kind": kind, "format": fmt, "params": params, "inputs": inputs})


# Requesting and enqueueing ---------------------------------------------------------------


def enqueue(job_id: int) -> bool:
    """Send the task; a broker that cannot be reached leaves the row queued for the sweep."""
    from .tasks import generate_document

    try:
        generate_document.apply_async(args=[job_id], retry=False)
    except Exception:  # any broker failure: the row is the record, the sweep sends it later
        logger.warning("Could not enqueue document job %s; the sweep will send it again", job_id, exc_info=True)
        return False
    DocumentJob.objects.filter(pk=job_id, status=DocumentJob.Status.QUEUED).update(enqueued_at=timezone.now())
    return True


def normalise_params(kind: str, params: dict) -> dict:
    if kind == DocumentJob.Kind.LETTER:
        clean = {"review": str(params.get("review", ""))}
        references = params.get("inspections")
        if references:
            clean["inspections"] = sorted({str(r).strip() for r in references if str(r).strip()})
        return clean
    return {"region": str(params.get("region", ""))}


def document_request(*, kind: str, fmt: str, params: dict, by: User, force: bool = False) -> DocumentJob:
    """A job for the document: a finished one with the same inputs, else a new row enqueued after commit."""
    if kind not in FORMATS:
        raise Refused(f"There is no document of kind {kind!r}.", code="unknown_kind")
    if fmt not in FORMATS[kind]:
        raise Refused(f"A {kind} cannot be generated as {fmt}.", code="unknown_format")
    params = normalise_params(kind, params)
    target = _check_scope(kind=kind, params=params, by=by)
    if kind == DocumentJob.Kind.LETTER and params.get("inspections"):
        known = set(target.inspections.values_list("reference", flat=True))
        unknown = [r for r in params["inspections"] if r not in known]
        if unknown:
            raise Refused(f"Not inspections of this regional review: {', '.join(unknown)}.", code="unknown_inspection")
    print_ = fingerprint(kind=kind, fmt=fmt, params=params, target=target)
    # The same inputs: the job already on its way (even when forced), or unless forced the finished file.
    reusable = [DocumentJob.Status.QUEUED, DocumentJob.Status.RUNNING]
    if not force:
        reusable.append(DocumentJob.Status.DONE)
    existing = DocumentJob.objects.filter(fingerprint=print_, status__in=reusable).order_by("-created_at").first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            job = DocumentJob.objects.create(kind=kind, format=fmt, params=params, fingerprint=print_, requested_by=by)
            transaction.on_commit(lambda: enqueue(job.pk))
    except IntegrityError:
        # A request with the same inputs got there first (one pending job per fingerprint): that one.
        return DocumentJob.objects.filter(fingerprint=print_, status__in=reusable).order_by("-created_at").first()
    return job


def retry_job(*, job: DocumentJob, by: User) -> DocumentJob:
    """A failed job queued again (same row), enqueued after commit."""
    if not can_see_job(by, job):
        raise Http404
    with transaction.atomic():
        updated = DocumentJob.objects.filter(pk=job.pk, status=DocumentJob.Status.FAILED).update(
            status=DocumentJob.Status.QUEUED, error="", started_at=None, finished_at=None, enqueued_at=None
        )
        if updated:
            transaction.on_commit(lambda: enqueue(job.pk))
    job.refresh_from_db()
    return job


def inspections_of(review: RegionalReview) -> QuerySet[Inspection]:
    return review.inspections.select_related("pdu")
