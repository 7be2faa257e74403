"""a. Redis stops while inspectors save case reviews and a lead asks for a letter.

Saves go to PostgreSQL only, so they all succeed. The letter's job row is written before the task
is sent; the send fails, so the row stays queued (enqueued_at empty) and its page says so. When
Redis is back, the beat's sweep sends it again and the worker generates it: one job done, one
file, one attempt; and the web app sends the next request's task at once, without a restart. The
director's dashboard and the API, whose cache and rate counts are in Redis, keep answering.
"""

import time

import pytest

from .harness import Section

pytestmark = pytest.mark.chaos

INSPECTION = "SW-CIS-2026"  # the demo's inspection in fieldwork: its case reviews are drafts


def test_with_redis_stopped_saves_succeed_and_a_letter_waits_queued_then_is_delivered_once(stack, report):
    web = stack.start_web(wait=False)
    worker = stack.start_worker(wait=False)
    stack.start_beat(wait=False)
    stack.wait_until_started()
    inspector = stack.browser("inspector@demo.test")
    lead = stack.browser("lead@demo.test")
    director = stack.browser("director.southwest@demo.test")
    cases = [
        case
        for (case,) in stack.sql(
            "SELECT c.case_reference FROM casework_casereview c JOIN inspections_inspection i ON i.id = c.inspection_id"
            " JOIN accounts_user u ON u.id = c.inspector_id WHERE i.reference = %s AND u.email = %s"
            " ORDER BY c.case_reference",
            [INSPECTION, "inspector@demo.test"],
        )
    ]
    sections = [Section.load(inspector, INSPECTION, case, "2.2") for case in cases]

    stack.redis.stop()
    down = time.monotonic()
    assert not stack.redis.ping()

    # Inspectors save: each case review's section, twice.
    save_seconds, outcomes = [], []
    for number in (1, 2):
        for section in sections:
            started = time.monotonic()
            response = section.save(inspector, number)
            save_seconds.append(time.monotonic() - started)
            outcomes.append(response.status_code)
            assert response.status_code == 200, response.text[:500]
            assert response.json()["saved"] is True
            section.version = response.json()["version"]

    # A lead asks for the letter: the page answers at once, the job waits queued.
    started = time.monotonic()
    job_id = lead.request_letter(fmt="docx")
    request_seconds = time.monotonic() - started
    assert request_seconds < 3, "the page waited for Redis"
    job = stack.job(job_id)
    assert job["status"] == "queued" and job["enqueued_at"] is None and job["attempts"] == 0
    page = lead.get(f"/documents/jobs/{job_id}/")
    assert page.status_code == 200
    assert "Your document is queued" in page.text and "stays queued and is sent again automatically" in page.text

    # The director's dashboard: its cache is Redis, so it is computed without it rather than failing.
    # So is the API's rate (DRF's throttle counts in the cache).
    started = time.monotonic()
    dashboard = director.get("/regions/south-west/")
    dashboard_seconds = time.monotonic() - started
    assert dashboard.status_code == 200, dashboard.status_code
    assert "Dorset" in dashboard.text
    api = director.get("/api/v1/regions/")
    assert api.status_code == 200, api.status_code
    assert "south-west" in api.text
    # Someone signs in while Redis is down: sessions and sign-in lockouts are in PostgreSQL.
    stack.browser("admin@demo.test")

    # The beat sweeps every 2 s, but cannot send anything: still queued a few seconds on.
    time.sleep(4)
    assert stack.job(job_id)["status"] == "queued"
    assert not stack.files()

    stack.redis.start()
    up = time.monotonic()
    job = stack.wait_for_job(job_id, "done", timeout=90)
    delivered = time.monotonic() - up

    assert job["attempts"] == 1 and job["error"] == ""
    path = stack.assert_one_file_for(job_id)
    page = lead.get(f"/documents/jobs/{job_id}/")
    assert "Your document is ready" in page.text
    download = lead.get(f"/documents/jobs/{job_id}/download/")
    assert download.status_code == 200 and download.content == path.read_bytes()

    # More sweeps go by: nothing is sent or generated twice.
    time.sleep(5)
    assert stack.job(job_id)["attempts"] == 1
    stack.assert_one_file_for(job_id)
    assert stack.sql("SELECT count(*) FROM documents_documentjob")[0][0] == 1
    assert worker.output().count(": 'done'") == 1

    # The web app sends tasks again without being restarted: a new request goes straight to the worker.
    again = lead.request_letter(fmt="docx", force="1")
    assert again != job_id and stack.wait_for_job(again, "done", timeout=30)["attempts"] == 1
    assert f"Could not enqueue document job {job_id};" in web.output()
    assert f"Could not enqueue document job {again};" not in web.output()

    # Every save is whole: the version moved once per save, and every answer is the second save's.
    for case, section in zip(cases, sections, strict=True):
        ((version,),) = stack.sql(
            "SELECT c.version FROM casework_casereview c JOIN inspections_inspection i ON i.id = c.inspection_id"
            " WHERE i.reference = %s AND c.case_reference = %s",
            [INSPECTION, case],
        )
        assert version == 3 == section.version
        rows = stack.sql(
            "SELECT q.code, a.value, a.note, a.changed_in_version FROM casework_answer a"
            " JOIN inspections_question q ON q.id = a.question_id JOIN casework_casereview c ON c.id = a.case_review_id"
            " JOIN inspections_inspection i ON i.id = c.inspection_id WHERE i.reference = %s AND c.case_reference = %s",
            [INSPECTION, case],
        )
        assert {code for code, *_ in rows} == set(section.answers)
        for code, value, note, changed_in in rows:
            assert value == Section.value(version - 1, section.answers.index(code)) and changed_in == 3
            assert note == (Section.note(2) if code in section.notes else "")

    report.add(
        "a. Redis stopped",
        f"outage {up - down:.1f} s; {len(outcomes)} case review saves during it, "
        f"{outcomes.count(200)} succeeded (median {sorted(save_seconds)[len(save_seconds) // 2] * 1000:.0f} ms), "
        f"{len(outcomes) - outcomes.count(200)} failed; the letter request answered in {request_seconds:.2f} s, "
        f"its job queued; the director's dashboard without its cache in {dashboard_seconds:.2f} s, "
        "the API unthrottled; "
        f"the letter delivered {delivered:.1f} s after Redis returned, once (1 attempt, 1 file); "
        "the next request sent straight to the worker.",
    )
