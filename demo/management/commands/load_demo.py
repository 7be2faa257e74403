from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from demo.loader import DemoNotAllowed, demo_load


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

    def handle(self, *args, restore: bool, **options):
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
