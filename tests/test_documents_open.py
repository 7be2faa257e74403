"""The generated DOCX and XLSX open in LibreOffice: converted to PDF headless, as a user's office suite reads them.

Needs Debian's `libreoffice-writer-nogui` and `libreoffice-calc-nogui` (`.ci/run` installs them);
without `soffice` the tests skip on a developer's machine and fail under CI.
"""

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from .factories import RegionFactory
from .test_letter_pdf import letter

pytestmark = pytest.mark.documents

SOFFICE_TIMEOUT = 120  # seconds; a conversion takes a few, the first start with a fresh profile a few more


@pytest.fixture(scope="module")
def soffice() -> str:
    path = shutil.which("soffice")
    if path is None:
        message = (
            "LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui libreoffice-calc-nogui"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def profile(tmp_path_factory) -> str:
    """A private LibreOffice profile: never the user's, and no lock shared with another run."""
    return tmp_path_factory.mktemp("soffice-profile").as_uri()


def convert_to_pdf(soffice: str, profile: str, source: Path) -> str:
    """Converts with LibreOffice headless; the PDF's text."""
    outdir = source.parent / "pdf"
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=SOFFICE_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr or result.stdout
    pdf = outdir / f"{source.stem}.pdf"
    assert pdf.is_file() and pdf.stat().st_size > 0, f"no PDF: {result.stdout} {result.stderr}"
    reader = PdfReader(io.BytesIO(pdf.read_bytes()))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def letter_docx() -> bytes:
    """The letter as the service renders it (documents.letter_docx), or a python-docx document when that is absent."""
    try:
        from documents.letter_docx import render_letter_docx
    except ImportError:
        from docx import Document

        document = Document()
        document.add_heading("Annexe two – PDU ratings", level=1)
        document.add_paragraph("Dear Angela,")
        table = document.add_table(rows=1, cols=2)
        table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Score", "8/27"
        buffer = io.BytesIO()
        document.save(buffer)
        return buffer.getvalue()
    return render_letter_docx(letter())


def tracker_xlsx_bytes() -> bytes:
    """The tracker as the service exports it (trackers.export), or an openpyxl workbook when that is absent."""
    try:
        from trackers.export import tracker_xlsx
    except ImportError:
        from openpyxl import Workbook

        workbook = Workbook()
        workbook.active.append(["Inspection", "Recommendation text", "Status"])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    return tracker_xlsx(region=RegionFactory(slug="open-test", name="Open test"))


def test_the_letter_docx_opens_in_libreoffice(soffice, profile, tmp_path):
    source = tmp_path / "letter.docx"
    source.write_bytes(letter_docx())
    text = convert_to_pdf(soffice, profile, source)
    assert "Dear Angela," in text
    assert "Annexe two" in text


@pytest.mark.django_db
def test_the_tracker_xlsx_opens_in_libreoffice(soffice, profile, tmp_path):
    source = tmp_path / "tracker.xlsx"
    source.write_bytes(tracker_xlsx_bytes())
    text = convert_to_pdf(soffice, profile, source)
    assert "Inspection" in text and "Status" in text  # the header row, in both
