"""The regional letter as Word: built from the demo, parsed back, equal to the seed and the ratings engine;
document jobs requested, run and retried without a broker (tasks applied in-process)."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from docx import Document
from docx.oxml.ns import qn

from documents import services, tasks
from documents.letter import letter_content
from documents.letter_docx import render_letter_docx
from documents.models import DocumentJob
from inspections.errors import Refused
from inspections.models import Inspection, RegionalReview
from ratings.selectors import inspection_ratings

SEED = json.loads((Path(__file__).resolve().parent.parent / "demo" / "data" / "south-west-2023.json").read_text())
ADDRESSEES = {
    "pdu": "{pdu} PDU should:",
    "region": "South West region should:",
    "hmpps": "HM Prison and Probation Service should:",
}
EXPECTED = {
    "Somerset": ("8/27", "Requires improvement"),
    "Dorset": ("3/27", "Inadequate"),
    "Bristol and South Gloucestershire": ("6/27", "Requires improvement"),
}


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())
    return RegionalReview.objects.get(slug="south-west-2023")


def _blocks(document):
    """The body's paragraphs and tables in order, as ("p", style, text) or ("table", table)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            paragraph = Paragraph(child, document)
            yield ("p", paragraph.style.name, paragraph.text.strip())
        elif child.tag == qn("w:tbl"):
            yield ("table", Table(child, document))


def parse_annexes(data: bytes):
    """Annexe one as {(pdu, addressee heading): [recommendations]}, Annexe two as {pdu: {label: value}}."""
    document = Document(io.BytesIO(data))
    annexe_one, annexe_two = {}, {}
    section, pdu, addressee = "", None, None
    for block in _blocks(document):
        if block[0] == "p":
            _, style, text = block
            if style == "Heading 1":
                section = text
            elif section.startswith("Annexe one") and style == "Heading 2":
                pdu = text.removesuffix(" PDU inspection")
            elif section.startswith("Annexe one") and style == "Heading 3":
                addressee = text
            elif section.startswith("Annexe one") and style == "List Bullet":
                annexe_one.setdefault((pdu, addressee), []).append(text)
            elif section.startswith("Annexe two") and style == "Heading 2":
                pdu = text.removesuffix(" PDU")
        elif section and section.startswith("Annexe two"):
            rows = [[cell.text for cell in row.cells] for row in block[1].rows]
            annexe_two[pdu] = {"header": rows[0], **dict(rows[1:])}
    return document, annexe_one, annexe_two


def test_the_word_letter_reads_like_the_seed_and_its_annexe_two_equals_the_ratings_engine(demo):
    data = render_letter_docx(letter_content(review=demo))
    document, annexe_one, annexe_two = parse_annexes(data)

    # Annexe two: the published snapshot's values, equal to the ratings engine's from the case data.
    assert list(annexe_two) == list(EXPECTED)
    for inspection in Inspection.objects.filter(regional_reviews=demo).select_related("pdu"):
        table = annexe_two[inspection.pdu.name]
        assert table["header"] == ["Standard", "Rating"]
        result = inspection_ratings(inspection)
        assert (table["Score"], table["Overall rating"]) == EXPECTED[inspection.pdu.name]
        assert table["Score"] == f"{result.score}/{result.max_score}"
        assert table["Overall rating"] == result.rating.label
        for standard in result.standards:
            assert table[f"{standard.code} {standard.title}"] == standard.rating.label, standard.code

    # Annexe one: every recommendation of the seed under its PDU and addressee, in the seed's order.
    expected = {}
    for reference, recommendations in SEED["recommendations"].items():
        pdu = Inspection.objects.get(reference=reference).pdu.name
        for recommendation in recommendations:
            heading = ADDRESSEES[recommendation["addressee"]].format(pdu=pdu)
            expected.setdefault((pdu, heading), []).append(recommendation["text"])
    assert annexe_one == expected
    assert sum(len(texts) for texts in annexe_one.values()) == 33

    # Real structure: headings, bullet lists, a repeated table header row, title and language.
    paragraphs = [(b[1], b[2]) for b in _blocks(document) if b[0] == "p"]
    headings = [text for style, text in paragraphs if style == "Heading 2"]
    assert headings[:6] == [
        "Leadership",
        "Staff",
        "Services and interventions",
        "Information and facilities",
        "Statutory victim work",
        "Learning from SFO investigations",
    ]
    assert [text for style, text in paragraphs if style == "Heading 1"] == [
        "Regional observations",
        "Summary",
        "Annexe one – Recommendations",
        "Annexe two – PDU ratings",
    ]
    bullets = [text for style, text in paragraphs if style == "List Bullet"]
    assert len(bullets) == sum(1 for f in SEED["findings"] if f["kind"] != "narrative") + 33
    assert ("Normal", "Dear Angela,") in paragraphs
    assert ("Normal", "Thursday 24 August 2023") in paragraphs
    assert document.tables[0].rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert document.core_properties.title == "South West regional letter, August 2023"
    assert document.core_properties.language == "en-GB"


def test_finding_texts_pass_through_the_live_figure_resolver(demo, monkeypatch):
    seen = []

    def resolve(text, *, inspection_ids):
        seen.append(sorted(inspection_ids))
        return text.replace("59 out of 109", "FIGURE")

    monkeypatch.setattr("documents.letter.figure_resolver", lambda: resolve)
    content = letter_content(review=demo)
    leadership = next(s for s in content.sections if s.heading == "Leadership")
    assert any("in FIGURE relevant cases" in text for text in leadership.improvements)
    ids = sorted(demo.inspections.values_list("id", flat=True))
    assert seen and all(s == ids for s in seen)


def test_the_same_request_twice_gives_one_job_and_a_task_run_twice_gives_one_file(
    demo, media, django_capture_on_commit_callbacks
):
    admin = demo_user("admin@demo.test")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = services.document_request(kind="letter", fmt="docx", params={"review": demo.slug}, by=admin)
        second = services.document_request(kind="letter", fmt="docx", params={"review": demo.slug}, by=admin)
    assert first.pk == second.pk and len(callbacks) == 1
    assert DocumentJob.objects.count() == 1 and first.status == DocumentJob.Status.QUEUED

    assert tasks.generate_document.apply(args=[first.pk]).get() == "done"
    assert tasks.generate_document.apply(args=[first.pk]).get() == "skipped"
    job = DocumentJob.objects.get()
    assert job.status == DocumentJob.Status.DONE and job.attempts == 1
    assert list((media / "documents").iterdir()) == [media / job.file.name]
    assert job.checksum == __import__("hashlib").sha256(job.file.read()).hexdigest()

    # Done: the same request reuses the file; forced, it makes a new job.
    assert services.document_request(kind="letter", fmt="docx", params={"review": demo.slug}, by=admin).pk == job.pk
    with django_capture_on_commit_callbacks(execute=False):
        forced = services.document_request(
            kind="letter", fmt="docx", params={"review": demo.slug}, by=admin, force=True
        )
    assert forced.pk != job.pk
    # Changed inputs (a finding edited) give a new fingerprint, so a new job.
    finding = demo.findings.first()
    finding.text += " Edited."
    finding.save()
    with django_capture_on_commit_callbacks(execute=False):
        changed = services.document_request(kind="letter", fmt="pdf", params={"review": demo.slug}, by=admin)
        again = services.document_request(kind="letter", fmt="docx", params={"review": demo.slug}, by=admin)
    assert changed.fingerprint != job.fingerprint and again.pk not in (job.pk, forced.pk)


def demo_user(email):
    from accounts.models import User

    return User.objects.get(email=email)


def test_a_failing_renderer_ends_failed_with_its_error_shown_and_a_retry_succeeds(
    demo, media, eager, monkeypatch, client, django_capture_on_commit_callbacks
):
    lead = demo_user("lead@demo.test")
    real = tasks.RENDERERS[("letter", "docx")]

    def broken(job):
        raise RuntimeError("the template is missing")

    monkeypatch.setitem(tasks.RENDERERS, ("letter", "docx"), broken)
    client.force_login(lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("documents:request_letter", args=[demo.slug]), {"format": "docx"})
    job = DocumentJob.objects.get()
    assert response.url == reverse("documents:job", args=[job.pk])
    assert job.status == DocumentJob.Status.FAILED and job.attempts == tasks.MAX_ATTEMPTS
    assert job.error == "RuntimeError: the template is missing"
    page = client.get(response.url).content.decode()
    assert "The document could not be generated" in page and "RuntimeError: the template is missing" in page
    assert client.get(reverse("documents:download", args=[job.pk])).status_code == 404

    monkeypatch.setitem(tasks.RENDERERS, ("letter", "docx"), real)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("documents:retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == DocumentJob.Status.DONE and job.error == ""
    page = client.get(reverse("documents:job", args=[job.pk])).content.decode()
    assert "Your document is ready" in page
    download = client.get(reverse("documents:download", args=[job.pk]))
    assert download["Cache-Control"] == "no-store"
    assert download["Content-Disposition"] == 'attachment; filename="letter-south-west-2023.docx"'
    parse_annexes(b"".join(download.streaming_content))


def test_a_renderer_that_fails_once_is_retried_by_the_task_and_succeeds(demo, media, eager, monkeypatch):
    real = tasks.RENDERERS[("letter", "docx")]
    calls = []

    def flaky(job):
        calls.append(job.attempts)
        if len(calls) == 1:
            raise ConnectionError("the database went away")
        return real(job)

    monkeypatch.setitem(tasks.RENDERERS, ("letter", "docx"), flaky)
    job = DocumentJob.objects.create(
        kind="letter",
        format="docx",
        params={"review": demo.slug},
        fingerprint="x",
        requested_by=demo_user("admin@demo.test"),
    )
    tasks.generate_document.apply(args=[job.pk], throw=False)
    job.refresh_from_db()
    assert calls == [1, 2] and job.status == DocumentJob.Status.DONE and job.attempts == 2


def test_requests_and_downloads_are_scoped_by_role(
    client, inspection, inspector, lead_inspector, outside_inspector, director, other_director, analyst,
    administrator, media, django_capture_on_commit_callbacks,
):  # fmt: skip
    import datetime

    review = RegionalReview.objects.create(
        region=inspection.pdu.region, slug="sw-2024", letter_date=datetime.date(2024, 9, 1), addressee="A Director"
    )
    review.inspections.add(inspection)
    params = {"review": review.slug}
    allowed = {"inspector": inspector, "lead": lead_inspector, "admin": administrator}
    refused = {"outsider": outside_inspector, "director": director, "other": other_director, "analyst": analyst}
    with django_capture_on_commit_callbacks(execute=False):
        for user in allowed.values():
            services.document_request(kind="letter", fmt="docx", params=params, by=user)
    for name, user in refused.items():
        with pytest.raises(Refused):
            services.document_request(kind="letter", fmt="docx", params=params, by=user)
        assert not services.reviews_visible_to(user).exists(), name
    with pytest.raises(Refused):
        services.document_request(kind="letter", fmt="xlsx", params=params, by=administrator)

    # Trackers: the region's director and its inspectors; not another region's director, nor analysts.
    region = {"region": inspection.pdu.region.slug}
    for user in (inspector, lead_inspector, director, administrator):
        assert services.can_request_tracker(user, inspection.pdu.region)
    for user in (outside_inspector, other_director, analyst):
        with pytest.raises(Refused):
            services.document_request(kind="tracker", fmt="xlsx", params=region, by=user)

    job = DocumentJob.objects.get()
    tasks.generate_document.apply(args=[job.pk])
    download = reverse("documents:download", args=[job.pk])
    for user in allowed.values():
        client.force_login(user)
        assert client.get(download).status_code == 200
        assert client.get(reverse("documents:letters")).status_code == 200
    for name, user in refused.items():
        client.force_login(user)
        assert client.get(download).status_code == 404, name
        assert client.get(reverse("documents:job", args=[job.pk])).status_code == 404, name
        assert (
            client.post(reverse("documents:request_letter", args=[review.slug]), {"format": "docx"}).status_code == 404
        )
    assert DocumentJob.objects.count() == 1
