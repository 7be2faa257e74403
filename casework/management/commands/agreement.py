import json

from django.core.management.base import BaseCommand, CommandError

from casework.agreement import inspection_agreement
from inspections.models import Inspection


class Command(BaseCommand):
    help = (
        "Print how far double-marked cases agree: per key question and prompt, and for the inspection overall, "
        "the pairs compared, how many agree, the percentage agreement, Cohen's kappa and the confusion counts "
        '("first|second" answer → count). Kappa is null where it is not defined.'
    )

    def add_arguments(self, parser):
        parser.add_argument("reference", help="The inspection's reference, for example SW-SOM-2023")
        parser.add_argument("--format", choices=["json", "table"], default="table")

    def handle(self, *args, reference, format, **options):
        try:
            inspection = Inspection.objects.get(reference=reference)
        except Inspection.DoesNotExist:
            raise CommandError(f"No inspection has the reference {reference!r}") from None
        agreement = inspection_agreement(inspection)
        report = {
            "inspection": inspection.reference,
            "cases": agreement.cases,
            "questions": {a.code: a.as_dict() for a in agreement.questions},
            "overall": agreement.overall.as_dict(),
        }
        if format == "json":
            self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
            return
        self.stdout.write(f"{inspection.reference}: {agreement.cases} cases marked twice")
        self.stdout.write(f"{'Question':<10} {'Pairs':>5} {'Agree':>5} {'Percent':>7} {'Kappa':>6}  Confusion")
        rows = [*report["questions"].items(), ("Overall", report["overall"])]
        for code, figures in rows:
            percent = "-" if figures["percent"] is None else f"{figures['percent']:.1f}"
            kappa = "-" if figures["kappa"] is None else f"{figures['kappa']:.3f}"
            confusion = ", ".join(f"{pair} {count}" for pair, count in figures["confusion"].items())
            self.stdout.write(
                f"{code:<10} {figures['pairs']:>5} {figures['agree']:>5} {percent:>7} {kappa:>6}  {confusion}"
            )
