"""Chaos scenarios (issue 12): the real processes on this machine, each broken on purpose.

How they run, and why. Each scenario is a plain pytest test, marked `chaos` (`make chaos`, which
`.ci/run` calls after `make test`; `make test` leaves them out), that never touches Django's
database from the pytest process. It starts what production runs, as subprocesses:

- its own PostgreSQL: initdb + pg_ctl on a scratch folder and a free port (as the `postgres` user
  when run as root, which initdb refuses), made once per session; `migrate` and `load_demo` fill a
  template database, and each scenario gets its own copy (CREATE DATABASE … TEMPLATE, under a
  second);
- its own redis-server on a free port (`--save '' --appendonly no`), one per scenario;
- the web app under gunicorn, a Celery worker and Celery beat (`celery -A config …`), with
  DATABASE_URL (the application role, as in production), REDIS_URL and MEDIA_ROOT pointing at
  those and DJANGO_SETTINGS_MODULE=tests.chaos.settings.

It then acts as the demo's users over HTTP (requests, signed in through the sign-in page), breaks
a service (stops Redis, SIGKILLs a worker, restarts PostgreSQL, fills or freezes the media folder)
and asserts on the rows (psycopg2, as the superuser) and the files, not only on status codes.

Not pytest-django's test database nor celery.contrib.testing's in-process worker: they would share
the pytest process with what is being broken. A worker thread cannot be SIGKILLed on its own, a
PostgreSQL restart would break the test's own connection along with the app's, and the suite's
shared PostgreSQL and Redis must stay up. Separate processes make each failure real and contained,
and the shared services are never used.

Each scenario adds its figures (outage, recovery, saves that succeeded and failed) to
test-artifacts/chaos.txt; when one fails, the last lines of every process's log are printed.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg2.errors
import pytest

from .harness import (
    ARTIFACT,
    DATABASE_PREFIX,
    ROOT,
    PostgreSQL,
    Redis,
    Report,
    Stack,
    app_env,
    tail,
    wait_until,
)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.chaos_failed = report.failed
    return report


@pytest.fixture(scope="session")
def postgres():
    folder = Path(tempfile.mkdtemp(prefix="chaos-postgresql-"))
    server = PostgreSQL(folder)
    started = time.monotonic()
    try:
        server.initdb()
        server.start()
        template = f"{DATABASE_PREFIX}_template"
        server.sql("postgres", f"CREATE DATABASE {template}")
        # As the tables' owner, like `make demo`: migrate creates the application role and its rights.
        env = app_env(database_url=server.url(template), redis_url="", media=folder / "media")
        for command in (["migrate", "--noinput"], ["load_demo"]):
            result = subprocess.run(
                [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
            )
            assert result.returncode == 0, f"{command}: {result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        server.started, server.setup_seconds = started, time.monotonic() - started
        server.template = template
        yield server
    finally:  # also when setting up failed: no server is left running
        with contextlib.suppress(subprocess.SubprocessError):
            server.stop("immediate")
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def stack(postgres, request):
    """A scenario's own database (a copy of the demo), Redis and media folder; processes as it starts them."""
    name = request.node.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    if hasattr(request.node, "callspec"):
        name += "_" + re.sub(r"\W+", "_", request.node.callspec.id).strip("_").lower()
    folder = Path(tempfile.mkdtemp(prefix=f"chaos-{name}-"))
    database = f"{DATABASE_PREFIX}_{name}"
    postgres.sql("postgres", f"DROP DATABASE IF EXISTS {database}")

    def copied():
        # The template's last users (migrate, load_demo, a scenario's processes) may take a moment to go.
        try:
            postgres.sql("postgres", f"CREATE DATABASE {database} TEMPLATE {postgres.template}")
        except psycopg2.errors.ObjectInUse:
            return False
        return True

    wait_until(copied, timeout=30, interval=0.5, message=f"a copy of {postgres.template}")
    redis = Redis(folder)
    redis.start()
    media = folder / "media"
    media.mkdir()
    scenario = Stack(name=name, postgres=postgres, folder=folder, database=database, redis=redis, media=media)
    yield scenario
    scenario.stop()
    redis.stop()
    if getattr(request.node, "chaos_failed", False):
        # The processes' logs, for whoever reads CI's output and artefacts.
        kept = ARTIFACT.parent / "chaos-logs" / name
        shutil.rmtree(kept, ignore_errors=True)
        kept.mkdir(parents=True)
        for log in sorted(folder.glob("*.log")):
            shutil.copy(log, kept / log.name)
            print(f"\n----- {log.name} (last lines; all of it in {kept.relative_to(ROOT)}) -----\n{tail(log)}")
    with contextlib.suppress(Exception):
        postgres.sql("postgres", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def report(postgres):
    figures = Report()
    yield figures
    if not figures.lines:
        return
    ARTIFACT.parent.mkdir(exist_ok=True)
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = [f"Chaos scenarios (make chaos), {now}, {os.cpu_count()} CPUs."]
    text.append(
        f"Private PostgreSQL ({postgres.version}) made, migrated and loaded with the demo "
        f"in {postgres.setup_seconds:.1f} s; that and the scenarios {time.monotonic() - postgres.started:.1f} s in all."
    )
    for scenario in sorted(figures.lines):
        text.append("")
        text.append(scenario)
        text.extend(f"  {line}" for line in figures.lines[scenario])
    ARTIFACT.write_text("\n".join(text) + "\n")
