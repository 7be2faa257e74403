"""Property-based tests of the API against its own OpenAPI schema (schemathesis), as an analyst
and as a regional director: no server error, and every response documented, in a documented
content type, with a body that matches the schema, for every operation the schema has when
the test runs.

Each operation gets schema-valid requests (positive) and schema-breaking ones (negative); the
path and filter parameters are often real slugs, references and case keys, so requests reach
rows rather than only 404s and empty pages. The counts are written to
test-artifacts/schemathesis.txt.
"""

from __future__ import annotations

import collections
import contextlib
import pathlib
import time

import hypothesis
import pytest
import schemathesis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from inspections.models import Inspection
from regions.models import PDU, Region

from .conftest import ANALYST, DIRECTOR_LONDON, api_client, token_for

# Examples per operation and persona: the whole file runs in about a minute and a half.
EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 12}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SUMMARY = pathlib.Path(settings.BASE_DIR) / "test-artifacts" / "schemathesis.txt"

# Filled by the tests, written out when the module ends.
RUNS: list[dict] = []


# The project's own schema, fetched from /api/v1/schema/ through the WSGI application when the
# tests are collected, so every operation it has then is tested.
SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", WSGIHandler())
OPERATIONS = sorted(op.ok().label for op in SCHEMA.get_all_operations())


@contextlib.contextmanager
def transaction_kept():
    """Django closes a connection after each request when it is inside a transaction; the test
    client stops that around each of its requests, and so must a direct WSGI call, or the test's
    transaction would be lost."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(scope="module", autouse=True)
def summary():
    yield
    SUMMARY.parent.mkdir(exist_ok=True)
    lines = [f"schemathesis {schemathesis.__version__ if hasattr(schemathesis, '__version__') else ''}".strip()]
    operations = {r["operation"] for r in RUNS}
    calls = sum(r["calls"] for r in RUNS)
    failures = [r for r in RUNS if r["failure"]]
    lines.append(
        f"operations: {len(operations)}; runs (operation x persona x mode): {len(RUNS)}; "
        f"calls: {calls}; failures: {len(failures)}"
    )
    statuses = collections.Counter()
    for r in RUNS:
        statuses.update(r["statuses"])
    lines.append("status codes: " + ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items())))
    for r in RUNS:
        codes = " ".join(f"{code}x{n}" for code, n in sorted(r["statuses"].items()))
        lines.append(
            f"{r['operation']:<45} {r['persona']:<9} {r['mode']:<8} calls {r['calls']:>3}  [{codes}]"
            f"  {r['seconds']:.1f}s  {'FAILED: ' + r['failure'] if r['failure'] else 'ok'}"
        )
    SUMMARY.write_text("\n".join(lines) + "\n")


def real_values(operation) -> dict[str, list[str]]:
    """Values that name real rows, for the path and query parameters that take them."""
    inspections = list(Inspection.objects.values_list("reference", flat=True))
    values = {
        "slug": list(Region.objects.values_list("slug", flat=True)) + list(PDU.objects.values_list("slug", flat=True)),
        "region": list(Region.objects.values_list("slug", flat=True)),
        "pdu": list(PDU.objects.values_list("slug", flat=True)),
        "inspection": inspections,
        "reference": inspections,
        "framework": ["pdu-2021"],
        "code": ["pdu-2021"],
        "question": ["2.2.1", "2.2.3", "2.2.3.e", "1.1", "2.1"],
    }
    if "case_key" in [p.name for p in operation.path_parameters]:
        client = api_client(ANALYST)
        rows = client.get("/api/v1/case-reviews/", {"page_size": 50}).json()["results"]
        values["case_key"] = [row["case_key"] for row in rows]
    return values


def strategy(operation, mode: GenerationMode):
    """Generated cases; in positive mode, half of them with real path and filter values."""
    generated = operation.as_strategy(generation_mode=mode)
    if not mode.is_positive:
        return generated
    values = real_values(operation)
    path = {p.name: values[p.name] for p in operation.path_parameters if values.get(p.name)}
    query = {p.name: values[p.name] for p in operation.query if values.get(p.name)}
    if not path and not query:
        return generated

    def with_real(choice):
        path_values, query_values = choice
        return operation.as_strategy(generation_mode=mode, path_parameters=path_values, query=query_values)

    real_path = st.fixed_dictionaries({name: st.sampled_from(v) for name, v in path.items()})
    real_query = st.fixed_dictionaries({}, optional={name: st.sampled_from(v) for name, v in query.items()})
    return st.one_of(generated, st.tuples(real_path, real_query).flatmap(with_real))


@pytest.mark.parametrize("persona", [ANALYST, DIRECTOR_LONDON], ids=["analyst", "director"])
@pytest.mark.parametrize("label", OPERATIONS)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
def test_every_operation_answers_as_its_schema_says(world, label, persona, mode):
    operation = SCHEMA.find_operation_by_label(label)
    headers = {"Authorization": f"Token {token_for(persona)}"}
    run = {
        "operation": label,
        "persona": "analyst" if persona == ANALYST else "director",
        "mode": str(mode),
        "calls": 0,
        "statuses": collections.Counter(),
        "failure": "",
    }
    RUNS.append(run)
    started = time.monotonic()

    @hypothesis.settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.shrink],
    )
    @hypothesis.given(case=strategy(operation, mode))
    def check(case):
        with transaction_kept():
            response = case.call(headers=headers)
        run["calls"] += 1
        run["statuses"][response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        check()
    except BaseException as failure:
        lines = [line.strip(" |") for line in str(failure).splitlines() if line.strip(" |")]
        run["failure"] = f"{type(failure).__name__}: {lines[0] if lines else ''}"
        raise
    finally:
        run["seconds"] = time.monotonic() - started
    # Generation reached the API: at least some requests were made and some were answered with data.
    assert run["calls"] > 0
