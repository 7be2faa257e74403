import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from inspections.services import DEFAULT_FRAMEWORK, inspection_create


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"fieldwork start: {value!r} is not a date in the form YYYY-MM-DD") from error


class Command(BaseCommand):
    help = "Plan a new inspection of a PDU, for example: create_inspection SW-DEV-2024 --pdu devon-and-torbay "
    "--fieldwork-start 2024-06-03"

    def add_arguments(self, parser):
        parser.add_argument("reference", help="The inspection's reference, such as SW-DEV-2024")
        parser.add_argument("--pdu", required=True, help="The slug of the PDU inspected")
        parser.add_argument("--fieldwork-start", required=True, help="The first day of fieldwork, YYYY-MM-DD")
        parser.add_argument(
            "--framework", default=DEFAULT_FRAMEWORK, help=f"Framework code (default {DEFAULT_FRAMEWORK})"
        )

    def handle(self, *args, reference: str, pdu: str, fieldwork_start: str, framework: str, **options):
        try:
            inspection = inspection_create(
                reference=reference, pdu=pdu, fieldwork_start=_date(fieldwork_start), framework=framework
            )
        except ValidationError as error:
            problems = "; ".join(
                f"{field.replace('_', ' ')}: {message}"
                for field, messages in error.message_dict.items()
                for message in messages
            )
            raise CommandError(f"No inspection created. {problems}") from error
        self.stdout.write(
            f"Created {inspection.reference}: {inspection.pdu.name}, {inspection.framework.code}, "
            f"fieldwork from {inspection.fieldwork_start:%d %B %Y}, status {inspection.get_status_display().lower()}."
        )
