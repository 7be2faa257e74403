"""Celery's wiring: a real worker over Redis when REDIS_URL is set, in-process tasks without it."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from config.celery import app


def test_without_redis_url_tasks_run_in_process_so_make_run_needs_nothing_but_python():
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.test")
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL]))"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [True, "memory://"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_runs_tasks_sent_through_redis():
    # Under CI Redis is part of the stack: a missing REDIS_URL is a failure, never a skip.
    assert settings.REDIS_URL, "REDIS_URL must point at a running Redis for the test suite (make test sets it)"
    from celery.contrib.testing.worker import start_worker

    app.loader.import_module("celery.contrib.testing.tasks")  # registers celery.ping
    with start_worker(app, pool="solo", perform_ping_check=True, shutdown_timeout=10):
        result = app.send_task("celery.ping")
        assert result.get(timeout=10) == "pong"
