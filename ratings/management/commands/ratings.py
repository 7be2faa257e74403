import json

from django.core.management.base import BaseCommand, CommandError

from inspections.models import Inspection
from ratings.report import ratings_report, ratings_table
from ratings.selectors import inspection_ratings_for_display, snapshot_summary


class Command(BaseCommand):
    help = (
        "Print an inspection's ratings: each standard's rating, the score and the overall band, with the "
        "explanation. Published inspections are read from their published snapshot."
    )

    def add_arguments(self, parser):
        parser.add_argument("reference", help="The inspection's reference, for example SW-SOM-2023")
        parser.add_argument("--format", choices=["json", "table"], default="table")
        parser.add_argument(
            "--live", action="store_true", help="Compute from the case data now, even for a published inspection"
        )

    def handle(self, *args, reference, format, live, **options):
        try:
            inspection = Inspection.objects.select_related("framework").get(reference=reference)
        except Inspection.DoesNotExist:
            raise CommandError(f"No inspection has the reference {reference!r}") from None
        displayed = inspection_ratings_for_display(inspection, live=live)
        report = ratings_report(
            reference=inspection.reference,
            result=displayed.result,
            draft_cases=displayed.draft_cases,
            snapshot=snapshot_summary(displayed.snapshot),
        )
        if format == "json":
            self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(ratings_table(report))
