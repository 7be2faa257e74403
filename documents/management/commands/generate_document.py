"""Generate a regional letter or a recommendation tracker through the same job rows and Celery tasks as the pages.

    python manage.py generate_document letter --region south-west [--inspections REF,REF] \
        --format docx|pdf --output FILE
    python manage.py generate_document tracker --region south-west --format xlsx|csv --output FILE

Waits for the job (with no REDIS_URL the task runs in-process), then writes the file.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from documents import services
from documents.models import DocumentJob
from inspections.errors import Refused
from inspections.models import RegionalReview


class Command(BaseCommand):
    help = "Generate a regional letter (docx, pdf) or a recommendation tracker (xlsx, csv) and write it to a file."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["letter", "tracker"])
        parser.add_argument("--region", required=True, help="The region's slug, e.g. south-west")
        parser.add_argument("--inspections", default="", help="Letters only: inspection references, comma-separated")
        parser.add_argument(
            "--review", default="", help="Letters only: the regional review's slug (default: the latest)"
        )
        parser.add_argument("--format", required=True, choices=["docx", "pdf", "xlsx", "csv"], dest="fmt")
        parser.add_argument("--output", required=True, help="Where to write the file")
        parser.add_argument("--force", action="store_true", help="Generate again even if the same inputs were")
        parser.add_argument("--by", default="", help="The requesting user's email (default: the first administrator)")
        parser.add_argument("--timeout", type=float, default=120, help="Seconds to wait for the job")

    def handle(self, *args, kind, region, inspections, review, fmt, output, force, by, timeout, **options):
        user = self._user(by)
        if kind == "letter":
            reviews = RegionalReview.objects.filter(region__slug=region)
            if review:
                reviews = reviews.filter(slug=review)
            found = reviews.order_by("-letter_date", "-id").first()
            if found is None:
                raise CommandError(
                    f"No regional review of the region {region!r}" + (f" named {review!r}" if review else "")
                )
            params = {"review": found.slug}
            references = [r.strip() for r in inspections.split(",") if r.strip()]
            if references:
                params["inspections"] = references
        else:
            if inspections or review:
                raise CommandError("--inspections and --review are for letters only")
            params = {"region": region}
        started = time.perf_counter()
        try:
            with transaction.atomic():  # the task is sent when this commits
                job = services.document_request(kind=kind, fmt=fmt, params=params, by=user, force=force)
        except Refused as refusal:
            raise CommandError(refusal.message) from None
        job = self._wait(job, timeout)
        if job.status == DocumentJob.Status.FAILED:
            raise CommandError(f"Job {job.pk} failed: {job.error}")
        if job.status != DocumentJob.Status.DONE:
            raise CommandError(
                f"Job {job.pk} is still {job.status} after {timeout:g} s (is a worker running?); "
                "it stays queued and will be generated when one is."
            )
        with job.file.open("rb") as source:
            Path(output).write_bytes(source.read())
        seconds = job.duration_seconds
        self.stdout.write(
            f"Wrote {output} (job {job.pk}, sha256 {job.checksum}"
            + (f", generated in {seconds:.2f} s" if seconds is not None else "")
            + f", {time.perf_counter() - started:.2f} s in all)"
        )

    def _user(self, email: str) -> User:
        if email:
            user = User.objects.filter(email__iexact=email, is_active=True).first()
            if user is None:
                raise CommandError(f"No active user {email!r}")
            return user
        user = (
            User.objects.filter(is_active=True)
            .filter(role=User.Role.ADMINISTRATOR)
            .union(User.objects.filter(is_active=True, is_superuser=True))
            .order_by("id")
            .first()
        )
        if user is None:
            raise CommandError("There is no administrator: name the requesting user with --by EMAIL")
        return user

    def _wait(self, job: DocumentJob, timeout: float) -> DocumentJob:
        deadline = time.monotonic() + timeout
        while True:
            job.refresh_from_db()
            if job.is_finished or time.monotonic() >= deadline:
                return job
            time.sleep(0.1)
