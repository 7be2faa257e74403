"""Issue 12: the authorisation matrix over everything the service answers.

Every URL pattern the resolver has (pages, the admin's, the API router's, unnamed ones) × every HTTP
method (GET, HEAD, POST, PUT, PATCH, DELETE; OPTIONS for the API) × every persona × objects inside
and outside the persona's scope × each format (every table's CSV of a dashboard, every download
format of a tracker, a document job of every kind and format, the API's JSON, `?format=csv`,
`Accept: text/csv` and token authentication).

The objects are five scenarios built once for the module: a fieldwork and a published inspection
in each of two regions, each with its cases, recommendation, action, regional letter, document jobs
and an API token; the ghost (kwargs no object has); and "crossed" ones (a case review, recommendation
or letter finding of another inspection under this one's address). The URL kwargs are filled from
KWARGS, a registry keyed by the kwarg's name (narrowed by route where one name means different
things): a new route whose kwargs it cannot fill, or whose object has no rule in SCOPES, fails
`test_every_url_pattern_can_be_filled_and_has_a_scope_rule` naming it. Each answer is checked (`check`):

- no 5xx;
- anonymous: the sign-in page (pages), the admin's (or the service's) sign-in (the admin), 401 (the API);
- outside the persona's scope: never a 2xx, and exactly what the ghost gets, so that an object's
  existence is not revealed (a crossed child: what a ghost child under the same parent gets);
- no answer shows what the persona may not read (`secrets`): references and PDUs of inspections
  they neither open nor see listed, recommendations, actions and judgements of results they may
  not read, case references, evidence notes and QA comments, letter text, others' API tokens;
- in scope: the status `expected_in_scope` gives, from the existing matrix's tables where they apply;
- a method the view refuses (require_http_methods, a DRF viewset) is a 405 for whoever is signed in;
- a write changes the database only when made in scope by a persona WRITERS allows, and not refused:
  PostgreSQL's count of rows written in the transaction (pg_stat_xact_user_tables) is compared
  before and after; when it moved, the row count, max(updated_at) and a checksum of every table.

The world is built in a transaction rolled back when the module ends (as tests/api/conftest.py
does), and each request runs in a savepoint rolled back after it, so an allowed write disturbs
nothing. Totals go to test-artifacts/authorisation-matrix.txt and the terminal.
"""

from __future__ import annotations

import datetime
import fnmatch
import inspect
import logging
import os
import re
import resource
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone

from accounts.models import User
from casework.models import Answer, QAComment, SecondReview
from dashboards import national as national_dashboard
from dashboards import region as region_dashboard
from documents.models import DocumentJob
from documents.services import FORMATS as DOCUMENT_FORMATS
from inspections.models import (
    Inspection,
    OrganisationalJudgement,
    Recommendation,
    RegionalFinding,
    RegionalReview,
    TeamMember,
)
from ratings.services import ratings_snapshot_take
from trackers.models import Action, RecommendationResponse
from trackers.views import DOWNLOADS as TRACKER_DOWNLOADS

from .factories import CaseReviewFactory, InspectionFactory, PDUFactory, RegionFactory, UserFactory, set_publication
from .ratings_data import add_cases, judge
from .test_authorization_matrix import (
    API_LIST_ROUTES,
    DASHBOARD_ROUTES,
    GET_ROUTES,
    PERSONAS,
    POST_ROUTES,
    TRACKER_ROUTES,
)

PAGE_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
API_METHODS = (*PAGE_METHODS, "OPTIONS")
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
ARTIFACT = Path(settings.BASE_DIR) / "test-artifacts" / "authorisation-matrix.txt"

# Personas --------------------------------------------------------------------------------------

EMAILS = {
    "inspector": "inspector@everything.test",
    "lead": "lead@everything.test",
    "outsider": "outsider@everything.test",
    "director": "director.sw@everything.test",
    "other_director": "director.ldn@everything.test",
    "analyst": "analyst@everything.test",
    "admin": "admin@everything.test",
}
OWN_REGION = {"director": "south-west", "other_director": "london"}
DIRECTORS = set(OWN_REGION)
API_READERS = {"director", "other_director", "analyst", "admin"}
STAFF = {"inspector", "lead", "outsider"}


# The world -------------------------------------------------------------------------------------


@dataclass
class Scenario:
    """One coherent set of objects: an inspection with its cases, recommendation, letter, jobs, token.

    `texts` are what identifies them in a body, by kind: "listing" (the inspection's reference and
    PDU), "results" (its recommendation, action and judgement rationale), "case" (case references,
    an evidence note, a QA comment), "letter" (its finding and addressee).
    """

    key: str
    region: str | None = None
    crossed: bool = False  # a parent of one scenario with a child of another: no such object
    ghost: bool = False  # made of values no object has (the ghost; a parent with a ghost child)
    twin: str = "ghost"  # the ghost whose answer an object outside the persona's scope must get
    published: bool = False
    team: frozenset[str] = frozenset()
    values: dict[str, Any] = field(default_factory=dict)
    texts: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class World:
    scenarios: dict[str, Scenario]
    users: dict[str, User]
    admin_objects: dict[str, list[str]]  # model label -> pks (as text), one per scenario where it can be
    api_tokens: dict[str, str]  # persona -> a token of theirs, for the API's Authorization header

    @property
    def real(self) -> list[Scenario]:
        return [s for s in self.scenarios.values() if not s.ghost and not s.crossed]

    @property
    def crossed(self) -> list[Scenario]:
        return [s for s in self.scenarios.values() if s.crossed]


SCENARIO_SPECS = {
    # key: (region, PDU slug, PDU name, inspection reference, published, the personas on its team)
    "sw-fieldwork": ("south-west", "quantock-vale", "Quantock Vale PDU", "SW-QTK-2024", False, ("inspector", "lead")),
    "sw-published": ("south-west", "exmoor-coast", "Exmoor Coast PDU", "SW-EXM-2024", True, ("inspector", "lead")),
    "ldn-fieldwork": ("london", "thameside", "Thameside PDU", "LDN-THM-2024", False, ("outsider",)),
    "ldn-published": ("london", "fleetway", "Fleetway PDU", "LDN-FLT-2024", True, ("outsider",)),
}
# Whose API token each scenario holds (the token pages' object: "another person's API token").
TOKEN_OWNERS = {
    "sw-fieldwork": "analyst",
    "sw-published": "director",
    "ldn-fieldwork": "other_director",
    "ldn-published": "admin",
}


def _users() -> dict[str, User]:
    south_west = RegionFactory(slug="south-west", name="South West")
    london = RegionFactory(slug="london", name="London")
    roles = {
        "inspector": {"role": User.Role.INSPECTOR},
        "lead": {"role": User.Role.LEAD_INSPECTOR},
        "outsider": {"role": User.Role.INSPECTOR},
        "director": {"role": User.Role.REGIONAL_DIRECTOR, "region": south_west},
        "other_director": {"role": User.Role.REGIONAL_DIRECTOR, "region": london},
        "analyst": {"role": User.Role.ANALYST},
        "admin": {"role": User.Role.ADMINISTRATOR, "is_staff": True, "is_superuser": True},
    }
    return {persona: UserFactory(email=EMAILS[persona], **fields) for persona, fields in roles.items()}


def _job(kind: str, fmt: str, params: dict, by: User, mark: str) -> DocumentJob:
    job = DocumentJob(kind=kind, format=fmt, params=params, fingerprint=f"everything-{mark}-{kind}-{fmt}")
    job.requested_by = by
    job.status, job.checksum, job.finished_at = DocumentJob.Status.DONE, "0" * 64, timezone.now()
    job.file.save(f"everything-{mark}.{fmt}", ContentFile(f"{mark} {kind} {fmt}".encode()), save=False)
    job.save()
    return job


def _scenario(key: str, users: dict[str, User], london_lead: User) -> Scenario:
    from api.pseudonym import case_key
    from api.tokens import api_token_create

    region_slug, pdu_slug, pdu_name, reference, published, team = SCENARIO_SPECS[key]
    mark = reference.split("-")[1]  # QTK, EXM, THM, FLT: in every text of the scenario
    region = RegionFactory(slug=region_slug)
    inspection = InspectionFactory(reference=reference, pdu=PDUFactory(slug=pdu_slug, name=pdu_name, region=region))
    lead = users["lead"] if region_slug == "south-west" else london_lead
    TeamMember.objects.create(inspection=inspection, user=lead, role=TeamMember.Role.LEAD_INSPECTOR)
    first = users["inspector"] if region_slug == "south-west" else users["outsider"]
    TeamMember.objects.create(inspection=inspection, user=first, role=TeamMember.Role.INSPECTOR)

    # The case every case page opens: the first inspector's, second-reviewed by the lead (as in the
    # existing matrix), with an answer carrying an evidence note and a QA comment.
    case = CaseReviewFactory(inspection=inspection, inspector=first, case_reference=f"{mark}000001")
    SecondReview.objects.create(
        case_review=case,
        second_inspector=lead,
        assigned_by=lead,
        status=SecondReview.Status.SUBMITTED,
        submitted_at=timezone.now(),
    )
    others = add_cases(inspection, 3, prefix=f"{mark}9", start=1)
    note = f"Evidence note {mark} the practitioner's record says more than we may share"
    Answer.objects.filter(case_review=others[0]).update(note=note)
    comment = f"QA comment {mark} check the risk assessment"
    QAComment.objects.create(case_review=others[0], text=comment, author=lead)
    judge(inspection)
    rationale = f"Rationale {mark} from the interviews"
    OrganisationalJudgement.objects.filter(inspection=inspection).update(rationale=rationale)

    recommendation = Recommendation.objects.create(
        inspection=inspection, addressee="pdu", text=f"Recommendation {mark}: strengthen oversight", order=1
    )
    letter = RegionalReview.objects.create(
        region=region, slug=f"{pdu_slug}-letter", letter_date=datetime.date(2024, 9, 1), addressee=f"Director {mark}"
    )
    letter.inspections.add(inspection)
    finding = RegionalFinding.objects.create(
        review=letter, order=1, heading="staff", kind="narrative", text=f"Letter finding {mark} about staffing"
    )
    action_text = f"Action {mark}: audit the supervision records"
    if published:
        set_publication(inspection, status=Inspection.Status.PUBLISHED, published_on=datetime.date(2024, 9, 2))
        ratings_snapshot_take(inspection=inspection, kind="published", by=users["admin"])
        response = RecommendationResponse.objects.create(recommendation=recommendation)
        Action.objects.create(
            response=response,
            number=1,
            description=action_text,
            owner_name="Owner",
            owner_email="owner@example.test",
            due_date=datetime.date(2025, 1, 1),
        )
    letter_by = first if not published else lead
    tracker_by = users[{"south-west": "director", "london": "other_director"}[region_slug]] if published else first
    # A finished job of every kind and format the documents app makes (documents.services.FORMATS).
    params = {"letter": ({"review": letter.slug}, letter_by), "tracker": ({"region": region_slug}, tracker_by)}
    jobs = {f"{kind}-{fmt}": _job(kind, fmt, params[kind][0], params[kind][1], mark) for kind, fmt in JOB_FORMATS}
    token, _ = api_token_create(user=users[TOKEN_OWNERS[key]], days=30)
    return Scenario(
        key=key,
        region=region_slug,
        published=published,
        team=frozenset(team),
        values={
            "reference": reference,
            "case_reference": case.case_reference,
            "case_key": case_key(reference, case.case_reference),
            "region": region_slug,
            "pdu": pdu_slug,
            "letter": letter.slug,
            "finding": finding.pk,
            "recommendation": recommendation.pk,
            "jobs": {label: job.pk for label, job in jobs.items()},
            "token": token.token_key,
            "token_owner": TOKEN_OWNERS[key],
            "framework": "pdu-2021" if region_slug == "south-west" else "youth-2018",
            "inspection": inspection,
            "case": case,
        },
        texts={
            "listing": [reference, pdu_name],
            "results": [recommendation.text, rationale] + ([action_text] if published else []),
            "case": [case.case_reference, others[0].case_reference, note, comment],
            "letter": [finding.text, letter.addressee],
        },
    )


JOB_FORMATS = sorted((str(kind), fmt) for kind, formats in DOCUMENT_FORMATS.items() for fmt in formats)
GHOST = Scenario(
    key="ghost",
    ghost=True,
    values={
        "reference": "ZZ-GHO-2024",
        "case_reference": "GHO000001",
        "case_key": "ck_" + "0" * 24,
        "region": "no-such-region",
        "pdu": "no-such-pdu",
        "letter": "no-such-letter",
        "finding": 999999999,
        "recommendation": 999999999,
        "jobs": {f"{kind}-{fmt}": 999999999 for kind, fmt in JOB_FORMATS},
        "token": "ghost000",
        "token_owner": None,
        "framework": "no-such-framework",
    },
)


# A child of another scenario under a parent the persona may see: another inspection's case review
# or recommendation, another letter's finding. The parents are published, so that directors and
# analysts see them too; the children are unpublished work of the other region.
CROSSINGS = [("sw-published", "ldn-fieldwork"), ("ldn-published", "sw-fieldwork")]
CHILD_KWARGS = {"case_reference", "pk"}


def _crossed(parent: Scenario, child: Scenario) -> Scenario:
    """The parent's kwargs with the child's: compared with the same parent and a ghost child, since
    what a parent the persona may only read answers (403) comes before any child is looked up."""
    values = {**parent.values}
    for key in ("case_reference", "recommendation", "finding"):
        values[key] = child.values[key]
    return Scenario(
        key=f"{parent.key}+{child.key}",
        region=parent.region,
        crossed=True,
        ghost=child.ghost,
        twin=f"{parent.key}+ghost",
        values=values,
    )


# Rows for admin models the scenarios do not make, by model label, made only where the model is
# registered in the admin: each gets a user who is none of the personas (so no persona's sign-in changes).
ADMIN_ROW_MAKERS: dict[str, Callable[[Any, User], Any]] = {
    "otp_totp.TOTPDevice": lambda model, user: model.objects.create(user=user, name="Authenticator app"),
    "otp_static.StaticDevice": lambda model, user: model.objects.create(user=user, name="Recovery codes"),
}


def _admin_objects(world_scenarios: dict[str, Scenario], bystander: User) -> dict[str, list[str]]:
    """For each model the admin registers: a pk per scenario (the scenario's own row where it has one),
    then the model's other rows. The admin's own tables get rows of their own here."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib import admin
    from django.contrib.auth.models import Group

    Group.objects.get_or_create(name="Everything reviewers")
    for n, scenario in enumerate(world_scenarios.values()):
        ip = f"127.0.0.{n + 1}"
        AccessAttempt.objects.create(username=f"{scenario.key}@x.test", ip_address=ip, failures_since_start=1)
        AccessLog.objects.create(username=f"{scenario.key}@x.test", ip_address=ip, user_agent="matrix")
        AccessFailureLog.objects.create(username=f"{scenario.key}@x.test", ip_address=ip, user_agent="matrix")
    objects = {}
    for model in admin.site._registry:
        label = model._meta.label
        if label in ADMIN_ROW_MAKERS and not model._default_manager.exists():
            ADMIN_ROW_MAKERS[label](model, bystander)
        rows = [str(pk) for pk in model._default_manager.order_by("pk").values_list("pk", flat=True)[:200]]
        objects[label] = rows
    # The scenario's own rows where the model has a scope, so "outside" is another inspection's row.
    for index, scenario in enumerate(world_scenarios.values()):
        inspection, case = scenario.values["inspection"], scenario.values["case"]
        own = {
            "inspections.Inspection": inspection.pk,
            "casework.CaseReview": case.pk,
            "inspections.Recommendation": scenario.values["recommendation"],
            "inspections.RegionalReview": RegionalReview.objects.get(slug=scenario.values["letter"]).pk,
            "inspections.RegionalFinding": scenario.values["finding"],
            "inspections.TeamMember": TeamMember.objects.filter(inspection=inspection).first().pk,
            "casework.Answer": Answer.objects.filter(case_review__inspection=inspection).first().pk,
            "casework.QAComment": QAComment.objects.filter(case_review__inspection=inspection).first().pk,
            "regions.PDU": inspection.pdu_id,
            "regions.Region": inspection.pdu.region_id,
        }
        for label, pk in own.items():
            rows = objects[label]
            rows.insert(index, str(pk))
    return objects


def _build_world(media: Path) -> World:
    from api.tokens import api_token_create

    users = _users()
    london_lead = UserFactory(email="lead.ldn@everything.test", role=User.Role.LEAD_INSPECTOR)
    with override_settings(MEDIA_ROOT=media):
        scenarios = {key: _scenario(key, users, london_lead) for key in SCENARIO_SPECS}
    admin_objects = _admin_objects(scenarios, london_lead)
    for parent, child in CROSSINGS:
        scenarios[f"{parent}+ghost"] = _crossed(scenarios[parent], GHOST)
        scenarios[f"{parent}+{child}"] = _crossed(scenarios[parent], scenarios[child])
    scenarios["ghost"] = GHOST
    # Each API reader's own token; anyone else sends one that is no token at all.
    api_tokens = dict.fromkeys(PERSONAS, "not-a-token")
    api_tokens |= {p: api_token_create(user=users[p], days=30)[1] for p in sorted(API_READERS)}
    return World(scenarios=scenarios, users=users, admin_objects=admin_objects, api_tokens=api_tokens)


# The routes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One URL pattern, with the chain of patterns from the root that leads to it."""

    name: str  # "namespace:name", or "namespace:<unnamed …>"
    chain: tuple  # the pattern objects from the root, the URLPattern last
    callback: Callable
    kwargs: tuple[str, ...]

    @property
    def namespace(self) -> str:
        return self.name.split(":", 1)[0]

    @property
    def part(self) -> str:
        if self.namespace == "admin":
            return "admin"
        if self.namespace == "api":
            return "api"
        return "pages"

    @property
    def route_text(self) -> str:
        return "".join(str(p.pattern) for p in self.chain)

    @property
    def admin_model(self) -> str | None:
        """The model label of an admin route (`admin/<app>/<model>/…`), from its prefixes."""
        match = re.match(r"admin/(\w+)/(\w+)/", self.route_text)
        if not match:
            return None
        for model in apps.get_models():
            if (model._meta.app_label, model._meta.model_name) == match.groups():
                return model._meta.label
        label = f"{match.group(1)}.{match.group(2)}"
        return {"pghistory.events": "pghistory.Events"}.get(label, label)


def _pattern_kwargs(pattern) -> list[str]:
    if isinstance(pattern, RoutePattern):
        return list(pattern.converters)
    if isinstance(pattern, RegexPattern):
        return list(pattern.regex.groupindex)
    return []


def all_routes(patterns=None, chain=(), namespace="") -> Iterator[Route]:
    """Every URL pattern of the resolver, named or not, admin's and the API router's included."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from all_routes(pattern.url_patterns, (*chain, pattern), inner)
        elif isinstance(pattern, URLPattern):
            full = (*chain, pattern)
            kwargs = tuple(name for p in full for name in _pattern_kwargs(p.pattern))
            text = "".join(str(p.pattern) for p in full)
            name = f"{namespace}{pattern.name}" if pattern.name else f"{namespace}<unnamed {text}>"
            yield Route(name=name, chain=full, callback=pattern.callback, kwargs=kwargs)


def _route_piece(pattern, values: dict[str, str]) -> str:
    if isinstance(pattern, RoutePattern):
        return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), str(pattern._route))
    text = pattern._regex
    # A named group (its own parentheses balanced) becomes the value.
    out, i = [], 0
    while i < len(text):
        if text.startswith("(?P<", i):
            end_name = text.index(">", i)
            name = text[i + 4 : end_name]
            depth, j = 1, end_name + 1
            while depth:
                depth += {"(": 1, ")": -1}.get(text[j], 0) if text[j - 1] != "\\" else 0
                j += 1
            out.append(str(values[name]))
            i = j
        else:
            out.append(text[i])
            i += 1
    return "".join(out).lstrip("^").rstrip("$").replace("\\", "")


def build_url(route: Route, values: dict[str, str]) -> str:
    """The address of the route with these kwargs, checked to resolve back to the same pattern and kwargs."""
    url = "/" + "".join(_route_piece(p.pattern, values) for p in route.chain)
    if (route.name, url) in _BUILT:
        return url
    match = resolve(url)
    assert match.func == route.callback and {k: str(v) for k, v in match.kwargs.items()} == {
        k: str(values[k]) for k in route.kwargs
    }, f"{route.name}: {url} resolves to {match.view_name} {match.kwargs}"
    _BUILT.add((route.name, url))
    return url


_BUILT: set[tuple[str, str]] = set()


# The registry of URL kwargs: "route.kwarg" globs, first match wins -----------------------------
# Each entry answers, for a scenario, a list of (value, label): more than one is a format (a job of
# each format, each tracker download format). A pattern none of them fills fails the completeness test.


def _admin_object_id(world: World, scenario: Scenario, route: Route) -> list[tuple[str, str]]:
    if scenario.ghost:
        return [("999999999", "")]
    label = route.admin_model
    rows = world.admin_objects.get(label) or []
    if label == "pghistory.Events":  # its pk is a slug "app.Model:id"; any one will do
        from pghistory.models import Events

        rows = [e.pgh_slug for e in Events.objects.order_by("pgh_slug")[:4]]
    assert rows, f"{route.name}: no {label} row in the world to open"
    index = list(world.scenarios).index(scenario.key)
    return [(rows[index % len(rows)], "")]


def _one(key: str) -> Callable:
    return lambda world, scenario, route: [(scenario.values[key], "")]


def _jobs(world: World, scenario: Scenario, route: Route) -> list[tuple[int, str]]:
    return [(pk, label) for label, pk in scenario.values["jobs"].items()]


def _constant(value, ghost):
    return lambda world, scenario, route: [(ghost if scenario.ghost else value, "")]


KWARGS: list[tuple[str, Callable]] = [
    # The admin: any row of the route's model (the scenario's own where the model has one).
    ("admin:view_on_site.object_id", lambda w, s, r: [(s.values["inspection"].pk if not s.ghost else 999999999, "")]),
    ("admin:*.object_id", _admin_object_id),
    ("admin:<unnamed*.object_id", _admin_object_id),
    ("admin:*.pk", _admin_object_id),  # django-otp's device pages (its QR code, its configuration)
    (
        "admin:auth_user_password_change.id",
        lambda w, s, r: [(w.users["inspector"].pk if not s.ghost else 999999999, "")],
    ),
    ("admin:view_on_site.content_type_id", lambda w, s, r: [(_content_type_id(), "")]),
    ("admin:app_list.app_label", lambda w, s, r: [("inspections", "")]),
    ("admin:<unnamed*.url", lambda w, s, r: [("no-such-admin-page/", "")]),
    # Pages whose `slug` is a section, a region, a regional letter.
    ("casework:*.slug", _constant("2.2", "9.9")),
    ("dashboards:*.slug", _one("region")),
    ("web:*.slug", _one("letter")),
    ("documents:*.slug", _one("letter")),
    ("web:recommendation*.pk", _one("recommendation")),
    ("web:regional_finding*.pk", _one("finding")),
    # The API's detail addresses.
    ("api:region-detail.slug", _one("region")),
    ("api:pdu-detail.slug", _one("pdu")),
    ("api:framework-detail.code", _one("framework")),
    ("api:case-review-detail.case_key", _one("case_key")),
    # By name, wherever they are.
    ("*.reference", _one("reference")),
    ("*.case_reference", _one("case_reference")),
    ("ratings:*.code", _constant("2.2", "9.9")),
    ("trackers:*.region", _one("region")),
    ("*.order", _constant(1, 99)),
    ("*.number", _constant(1, 99)),
    ("trackers:download.fmt", lambda w, s, r: [(fmt, fmt) for fmt in TRACKER_DOWNLOADS]),
    ("*.job_id", _jobs),
    ("*.token_key", _one("token")),
]


def _content_type_id() -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(Inspection).pk


def _filler(route: Route, kwarg: str) -> Callable | None:
    for pattern, fill in KWARGS:
        if fnmatch.fnmatchcase(f"{route.name}.{kwarg}", pattern):
            return fill
    return None


def fill(world: World, route: Route, scenario: Scenario) -> list[tuple[dict, str]]:
    """Every set of kwargs for the route in the scenario (one per format), each with its label."""
    combos: list[tuple[dict, str]] = [({}, "")]
    for kwarg in route.kwargs:
        filler = _filler(route, kwarg)
        assert filler is not None, f"{route.name}: no entry in KWARGS fills <{kwarg}>"
        combos = [
            ({**values, kwarg: value}, "+".join(x for x in (label, new) if x))
            for values, label in combos
            for value, new in filler(world, scenario, route)
        ]
    return combos


# Scope: who may see the route's object in a scenario -------------------------------------------
# The rules as the issues and the access modules' docstrings state them, written out here apart from
# the code under test (inspections/access.py, casework/access.py, inspections/regional.py,
# dashboards/access.py, trackers/access.py, documents/services.py, api/permissions.py), so that a
# change to that code which widens a scope disagrees with them.


def sees_inspection(p: str, s: Scenario) -> bool:
    if s.ghost or p == "anonymous":
        return False
    if p == "admin":
        return True
    if p in STAFF:
        return p in s.team
    if p in DIRECTORS:
        return s.published and OWN_REGION[p] == s.region
    return p == "analyst" and s.published


def sees_case(p: str, s: Scenario) -> bool:
    return not s.ghost and (p == "admin" or p in s.team)


def sees_letter(p: str, s: Scenario) -> bool:
    """The letter covers the scenario's inspection only: its team, administrators, and the region's
    director once the inspection is published."""
    if s.ghost:
        return False
    return p == "admin" or p in s.team or (p in DIRECTORS and s.published and OWN_REGION[p] == s.region)


def worked_in_region(p: str, region: str | None, world: World, *, published: bool) -> bool:
    return any(p in s.team and s.region == region and (s.published or not published) for s in world.real)


def reads_dashboard(p: str, region: str | None) -> bool:
    if region is None or p == "anonymous":
        return False
    return OWN_REGION[p] == region if p in DIRECTORS else True


def reads_tracker(p: str, region: str | None, world: World) -> bool:
    if region is None or p in ("anonymous", "analyst"):
        return False
    if p == "admin":
        return True
    if p in DIRECTORS:
        return OWN_REGION[p] == region
    return worked_in_region(p, region, world, published=True)


def may_request_tracker(p: str, region: str | None, world: World) -> bool:
    if region is None or p in ("anonymous", "analyst"):
        return False
    if p == "admin":
        return True
    if p in DIRECTORS:
        return OWN_REGION[p] == region
    return worked_in_region(p, region, world, published=False)


def in_scope(kind: str, p: str, s: Scenario, label: str, world: World) -> bool:
    if kind == "none":
        return p != "anonymous"
    if s.ghost or s.crossed or p == "anonymous":
        return False
    return {
        "inspection": lambda: sees_inspection(p, s),
        "case": lambda: sees_case(p, s),
        "letter": lambda: sees_letter(p, s),
        "letter_request": lambda: sees_letter(p, s) and p not in DIRECTORS,
        "job": lambda: (
            sees_letter(p, s) and p not in DIRECTORS
            if label.startswith("letter")
            else may_request_tracker(p, s.region, world)
        ),
        "dashboard_region": lambda: reads_dashboard(p, s.region),
        "tracker_region": lambda: reads_tracker(p, s.region, world),
        "tracker_recommendation": lambda: s.published and sees_inspection(p, s) and p != "analyst",
        "token": lambda: s.values["token_owner"] == p,
        "admin": lambda: p == "admin",
        "api_region": lambda: p in API_READERS and (p not in DIRECTORS or OWN_REGION[p] == s.region),
        "api_inspection": lambda: p in API_READERS and sees_inspection(p, s),
        "api_global": lambda: p in API_READERS,
    }[kind]()


# The route's object, whose scope decides: first match of the route's name wins.
SCOPES: list[tuple[str, str]] = [
    ("admin:*", "admin"),
    ("api:region-detail", "api_region"),
    ("api:pdu-detail", "api_region"),
    ("api:framework-detail", "api_global"),
    ("api:*-detail", "api_inspection"),
    ("casework:new_case", "inspection"),
    ("casework:double_marking", "inspection"),
    ("casework:moderation", "inspection"),
    ("casework:*", "case"),
    ("ratings:*", "inspection"),
    ("web:inspection_detail", "inspection"),
    ("web:recommendation*", "inspection"),
    ("web:regional_review", "letter"),
    ("web:regional_finding_*", "letter"),
    ("web:api_token_revoke", "token"),
    ("documents:request_letter", "letter_request"),
    ("documents:job", "job"),
    ("documents:retry", "job"),
    ("documents:download", "job"),
    ("trackers:tracker", "tracker_region"),
    ("trackers:download", "tracker_region"),
    ("trackers:*", "tracker_recommendation"),
    ("dashboards:region*", "dashboard_region"),
]


# Kwargs that name no object: the admin's app index (the app's label) and its catch-all address.
NON_OBJECT_KWARGS = {"app_label", "url"}


def has_object(route: Route) -> bool:
    return any(kwarg not in NON_OBJECT_KWARGS for kwarg in route.kwargs)


def scope_kind(route: Route) -> str | None:
    if not has_object(route):
        return "none"
    for pattern, kind in SCOPES:
        if fnmatch.fnmatchcase(route.name, pattern):
            return kind
    return None


# What a persona may not read anywhere ----------------------------------------------------------


def lists_inspection(p: str, s: Scenario) -> bool:
    """Its reference and PDU: a record the persona opens, or a line of a dashboard the persona reads,
    which lists the region's work in progress without its data (docs/decisions/0010)."""
    return sees_inspection(p, s) or reads_dashboard(p, s.region)


def reads_results(p: str, s: Scenario) -> bool:
    """Its recommendations, actions and judgements: a record the persona opens, or published results
    on a dashboard the persona reads."""
    return sees_inspection(p, s) or (s.published and reads_dashboard(p, s.region))


def secrets(p: str, world: World) -> set[str]:
    hidden: set[str] = set()
    for s in world.real:
        if not lists_inspection(p, s):
            hidden |= set(s.texts["listing"])
        if not reads_results(p, s):
            hidden |= set(s.texts["results"])
        if not sees_case(p, s):
            hidden |= set(s.texts["case"])
        if not sees_letter(p, s):
            hidden |= set(s.texts["letter"])
    return hidden


def token_secrets(p: str, world: World) -> set[str]:
    return {s.values["token"] for s in world.real if s.values["token_owner"] != p}


# Methods a view accepts ------------------------------------------------------------------------


def accepted_methods(route: Route) -> tuple[set[str], bool]:
    """From the view itself: a DRF viewset's actions, a class's handlers, require_http_methods' list.

    And whether any other method is refused with a 405 before anything else happens (a DRF viewset,
    require_http_methods), rather than by the class's dispatch after its own checks."""
    callback = route.callback
    actions = getattr(callback, "actions", None)
    if actions:
        methods = {m.upper() for m in actions} | {"OPTIONS"}
        return methods | ({"HEAD"} if "GET" in methods else set()), True
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is not None:
        methods = {m.upper() for m in view_class.http_method_names if hasattr(view_class, m)}
        return methods | ({"HEAD"} if "GET" in methods else set()), False
    allowed: set[str] | None = None
    func = callback
    while func is not None:
        try:
            nonlocals = inspect.getclosurevars(func).nonlocals
        except (TypeError, ValueError):
            nonlocals = {}
        if "request_method_list" in nonlocals:
            listed = set(nonlocals["request_method_list"])
            allowed = listed if allowed is None else allowed & listed
        func = getattr(func, "__wrapped__", None)
    if allowed is None:
        return set(API_METHODS if route.part == "api" else PAGE_METHODS), False
    return allowed, True


def methods_of(route: Route) -> tuple[str, ...]:
    return API_METHODS if route.part == "api" else PAGE_METHODS


# Formats carried in the query or headers, per route --------------------------------------------

# Every table of each dashboard, as its CSV's `table=` names it (the dashboards' own lists).
DASHBOARD_TABLES = {
    "dashboards:region": [name for names in region_dashboard.TABLES.values() for name in names],
    "dashboards:national": [name for names in national_dashboard.TABLES.values() for name in names],
}
API_DOCS = {"api:schema", "api:docs", "api:data-dictionary"}
TOKEN = "Token <the persona's own>"


def formats(route: Route, method: str) -> list[tuple[str, dict, dict]]:
    """(label, query, headers) for each format of the route; GET and HEAD only, the rest as sent."""
    if route.part == "api":
        query = dict(API_LIST_ROUTES.get(route.name, {}))
        if method not in ("GET", "HEAD"):
            return [("json", query, {})]
        return [
            ("json", query, {}),
            ("?format=csv", {**query, "format": "csv"}, {}),
            ("Accept: text/csv", query, {"HTTP_ACCEPT": "text/csv"}),
            # The persona's own API token in the Authorization header, and no session.
            ("token", query, {"HTTP_AUTHORIZATION": TOKEN}),
        ]
    if route.name in DASHBOARD_TABLES and method == "GET":
        return [("html", {}, {})] + [
            (f"csv:{table}", {"format": "csv", "table": table}, {}) for table in DASHBOARD_TABLES[route.name]
        ]
    return [("", {}, {})]


# Expectations for the objects inside the persona's scope ----------------------------------------

TEAM_EXPECTED = {"inspector", "lead", "admin"}
NOT_TO_SIGNED_IN = {"accounts:sign_in": 302}  # a signed-in visitor is sent on from the sign-in page
PUBLISHED_READS = {"web:inspection_detail", "ratings:ratings", "web:recommendations"}
OPEN_PAGES = {"web:home", "web:inspection_list", "web:regional_reviews"}  # each signed-in persona's own view


def expected_in_scope(route: Route, method: str, p: str, s: Scenario, fmt: str) -> set[int] | None:
    """The status the rules give a persona for an object in their scope, or None where no rule says.

    The existing matrix's tables where they apply: GET_ROUTES and POST_ROUTES (a fieldwork inspection
    and its team; the pages without an object for everyone), TRACKER_ROUTES (a published inspection's
    action plan), DASHBOARD_ROUTES (every table's CSV too), API_READERS; and a published inspection
    read by its region's director and analysts.
    """
    name, get = route.name, method == "GET"
    if route.part == "admin":
        return {200} if p == "admin" and get and name.endswith("_changelist") else None
    if route.part == "api":
        if name in API_DOCS:
            return {200} if get and fmt == "json" else None
        if p not in API_READERS:
            return {401} if fmt == "token" else {403}
        return {405} if method in WRITES else {200}
    if name in NOT_TO_SIGNED_IN:
        return {NOT_TO_SIGNED_IN[name]} if get else None
    if name == "web:home" and get and p in DIRECTORS:
        return {302}  # to the director's own region's dashboard
    if name in OPEN_PAGES and get:
        return {200}
    if name in GET_ROUTES and get:
        kind, allowed, read_only = GET_ROUTES[name]
        if kind == "none" or (s.key == "sw-fieldwork" and p in TEAM_EXPECTED):
            return {200} if p in allowed else {403} if p in read_only else {404}
    # The existing matrix's refused actions: the team's inspector gets 403, except their own actions.
    own_actions = ("casework:submit", "casework:reply", "documents:request_letter", "documents:retry")
    if name in POST_ROUTES and method == "POST" and s.key == "sw-fieldwork" and p == "inspector":
        return None if name in own_actions else {403}
    if name in TRACKER_ROUTES and get and s.key == "sw-published" and TRACKER_ROUTES[name][0] == "GET":
        return {TRACKER_ROUTES[name][1].get(p, 404)}
    if name in DASHBOARD_ROUTES and get:  # the existing matrix's "director" is any director in their own region
        return {DASHBOARD_ROUTES[name][1].get("director" if p in DIRECTORS else p, 404)}
    if name in PUBLISHED_READS and get and s.published and p in ("director", "other_director", "analyst"):
        return {200}
    return None


# The database's state --------------------------------------------------------------------------

UNWATCHED = {"django_session"}  # saved on every request (SESSION_SAVE_EVERY_REQUEST)


def _tables() -> list[tuple[str, bool]]:
    """Every table of every model (many-to-many ones too): its name, and whether it has updated_at."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if model._meta.proxy or not model._meta.managed or table in UNWATCHED:
            continue
        tables[table] = any(f.column == "updated_at" for f in model._meta.concrete_fields)
    return sorted(tables.items())


class Database:
    """Whether a request changed the database.

    Each request runs in a savepoint rolled back after it, so the state before any request is the
    state the sweep started from (`baseline`). PostgreSQL counts the rows each table had inserted,
    updated or deleted in this transaction, rolled back or not (pg_stat_xact_user_tables): when a
    request leaves that count as it was, it wrote nothing. When it moved, the row count and
    max(updated_at) of every table, and a checksum of each table's rows, are compared with the baseline.
    """

    def __init__(self) -> None:
        self.tables = _tables()
        self.fingerprint_sql = "SELECT " + ", ".join(
            f'(SELECT count(*) FROM "{t}")' + (f', (SELECT max(updated_at) FROM "{t}")' if updated else "")
            for t, updated in self.tables
        )
        self.checksum_sql = "SELECT " + ", ".join(
            f'(SELECT coalesce(sum(hashtext(t::text)::bigint), 0) FROM "{t}" t)' for t, _ in self.tables
        )
        unwatched = ", ".join(f"'{t}'" for t in UNWATCHED)
        self.written_sql = (
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables"
            f" WHERE relname NOT IN ({unwatched})"
        )
        self.baseline = self.state()
        self.attempts = 0  # writes a request made and undid itself

    def _one(self, sql: str) -> tuple:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()

    def written(self) -> int:
        return self._one(self.written_sql)[0]

    def state(self) -> tuple:
        # In a savepoint of its own, so that the locks on every table are not kept to the module's end.
        with transaction.atomic():
            state = self._one(self.fingerprint_sql), self._one(self.checksum_sql)
            transaction.set_rollback(True)
        return state

    def changed(self, written_before: int) -> list[str]:
        """The tables a request changed, given the written count before it ([] when none)."""
        started = time.monotonic()
        try:
            if self.written() == written_before:
                return []
            (counts, sums), (base_counts, base_sums) = self.state(), self.baseline
            if (counts, sums) == (base_counts, base_sums):
                self.attempts += 1
                return []
            return [t for (t, _), a, b in zip(self.tables, sums, base_sums, strict=True) if a != b] or ["counts"]
        finally:
            TOTALS.state_seconds += time.monotonic() - started


# The sweep -------------------------------------------------------------------------------------


@dataclass
class Totals:
    combinations: set = field(default_factory=set)  # (route, method, persona, object, format)
    requests: int = 0
    leaks: int = 0
    server_errors: int = 0
    world_seconds: float = 0.0
    state_seconds: float = 0.0
    seconds_by_part: Counter = field(default_factory=Counter)
    by_part: Counter = field(default_factory=Counter)
    parts: set = field(default_factory=set)
    allowed_writes: int = 0
    cpu: tuple = (None, None)


TOTALS = Totals()


def objects_for(route: Route, kind: str, persona: str, method: str, full: bool, world: World) -> list[Scenario | None]:
    """The objects a persona is tried with on a route: the ghost, one inside the persona's scope,
    every one outside it, and the crossed ones (another inspection's case under this inspection) where
    the route has a child kwarg; one real object for a method the view refuses.

    In the admin, whose rule is the persona's (administrators only) and never the object's: a row,
    and the ghost for GET (and the administrator's POST). Anonymous visitors: the ghost and two real objects.
    """
    if not has_object(route):
        return [None]
    real = world.real
    ghost = world.scenarios["ghost"]
    if route.part == "admin":
        with_ghost = method == "GET" or (persona == "admin" and method == "POST")
        return [ghost, real[0]] if with_ghost else [real[0]]
    inside = [s for s in real if in_scope(kind, persona, s, "", world)]
    outside = [s for s in real if s not in inside]
    if not full:
        return [(outside or inside)[0]]
    if persona == "anonymous":
        return [ghost, real[0], real[-1]]
    crossed = world.crossed if CHILD_KWARGS & set(route.kwargs) else []
    return [ghost, *inside[:1], *outside, *crossed]


class Sweeper:
    def __init__(self, world: World) -> None:
        self.world = world
        self.clients: dict[str, Client] = {}
        self.cookies: dict[str, SimpleCookie] = {}
        for persona in PERSONAS:
            client = Client(raise_request_exception=False)
            if persona != "anonymous":
                client.force_login(world.users[persona])
            self.clients[persona] = client
            self.cookies[persona] = SimpleCookie(client.cookies)
        self.token_client = Client(raise_request_exception=False)  # no session: the token alone
        self.db = Database()  # after signing in, which writes each user's last_login
        self.secrets = {p: secrets(p, world) for p in PERSONAS}
        self.token_secrets = {p: token_secrets(p, world) for p in PERSONAS}
        self.problems: list[str] = []

    def request(self, route_name: str, persona: str, method: str, url: str, query: dict, headers: dict, *, watch: bool):
        """One request in a savepoint rolled back after it: the answer, its body, the tables it changed."""
        client = self.clients[persona]
        client.cookies = SimpleCookie(self.cookies[persona])  # a sign-out or a new session does not stick
        if headers.get("HTTP_AUTHORIZATION") == TOKEN:
            client = self.token_client
            headers = {**headers, "HTTP_AUTHORIZATION": f"Token {self.world.api_tokens[persona]}"}
        # Rolled back and released (ROLLBACK TO, then RELEASE: a savepoint only rolled back to stays
        # open, and thousands of them nested keep their locks to the end).
        with transaction.atomic():
            try:
                before = self.db.written() if watch else 0
                response = self.send(client, route_name, method, url, query, headers)
                body = b"".join(response.streaming_content) if response.streaming else response.content
                changed = self.db.changed(before) if watch else []
            finally:
                transaction.set_rollback(True)
        TOTALS.requests += 1
        return response, body, changed

    @staticmethod
    def send(client: Client, route_name: str, method: str, url: str, query: dict, headers: dict):
        if method in ("GET", "HEAD", "OPTIONS"):
            return getattr(client, method.lower())(url, query, **headers)
        target = url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        if url.startswith("/api/"):
            return getattr(client, method.lower())(target, "{}", "application/json", **headers)
        if method == "POST":
            return client.post(target, {**PAYLOAD, **PAYLOADS.get(route_name, {})}, **headers)
        return getattr(client, method.lower())(target, "", **headers)

    def problem(self, text: str, *, leak: bool = False) -> None:
        self.problems.append(text)
        if leak:
            TOTALS.leaks += 1

    def sweep(self, route: Route) -> None:
        kind = scope_kind(route)
        accepted, strict = accepted_methods(route)
        for method in methods_of(route):
            full = method in accepted
            refused = 405 if strict and not full else None
            for persona in PERSONAS:
                for fmt, query, headers in formats(route, method):
                    ghost_status: dict[tuple, int] = {}  # (a ghost's key, format label): its status
                    sent: set[str] = set()  # two objects of one region are one address of a region's page
                    for scenario in objects_for(route, kind, persona, method, full, self.world):
                        for values, label in fill(self.world, route, scenario or self.world.real[0]):
                            request = Request(route, kind, method, full, refused, persona, scenario, values, label)
                            url = build_url(route, values)
                            if url not in sent:
                                sent.add(url)
                                self.check(request, url, fmt, query, headers, ghost_status)

    def check(self, r: Request, url: str, fmt: str, query: dict, headers: dict, ghost_status: dict) -> None:
        watch = r.method in WRITES
        response, body, changed = self.request(r.route.name, r.persona, r.method, url, query, headers, watch=watch)
        status = response.status_code
        scenario, persona, route = r.scenario, r.persona, r.route
        obj = scenario.key if scenario else "-"
        fmt_label = "+".join(x for x in (r.label, fmt) if x) or "-"
        TOTALS.combinations.add((route.name, r.method, persona, obj, fmt_label))
        TOTALS.by_part[route.part] += 1
        where = f"{persona} {r.method} {url}{' ' + fmt if fmt else ''} [{obj}{' ' + r.label if r.label else ''}]"
        inside = scenario is None or in_scope(r.kind, persona, scenario, r.label, self.world)

        if status >= 500:
            TOTALS.server_errors += 1
            self.problem(f"{where}: {status} (server error)")
            return
        if persona == "anonymous":
            self.check_anonymous(route, r.method, status, response, where)
        elif route.part == "admin" and persona != "admin":
            self.check_refused_by_admin(route, status, response, where)
        elif scenario is not None and not inside:
            # Outside scope: what a ghost gets (existence is not revealed), never a 2xx.
            # OPTIONS on an API address describes the endpoint (DRF's metadata) and reads no object:
            # the same answer as for a ghost, compared below, and its body is searched like any other.
            if 200 <= status < 300 and not (r.method == "OPTIONS" and route.part == "api"):
                self.problem(f"{where}: {status} for an object outside the persona's scope", leak=True)
            if scenario.ghost:
                ghost_status[(scenario.key, r.label)] = status
            elif r.full and ghost_status.get((scenario.twin, r.label), status) != status:
                twin = ghost_status[(scenario.twin, r.label)]
                self.problem(f"{where}: {status}, but {twin} for one that does not exist ({scenario.twin})", leak=True)
        api_refused = route.part == "api" and persona not in API_READERS  # 403 before the method is looked at
        if r.refused and persona != "anonymous" and not api_refused and status != r.refused:
            self.problem(f"{where}: {status} for a method the view refuses ({r.refused} expected)")
        if inside and r.full and persona != "anonymous":
            expected = expected_in_scope(route, r.method, persona, scenario or NO_OBJECT, fmt)
            if expected is not None and status not in expected:
                self.problem(f"{where}: {status}, expected {sorted(expected)}")
        # Nothing the persona may not read, in any answer. The address itself comes back (the
        # session timeout's "sign in again" link, a sign-in's `next`): what was sent is taken out first.
        text = body.decode("utf-8", errors="replace") + "\n" + response.get("Location", "")
        sent = response.wsgi_request.get_full_path() if hasattr(response, "wsgi_request") else url
        for echo in {sent, quote(sent), url, quote(url)}:
            text = text.replace(echo, "")
        found = [secret for secret in self.secrets[persona] if secret in text]
        # API tokens: each person's own on the tokens page; the administrator's admin lists them all.
        if route.name.startswith("web:api_token") or (route.part == "admin" and persona != "admin"):
            found += [secret for secret in self.token_secrets[persona] if secret in text]
        if found:
            self.problem(f"{where}: {status} shows {found}", leak=True)
        # A write that is not the persona's to make changes nothing.
        if changed:
            allowed = persona != "anonymous" and inside and status < 400
            if not (allowed and may_write(route, persona, scenario or NO_OBJECT)):
                self.problem(f"{where}: {status} and the database changed: {', '.join(changed)}", leak=True)
            else:
                TOTALS.allowed_writes += 1

    def check_refused_by_admin(self, route: Route, status: int, response, where: str) -> None:
        """The admin is for administrators: anyone else signed in is sent to its sign-in page from
        every address (its logout, to its index, which does the same), whatever the object."""
        location = response.get("Location", "")
        if route.name == "admin:login":
            return  # the form, saying the account may not use the admin
        sent_on = location.startswith(("/admin/login/", "/sign-in/")) or (
            route.name == "admin:logout" and location == "/admin/"
        )
        if status != 302 or not sent_on:
            self.problem(f"{where}: {status} {location}, expected the admin's sign-in", leak=True)

    def check_anonymous(self, route: Route, method: str, status: int, response, where: str) -> None:
        location = response.get("Location", "")
        if route.part == "api":
            if route.name not in API_DOCS and status != 401:
                self.problem(f"{where}: {status}, expected 401", leak=True)
        elif route.part == "admin":
            if route.name in ("admin:login", "admin:logout"):
                return
            # Django's admin sends to its own sign-in page; pghistory's event pages to the service's.
            if status != 302 or not location.startswith(("/admin/login/", "/sign-in/")):
                self.problem(f"{where}: {status} {location}, expected the admin's sign-in", leak=200 <= status < 300)
        elif route.name in ANONYMOUS_OPEN:
            if status not in ANONYMOUS_OPEN[route.name].get(method, {405}):
                self.problem(f"{where}: {status}, expected {ANONYMOUS_OPEN[route.name].get(method, {405})}")
        elif status != 302 or not location.startswith("/sign-in/"):
            self.problem(f"{where}: {status} {location}, expected the sign-in page", leak=200 <= status < 300)


@dataclass(frozen=True)
class Request:
    route: Route
    kind: str
    method: str
    full: bool  # a method the view accepts
    refused: int | None  # the status of a method the view refuses before anything else
    persona: str
    scenario: Scenario | None
    values: dict
    label: str  # the format carried by the kwargs (a job's, a download's)


NO_OBJECT = Scenario(key="-", values={"token_owner": None})
# Sent with every form POST: a version for the optimistic locks, a letter's format, a token's days;
# and for the write routes whose forms are simple, a valid form (PAYLOADS), so that a write refused
# for want of scope or role is refused for that reason and not because its form was empty.
PAYLOAD = {"version": "1", "format": "docx", "days": "30"}
LETTER_DATE = {"letter_date_day": "1", "letter_date_month": "10", "letter_date_year": "2024"}
PAYLOADS = {
    "web:recommendation_add": {"addressee": "pdu", "text": "Injected recommendation"},
    "web:recommendation_edit": {"addressee": "pdu", "text": "Injected recommendation"},
    "web:recommendation_move": {"direction": "up"},
    "web:regional_review": {"form": "details", "addressee": "Injected addressee", **LETTER_DATE},
    "web:regional_finding_edit": {"heading": "staff", "kind": "narrative", "text": "Injected finding"},
    "documents:request_letter": {"format": "docx", "force": "1"},
    "ratings:judgement": {"rating": "good", "rationale": "Injected rationale"},
    "ratings:unlock": {"reason": "Injected reason"},
    "trackers:response": {"answer": "agreed", "narrative": "Injected response"},
    "trackers:action_add": {
        "description": "Injected action",
        "owner_name": "Owner",
        "owner_email": "owner@example.test",
        "due_date": "31/03/2025",
        "rag": "green",
    },
    "trackers:action_update": {"action-1-status": "in_progress", "action-1-rag": "amber"},
    "trackers:note_add": {"note-1-date": "01/10/2024", "note-1-text": "Injected note"},
    "trackers:follow_up": {"judgement": "met", "note": "Injected follow-up"},
}


def _leads(p: str, s: Scenario) -> bool:
    return p == "admin" or (p == "lead" and p in s.team)


def _keeps_action_plan(p: str, s: Scenario) -> bool:
    return p in DIRECTORS and OWN_REGION[p] == s.region and s.published


# Who may change the database through a route, for an object in their scope (first match wins). A
# write by anyone else changes nothing, whatever its status; so does any refused (4xx) write. The API
# is read-only for everybody. A route with no row here may change nothing at all.
WRITERS: list[tuple[str, Callable[[str, Scenario], bool]]] = [
    ("api:*", lambda p, s: False),
    ("admin:*", lambda p, s: p == "admin"),
    ("accounts:*", lambda p, s: True),  # a session's own rows only (django_session is not watched)
    ("web:recommendation*", lambda p, s: not s.published and _leads(p, s)),
    ("web:regional_review_new", lambda p, s: p in ("lead", "admin")),
    ("web:regional_review", lambda p, s: p == "admin" or p in s.team),
    ("web:regional_finding_*", lambda p, s: p == "admin" or p in s.team),
    ("web:api_tokens", lambda p, s: p in API_READERS),
    ("web:api_token_revoke", lambda p, s: s.values["token_owner"] == p),
    ("documents:*", lambda p, s: p not in DIRECTORS and p != "analyst"),  # whoever may request the document
    ("trackers:response", _keeps_action_plan),
    ("trackers:action_*", _keeps_action_plan),
    ("trackers:note_add", _keeps_action_plan),
    ("trackers:follow_up", lambda p, s: s.published and (p == "admin" or p in s.team)),
    ("trackers:close", lambda p, s: s.published and (p == "admin" or p in s.team)),
    ("casework:*", lambda p, s: not s.published and (p == "admin" or p in s.team)),
    ("ratings:*", _leads),
]


def may_write(route: Route, p: str, s: Scenario) -> bool:
    for pattern, rule in WRITERS:
        if fnmatch.fnmatchcase(route.name, pattern):
            return rule(p, s)
    return False


# The pages anonymous visitors may use.
ANONYMOUS_OPEN = {
    "accounts:sign_in": {"GET": {200}, "HEAD": {200}, "POST": {200}, "PUT": {200}},  # the form, with its errors
    "accounts:keep_alive": {"POST": {401}},  # JSON for the page's script: "you were signed out"
}


def _cpu_seconds(backend_pid: int | None) -> tuple[float, float | None]:
    """CPU time so far: this process's, and the database server process's serving it (when on this machine)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    ours = usage.ru_utime + usage.ru_stime
    try:
        fields = Path(f"/proc/{backend_pid}/stat").read_text().rsplit(")", 1)[1].split()
        return ours, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, TypeError):
        return ours, None


@pytest.fixture(scope="module")
def everything(django_db_setup, django_db_blocker, tmp_path_factory, pytestconfig):
    media = tmp_path_factory.mktemp("everything-media")
    quiet = logging.getLogger("django.request"), logging.getLogger("django.security")
    levels = [logger.level for logger in quiet]
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        # The admin's event list (pghistory's Events, a union over every history table) reads whole
        # tables, dead rows included. Earlier modules' rolled-back demos leave them behind faster than
        # autovacuum clears them: in one random order 965,000 in casework_answerevent made the admin
        # part take 305 s instead of 68 s. Cleared first, the sweep costs the same in any order.
        cursor.execute("VACUUM")
    with django_db_blocker.unblock(), transaction.atomic(), override_settings(MEDIA_ROOT=media):
        for logger in quiet:
            logger.setLevel(logging.CRITICAL)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        started, cpu = time.monotonic(), _cpu_seconds(backend)
        world = _build_world(media)
        sweeper = Sweeper(world)
        TOTALS.world_seconds = time.monotonic() - started
        yield sweeper
        TOTALS.cpu = tuple(
            None if b is None or a is None else b - a for a, b in zip(cpu, _cpu_seconds(backend), strict=True)
        )
        transaction.set_rollback(True)
    for logger, level in zip(quiet, levels, strict=True):
        logger.setLevel(level)
    _write_totals(pytestconfig, sweeper.db.attempts)


def _write_totals(pytestconfig, attempts: int) -> None:
    if not TOTALS.requests:
        return
    combos = TOTALS.combinations
    routes = {c[0] for c in combos}
    methods = {c[1] for c in combos}
    objects = {c[3] for c in combos}
    route_role_object = {(c[0], c[2], c[3]) for c in combos}
    python_cpu, database_cpu = TOTALS.cpu
    parts = ", ".join(
        f"{part} {TOTALS.by_part[part]} requests in {TOTALS.seconds_by_part[part]:.1f} s"
        for part in sorted(TOTALS.parts)
    )
    lines = [
        "Authorisation matrix over everything (tests/test_authorization_everything.py)",
        f"routes (URL patterns, every one the resolver has): {len(routes)} of {len(ROUTES)}",
        f"methods: {len(methods)} ({', '.join(sorted(methods))})",
        f"roles: {len({c[2] for c in combos})} ({', '.join(PERSONAS)})",
        f"objects: {len(objects)} ({', '.join(sorted(objects))}; '-' is a route without an object)",
        f"routes × roles × objects checked: {len(route_role_object)}",
        f"routes × methods × roles × objects × formats checked: {len(combos)}",
        f"requests made: {TOTALS.requests} ({parts})",
        f"server errors: {TOTALS.server_errors}",
        f"leaks found: {TOTALS.leaks}",
        f"writes allowed (in scope, by a persona WRITERS allows, not refused): {TOTALS.allowed_writes}",
        f"writes a request made and undid itself: {attempts}",
        f"seconds: world {TOTALS.world_seconds:.1f}, requests {sum(TOTALS.seconds_by_part.values()):.1f} "
        f"(reading the database's state {TOTALS.state_seconds:.1f})",
        f"CPU seconds: test process {python_cpu:.1f}, database server process "
        + ("unknown" if database_cpu is None else f"{database_cpu:.1f}"),
    ]
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text("\n".join(lines) + "\n")
    summary = (
        f"authorisation matrix: {len(route_role_object)} routes × roles × objects checked "
        f"({len(combos)} routes × methods × roles × objects × formats), {TOTALS.requests} requests, "
        f"{TOTALS.server_errors} server errors, {TOTALS.leaks} leaks found ({ARTIFACT.relative_to(settings.BASE_DIR)})"
    )
    # Past pytest's capture, so that the line shows whether the tests passed or not.
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(summary)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(summary)


ROUTES = list(all_routes())
PARTS = ("pages", "api", "admin")


def test_every_url_pattern_can_be_filled_and_has_a_scope_rule(everything, db):
    """A route the registry cannot fill, or whose object has no scope rule, fails here by name."""
    world = everything.world
    missing = []
    for route in ROUTES:
        if scope_kind(route) is None:
            missing.append(f"{route.name}: no scope rule in SCOPES for its object")
        unfilled = [kwarg for kwarg in route.kwargs if _filler(route, kwarg) is None]
        missing += [f"{route.name}: no entry in KWARGS fills <{kwarg}>" for kwarg in unfilled]
        if not unfilled:
            for scenario in world.scenarios.values() if route.kwargs else []:
                for values, _ in fill(world, route, scenario):
                    build_url(route, values)  # and it resolves back to the same pattern
    assert not missing, "\n".join(sorted(set(missing)))
    assert {route.part for route in ROUTES} == set(PARTS)
    assert sum(route.namespace == "admin" for route in ROUTES) > 100  # the admin's own patterns are in the walk


@pytest.mark.parametrize("part", PARTS)
def test_every_route_method_persona_object_and_format(everything, db, part):
    started = time.monotonic()
    sweeper = everything
    sweeper.problems = []
    try:
        for route in ROUTES:
            if route.part == part:
                sweeper.sweep(route)
    finally:
        TOTALS.seconds_by_part[part] += time.monotonic() - started
        TOTALS.parts.add(part)
        report = ARTIFACT.with_name(f"authorisation-problems-{part}.txt")
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text("".join(f"{problem}\n" for problem in sweeper.problems))
    assert not sweeper.problems, f"{len(sweeper.problems)} problems:\n" + "\n".join(sweeper.problems[:200])
