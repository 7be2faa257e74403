"""Settings of the processes a chaos scenario starts: gunicorn, the Celery worker and Celery beat.

The shared base as production runs it (Redis as broker, result backend and cache; persistent
database connections with health checks; the GOV.UK error pages), pointed by DATABASE_URL,
REDIS_URL and MEDIA_ROOT at the scenario's own PostgreSQL, Redis and media folder
(tests/chaos/conftest.py sets them). Only the document jobs' clocks are shorter, so that a
scenario takes seconds rather than minutes: the beat sweeps every 2 s instead of every minute,
a queued job is swept after 3 s instead of 5 minutes, and a failed attempt is retried after
1 s, 2 s instead of 5 s, 10 s.
"""

from datetime import timedelta

from config.settings.base import *  # noqa: F403
from config.settings.base import CELERY_BEAT_SCHEDULE, env

SECRET_KEY = "chaos-only-not-secret"
DEBUG = False

CELERY_BEAT_SCHEDULE = {
    "documents-sweep-jobs": {**CELERY_BEAT_SCHEDULE["documents-sweep-jobs"], "schedule": timedelta(seconds=2)}
}
DOCUMENT_JOB_SWEEP_AFTER_SECONDS = 3
DOCUMENT_JOB_RETRY_BACKOFF_SECONDS = 1

# A worker started with CHAOS_RENDER_DELAY_SECONDS renders each job's first attempt that much more
# slowly (tests/chaos/slow_renderer.py), so a scenario can kill it in the middle of one.
CELERY_IMPORTS = ["tests.chaos.slow_renderer"] if env("CHAOS_RENDER_DELAY_SECONDS", default="") else []
