import argparse
import datetime
import json

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.management.base import BaseCommand, CommandError

from casework.models import CaseReview
from inspections.choices import parse_yes_no
from inspections.models import Inspection
from ratings.findings import BREAKDOWN_ATTRIBUTES, CASE_ATTRIBUTES, UnknownQuestion, findings, findings_by
from regions.models import PDU, Region


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2023-06-01") from None


def _case_filter(text: str) -> tuple[str, object]:
    """ "rosh_level=high" → ("rosh_level", "high"), checked against the field's choices."""
    name, sep, raw = text.partition("=")
    if not sep or name not in CASE_ATTRIBUTES:
        raise argparse.ArgumentTypeError(f"--where takes ATTRIBUTE=VALUE with one of: {', '.join(CASE_ATTRIBUTES)}")
    try:
        field = CaseReview._meta.get_field(name)
    except FieldDoesNotExist:  # pragma: no cover - CASE_ATTRIBUTES names real fields
        raise argparse.ArgumentTypeError(f"unknown attribute {name!r}") from None
    if field.get_internal_type() == "BooleanField":
        try:
            return name, parse_yes_no(raw)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"{name}: {error}") from None
    try:
        return name, field.clean(raw, None)
    except ValidationError as error:
        raise argparse.ArgumentTypeError(f"{name}={raw!r}: {' '.join(error.messages)}") from None


class Command(BaseCommand):
    help = (
        "Count the relevant cases for a key question or prompt over a scope: relevant, yes, no, not applicable "
        "and the percentage of relevant cases answered yes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--question", required=True, help="A key question or prompt code, for example 2.2.3.e")
        parser.add_argument("--framework", help="The framework code, when the question code is in several")
        parser.add_argument("--inspection", action="append", default=[], help="An inspection reference; repeatable")
        parser.add_argument("--region", help="A region slug, for example south-west")
        parser.add_argument("--pdu", help="A PDU slug")
        parser.add_argument("--from", dest="date_from", type=_date, help="Fieldwork starting on or after this date")
        parser.add_argument("--to", dest="date_to", type=_date, help="Fieldwork starting on or before this date")
        parser.add_argument(
            "--where", action="append", default=[], type=_case_filter, help="A case attribute, e.g. rosh_level=high"
        )
        parser.add_argument("--by", choices=BREAKDOWN_ATTRIBUTES, help="Break the finding down by this attribute")
        parser.add_argument("--format", choices=["json", "table"], default="json")

    def handle(self, *args, question, framework, inspection, region, pdu, date_from, date_to, where, by, format, **_):
        known = set(Inspection.objects.filter(reference__in=inspection).values_list("reference", flat=True))
        if unknown := [ref for ref in inspection if ref not in known]:
            raise CommandError(f"No inspection has the reference {', '.join(map(repr, unknown))}")
        if region and not Region.objects.filter(slug=region).exists():
            raise CommandError(f"No region has the slug {region!r}")
        if pdu and not PDU.objects.filter(slug=pdu).exists():
            raise CommandError(f"No PDU has the slug {pdu!r}")
        scope = {
            "framework": framework,
            "inspections": inspection or None,
            "region": region,
            "pdu": pdu,
            "date_from": date_from,
            "date_to": date_to,
            **dict(where),
        }
        try:
            finding = findings(question_code=question, **scope)
            breakdown = findings_by(question_code=question, attribute=by, **scope) if by else None
        except UnknownQuestion as error:
            raise CommandError(str(error)) from None
        data = finding.as_dict()
        data["scope"] = {k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in scope.items() if v}
        if breakdown is not None:
            data["breakdown"] = [
                {"by": by, "value": row.value, "label": row.label, **row.finding.as_dict()} for row in breakdown
            ]
        if format == "json":
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        percent = "—" if data["percent"] is None else f"{data['percent']}%"
        self.stdout.write(
            f"{question}: {data['yes']} yes out of {data['relevant']} relevant cases ({percent}); "
            f"{data['no']} no, {data['not_applicable']} not applicable"
        )
        for row in data.get("breakdown", []):
            percent = "—" if row["percent"] is None else f"{row['percent']}%"
            self.stdout.write(f"  {row['label']:<40} {row['yes']:>5} / {row['relevant']:<5} {percent:>7}")
