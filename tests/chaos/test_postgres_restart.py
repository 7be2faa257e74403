"""c. PostgreSQL restarts while inspectors save case reviews, twice: `pg_ctl restart -m fast`, then a
crash (`pg_ctl stop -m immediate`, 2 s down, started again with crash recovery); then once more
while nobody is saving.

Four inspectors save a section of their own case review over and over through gunicorn (two
workers of four threads), each save answering every question and flipping every answer; after a
failure each reloads the page, as a person would, before saving again. Gunicorn is never
restarted: its threads' kept connections die with PostgreSQL, and CONN_HEALTH_CHECKS makes the
first request after the outage open a new one rather than fail on the dead one.

Asserted: the first requests after the idle restart all succeed (without CONN_HEALTH_CHECKS the
first on each gunicorn thread fails on its dead connection); requests during an outage fail
cleanly (a 500 with the "problem with the service" page, never a hang, a dropped connection or a
400) and none that starts after PostgreSQL is back fails; the history shows every committed save
whole (each version of a case review has every answer of that save, with that save's values and
note) and nothing of any other; every save reported as saved is one of them; the case review's
version counts exactly the committed saves.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests

from .harness import Browser, Section

pytestmark = pytest.mark.chaos

INSPECTION = "SW-CIS-2026"
CASES = ["X710001", "X710002", "X710003", "X710004"]
PROBLEM_PAGE = "Sorry, there is a problem with the service"


@dataclass
class Attempt:
    number: int
    started: float
    ended: float
    outcome: str  # "saved", or the status code / exception of a failure
    version: int | None = None
    clean: bool = True  # a failure answered with the service's error page


def keep_saving(browser: Browser, case: str, section: Section, attempts: list[Attempt], stop: threading.Event):
    number = 0
    while not stop.is_set():
        number += 1
        started = time.monotonic()
        try:
            response = section.save(browser, number)
        except requests.RequestException as error:
            attempts.append(Attempt(number, started, time.monotonic(), type(error).__name__, clean=False))
        else:
            ended = time.monotonic()
            if response.status_code == 200 and response.json().get("saved"):
                section.version = response.json()["version"]
                attempts.append(Attempt(number, started, ended, "saved", section.version))
                continue
            clean = response.status_code >= 500 and PROBLEM_PAGE in response.text
            attempts.append(Attempt(number, started, ended, str(response.status_code), clean=clean))
        # Reload the page before saving again, as a person would after an error.
        while not stop.is_set():
            try:
                section.version = Section.load(browser, INSPECTION, case, "2.2").version
                break
            except (requests.RequestException, AttributeError):
                time.sleep(0.1)


def test_postgres_restarted_under_load_the_app_recovers_by_itself_and_no_case_is_half_written(stack, report):
    web = stack.start_web(workers=2, threads=4)
    gunicorn_workers = sorted(web.children())
    browsers = [stack.browser("inspector@demo.test") for _ in CASES]
    sections = [Section.load(b, INSPECTION, case, "2.2") for b, case in zip(browsers, CASES, strict=True)]
    first_version = {case: s.version for case, s in zip(CASES, sections, strict=True)}
    attempts: dict[str, list[Attempt]] = {case: [] for case in CASES}
    stop = threading.Event()
    threads = [
        threading.Thread(target=keep_saving, args=(b, case, s, attempts[case], stop), daemon=True)
        for b, s, case in zip(browsers, sections, CASES, strict=True)
    ]
    for thread in threads:
        thread.start()

    outages = []
    try:
        time.sleep(3)
        began = time.monotonic()
        stack.postgres.restart("fast")
        outages.append(("restart -m fast", began, time.monotonic()))
        time.sleep(3)
        began = time.monotonic()
        stack.postgres.stop("immediate")
        time.sleep(2)
        stack.postgres.start()
        outages.append(("crash (stop -m immediate, 2 s, start)", began, time.monotonic()))
        time.sleep(3)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)

    # PostgreSQL restarts while nobody is saving: every gunicorn thread holds a connection that dies
    # with it, and the first requests afterwards must not fail on them (CONN_HEALTH_CHECKS).
    def burst() -> list[int]:
        paths = [(b, f"/inspections/{INSPECTION}/cases/{case}/") for b, case in zip(browsers, CASES, strict=True)]
        with ThreadPoolExecutor(max_workers=16) as pool:
            return list(pool.map(lambda i: paths[i % 4][0].get(paths[i % 4][1]).status_code, range(32)))

    assert set(burst()) == {200}
    stack.postgres.restart("fast")
    after_idle_restart = burst()
    assert after_idle_restart == [200] * 32, f"requests failing after an idle restart: {after_idle_restart}"

    # The app was not restarted: the same gunicorn and the same workers answer.
    assert web.alive() and sorted(web.children()) == gunicorn_workers
    everything = [a for case in CASES for a in attempts[case]]
    failures = [a for a in everything if a.outcome != "saved"]
    assert all(a.clean for a in failures), [a for a in failures if not a.clean]
    assert not [a for a in failures if a.outcome == "409"], "a save was refused as stale"
    for (name, _, ended), following in zip(outages, [*outages[1:], (None, float("inf"), None)], strict=True):
        after = [a for a in everything if ended < a.started and a.ended < following[1]]
        assert after and all(a.outcome == "saved" for a in after), f"failures after {name}"
        for case in CASES:
            assert any(a.outcome == "saved" and a.started > ended for a in attempts[case]), (case, name)

    # No half-written case: every committed version of each case review is one whole save.
    told_failed_but_saved = 0
    for case, section in zip(CASES, sections, strict=True):
        review = stack.sql(
            "SELECT c.id, c.version FROM casework_casereview c JOIN inspections_inspection i ON i.id = c.inspection_id"
            " WHERE i.reference = %s AND c.case_reference = %s",
            [INSPECTION, case],
        )
        ((review_id, version),) = review
        versions = [v for (v,) in stack.sql(
            "SELECT version FROM casework_casereviewevent WHERE pgh_obj_id = %s AND version > %s ORDER BY pgh_id",
            [review_id, first_version[case]],
        )]  # fmt: skip
        assert versions == list(range(first_version[case] + 1, version + 1)), "one history event per committed save"
        saves = {}
        for committed in versions:
            rows = stack.sql(
                "SELECT q.code, e.value, e.note FROM casework_answerevent e JOIN inspections_question q"
                " ON q.id = e.question_id WHERE e.case_review_id = %s AND e.changed_in_version = %s",
                [review_id, committed],
            )
            notes = {note for code, _, note in rows if code in section.notes}
            assert len(notes) == 1, f"{case} version {committed}: notes of different saves {notes}"
            number = int(notes.pop().split()[-1].rstrip("."))
            expected = {(code, Section.value(committed - 1, i)) for i, code in enumerate(section.answers)}
            assert {(code, value) for code, value, _ in rows} == expected, f"{case} version {committed} is partial"
            assert len(rows) == len(section.answers)
            saves[committed] = number
        saved = {a.version: a.number for a in attempts[case] if a.outcome == "saved"}
        assert all(saves.get(v) == n for v, n in saved.items()), "a save reported as saved is not in the database"
        failed = {a.number for a in attempts[case] if a.outcome != "saved"}
        unreported = {v: n for v, n in saves.items() if v not in saved}
        assert set(unreported.values()) <= failed
        told_failed_but_saved += len(unreported)
        # And the answers now are the last committed save's, all of them.
        current = stack.sql(
            "SELECT q.code, a.value, a.changed_in_version FROM casework_answer a JOIN inspections_question q"
            " ON q.id = a.question_id WHERE a.case_review_id = %s",
            [review_id],
        )
        assert {(c, v, n) for c, v, n in current} == {
            (code, Section.value(version - 1, i), version) for i, code in enumerate(section.answers)
        }

    for name, began, ended in outages:
        failed_here = [a for a in failures if a.started <= ended and a.ended >= began]
        back = [
            min((a.ended for a in attempts[case] if a.outcome == "saved" and a.started > ended), default=None)
            for case in CASES
        ]
        report.add(
            "c. PostgreSQL restarted under load",
            f"{name}: PostgreSQL unavailable for up to {ended - began:.1f} s; {len(failed_here)} saves failed "
            f"cleanly (500, the service's error page); every inspector saving again {max(back) - ended:.2f} s "
            "after it accepted connections, with no restart of gunicorn.",
        )
    report.add(
        "c. PostgreSQL restarted under load",
        "restart -m fast with nobody saving: the 32 requests that followed, 16 at a time, all answered 200 "
        "(each gunicorn thread's kept connection checked and replaced, not used dead).",
    )
    seconds = max(a.ended for a in everything) - min(a.started for a in everything)
    report.add(
        "c. PostgreSQL restarted under load",
        f"4 inspectors for {seconds:.0f} s: {len(everything) - len(failures)} saves succeeded, {len(failures)} "
        f"failed, {told_failed_but_saved} of those committed though the response failed (whole, and shown on "
        "reload); every committed version whole in the history, none partial.",
    )
