from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from demo.loader import DemoNotAllowed, demo_load
from demo.national_load import (
    DEFAULT_CASES,
    DEFAULT_PDUS_PER_REGION,
    NationalNotAllowed,
    may_generate,
    national_load,
    national_loaded,
)


def _lower(name: str) -> str:
    return name if name[:2].isupper() else name[0].lower() + name[1:]  # "PDUs" stays as it is


def _counts(counter: Counter) -> str:
    return ", ".join(f"{n} {_lower(name)}" for name, n in sorted(counter.items()) if n)


class Command(BaseCommand):
    help = (
        "Load the South West 2023 demo: two regions, six demo accounts, three published inspections with "
        "157 case reviews, the letter's recommendations and findings. Existing records are left as they are "
        "unless --restore is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--restore",
            action="store_true",
            help="Put the demo's values back where records differ from them (logged; published inspections "
            "are unlocked and relocked with a reason).",
        )
        parser.add_argument(
            "--national",
            action="store_true",
            help="Then add the benchmark's synthetic national data once: twelve regions, five yearly rounds of "
            "inspections (2019-2023), marked as synthetic on every page. Needs the tables' owner: "
            "`make demo-national`.",
        )
        # For tests and quick tries: the size of the national data.
        parser.add_argument(
            "--pdus-per-region", type=int, default=DEFAULT_PDUS_PER_REGION, help="with --national: PDUs per region"
        )
        parser.add_argument(
            "--cases", type=int, default=DEFAULT_CASES, help="with --national: mean case reviews per inspection (±5)"
        )

    def handle(self, *args, restore: bool, national: bool, pdus_per_region: int, cases: int, **options):
        # Refused before anything is written: the national data needs the tables' owner.
        if national and (pdus_per_region < 1 or cases < 1):
            raise CommandError("--pdus-per-region and --cases must be at least 1")
        if national and not national_loaded() and not may_generate():
            raise CommandError(
                "load_demo --national needs the tables' owner (it skips the per-row triggers with "
                "session_replication_role): run `make demo-national`, which loads it as the owner."
            )
        try:
            summary = demo_load(restore=restore)
        except DemoNotAllowed as error:
            raise CommandError(str(error)) from error
        if summary.changed:
            created, updated = _counts(summary.created), _counts(summary.updated)
            self.stdout.write(
                "Demo loaded."
                + (f" Created: {created}." if created else "")
                + (f" Updated: {updated}." if updated else "")
            )
        else:
            self.stdout.write("Demo already loaded: nothing to change.")
        if +summary.kept:
            self.stdout.write(
                f"Left as they are, differing from the demo: {_counts(summary.kept)}. "
                "Run `python manage.py load_demo --restore` to put the demo's values back."
            )
        if summary.history_dated is None and summary.changed:
            self.stdout.write(
                "The demo's history keeps today's date: history is append-only for the application role. "
                "`make demo` loads it as the tables' owner, which dates it to 2023."
            )
        self.stdout.write("Demo contents: " + ", ".join(f"{n} {name}" for name, n in summary.totals.items()) + ".")
        if national:
            self._national(pdus_per_region=pdus_per_region, cases=cases)

    def _national(self, *, pdus_per_region: int, cases: int) -> None:
        try:
            national = national_load(pdus_per_region=pdus_per_region, cases=cases)
        except NationalNotAllowed as error:
            raise CommandError(str(error)) from error
        if national.already_loaded:
            self.stdout.write("National data already loaded (synthetic inspections exist): nothing to change.")
            return
        self.stdout.write(
            "Synthetic national data loaded in "
            f"{national.seconds:.1f} s: " + ", ".join(f"{n:,} {name}" for name, n in national.counts.items()) + "."
        )
