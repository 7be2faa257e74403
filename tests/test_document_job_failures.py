"""Document jobs when things break, in-process (tests/chaos breaks them for real): a worker that dies
mid-job, a file that cannot be written, a session that cannot be saved with the database gone."""

import errno
import os
import time

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import DatabaseError, OperationalError, connection
from django.utils import timezone

from documents import services, tasks
from documents.models import DocumentJob

from .factories import UserFactory


@pytest.fixture
def job(db, monkeypatch):
    monkeypatch.setitem(tasks.RENDERERS, ("letter", "docx"), lambda job: b"a letter" * 1000)
    return DocumentJob.objects.create(
        kind="letter", format="docx", params={"review": "x"}, fingerprint="f", requested_by=UserFactory()
    )


@pytest.fixture
def sent(monkeypatch):
    """The job ids the sweep sends, instead of sending them to the suite's Redis."""
    ids = []
    monkeypatch.setattr(services, "enqueue", lambda job_id: ids.append(job_id) or True)
    return ids


def other_session():
    """A second database session, as another worker's would be."""
    return connection.get_new_connection(connection.get_connection_params())


def held_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [tasks.LOCK_CLASS],
        )
        return cursor.fetchone()[0]


def test_a_running_job_is_left_to_its_worker_while_it_lives_and_claimed_again_once_it_dies(job, media, sent):
    DocumentJob.objects.filter(pk=job.pk).update(status="running", attempts=1, started_at=timezone.now())
    worker = other_session()
    with worker.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [tasks.LOCK_CLASS, job.pk])
    assert tasks.sweep_document_jobs() == 0 and sent == []
    assert tasks.generate_document.apply(args=[job.pk]).get() == "skipped"

    worker.close()  # the worker dies: PostgreSQL lets its lock go as its session ends, a moment later
    deadline = time.monotonic() + 10
    while held_locks() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert tasks.sweep_document_jobs() == 1 and sent == [job.pk]
    assert tasks.generate_document.apply(args=[job.pk]).get() == "done"
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == 2
    assert [p.name for p in (media / "documents").iterdir()] == [os.path.basename(job.file.name)]
    # Its lock is released with the task: nothing holds one now, and a done job is not swept.
    assert held_locks() == 0
    assert tasks.sweep_document_jobs() == 0


def test_a_job_whose_worker_died_on_its_last_attempt_fails_saying_so(job, media):
    DocumentJob.objects.filter(pk=job.pk).update(status="running", attempts=tasks.MAX_ATTEMPTS)
    assert tasks.generate_document.apply(args=[job.pk]).get() == "skipped"
    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at is not None
    assert job.error == "The worker generating this document stopped before finishing it (attempt 3)."


def test_a_file_the_disk_cannot_hold_fails_the_job_with_the_reason_and_leaves_no_part_of_it(
    job, media, eager, monkeypatch
):
    real_save = FileSystemStorage._save

    def disk_full(self, name, content):
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as part:
            part.write(content.read()[:100])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)

    monkeypatch.setattr(FileSystemStorage, "_save", disk_full)
    tasks.generate_document.apply(args=[job.pk], throw=False)
    job.refresh_from_db()
    assert job.status == "failed" and job.attempts == tasks.MAX_ATTEMPTS
    assert job.error == "The file could not be saved: No space left on device."
    assert list((media / "documents").iterdir()) == []

    monkeypatch.setattr(FileSystemStorage, "_save", real_save)
    DocumentJob.objects.filter(pk=job.pk).update(status="queued", error="", finished_at=None)  # as retry_job
    tasks.generate_document.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == tasks.MAX_ATTEMPTS + 1 and job.error == ""
    assert len(list((media / "documents").iterdir())) == 1


def test_a_session_that_cannot_be_saved_because_the_database_is_gone_is_that_error_not_a_deleted_session(
    db, monkeypatch
):
    from django.contrib.sessions.backends.base import UpdateError
    from django.contrib.sessions.models import Session

    from web.sessions import SessionStore

    session = SessionStore()
    session["a"] = 1
    session.save()

    def unreachable(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(Session, "save", unreachable)
    session["a"] = 2
    with pytest.raises(OperationalError):
        session.save()

    def deleted(*args, **kwargs):
        raise DatabaseError("Forced update did not affect any rows.")

    monkeypatch.setattr(Session, "save", deleted)
    with pytest.raises(UpdateError):
        session.save()
