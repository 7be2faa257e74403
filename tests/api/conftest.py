"""The API tests' world: the demo, loaded once per module, plus what the demo lacks.

The demo has one unpublished inspection (SW-CIS-2026, fieldwork, no answers) and no
published London inspection, and none of its answers has an evidence note. `api_world`
adds a second unpublished inspection with cases and answers (London, so both directors
have hidden work), a published London inspection with cases and answers, and evidence
notes with distinctive text on answers of published and unpublished inspections alike.

The demo takes seconds to load, so it is loaded once per module inside a transaction
that is rolled back when the module ends; each test still runs in its own savepoint.
"""

from __future__ import annotations

import datetime
import io
import json
from dataclasses import dataclass, field

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken

from accounts.models import User
from casework.models import Answer, CaseReview
from inspections.models import Inspection
from ratings.services import ratings_snapshot_take

from ..factories import InspectionFactory, PDUFactory, RegionFactory, set_publication
from ..ratings_data import add_cases, judge

ANALYST = "analyst@demo.test"
DIRECTOR_SW = "director.southwest@demo.test"
DIRECTOR_LONDON = "director.london@demo.test"
ADMIN = "admin@demo.test"
INSPECTOR = "inspector@demo.test"

HIDDEN_LONDON = "LDN-HID-2026"  # unpublished, with cases and answers
PUBLISHED_LONDON = "LDN-CAM-2024"  # published, with cases and answers
NOTE_MARK = "EVIDENCE-NOTE-7f3a"  # every evidence note this world writes contains it


@dataclass
class World:
    """What the tests look for: the hidden inspections, every case reference, every note."""

    hidden_inspections: list[str] = field(default_factory=list)
    case_references: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    recommendation_text: str | None = None


def _note(answer_id: int) -> str:
    return f"{NOTE_MARK} answer {answer_id}: the practitioner's record says more than we may share"


def _write_notes(answers) -> list[str]:
    notes = []
    for answer_id in list(answers.values_list("id", flat=True)):
        note = _note(answer_id)
        Answer.objects.filter(id=answer_id).update(note=note)
        notes.append(note)
    return notes


def _build_world() -> World:
    call_command("load_demo", stdout=io.StringIO())
    world = World()
    london = RegionFactory(slug="london")

    hidden = InspectionFactory(
        reference=HIDDEN_LONDON, pdu=PDUFactory(slug="hidden-pdu", name="Hidden PDU", region=london)
    )
    add_cases(hidden, 4, prefix="H")
    world.notes += _write_notes(Answer.objects.filter(case_review__inspection=hidden))

    published = InspectionFactory(
        reference=PUBLISHED_LONDON,
        pdu=PDUFactory(slug="camden-and-islington", name="Camden and Islington", region=london),
        fieldwork_start=datetime.date(2024, 3, 4),
    )
    add_cases(published, 5, prefix="L")
    judge(published)
    world.notes += _write_notes(Answer.objects.filter(case_review__inspection=published)[:10])
    set_publication(published, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 2))
    # Published ratings are read from the snapshot publishing takes, as the demo's are.
    ratings_snapshot_take(inspection=published, kind="published", by=User.objects.get(email=ADMIN))

    # Notes on the demo's published answers too: unlocked for the purpose, then locked again.
    for inspection in Inspection.objects.filter(status=Inspection.Status.PUBLISHED).exclude(pk=published.pk):
        set_publication(inspection, unlocked_at=timezone.now())
        world.notes += _write_notes(Answer.objects.filter(case_review__inspection=inspection).order_by("id")[:15])
        set_publication(inspection, unlocked_at=None)

    world.hidden_inspections = list(
        Inspection.objects.exclude(status=Inspection.Status.PUBLISHED).values_list("reference", flat=True)
    )
    world.case_references = list(CaseReview.objects.values_list("case_reference", flat=True))
    return world


@pytest.fixture(scope="module")
def api_world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        world = _build_world()
        yield world
        transaction.set_rollback(True)


@pytest.fixture
def world(api_world, db):
    """The module's world, inside this test's own savepoint."""
    return api_world


def token_for(email: str) -> str:
    _, token = AuthToken.objects.create(User.objects.get(email=email))
    return token


def api_client(email: str) -> Client:
    """A test client that sends `email`'s new token with every request."""
    return Client(HTTP_AUTHORIZATION=f"Token {token_for(email)}")


def schema() -> dict:
    response = Client().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def list_paths(openapi: dict) -> list[str]:
    """Every list address in the schema (a GET without a path parameter)."""
    return sorted(p for p, item in openapi["paths"].items() if "get" in item and "{" not in p and "/schema/" not in p)


def detail_paths(openapi: dict) -> list[str]:
    return sorted(p for p, item in openapi["paths"].items() if "get" in item and "{" in p)


# Walking the API -------------------------------------------------------------------------------

# Values for the query parameters a list requires (e.g. /findings/ needs ?question=): real ones.
REQUIRED_VALUES = {"question": "2.2.3", "framework": "pdu-2021", "region": "south-west", "inspection": "SW-DOR-2023"}


def required_query(openapi: dict, path: str) -> dict[str, str]:
    """The list's required query parameters, each with a value that names real rows."""
    query = {}
    for parameter in openapi["paths"][path]["get"].get("parameters", []):
        if parameter["in"] == "query" and parameter.get("required"):
            enum = parameter.get("schema", {}).get("enum")
            query[parameter["name"]] = REQUIRED_VALUES.get(parameter["name"], enum[0] if enum else "")
    return query


def body_text(response) -> str:
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode()


def json_rows(client: Client, path: str, query: dict | None = None) -> tuple[list[dict], list[str]]:
    """Every row of a JSON list, following the cursor's `next` to the end; and each page's body."""
    response = client.get(path, query or {})
    assert response.status_code == 200, (path, query, response.content[:300])
    rows, bodies = [], []
    while True:
        bodies.append(body_text(response))
        data = json.loads(bodies[-1])
        if isinstance(data, list):
            return data, bodies
        rows += data["results"]
        if not data.get("next"):
            return rows, bodies
        response = client.get(data["next"])
        assert response.status_code == 200, (data["next"], response.content[:300])


def csv_text(client: Client, path: str, query: dict | None = None, *, accept: bool = False) -> str:
    """The whole list as CSV: `?format=csv`, or `Accept: text/csv` when `accept`."""
    if accept:
        response = client.get(path, query or {}, HTTP_ACCEPT="text/csv")
    else:
        response = client.get(path, {**(query or {}), "format": "csv"})
    assert response.status_code == 200, (path, query, response.content[:300] if not response.streaming else "")
    assert response["Content-Type"].startswith("text/csv")
    return body_text(response)
