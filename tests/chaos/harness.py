"""The chaos scenarios' machinery: private services, app processes, users over HTTP (see conftest.py)."""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import pwd
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import requests

ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = ROOT / "test-artifacts" / "chaos.txt"
DEMO_PASSWORD = "Demo-Inspect-2023!"  # config.settings.base.DEMO_PASSWORD
DATABASE_PREFIX = "probation_chaos"
APP_ROLE = "probation_app"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, *, timeout: float, interval: float = 0.1, message: str = ""):
    """condition()'s first truthy value, or an AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {message}")
        time.sleep(interval)


def tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


# Processes ------------------------------------------------------------------------------------


class Process:
    """A subprocess in its own process group, its output in a log file."""

    def __init__(self, name: str, argv: list[str], *, env: dict, log_dir: Path, cwd: Path = ROOT):
        self.name = name
        self.log = log_dir / f"{name}.log"
        with open(self.log, "ab") as out:
            self.popen = subprocess.Popen(
                argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_output(self, pattern: str, *, timeout: float = 60):
        def found():
            if not self.alive():
                raise AssertionError(f"{self.name} exited ({self.popen.returncode}):\n{tail(self.log)}")
            return re.search(pattern, self.output())

        return wait_until(found, timeout=timeout, message=f"{self.name} printing {pattern!r}\n{tail(self.log)}")

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill(self):
        """SIGKILL, as the kernel's OOM killer or a lost machine would: no clean-up runs."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self.popen.wait(10)

    def stop(self, timeout: float = 15):
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        # Whatever the group left behind (a pool's children), by the group this process leads.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)


def _as_unprivileged(argv: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: as root, run them as the `postgres` user."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", PostgreSQL.user(), "--", *argv]


class PostgreSQL:
    """A private cluster on a scratch folder, started and restarted with pg_ctl."""

    def __init__(self, folder: Path):
        self.bin = self.binaries()
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.log = folder / "postgresql.log"
        self.version = subprocess.run(
            [str(self.bin / "postgres"), "--version"], capture_output=True, text=True, check=True
        ).stdout.strip()

    @staticmethod
    def user() -> str:
        for name in ("postgres", "pgserver"):
            with contextlib.suppress(KeyError):
                pwd.getpwnam(name)
                return name
        raise RuntimeError("Running as root needs a `postgres` user to run PostgreSQL as")

    @staticmethod
    def binaries() -> Path:
        """Debian's newest PostgreSQL, else the one the pgserver wheel ships (config/embedded_db.py)."""
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
        if found:
            return Path(found[-1]).parent
        import pgserver

        return Path(pgserver.__file__).parent / "pginstall" / "bin"

    def _run(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            _as_unprivileged([str(self.bin / argv[0]), *argv[1:]]),
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.folder,
        )

    def initdb(self):
        if os.geteuid() == 0:
            entry = pwd.getpwnam(self.user())
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        # Only this machine, on its own port and socket folder. fsync off: the scenarios stop and
        # crash PostgreSQL, never the machine, so the operating system keeps what was written.
        options = {"listen_addresses": "'127.0.0.1'", "port": self.port, "unix_socket_directories": f"'{self.folder}'"}
        options |= {"fsync": "off", "full_page_writes": "off", "max_connections": 60, "logging_collector": "off"}
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in options.items())

    def pg_ctl(self, *argv: str):
        return self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", *argv)

    def start(self):
        self.pg_ctl("start")

    def stop(self, mode: str = "fast"):
        self.pg_ctl("stop", "-m", mode)

    def restart(self, mode: str = "fast"):
        self.pg_ctl("restart", "-m", mode)

    def url(self, database: str, user: str = "postgres") -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database)
        connection.autocommit = True
        return connection

    def sql(self, database: str, query: str, params=()) -> list[tuple]:
        with contextlib.closing(self.connect(database)) as connection, connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def accepting(self) -> bool:
        try:
            self.connect().close()
        except psycopg2.OperationalError:
            return False
        return True


class Redis:
    """A private redis-server, in the foreground, with nothing saved to disk."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.process: Process | None = None
        self.url = f"redis://127.0.0.1:{self.port}/9"

    def start(self):
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        argv += ["--daemonize", "no", "--dir", str(self.folder)]
        self.process = Process(f"redis-{self.port}", argv, env=dict(os.environ), log_dir=self.folder)
        wait_until(self.ping, timeout=15, message="redis-server answering")

    def stop(self):
        self.process.stop()

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def app_env(*, database_url: str, redis_url: str, media: Path, **extra: str) -> dict[str, str]:
    """The environment of an app process: only what it needs, none of the suite's shared services."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "tests.chaos.settings",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(media),
        "LOG_LEVEL": "INFO",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env


# One scenario's stack ----------------------------------------------------------------------


class Browser:
    """One person signed in over HTTP, as a browser would: cookies, the CSRF token, redirects."""

    def __init__(self, base: str, email: str):
        self.base = base
        self.email = email
        self.session = requests.Session()
        self.session.get(f"{base}/sign-in/", timeout=30).raise_for_status()
        response = self.post("/sign-in/", {"email": email, "password": DEMO_PASSWORD}, allow_redirects=False)
        assert response.status_code == 302, f"{email} could not sign in: {response.status_code}"

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.session.get(self.base + path, **kwargs)

    def post(self, path: str, data: dict, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        headers = {"X-CSRFToken": self.session.cookies.get("csrftoken", ""), **kwargs.pop("headers", {})}
        return self.session.post(self.base + path, data=data, headers=headers, **kwargs)

    def request_letter(self, review: str = "south-west-2023", fmt: str = "docx", **data) -> int:
        response = self.post(f"/documents/letters/{review}/generate/", {"format": fmt, **data}, allow_redirects=False)
        assert response.status_code == 302, response.status_code
        return int(re.search(r"/documents/jobs/(\d+)/$", response.headers["Location"]).group(1))


@dataclass
class Stack:
    name: str
    postgres: PostgreSQL
    folder: Path
    database: str
    redis: Redis
    media: Path
    processes: list[Process] = field(default_factory=list)
    starting: list = field(default_factory=list)
    web_port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def env(self, **extra: str) -> dict[str, str]:
        url = self.postgres.url(self.database, user=APP_ROLE)
        return app_env(database_url=url, redis_url=self.redis.url, media=self.media, **extra)

    def start(self, name: str, argv: list[str], **extra: str) -> Process:
        process = Process(name, argv, env=self.env(**extra), log_dir=self.folder)
        self.processes.append(process)
        return process

    def start_web(self, *, workers: int = 2, threads: int = 4, wait: bool = True) -> Process:
        self.web_port = free_port()
        argv = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{self.web_port}"]
        argv += ["--workers", str(workers), "--threads", str(threads), "--timeout", "60", "--access-logfile", "-"]
        web = self.start("gunicorn", argv)

        def answers():
            with contextlib.suppress(requests.ConnectionError, requests.Timeout):
                return requests.get(f"{self.base_url}/sign-in/", timeout=10).status_code == 200

        def ready():
            web.wait_for_output(r"Booting worker")
            wait_until(answers, timeout=60, message=f"gunicorn answering\n{tail(web.log)}")

        return self._started(web, ready, wait)

    def start_worker(self, name: str = "worker", *, pool: str = "solo", wait: bool = True, **extra: str) -> Process:
        argv = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", pool, "--concurrency", "1"]
        argv += ["--hostname", f"{name}@chaos", "--loglevel", "INFO", "--without-gossip", "--without-mingle"]
        worker = self.start(name, argv, **extra)
        return self._started(worker, lambda: worker.wait_for_output(r"ready\."), wait)

    def start_beat(self, *, wait: bool = True) -> Process:
        argv = [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO"]
        argv += ["--schedule", str(self.folder / "celerybeat-schedule")]
        beat = self.start("beat", argv)
        return self._started(beat, lambda: beat.wait_for_output(r"beat: Starting"), wait)

    def _started(self, process: Process, ready, wait: bool) -> Process:
        if wait:
            ready()
        else:
            self.starting.append(ready)
        return process

    def wait_until_started(self):
        """Wait for the processes started with wait=False, which start side by side, to be ready."""
        while self.starting:
            self.starting.pop(0)()

    def browser(self, email: str) -> Browser:
        return Browser(self.base_url, email)

    def sql(self, query: str, params=()) -> list[tuple]:
        return self.postgres.sql(self.database, query, params)

    def job(self, job_id: int) -> dict:
        columns = ["status", "attempts", "error", "file", "checksum", "created_at", "enqueued_at", "started_at"]
        columns += ["finished_at"]
        row = self.sql(f"SELECT {', '.join(columns)} FROM documents_documentjob WHERE id = %s", [job_id])[0]
        return dict(zip(columns, row, strict=True))

    def wait_for_job(self, job_id: int, status: str, *, timeout: float = 60) -> dict:
        def reached():
            job = self.job(job_id)
            if job["status"] == status:
                return job
            return None

        try:
            return wait_until(reached, timeout=timeout, interval=0.1, message=f"job {job_id} {status}")
        except AssertionError as error:
            raise AssertionError(f"{error}; it is {self.job(job_id)}") from None

    def files(self) -> list[Path]:
        """Every file under the media folder but the scenario's own filler."""
        return sorted(p for p in self.media.rglob("*") if p.is_file() and p.name != "filler")

    def assert_one_file_for(self, job_id: int) -> Path:
        """The job's file is the only one in the media folder, complete: its SHA-256 is the row's checksum."""
        job = self.job(job_id)
        files = self.files()
        assert files == [self.media / job["file"]], f"files in the media folder: {files}, job's: {job['file']}"
        assert hashlib.sha256(files[0].read_bytes()).hexdigest() == job["checksum"]
        return files[0]

    def stop(self):
        for process in reversed(self.processes):
            process.stop()


# The figures, for the README ---------------------------------------------------------------


class Report:
    def __init__(self):
        self.lines: dict[str, list[str]] = {}

    def add(self, scenario: str, line: str):
        print(f"\n{scenario}: {line}")
        self.lines.setdefault(scenario, []).append(line)


# A case review section, saved as the page's autosave does -------------------------------------


@dataclass
class Section:
    """A section of one case review as its page shows it: where it is, its questions and the version."""

    path: str
    version: int
    answers: list[str]
    notes: list[str]

    @classmethod
    def load(cls, browser: Browser, inspection: str, case: str, slug: str) -> Section:
        path = f"/inspections/{inspection}/cases/{case}/sections/{slug}/"
        page = browser.get(path)
        page.raise_for_status()
        version = int(re.search(r'name="version" value="(\d+)"', page.text).group(1))
        answers = list(dict.fromkeys(re.findall(r'name="answer-([^"]+)"', page.text)))
        notes = list(dict.fromkeys(re.findall(r'name="note-([^"]+)"', page.text)))
        assert answers, f"no questions on {path}"
        return cls(path, version, answers, notes)

    @staticmethod
    def value(version: int, position: int) -> str:
        """The answer a save from `version` gives: it flips every answer of the version before, so a
        committed save changes them all (and writes them all to the history)."""
        return "yes" if (version + position) % 2 == 0 else "no"

    @staticmethod
    def note(save: int) -> str:
        return f"Evidence as of save {save}."

    def save(self, browser: Browser, number: int, *, timeout: float = 30) -> requests.Response:
        """Save number `number` from `self.version`: every question answered, every note naming the save."""
        data = {"version": self.version}
        data |= {f"answer-{code}": self.value(self.version, i) for i, code in enumerate(self.answers)}
        data |= {f"note-{code}": self.note(number) for code in self.notes}
        return browser.post(self.path, data, headers={"X-Autosave": "1"}, allow_redirects=False, timeout=timeout)
