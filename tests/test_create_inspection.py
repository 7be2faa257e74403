"""`create_inspection`: good input plans one inspection; each kind of bad input is named and writes nothing."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from inspections.models import Framework, Inspection
from inspections.services import inspection_create

from .factories import InspectionFactory, PDUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def devon(region):
    return PDUFactory(slug="devon-and-torbay", name="Devon and Torbay", region=region)


def create(*args):
    out = io.StringIO()
    call_command("create_inspection", *args, stdout=out)
    return out.getvalue()


def test_a_good_command_plans_the_inspection_with_the_default_framework(devon):
    printed = create("SW-DEV-2024", "--pdu", "devon-and-torbay", "--fieldwork-start", "2024-06-03")
    inspection = Inspection.objects.get()
    assert inspection.reference == "SW-DEV-2024"
    assert inspection.pdu == devon
    assert inspection.framework.code == "pdu-2021"
    assert inspection.fieldwork_start == datetime.date(2024, 6, 3)
    assert inspection.status == Inspection.Status.PLANNED
    assert inspection.published_on is None
    assert "Created SW-DEV-2024" in printed


def test_another_framework_can_be_named(devon):
    create("SW-DEV-2019", "--pdu", "devon-and-torbay", "--fieldwork-start", "2019-03-04", "--framework", "adult-2018")
    assert Inspection.objects.get().framework.code == "adult-2018"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ("sw-dev-2024", "--pdu", "devon-and-torbay", "--fieldwork-start", "2024-06-03"),
            "reference: Enter a reference",
        ),
        (
            ("SW-DEVON-24", "--pdu", "devon-and-torbay", "--fieldwork-start", "2024-06-03"),
            "reference: Enter a reference",
        ),
        (
            ("SW-DEV-2024", "--pdu", "devon", "--fieldwork-start", "2024-06-03"),
            "pdu: There is no PDU with the slug 'devon'",
        ),
        (("SW-DEV-2024", "--pdu", "devon-and-torbay", "--fieldwork-start", "03/06/2024"), "not a date in the form"),
        (("SW-DEV-2024", "--pdu", "devon-and-torbay", "--fieldwork-start", "2024-02-30"), "not a date in the form"),
        (
            ("SW-DEV-2024", "--pdu", "devon-and-torbay", "--fieldwork-start", "2024-06-03", "--framework", "pdu-2030"),
            "framework: There is no framework 'pdu-2030'",
        ),
    ],
)
def test_bad_input_is_named_and_nothing_is_written(devon, arguments, message):
    with pytest.raises(CommandError, match=message):
        create(*arguments)
    assert not Inspection.objects.exists()


def test_every_problem_is_reported_at_once(devon):
    with pytest.raises(CommandError) as refused:
        create("bad", "--pdu", "nowhere", "--fieldwork-start", "2024-06-03", "--framework", "none")
    assert all(field in str(refused.value) for field in ("reference:", "pdu:", "framework:"))
    assert not Inspection.objects.exists()


def test_a_duplicate_reference_is_refused_and_the_existing_inspection_is_untouched(devon):
    existing = InspectionFactory(reference="SW-DEV-2024", pdu=devon, fieldwork_start=datetime.date(2024, 1, 8))
    with pytest.raises(CommandError, match="reference: An inspection with the reference SW-DEV-2024 already exists"):
        create("SW-DEV-2024", "--pdu", "devon-and-torbay", "--fieldwork-start", "2024-06-03")
    assert Inspection.objects.count() == 1
    existing.refresh_from_db()
    assert existing.fieldwork_start == datetime.date(2024, 1, 8)


def test_the_service_takes_objects_as_well_as_slugs_and_codes(devon):
    framework = Framework.objects.get(code="pdu-2021")
    inspection = inspection_create(
        reference="SW-DEV-2025", pdu=devon, fieldwork_start=datetime.date(2025, 6, 2), framework=framework
    )
    assert Inspection.objects.get(pk=inspection.pk).pdu == devon


def test_the_service_refuses_a_missing_pdu_by_field(devon):
    with pytest.raises(ValidationError) as refused:
        inspection_create(reference="SW-XYZ-2024", pdu="xyz", fieldwork_start=datetime.date(2024, 6, 3))
    assert set(refused.value.message_dict) == {"pdu"}
    assert not Inspection.objects.exists()
