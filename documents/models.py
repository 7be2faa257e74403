from django.conf import settings
from django.db import models
from django.db.models import Q


class DocumentJob(models.Model):
    """A request for a generated document: the row is written first, the Celery task fills it in.

    So nothing is lost when the broker is down (the sweep re-enqueues rows left queued), and a
    task run twice finds the row done and returns. The same request with the same inputs
    (`fingerprint`) reuses the finished file unless forced.
    """

    class Kind(models.TextChoices):
        LETTER = "letter", "Regional letter"
        TRACKER = "tracker", "Recommendation tracker"

    class Format(models.TextChoices):
        DOCX = "docx", "Word (DOCX)"
        PDF = "pdf", "PDF"
        XLSX = "xlsx", "Excel (XLSX)"
        CSV = "csv", "CSV"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    format = models.CharField(max_length=10, choices=Format.choices)
    params = models.JSONField(default=dict)
    fingerprint = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(upload_to="documents/", blank=True)
    checksum = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the file")
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="letter", format__in=["docx", "pdf"]) | Q(kind="tracker", format__in=["xlsx", "csv"]),
                name="document_job_format_fits_kind",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | (~Q(file="") & ~Q(checksum="") & Q(finished_at__isnull=False)),
                name="document_job_done_has_file",
            ),
            models.CheckConstraint(condition=~Q(status="failed") | ~Q(error=""), name="document_job_failed_has_error"),
            # Two requests with the same inputs at once make one job, not two.
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=Q(status__in=["queued", "running"]),
                name="document_job_one_pending_per_inputs",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="document_job_by_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.format}) #{self.pk}: {self.get_status_display()}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    def filename(self) -> str:
        subject = self.params.get("review") or self.params.get("region") or "document"
        return f"{self.kind}-{subject}.{self.format}"
