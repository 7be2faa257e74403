"""b. The worker is killed (SIGKILL) in the middle of generating a letter.

The worker renders each job's first attempt 20 s slowly (tests/chaos/slow_renderer.py), so the job
is certainly mid-task when it is killed: its row says running. Two ways a worker dies:

- solo: the whole worker process, as the OOM killer or a lost machine would. Its message stays
  unacknowledged in Redis (acks_late) for the visibility timeout, an hour, and its row says
  running; a new worker is started. The beat's sweep (every 2 s here, every minute in production)
  finds the job running with no database session holding its lock (documents/tasks.py) and sends
  it again.
- prefork: only the pool's child running the task. The worker's main process starts another
  child and, with task_reject_on_worker_lost, puts the message back on the queue at once.

Either way the job completes once, on its second attempt: one file, its checksum the row's, and no
file left from the killed attempt.
"""

import os
import signal
import time

import pytest

pytestmark = pytest.mark.chaos

SLOW = "20"


@pytest.mark.parametrize("pool", ["solo", "prefork"])
def test_a_worker_killed_mid_task_leaves_the_job_to_complete_once_with_one_file(stack, report, pool):
    stack.start_web(wait=False)
    first = stack.start_worker("first", pool=pool, wait=False, CHAOS_RENDER_DELAY_SECONDS=SLOW)
    stack.start_beat(wait=False)
    stack.wait_until_started()
    lead = stack.browser("lead@demo.test")

    job_id = lead.request_letter(fmt="docx")
    job = stack.wait_for_job(job_id, "running", timeout=30)
    assert job["attempts"] == 1
    time.sleep(1)  # well inside the slow render
    if pool == "solo":
        first.kill()
        killed = time.monotonic()
        job = stack.job(job_id)
        assert job["status"] == "running" and job["attempts"] == 1  # what the killed worker left
        stack.start_worker("second", pool=pool)
        started_again = time.monotonic() - killed
    else:
        (child,) = first.children()
        os.kill(child, signal.SIGKILL)
        killed = time.monotonic()
        started_again = 0.0

    job = stack.wait_for_job(job_id, "done", timeout=90)
    recovered = time.monotonic() - killed
    assert job["attempts"] == 2 and job["error"] == ""
    path = stack.assert_one_file_for(job_id)
    download = lead.get(f"/documents/jobs/{job_id}/download/")
    assert download.status_code == 200 and download.content == path.read_bytes()

    # Sweeps and any redelivery of the killed worker's message go by: generated once only.
    time.sleep(5)
    assert stack.job(job_id)["attempts"] == 2
    stack.assert_one_file_for(job_id)
    outputs = "".join(process.output() for process in stack.processes if process.name in ("first", "second"))
    assert outputs.count(": 'done'") == 1

    how = "the worker process" if pool == "solo" else "the pool's child process"
    report.add(
        "b. Worker killed mid-task",
        f"{pool} pool, {how} SIGKILLed 1 s into a {SLOW} s render: "
        + (f"a new worker ready {started_again:.1f} s later; " if pool == "solo" else "")
        + f"the letter done {recovered:.1f} s after the kill, on attempt 2; 1 file, no leftovers.",
    )
