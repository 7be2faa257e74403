from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.models import User
from casework.imports import ImportReport, case_reviews_import
from casework.models import CaseReview
from inspections.models import Inspection

STEP_LABELS = {"check": "Checking", "write": "Writing"}


class ProgressBars:
    """One tqdm bar per step of the import (rows per second), on a terminal only.

    A bar appears only once its step has run for a second, so a short import prints nothing.
    """

    def __init__(self, *, stream, rows: int | None, enabled: bool):
        self.stream = stream
        self.rows = rows
        self.enabled = enabled
        self.bars: dict[str, tqdm] = {}

    def __call__(self, step: str, done: int) -> None:
        if not self.enabled:
            return
        bar = self.bars.get(step)
        if bar is None:
            for other in self.bars.values():
                other.close()
            bar = self.bars[step] = tqdm(
                desc=STEP_LABELS.get(step, step), total=self.rows, unit=" rows", file=self.stream, delay=1.0
            )
        bar.update(done)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def count_rows(path: str) -> int | None:
    """The rows after the header, counted by line feeds (fast: no decoding), for the bars' totals."""
    try:
        with open(path, "rb") as file:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b""))
    except OSError:
        return None
    return max(lines - 1, 0)


class Command(BaseCommand):
    help = (
        "Import case reviews from a CSV file (one row per case × question; see docs/import-format.md). "
        "The whole file is checked first: any problem is listed with its line number and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file, UTF-8, with a header row")
        parser.add_argument("--inspection", required=True, help="The inspection's reference, for example SW-DOR-2023")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file exactly as an import would, and report; write nothing",
        )
        parser.add_argument(
            "--status",
            choices=CaseReview.Status.values,
            default=CaseReview.Status.SUBMITTED,
            help="The status the imported case reviews enter with (default: submitted)",
        )
        parser.add_argument("--by", help="The email of the person the import is recorded against")
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="No progress bars (they are shown on stderr only when it is a terminal, for imports over a second)",
        )

    def handle(self, *args, file, inspection, dry_run, status, by, no_progress, **options):
        target = self._inspection(inspection)
        user = self._user(by)
        # The stream under Django's wrapper: tqdm redraws its line with carriage returns.
        stream = getattr(self.stderr, "_out", sys.stderr)
        enabled = not no_progress and stream.isatty()
        progress = ProgressBars(stream=stream, rows=count_rows(file) if enabled else None, enabled=enabled)
        try:
            # Binary: the importer decodes each line itself, so a line that is not UTF-8 is named.
            with open(file, "rb") as source:
                report = case_reviews_import(
                    inspection=target, source=source, status=status, by=user, dry_run=dry_run, progress=progress
                )
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        finally:
            progress.close()
        if not report.ok:
            self._refuse(file, report)
        what = f"{report.case_reviews} case reviews with {report.answers} answers"
        if dry_run:
            self.stdout.write(f"{file} is fine: {what} would be imported into {target.reference}. Nothing was written.")
        else:
            self.stdout.write(f"Imported {what} into {target.reference}, as {status}.")

    def _inspection(self, reference: str) -> Inspection:
        try:
            return Inspection.objects.select_related("framework").get(reference=reference)
        except Inspection.DoesNotExist:
            raise CommandError(f"No inspection has the reference {reference!r}") from None

    def _user(self, email: str | None) -> User | None:
        if not email:
            return None
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No user has the email {email!r}")
        return user

    def _refuse(self, file: str, report: ImportReport) -> None:
        for problem in report.problems:
            self.stderr.write(str(problem))
        if report.unlisted_problems:
            self.stderr.write(f"… and {report.unlisted_problems} more problems, not listed")
        count = len(report.problems) + report.unlisted_problems
        raise CommandError(f"{count} problem{'s' if count != 1 else ''} in {file}: nothing was imported")
