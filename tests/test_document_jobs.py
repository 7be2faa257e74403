"""Document jobs with a real Celery worker over the real Redis: requested from the page or the command,
generated, downloaded; a request made while the broker is unreachable stays queued and the sweep
delivers it once the broker is back."""

import io
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from config.celery import app
from documents import tasks
from documents.models import DocumentJob
from inspections.models import RegionalReview

from .test_documents import EXPECTED, parse_annexes

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def worker():
    # Under CI Redis is part of the stack: a missing REDIS_URL is a failure, never a skip.
    assert settings.REDIS_URL, "REDIS_URL must point at a running Redis for the test suite (make test sets it)"
    assert not app.conf.task_always_eager
    from celery.contrib.testing.worker import start_worker

    app.loader.import_module("celery.contrib.testing.tasks")  # registers celery.ping
    app.loader.import_module("documents.tasks")
    with start_worker(app, pool="solo", perform_ping_check=True, shutdown_timeout=10) as started:
        yield started


@pytest.fixture
def demo():
    call_command("load_demo", stdout=io.StringIO())
    return RegionalReview.objects.get(slug="south-west-2023")


def _wait(job, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job.pk} still {job.status} after {seconds} s")


def _wait_sweeping(job, seconds=90):
    """Wait as a user would with the beat running: a job still queued after 15 s is swept again."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            return job
        tasks.sweep_document_jobs(older_than_seconds=15)
        time.sleep(0.2)
    raise AssertionError(f"job {job.pk} still {job.status} after {seconds} s")


def _use_broker(url):
    """Point the app's producer at another broker (the connection pools are rebuilt on next use)."""
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


def test_a_letter_requested_in_the_browser_is_generated_by_the_worker_and_downloaded(demo, worker, media, client):
    client.force_login(User.objects.get(email="lead@demo.test"))
    response = client.post(reverse("documents:request_letter", args=[demo.slug]), {"format": "docx"})
    job = _wait(DocumentJob.objects.get())
    assert response.url == reverse("documents:job", args=[job.pk])
    assert job.status == DocumentJob.Status.DONE, job.error
    assert "Your document is ready" in client.get(response.url).content.decode()
    download = client.get(reverse("documents:download", args=[job.pk]))
    assert download.status_code == 200 and download["Cache-Control"] == "no-store"
    _, annexe_one, annexe_two = parse_annexes(b"".join(download.streaming_content))
    assert {pdu: (t["Score"], t["Overall rating"]) for pdu, t in annexe_two.items()} == EXPECTED
    assert sum(len(texts) for texts in annexe_one.values()) == 33
    print(f"\nDOCX letter, task start to file stored: {job.duration_seconds:.3f} s")


def test_the_command_goes_through_a_job_and_the_worker(demo, worker, media, tmp_path):
    output = tmp_path / "letter.docx"
    out = io.StringIO()
    call_command(
        "generate_document", "letter", "--region", "south-west", "--inspections", "SW-DOR-2023",
        "--format", "docx", "--output", str(output), "--by", "lead@demo.test", stdout=out,
    )  # fmt: skip
    job = DocumentJob.objects.get()
    assert job.params == {"review": "south-west-2023", "inspections": ["SW-DOR-2023"]}
    assert job.requested_by.email == "lead@demo.test" and f"job {job.pk}" in out.getvalue()
    _, annexe_one, annexe_two = parse_annexes(output.read_bytes())
    assert list(annexe_two) == ["Dorset"] and {pdu for pdu, _ in annexe_one} == {"Dorset"}
    # Again: the same job; --force makes a new one; the default requester is an administrator.
    again = ["--format", "docx", "--output", str(output)]
    call_command("generate_document", "letter", "--region", "south-west", "--inspections", "SW-DOR-2023",
                 "--by", "lead@demo.test", *again, stdout=io.StringIO())  # fmt: skip
    assert DocumentJob.objects.count() == 1
    call_command("generate_document", "letter", "--region", "south-west", "--force", *again, stdout=io.StringIO())
    assert DocumentJob.objects.count() == 2
    assert DocumentJob.objects.first().requested_by.email == "admin@demo.test"


def test_a_request_while_the_broker_is_unreachable_stays_queued_and_the_sweep_delivers_it_once(demo, media, client):
    client.force_login(User.objects.get(email="lead@demo.test"))
    real_broker = app.conf.broker_url
    _use_broker("redis://127.0.0.1:1/0")  # nothing listens there
    try:
        response = client.post(reverse("documents:request_letter", args=[demo.slug]), {"format": "docx"})
    finally:
        _use_broker(real_broker)
    job = DocumentJob.objects.get()
    assert response.url == reverse("documents:job", args=[job.pk])
    assert job.status == DocumentJob.Status.QUEUED and job.enqueued_at is None
    page = client.get(response.url).content.decode()
    assert "Your document is queued" in page and "Queued" in page

    assert tasks.sweep_document_jobs(older_than_seconds=3600) == 0  # not stale yet
    from celery.contrib.testing.worker import start_worker

    app.loader.import_module("celery.contrib.testing.tasks")
    with start_worker(app, pool="solo", perform_ping_check=True, shutdown_timeout=10):
        assert tasks.sweep_document_jobs(older_than_seconds=0) == 1
        job = _wait(job)
    assert job.status == DocumentJob.Status.DONE and job.attempts == 1
    assert len(list((media / "documents").iterdir())) == 1
    assert tasks.sweep_document_jobs(older_than_seconds=0) == 0  # nothing left to deliver


def test_the_worker_makes_the_pdf_letter_and_the_xlsx_tracker_with_the_engines_figures(demo, worker, media, tmp_path):
    """The other two formats, through the same job rows and the real worker, parsed back."""
    import openpyxl
    from pypdf import PdfReader

    from documents.services import document_request

    lead = User.objects.get(email="lead@demo.test")
    director = User.objects.get(email="director.southwest@demo.test")
    letter = _wait_sweeping(document_request(kind="letter", fmt="pdf", params={"review": demo.slug}, by=lead))
    assert letter.status == DocumentJob.Status.DONE, letter.error
    text = " ".join(page.extract_text() for page in PdfReader(letter.file.path).pages)
    text = " ".join(text.split())
    for pdu, (score, overall) in EXPECTED.items():
        assert pdu in text and score in text and overall in text, pdu
    print(f"\nPDF letter, task start to file stored: {letter.duration_seconds:.3f} s")

    tracker = _wait_sweeping(document_request(kind="tracker", fmt="xlsx", params={"region": "south-west"}, by=director))
    assert tracker.status == DocumentJob.Status.DONE, tracker.error
    sheet = openpyxl.load_workbook(tracker.file.path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.freeze_panes == "A2" and len(rows) > 33
    print(f"XLSX tracker, task start to file stored: {tracker.duration_seconds:.3f} s")
