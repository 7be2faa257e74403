from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from casework.imports import case_reviews_import
from casework.models import CaseReview
from inspections.models import Inspection


class Command(BaseCommand):
    help = (
        "Import case reviews from a CSV file (one row per case × question; see docs/import-format.md). "
        "The whole file is checked first: any problem is listed with its line number and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file, UTF-8, with a header row")
        parser.add_argument("--inspection", required=True, help="The inspection's reference, for example SW-DOR-2023")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; write nothing")
        parser.add_argument(
            "--status",
            choices=CaseReview.Status.values,
            default=CaseReview.Status.SUBMITTED,
            help="The status the imported case reviews enter with (default: submitted)",
        )
        parser.add_argument("--by", help="The email of the person the import is recorded against")

    def handle(self, *args, file, inspection, dry_run, status, by, **options):
        try:
            target = Inspection.objects.select_related("framework").get(reference=inspection)
        except Inspection.DoesNotExist:
            raise CommandError(f"No inspection has the reference {inspection!r}") from None
        user = None
        if by:
            user = User.objects.filter(email__iexact=by).first()
            if user is None:
                raise CommandError(f"No user has the email {by!r}")
        try:
            # utf-8-sig: spreadsheets often start a UTF-8 CSV with a byte order mark.
            with open(file, encoding="utf-8-sig", newline="") as source:
                report = case_reviews_import(inspection=target, source=source, status=status, by=user, dry_run=dry_run)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(str(problem))
            count = len(report.problems)
            raise CommandError(f"{count} problem{'s' if count != 1 else ''} in {file}: nothing was imported")
        what = f"{report.case_reviews} case reviews with {report.answers} answers"
        if dry_run:
            self.stdout.write(f"{file} is fine: {what} would be imported into {target.reference}. Nothing was written.")
        else:
            self.stdout.write(f"Imported {what} into {target.reference}, as {status}.")
