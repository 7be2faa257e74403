"""Load test: gunicorn on 127.0.0.1 under a mix of inspectors, leads, directors and analysts.

    make load             # or: DATABASE_URL=postgres://... python -m bench.load

Bounded in time and in count: each phase stops its virtual users at its deadline (a request
still in flight then has at most --timeout seconds), and the whole run stops at --max-requests.
Every request goes to 127.0.0.1 only.

Set-up (about a minute): a scratch database `probation_h10_load` on the server named by
DATABASE_URL, migrated and loaded as the tables' owner with the demo and the synthetic national
data (`load_demo --national`: 540 inspections, 1.87 million answers), plus, in the demo's
fieldwork inspection SW-CIS-2026, one inspector account per virtual inspector on its team with
three draft cases of their own (so no two virtual inspectors save the same case) and 40
submitted cases in the lead's quality-assurance queue. gunicorn then serves the project from
that database as the application role (probation_app), DEBUG off, with Redis DB 10 as the
cache when Redis answers (flushed before and after), `--workers 2 --threads 4` by default, the
development settings with each thread keeping its database connection for 60 s as a gunicorn
deployment should (bench/load_settings.py; --conn-max-age 0 opens one a request, as runserver).

Virtual users, each a thread with its own cookies, waiting --think seconds (± half) between
requests, as people do between pages:

  inspector  opens one of their cases, a section of it, and saves the section with changed
             answers and evidence (a form POST with the CSRF token and the version it loaded);
             the redirect to the case page is followed (timed as "case page")
  lead       opens the quality-assurance queue /qa/
  director   opens their region's dashboard /regions/<slug>/ (South West or London)
  analyst    with a knox token: pages of 500 answers along the cursor, every third request the
             CSV of one published inspection, every tenth the CSV of one region (~120,000 rows)
  pair       two sessions of inspector@demo.test that load the same section of the same case
             and save it at the same moment: one save must win (302, or 200 for an autosave)
             and the other be refused as stale (409 with the message), never a 500

The main phase: the base mix (by default 20 inspectors, 3 leads, 3 directors, 2 analysts and
one pair) signs in over HTTP (sign-in timed), then runs for --seconds (60). Then, to find the
first limit, informational: the mix times each of --steps (2, 4) for --step-seconds each,
those extra users with sessions made directly in the database. Each phase reports per action:
requests, errors, median and 95th percentile; throughput; the concurrency held (virtual users
running at the end and the mean of requests in flight); the CPU of the machine, of the gunicorn
workers, of PostgreSQL (the whole server, and this database's backends) and of this load
generator, sampled each second, and so the CPU each request cost and the throughput that allows
on this machine's cores; and the database connections. Then the first limit: the first phase
that fell behind, and what was saturated there. Written to test-artifacts/load.txt too.

Exit 1 if the main phase had any error: a 5xx, a connection error or time-out, or any status
but the expected one (a 409 is expected only for the pair's losing save). The steps never fail
the run. Everything is torn down at the end: gunicorn stopped, the database dropped, Redis DB
10 flushed (--keep keeps the database).
"""

from __future__ import annotations

import argparse
import contextlib
import html
import io
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.api import free_port, wait_for_port
from bench.pages import percentile
from bench.ratings import DEFAULT_URL, _bench_url, drop_database, recreate_database, setup_django

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "probation_h10_load"
REDIS_URL = "redis://127.0.0.1:6379/10"
APP_ROLE = "probation_app"
INSPECTION = "SW-CIS-2026"
CASES_EACH = 3
SUBMITTED_IN_QUEUE = 40
INSPECTOR_EMAIL = "load-inspector-{:03d}@example.test"
PAIR_EMAIL = "inspector@demo.test"
LEAD_EMAIL = "lead@demo.test"
DIRECTORS = [("director.southwest@demo.test", "south-west"), ("director.london@demo.test", "london")]
ANALYST_EMAIL = "analyst@demo.test"
# The demo's cases of SW-CIS-2026 assigned to inspector@demo.test: the pair's.
PAIR_CASES = [f"X71000{n}" for n in range(1, 9)]
STALE_TEXT = "Someone else changed this case review"
ARTIFACT = ROOT / "test-artifacts" / "load.txt"

INPUT = re.compile(r"<input\b[^>]*>")
TEXTAREA = re.compile(r"<textarea\b[^>]*>")
ATTRIBUTE = re.compile(r'([\w-]+)(?:="([^"]*)")?')
SECTION_LINK = re.compile(r'/sections/([^/"?]+)/')


# Measuring -------------------------------------------------------------------------------------------


@dataclass
class Sample:
    at: float
    machine: float  # % of one core, summed over cores (200 = both cores busy)
    workers: list[float]
    postgres: float  # the whole server, every database's backends
    our_backends: float  # the backends of the load test's database (a lower bound)
    generator: float
    connections: int
    in_flight: int


class Stats:
    """Every request's time, status and verdict by action, and the requests in flight; thread-safe."""

    def __init__(self, max_requests: int):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter = Counter()
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.examples: dict[str, str] = {}
        self.outcomes: Counter = Counter()
        self.in_flight = 0
        self.total = 0
        self.max_requests = max_requests
        self.started = self.stopped = self.deadline = 0.0
        self.completed_in_time = 0  # requests answered before the phase's deadline: the throughput

    def begin(self) -> bool:
        with self.lock:
            if self.total >= self.max_requests:
                return False
            self.total += 1
            self.in_flight += 1
            return True

    def end(self, action: str, ms: float, status: str, ok: bool, example: str = "") -> None:
        with self.lock:
            self.in_flight -= 1
            self.completed_in_time += time.perf_counter() <= self.deadline
            self.times[action].append(ms)
            self.statuses[action][status] += 1
            if not ok:
                self.errors[action] += 1
                self.examples.setdefault(action, f"{status}: {example[:200]}")

    @property
    def requests(self) -> int:
        return sum(len(t) for t in self.times.values())

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def server_errors(self) -> int:
        return sum(n for c in self.statuses.values() for s, n in c.items() if s.startswith("5"))


class Resources:
    """CPU of the machine, of the gunicorn workers, of PostgreSQL and of this process, and the
    database's connections, once a second while a phase runs."""

    def __init__(self, server: Server, admin_url: str, database: str):
        import psutil
        import psycopg2

        self.server, self.database = server, database
        self.stats = Stats(0)  # each phase's, while it runs
        parts = urlsplit(admin_url)
        self.conn = psycopg2.connect(
            host=parts.hostname,
            port=parts.port or 5432,
            user=parts.username,
            password=parts.password,
            dbname="postgres",
        )
        self.conn.autocommit = True
        with self.conn.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.postmaster = psutil.Process(cursor.fetchone()[0]).parent()
            cursor.execute("SHOW max_connections")
            self.max_connections = int(cursor.fetchone()[0])
        self.me = psutil.Process()
        self.samples: list[Sample] = []
        self.done = threading.Event()
        self.thread: threading.Thread | None = None

    def _postgres_seconds(self) -> float:
        """The postmaster's CPU, its exited children's (every finished backend) and its live children's."""
        import psutil

        t = self.postmaster.cpu_times()
        total = t.user + t.system + t.children_user + t.children_system
        for child in self.postmaster.children():
            try:
                c = child.cpu_times()
                total += c.user + c.system
            except psutil.NoSuchProcess:
                pass
        return total

    def _worker_seconds(self) -> dict[int, float]:
        import psutil

        seconds = {}
        for worker in self.server.workers():
            try:
                c = worker.cpu_times()
                seconds[worker.pid] = c.user + c.system
            except psutil.NoSuchProcess:
                pass
        return seconds

    def _our_backends(self, cursor, seen: dict[int, float]) -> float:
        """CPU seconds our database's backends used since the last call: each backend's whole CPU
        the first time it is seen (it has served only this database), then what it added. A backend
        that ended between two calls loses what it did after the last, so this is a lower bound
        (read every 0.25 s; with a connection a request, backends live for one request)."""
        import psutil

        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.database])
        added = 0.0
        pids = {row[0] for row in cursor.fetchall()}
        for pid in pids:
            try:
                c = psutil.Process(pid).cpu_times()
            except psutil.NoSuchProcess:
                continue
            now = c.user + c.system
            added += now - seen.get(pid, 0.0)
            seen[pid] = now
        for pid in set(seen) - pids:
            del seen[pid]
        return added

    def _run(self) -> None:
        import psutil

        psutil.cpu_percent()
        last_at = time.perf_counter()
        last_pg, last_workers = self._postgres_seconds(), self._worker_seconds()
        last_me = sum(self.me.cpu_times()[:2])
        seen: dict[int, float] = {}
        ticks = 0
        with self.conn.cursor() as cursor:
            self._our_backends(cursor, seen)  # the backends already open count from now
            ours = connections = 0.0
            while not self.done.wait(0.25):
                ours += self._our_backends(cursor, seen)
                connections = max(connections, len(seen))
                ticks += 1
                if ticks % 4:
                    continue
                now = time.perf_counter()
                elapsed = now - last_at
                pg, workers, me = self._postgres_seconds(), self._worker_seconds(), sum(self.me.cpu_times()[:2])
                self.samples.append(
                    Sample(
                        at=now,
                        machine=psutil.cpu_percent() * psutil.cpu_count(),
                        workers=[100 * (s - last_workers.get(pid, s)) / elapsed for pid, s in sorted(workers.items())],
                        postgres=100 * (pg - last_pg) / elapsed,
                        our_backends=100 * ours / elapsed,
                        generator=100 * (me - last_me) / elapsed,
                        connections=int(connections),
                        in_flight=self.stats.in_flight,
                    )
                )
                last_at, last_pg, last_workers, last_me = now, pg, workers, me
                ours = connections = 0

    def start(self) -> None:
        self.samples, self.done = [], threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def stop(self) -> list[Sample]:
        self.done.set()
        if self.thread:
            self.thread.join(5)
        return self.samples

    def close(self) -> None:
        self.conn.close()


# The server ----------------------------------------------------------------------------------------------


class Server:
    """gunicorn serving the project on 127.0.0.1 from the scratch database, as the application role."""

    def __init__(self, database_url: str, *, workers: int, threads: int, redis_url: str, conn_max_age: int):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            # config.settings.development, the connection's lifetime aside (bench/load_settings.py).
            "DJANGO_SETTINGS_MODULE": "bench.load_settings",
            "LOAD_CONN_MAX_AGE": str(conn_max_age),
            "DATABASE_URL": database_url,
            "DJANGO_DEBUG": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "REDIS_URL": redis_url,
        }
        self.log = open(ROOT / "test-artifacts" / "load-gunicorn.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{self.port}"),
                *("--workers", str(workers), "--threads", str(threads), "--timeout", "60"),
                *("--log-level", "warning", "--error-logfile", "-"),
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.process, self.port, f"gunicorn did not start: see {self.log.name}")

    def workers(self):
        import psutil

        try:
            return psutil.Process(self.process.pid).children()
        except psutil.NoSuchProcess:
            return []

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


# Virtual users -----------------------------------------------------------------------------------------


class Stop(Exception):
    """The phase is over, or the run has used its requests."""


@dataclass
class Identity:
    role: str  # inspector, lead, director, analyst, pair
    email: str = ""
    session: str = ""  # a session key made in the database; "" signs in over HTTP
    cases: list[str] = field(default_factory=list)
    region: str = ""
    token: str = ""
    password: str = ""
    inspections: list[str] = field(default_factory=list)  # an analyst's published inspections
    regions: list[str] = field(default_factory=list)  # an analyst's regions


class User:
    """One virtual user: a requests session (its cookies), its clock and its random choices."""

    def __init__(self, identity: Identity, base: str, stats: Stats, *, think: float, timeout: float, seed: int):
        import requests

        self.identity, self.base, self.stats = identity, base, stats
        self.think_mean, self.timeout = think, timeout
        self.rng = random.Random(seed)
        self.http = requests.Session()
        self.http.headers["Host"] = "127.0.0.1"
        # One connection a request, as a proxy in front of gunicorn (nginx's default to its upstream)
        # sends them. Kept alive, a connection that gunicorn closes after its 2 s keep-alive while the
        # user's next request is on its way is reset, which a browser would retry and this would not.
        self.http.headers["Connection"] = "close"
        if identity.session:
            self.http.cookies.set("sessionid", identity.session, domain="127.0.0.1", path="/")
        if identity.token:
            self.http.headers["Authorization"] = f"Token {identity.token}"
        self.deadline = 0.0
        self.sections: dict[str, list[str]] = {}

    def think(self, factor: float = 1.0) -> None:
        pause = self.think_mean * factor * self.rng.uniform(0.5, 1.5)
        time.sleep(max(0.0, min(pause, self.deadline - time.monotonic())))
        if time.monotonic() >= self.deadline:
            raise Stop

    def request(self, action: str, method: str, path: str, *, expect=(200,), stream: bool = False, **kwargs):
        """The response, timed under `action` (to the last byte); None after an error, which is counted."""
        if time.monotonic() >= self.deadline or not self.stats.begin():
            raise Stop
        started = time.perf_counter()
        status, ok, example, response = "error", False, "", None
        try:
            response = self.http.request(
                method, self.base + path, timeout=self.timeout, allow_redirects=False, stream=stream, **kwargs
            )
            head = b""
            if stream:
                for chunk in response.iter_content(1 << 16):
                    head = head or chunk[:200]
            else:
                head = response.content[:200]
            status = str(response.status_code)
            ok = response.status_code in expect
            if not ok:
                example = f"{method} {path} {head!r}"
        except Exception as error:  # a connection refused or reset, a time-out: an error, never a crash
            status, example = type(error).__name__, f"{method} {path}: {error}"
        self.stats.end(action, (time.perf_counter() - started) * 1000, status, ok, example)
        return response if ok else None

    def sign_in(self) -> bool:
        try:
            return self._sign_in()
        except Stop:
            return False

    def _sign_in(self) -> bool:
        page = self.request("sign in (page)", "GET", "/sign-in/")
        if page is None:
            return False
        form = {"csrfmiddlewaretoken": form_fields(page.text)["csrfmiddlewaretoken"]}
        form.update(email=self.identity.email, password=self.identity.password)
        if self.request("sign in", "POST", "/sign-in/", data=form, expect=(302,)) is None:
            return False
        # The later phases' users of this identity carry on in the same session.
        self.identity.session = self.http.cookies.get("sessionid", "")
        return True

    # Roles -----------------------------------------------------------------------------------------

    def run(self) -> None:
        with contextlib.suppress(Stop):
            getattr(self, f"run_{self.identity.role}")()

    def run_inspector(self) -> None:
        while True:
            case = self.rng.choice(self.identity.cases)
            case_path = f"/inspections/{INSPECTION}/cases/{case}/"
            page = self.request("case page", "GET", case_path)
            if page is not None:
                self.sections[case] = sorted(set(SECTION_LINK.findall(page.text)))
            self.think()
            if not self.sections.get(case):
                continue
            section_path = f"{case_path}sections/{self.rng.choice(self.sections[case])}/"
            page = self.request("section page", "GET", section_path)
            if page is None:
                self.think()
                continue
            fields = form_fields(page.text)
            self.think(2)  # filling the form in
            data = section_post(fields, self.rng, flip=False)
            saved = self.request("save section", "POST", section_path, data=data, expect=(302,))
            if saved is not None:
                self.request("case page", "GET", urlsplit(saved.headers["Location"]).path)
            self.think()

    def run_lead(self) -> None:
        while True:
            self.request("QA queue", "GET", "/qa/")
            self.think()

    def run_director(self) -> None:
        while True:
            self.request("region dashboard", "GET", f"/regions/{self.identity.region}/")
            self.think()

    def run_analyst(self) -> None:
        page_path, n = None, 0
        while True:
            n += 1
            if n % 10 == 0:
                region = self.rng.choice(self.identity.regions)
                self.request("API CSV, one region", "GET", f"/api/v1/answers/?region={region}&format=csv", stream=True)
            elif n % 3 == 0:
                inspection = self.rng.choice(self.identity.inspections)
                self.request(
                    "API CSV, one inspection",
                    "GET",
                    f"/api/v1/answers/?inspection={inspection}&format=csv",
                    stream=True,
                )
            else:
                response = self.request("API JSON page of 500", "GET", page_path or "/api/v1/answers/?page_size=500")
                following = response.json().get("next") if response is not None else None
                page_path = urlsplit(following)._replace(scheme="", netloc="").geturl() if following else None
            self.think()


def run_pair(first: User, second: User, stats: Stats) -> None:
    """Two sessions of one inspector load the same section and save it at the same moment, again and again."""
    rounds = 0
    try:
        while True:
            rounds += 1
            case = first.rng.choice(first.identity.cases)
            case_path = f"/inspections/{INSPECTION}/cases/{case}/"
            page = first.request("case page", "GET", case_path)
            if page is None:
                first.think()
                continue
            section_path = f"{case_path}sections/{first.rng.choice(sorted(set(SECTION_LINK.findall(page.text))))}/"
            pages = [user.request("section page", "GET", section_path) for user in (first, second)]
            if None in pages:
                first.think()
                continue
            autosave = rounds % 2 == 0
            # The same change from both: every answer moved to another value, so the first save changes the case.
            posts = [section_post(form_fields(p.text), first.rng, flip=True) for p in pages]
            posts[1].update({k: v for k, v in posts[0].items() if k.startswith(("answer-", "note-"))})
            results = save_at_once((first, second), section_path, posts, autosave)
            stats.outcomes[pair_outcome(results, autosave)] += 1
            first.think(2)
    except Stop:
        pass


def save_at_once(users: tuple[User, User], path: str, posts: list[dict], autosave: bool) -> list:
    """Both users' POSTs of `path`, released together by a barrier; their responses (None after an error).
    Raises Stop when the phase ended before both were sent."""
    results: list = [None, None]
    stopped = threading.Event()
    barrier = threading.Barrier(2)
    headers = {"X-Autosave": "1"} if autosave else {}
    expect = (200, 409) if autosave else (302, 409)

    def save(i: int) -> None:
        try:
            barrier.wait(5)
            results[i] = users[i].request(
                "save the same case at once", "POST", path, data=posts[i], headers=headers, expect=expect
            )
        except (Stop, threading.BrokenBarrierError):
            stopped.set()
            barrier.abort()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if stopped.is_set():
        raise Stop
    return results


def pair_outcome(results: list, autosave: bool) -> str:
    """What the two saves of one version came to: one saved and one refused as stale is the only right answer."""
    if None in results:
        return "an error (counted under its action)"
    codes = sorted(r.status_code for r in results)
    if autosave:
        bodies = [r.json() for r in results]
        if codes == [200, 409] and any(b.get("saved") for b in bodies) and any(b.get("stale") for b in bodies):
            return "autosave: one saved (200), one refused as stale (409, JSON)"
    elif codes == [302, 409] and STALE_TEXT in next(r.text for r in results if r.status_code == 409):
        return "form: one saved (302), one refused as stale (409, the page names the change)"
    return f"WRONG: {codes}"


def form_fields(page: str) -> dict:
    """The form's hidden values, its radio groups (name → offered values, and the checked one) and textareas."""
    fields: dict = {"radios": {}, "checked": {}, "notes": []}
    for tag in INPUT.findall(page):
        attrs = {k: html.unescape(v or "") for k, v in ATTRIBUTE.findall(tag[6:])}
        name = attrs.get("name", "")
        if attrs.get("type") == "hidden":
            fields.setdefault(name, attrs.get("value", ""))
        elif attrs.get("type") == "radio" and name.startswith("answer-"):
            fields["radios"].setdefault(name, []).append(attrs["value"])
            if "checked" in attrs:
                fields["checked"][name] = attrs["value"]
    for tag in TEXTAREA.findall(page):
        attrs = dict(ATTRIBUTE.findall(tag[9:]))
        if attrs.get("name", "").startswith("note-"):
            fields["notes"].append(attrs["name"])
    return fields


def section_post(fields: dict, rng: random.Random, *, flip: bool) -> dict:
    """A save of the section: each question answered (another value than now when `flip`), some evidence."""
    data = {"csrfmiddlewaretoken": fields["csrfmiddlewaretoken"], "version": fields["version"], "save": ""}
    for name, values in fields["radios"].items():
        current = fields["checked"].get(name)
        if flip:
            data[name] = values[(values.index(current) + 1) % len(values)] if current in values else values[0]
        else:
            data[name] = rng.choice(values)
    for name in fields["notes"]:
        data[name] = f"Evidence seen in the case record ({rng.randrange(1000)})."
    return data


# Phases ---------------------------------------------------------------------------------------------------


@dataclass
class Mix:
    inspectors: int
    leads: int
    directors: int
    analysts: int
    pairs: int = 1

    def times(self, k: int) -> Mix:
        return Mix(self.inspectors * k, self.leads * k, self.directors * k, self.analysts * k, self.pairs)

    @property
    def users(self) -> int:
        return self.inspectors + self.leads + self.directors + self.analysts + 2 * self.pairs

    def __str__(self) -> str:
        return (
            f"{self.inspectors} inspectors, {self.leads} leads, {self.directors} directors, "
            f"{self.analysts} analysts, {self.pairs} pair of one inspector's two sessions"
        )


@dataclass
class PhaseResult:
    name: str
    mix: Mix
    seconds: float
    stats: Stats
    samples: list[Sample]
    alive_at_end: int
    sign_in: Stats | None = None
    load_average: float = 0.0  # the machine's, over the minute before the phase: other work on it
    slots: int = 0  # gunicorn's workers × threads: requests it serves at once
    max_connections: int = 0  # PostgreSQL's


def run_phase(
    name: str, mix: Mix, identities: dict, server: Server, resources: Resources, args, *, sign_in: bool
) -> PhaseResult:
    stats = Stats(args.max_requests)
    users: list[User] = []
    seed = args.seed * 1000 + mix.users
    for role, count in (("inspector", mix.inspectors), ("lead", mix.leads), ("director", mix.directors)):
        users += [
            User(i, server.base, stats, think=args.think, timeout=args.timeout, seed=seed + len(users))
            for i in identities[role][:count]
        ]
    users += [
        User(i, server.base, stats, think=args.think, timeout=args.timeout, seed=seed + len(users) + k)
        for k, i in enumerate(identities["analyst"][: mix.analysts])
    ]
    pair = [
        User(i, server.base, stats, think=args.think, timeout=args.timeout, seed=seed + 99 + k)
        for k, i in enumerate(identities["pair"][: 2 * mix.pairs])
    ]

    sign_in_stats = None
    if sign_in:
        # Everyone signs in at once (the analysts use their tokens): a morning's rush, timed apart.
        sign_in_stats = Stats(args.max_requests)
        signing = [u for u in [*users, *pair] if not u.identity.session and u.identity.role != "analyst"]
        for u in signing:
            u.stats, u.deadline = sign_in_stats, time.monotonic() + 120
        signers = [threading.Thread(target=u.sign_in) for u in signing]
        for t in signers:
            t.start()
        for t in signers:
            t.join()
        for u in signing:
            u.stats = stats

    load_average = os.getloadavg()[0]
    print(
        f"{name}: {mix.users} virtual users ({mix}) for {args.seconds if sign_in else args.step_seconds} s…", flush=True
    )
    seconds = args.seconds if sign_in else args.step_seconds
    deadline = time.monotonic() + seconds
    threads: list[tuple[threading.Thread, int]] = []  # each thread and how many virtual users it runs
    resources.stats = stats
    resources.start()
    stats.started = time.perf_counter()
    stats.deadline = stats.started + seconds
    for u in [*users, *pair]:
        u.deadline = deadline
    for u in users:
        threads.append((threading.Thread(target=u.run, daemon=True), 1))
    for a, b in zip(pair[::2], pair[1::2], strict=True):
        threads.append((threading.Thread(target=run_pair, args=(a, b, stats), daemon=True), 2))
    for t, _ in threads:
        t.start()
        time.sleep(0.02)  # a ramp of 0.02 s a user, not a thundering herd
    time.sleep(max(0.0, deadline - time.monotonic() - 0.5))
    alive = sum(n for t, n in threads if t.is_alive())  # half a second before the end: none should have stopped
    for t, _ in threads:
        t.join(max(0.1, deadline + args.timeout + 5 - time.monotonic()))
    stats.stopped = time.perf_counter()
    samples = resources.stop()
    return PhaseResult(
        name,
        mix,
        seconds,
        stats,
        samples,
        alive,
        sign_in_stats,
        load_average,
        slots=args.workers * args.threads,
        max_connections=resources.max_connections,
    )


# Set-up ------------------------------------------------------------------------------------------------------


def prepare(mix: Mix, steps: list[int], password: str) -> dict:
    """Users, cases, tokens and sessions in the scratch database (as its owner); what the virtual users are."""
    import pghistory
    from django.contrib.auth.hashers import make_password
    from django.db.models import F
    from django.test import Client
    from knox.models import AuthToken

    from accounts.models import User as Account
    from casework.models import CaseReview
    from casework.services import case_review_create
    from inspections.models import Inspection, TeamMember
    from regions.models import Region

    most = mix.times(max([1, *steps]))
    inspection = Inspection.objects.get(reference=INSPECTION)
    lead = Account.objects.get(email=LEAD_EMAIL)
    demo_case = CaseReview.objects.filter(inspection=inspection).order_by("case_reference").first()
    attributes = {f: getattr(demo_case, f) for f in CaseReview.ATTRIBUTE_FIELDS}
    hashed = make_password(password)  # one hash for every load account: hashing is slow on purpose
    accounts = Account.objects.bulk_create(
        [
            Account(email=INSPECTOR_EMAIL.format(n), first_name="Load", last_name=f"Inspector {n}", password=hashed)
            for n in range(1, most.inspectors + 1)
        ]
    )
    TeamMember.objects.bulk_create(
        [TeamMember(inspection=inspection, user=a, role=TeamMember.Role.INSPECTOR) for a in accounts]
    )
    for n, account in enumerate(accounts, start=1):
        for k in range(CASES_EACH):
            case_review_create(
                inspection=inspection, case_reference=f"L{n:03d}{k}", inspector=account, by=lead, **attributes
            )
    # A queue for the leads: cases submitted by the load inspectors (as an import would; the queue lists them).
    queued = [
        case_review_create(
            inspection=inspection,
            case_reference=f"Q{n:04d}",
            inspector=accounts[n % len(accounts)],
            by=lead,
            **attributes,
        ).pk
        for n in range(SUBMITTED_IN_QUEUE)
    ]
    with pghistory.context(user=lead.pk, reason="load test: submitted for quality assurance"):
        CaseReview.objects.filter(pk__in=queued).update(status=CaseReview.Status.SUBMITTED, version=F("version") + 1)
    for email in (PAIR_EMAIL, LEAD_EMAIL, *(d for d, _ in DIRECTORS)):
        account = Account.objects.get(email=email)
        account.password = hashed
        account.save(update_fields=["password"])
    lead = Account.objects.get(email=LEAD_EMAIL)  # a session carries a hash of the password: the new one

    def session(account) -> str:
        client = Client()
        client.force_login(account)
        return client.cookies["sessionid"].value

    base = mix
    identities: dict[str, list[Identity]] = {}
    identities["inspector"] = [
        Identity(
            "inspector",
            a.email,
            "" if n < base.inspectors else session(a),
            cases=[f"L{n + 1:03d}{k}" for k in range(CASES_EACH)],
        )
        for n, a in enumerate(accounts)
    ]
    lead_identities = []
    for n in range(most.leads):
        lead_identities.append(Identity("lead", LEAD_EMAIL, "" if n < base.leads else session(lead)))
    identities["lead"] = lead_identities
    directors = {email: Account.objects.get(email=email) for email, _ in DIRECTORS}
    identities["director"] = [
        Identity(
            "director",
            DIRECTORS[n % 2][0],
            "" if n < base.directors else session(directors[DIRECTORS[n % 2][0]]),
            region=DIRECTORS[n % 2][1],
        )
        for n in range(most.directors)
    ]
    analyst = Account.objects.get(email=ANALYST_EMAIL)
    published = list(
        Inspection.objects.filter(status=Inspection.Status.PUBLISHED)
        .order_by("?")
        .values_list("reference", flat=True)[:50]
    )
    regions = list(Region.objects.values_list("slug", flat=True))
    identities["analyst"] = [
        Identity(
            "analyst", ANALYST_EMAIL, token=AuthToken.objects.create(analyst)[1], inspections=published, regions=regions
        )
        for _ in range(most.analysts)
    ]
    identities["pair"] = [Identity("pair", PAIR_EMAIL, cases=PAIR_CASES) for _ in range(2 * most.pairs)]
    for identity in [identity for group in identities.values() for identity in group]:
        identity.password = password
    # For the warm-up only: a session of each director, made in the database.
    identities["warm"] = [Identity("director", e, session(directors[e]), region=r) for e, r in DIRECTORS]
    return identities


def redis_client(url: str):
    """Redis DB 10 when Redis answers on 127.0.0.1, else None (the server then caches in each process)."""
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.ping()
        return client
    except Exception:
        return None


# Report ---------------------------------------------------------------------------------------------------


ACTIONS = [
    "case page",
    "section page",
    "save section",
    "save the same case at once",
    "QA queue",
    "region dashboard",
    "API JSON page of 500",
    "API CSV, one inspection",
    "API CSV, one region",
]


def cpu_per_request(result: PhaseResult) -> dict[str, float]:
    """Milliseconds of CPU each request cost the workers, PostgreSQL and the generator, and what that
    allows: CPU time per request barely depends on how busy the machine is, unlike latency."""
    samples = result.samples[1:] or result.samples
    seconds = len(samples) * 1.0
    requests = max(1, result.stats.requests * seconds / max(result.seconds, seconds))

    def ms(values):
        return sum(values) * 10 / requests  # % of a core over 1 s samples → ms per request

    per = {
        "workers": ms([sum(x.workers) for x in samples]),
        "postgres": ms([x.our_backends for x in samples]),
        "generator": ms([x.generator for x in samples]),
    }
    cores, workers = os.cpu_count() or 1, max((len(x.workers) for x in samples), default=1)
    per["capacity"] = cores * 1000 / max(0.1, per["workers"] + per["postgres"] + per["generator"])
    per["python"] = workers * 1000 / max(0.1, per["workers"])
    return per


def phase_lines(result: PhaseResult, base: PhaseResult | None = None) -> list[str]:
    s = result.stats
    lines = [
        f"{result.name}: {result.mix.users} virtual users ({result.mix}), {result.seconds:.0f} s",
        f"  {'action':30}{'requests':>9}{'errors':>7}{'median ms':>10}{'p95 ms':>8}{'max ms':>8}   statuses",
    ]
    for action in [*ACTIONS, *sorted(set(s.times) - set(ACTIONS))]:
        times = s.times.get(action)
        if not times:
            continue
        statuses = ", ".join(f"{k}×{v}" for k, v in sorted(s.statuses[action].items()))
        lines.append(
            f"  {action:30}{len(times):9}{s.errors[action]:7}{statistics.median(times):10.0f}"
            f"{percentile(times, 0.95):8.0f}{max(times):8.0f}   {statuses}"
        )
    every = [t for times in s.times.values() for t in times]
    throughput = s.completed_in_time / result.seconds
    lines.append(
        f"  {'all':30}{s.requests:9}{s.error_count:7}{statistics.median(every):10.0f}{percentile(every, 0.95):8.0f}"
        f"{max(every):8.0f}   {throughput:.1f} requests/s, {s.server_errors} 5xx"
    )
    if s.outcomes:
        lines.append(
            "  the same case saved by two sessions at once: "
            + "; ".join(f"{n}× {k}" for k, n in sorted(s.outcomes.items()))
        )
    samples = result.samples[1:] or result.samples  # the first second is the ramp
    if samples:

        def mean(values):
            return statistics.fmean(values) if values else 0.0

        workers = [sum(x.workers) for x in samples]
        per_worker = [max(x.workers, default=0) for x in samples]
        others = [max(0.0, x.machine - sum(x.workers) - x.postgres - x.generator) for x in samples]
        lines.append(
            f"  concurrency held: {result.alive_at_end} of {result.mix.users} virtual users running at the end; "
            f"requests in flight mean {mean([x.in_flight for x in samples]):.1f}, "
            f"max {max(x.in_flight for x in samples)}"
            f" (Little: {throughput * statistics.fmean(every) / 1000:.1f})"
        )
        lines.append(
            f"  CPU, % of one core (the machine has {os.cpu_count()}): machine {mean([x.machine for x in samples]):.0f}"
            f" (max {max(x.machine for x in samples):.0f}), gunicorn workers {mean(workers):.0f} "
            f"(busiest worker {mean(per_worker):.0f}), PostgreSQL for this database at least "
            f"{mean([x.our_backends for x in samples]):.0f} "
            f"(the whole server {mean([x.postgres for x in samples]):.0f}), "
            f"this load generator {mean([x.generator for x in samples]):.0f}, everything else "
            f"{mean(others):.0f} (load average before the phase {result.load_average:.1f})"
        )
        per = cpu_per_request(result)
        lines.append(
            f"  CPU a request: gunicorn {per['workers']:.1f} ms, "
            f"PostgreSQL (this database) ≥ {per['postgres']:.1f} ms, "
            f"the load generator {per['generator']:.1f} ms: on {os.cpu_count()} cores with nothing else running, "
            f"at most {per['capacity']:.0f} requests/s (the workers alone, one core each: {per['python']:.0f})"
        )
        lines.append(
            f"  database connections open: mean {mean([x.connections for x in samples]):.1f}, "
            f"max {max(x.connections for x in samples)} (one at most for each of {result.slots} gunicorn threads; "
            f"PostgreSQL's max_connections {result.max_connections})"
        )
    if base is not None:
        b_every = [t for times in base.stats.times.values() for t in times]
        lines.append(
            f"  against the main phase: {result.mix.users / base.mix.users:.1f}× the users, "
            f"{throughput / (base.stats.completed_in_time / base.seconds):.2f}× the requests/s, p95 "
            f"{percentile(every, 0.95) / percentile(b_every, 0.95):.1f}×, "
            f"median {statistics.median(every) / statistics.median(b_every):.1f}×"
        )
    if s.examples:
        lines.append("  first error of each action:")
        lines += [f"    {action}: {example}" for action, example in sorted(s.examples.items())]
    return lines


def first_limit(results: list[PhaseResult], cores: int, slots: int) -> list[str]:
    """The first phase where the server stopped keeping up, and what was saturated there.

    Not keeping up: requests queued beyond gunicorn's threads on average, or (a step) the
    throughput grew by less than 0.8 of the users' growth or the p95 more than doubled, or errors.
    """
    base = results[0]
    base_rate = base.stats.completed_in_time / base.seconds
    base_p95 = percentile([t for ts in base.stats.times.values() for t in ts], 0.95)
    for result in results:
        samples = result.samples[1:] or result.samples
        if not samples:
            continue
        rate = result.stats.completed_in_time / result.seconds
        p95 = percentile([t for ts in result.stats.times.values() for t in ts], 0.95)
        scale = result.mix.users / base.mix.users

        def mean(values):
            return statistics.fmean(values)

        machine, in_flight = mean([x.machine for x in samples]), mean([x.in_flight for x in samples])
        workers, busiest = mean([sum(x.workers) for x in samples]), mean([max(x.workers, default=0) for x in samples])
        ours, whole = mean([x.our_backends for x in samples]), mean([x.postgres for x in samples])
        generator = mean([x.generator for x in samples])
        errors = result.stats.error_count
        behind = in_flight > slots or errors > 0
        if result is not base:
            behind = behind or rate < 0.8 * scale * base_rate or p95 > 2 * base_p95
        if not behind:
            continue
        why = []
        if machine >= 0.85 * 100 * cores:
            why.append(
                f"CPU: the machine at {machine:.0f}% of {100 * cores}% (gunicorn's workers {workers:.0f}, "
                f"PostgreSQL for this database ≥ {ours:.0f} of the server's {whole:.0f}, the load generator "
                f"{generator:.0f}, other work {max(0.0, machine - workers - whole - generator):.0f})"
            )
        if busiest >= 85:
            why.append(f"a gunicorn worker at {busiest:.0f}% of one core (a Python process runs one thread at a time)")
        if in_flight > slots:
            why.append(f"{in_flight:.0f} requests in flight on average for {slots} gunicorn threads: the rest queue")
        most = max(x.connections for x in samples)
        if most >= 0.9 * result.max_connections:
            why.append(f"PostgreSQL connections: {most} of {result.max_connections}")
        conn_errors = sum(n for c in result.stats.statuses.values() for s, n in c.items() if not s.isdigit())
        if conn_errors:
            why.append(f"{conn_errors} connection errors or time-outs")
        return [
            f"First limit: at the {result.name} ({result.mix.users} users): {rate:.1f} requests/s "
            f"({rate / base_rate:.2f}× the main phase's for {scale:.0f}× the users), p95 {p95:.0f} ms "
            f"({p95 / base_p95:.1f}×), {errors} errors. Saturated: " + ("; ".join(why) or "nothing measured here")
        ]
    return ["First limit: not reached at the steps run (throughput followed the users and p95 stayed within 2×)."]


# Run ---------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="the main phase")
    parser.add_argument(
        "--steps", default="2,4", help="multiples of the mix run after it to find the limit ('' for none)"
    )
    parser.add_argument("--step-seconds", type=float, default=20)
    parser.add_argument("--inspectors", type=int, default=20)
    parser.add_argument("--leads", type=int, default=3)
    parser.add_argument("--directors", type=int, default=3)
    parser.add_argument("--analysts", type=int, default=2)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between a user's requests")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=30, help="seconds a request may take")
    parser.add_argument("--max-requests", type=int, default=50_000, help="per phase")
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--no-redis", action="store_true", help="no Redis cache even if Redis answers")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="seconds each gunicorn thread keeps its database connection (0: one a request, as under runserver)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    steps = [int(s) for s in args.steps.split(",") if s.strip()]
    mix = Mix(args.inspectors, args.leads, args.directors, args.analysts)

    base_url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    owner_url = _bench_url(base_url, args.database)
    parts = urlsplit(owner_url)
    app_url = urlunsplit(parts._replace(netloc=f"{APP_ROLE}@{parts.hostname}:{parts.port or 5432}"))
    started = time.perf_counter()
    redis = None if args.no_redis else redis_client(REDIS_URL)
    server = resources = None
    ARTIFACT.parent.mkdir(exist_ok=True)
    try:
        print(f"Recreating database {args.database}, migrating and loading the demo and the national data…", flush=True)
        recreate_database(base_url, args.database)
        setup_django(owner_url)
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        call_command("load_demo", national=True, stdout=io.StringIO())
        password = f"Load-{random.Random().getrandbits(64):x}"
        identities = prepare(mix, steps, password)
        connections.close_all()
        print(f"  ready in {time.perf_counter() - started:.0f} s", flush=True)
        if redis is not None:
            redis.flushdb()
        server = Server(
            app_url,
            workers=args.workers,
            threads=args.threads,
            redis_url=REDIS_URL if redis else "",
            conn_max_age=args.conn_max_age,
        )
        resources = Resources(server, base_url, args.database)
        warm_up(server, identities)
        results: list[PhaseResult] = []
        for k in [1, *steps]:
            name = "main phase" if k == 1 else f"step {k}×"
            result = run_phase(name, mix.times(k), identities, server, resources, args, sign_in=k == 1)
            results.append(result)
            print("\n".join(phase_lines(result, None if k == 1 else results[0])), flush=True)
        report = write_report(results, args, redis is not None)
        print(next((line for line in report if line.startswith("Sign-in")), ""))
        print(report[-1])
        main_phase = results[0]
        failed = main_phase.stats.error_count or main_phase.stats.server_errors
        failed = failed or (main_phase.sign_in and main_phase.sign_in.error_count)
        failed = failed or any(k.startswith("WRONG") for k in main_phase.stats.outcomes)
        if failed:
            print("FAILED: the main phase had errors (see above)")
            return 1
        return 0
    finally:
        if resources is not None:
            resources.close()
        if server is not None:
            server.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        if not args.keep:
            drop_database(base_url, args.database)
        if redis is not None:
            redis.flushdb()
        print(f"Total {time.perf_counter() - started:.0f} s")


def warm_up(server: Server, identities: dict) -> None:
    """Each page once per worker before anything is timed: imports, templates, the dashboards' cache."""
    import requests

    session = requests.Session()
    token = identities["analyst"][0].token
    for _ in range(4):
        session.get(
            f"{server.base}/api/v1/answers/?page_size=500", headers={"Authorization": f"Token {token}"}, timeout=60
        )
    for identity in identities["warm"]:
        client = requests.Session()
        client.cookies.set("sessionid", identity.session, domain="127.0.0.1", path="/")
        for _ in range(4):
            client.get(f"{server.base}/regions/{identity.region}/", timeout=60)


def write_report(results: list[PhaseResult], args, redis: bool) -> list[str]:
    lines = [
        f"Load test (bench/load.py) on {time.strftime('%Y-%m-%d %H:%M')}: gunicorn --workers {args.workers} "
        f"--threads {args.threads} on 127.0.0.1, DEBUG off, the application role, cache "
        f"{'Redis DB 10' if redis else 'per process'}, CONN_MAX_AGE {args.conn_max_age}; think time {args.think} s "
        "± half; demo + national data",
        "",
    ]
    main_phase = results[0]
    if main_phase.sign_in is not None:
        s = main_phase.sign_in
        every = s.times.get("sign in", [0])
        lines.append(
            f"Sign-in, all at once: {len(every)} sign-ins, {s.errors['sign in']} errors, "
            f"median {statistics.median(every):.0f} ms, "
            f"p95 {percentile(every, 0.95):.0f} ms (the password hash is slow on purpose)"
        )
        lines.append("")
    for result in results:
        lines += phase_lines(result, None if result is main_phase else main_phase)
        lines.append("")
    lines += first_limit(results, os.cpu_count() or 1, args.workers * args.threads)
    ARTIFACT.write_text("\n".join(lines) + "\n")
    return lines


if __name__ == "__main__":
    sys.exit(main())
