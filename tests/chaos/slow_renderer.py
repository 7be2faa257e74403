"""Imported by a chaos worker started with CHAOS_RENDER_DELAY_SECONDS (tests/chaos/settings.py).

Each renderer sleeps that long before rendering a job's first attempt, so the scenario knows the
job is mid-task (its row says running) for that long and can kill the worker then. Later attempts
run at full speed.
"""

import os
import time

from documents import tasks

DELAY = float(os.environ.get("CHAOS_RENDER_DELAY_SECONDS") or 0)


def _slow(render):
    def first_attempt_slowly(job):
        if job.attempts == 1:
            time.sleep(DELAY)
        return render(job)

    return first_attempt_slowly


if DELAY:
    tasks.RENDERERS = {key: _slow(render) for key, render in tasks.RENDERERS.items()}
