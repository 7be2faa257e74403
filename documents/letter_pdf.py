"""The regional letter as a tagged, accessible PDF (PDF/UA-1), rendered by WeasyPrint.

The layout is `templates/documents/letter_pdf.html` with the print stylesheet
`static/css/letter-print.css`, which embeds the fonts shipped in `static/fonts/` so the PDF
looks the same on every machine. WeasyPrint fetches nothing but those static files: the
letter's text comes from people and from the database, and a PDF renderer that follows any
URL would read local files or call out to the network on their behalf.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from documents.content import LetterContent

# PDF/UA-1 tags the structure (headings, lists, tables) and records the title and language.
PDF_VARIANT = "pdf/ua-1"


def _static_roots() -> list[Path]:
    return [Path(root).resolve() for root in settings.STATICFILES_DIRS]


class StaticFilesFetcher(URLFetcher):
    """Serves `file:` URLs inside the project's static folders (STATICFILES_DIRS); refuses every other URL."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise ValueError(f"Only the project's static files may be fetched, not {url!r}")
        # resolve() follows "..", and symbolic links, before the containment check.
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in _static_roots()) or not path.is_file():
            raise ValueError(f"Only the project's static files may be fetched, not {url!r}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": content_type})


def letter_html(content: LetterContent) -> str:
    return render_to_string("documents/letter_pdf.html", {"letter": content})


def render_letter_pdf(content: LetterContent) -> bytes:
    """The letter as PDF bytes: every page numbered, Annexe two's table headers repeated across pages."""
    # Relative links in the template (css/…, fonts/…) resolve inside the first static folder.
    base_url = _static_roots()[0].as_uri() + "/"
    document = HTML(string=letter_html(content), base_url=base_url, url_fetcher=StaticFilesFetcher())
    return document.write_pdf(pdf_variant=PDF_VARIANT)
