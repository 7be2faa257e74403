"""Text typed by people in the documents and exports: never markup in a letter, never a formula in a sheet.

Letters (Hypothesis): markup, XML fragments, entities, CSS and control characters typed into a
regional letter's greeting, introduction, copy list, signatory, summary, findings and an inspection's
recommendation are generated in-process (documents.letter.letter_content, then the DOCX and PDF
renderers: no Celery). The DOCX opens in python-docx, its XML parses, every text is a paragraph's
literal text (markup inside w:t), and it holds no element a plain letter does not (no hyperlink,
field, drawing or anything from the text); the PDF's text (pypdf) holds every text, WeasyPrint
fetched nothing but the project's static files, and no page has a link or an image.

Exports (Hypothesis): values starting = + - @, tab or carriage return (and control characters) in
every free text that reaches an export (region and PDU names, recommendation text, response
narrative, action description, owner and email, progress notes), then every cell of every export
checked: the tracker's XLSX and CSV, every dashboard CSV table, every API list as CSV.

pypdf cannot read the text of a PDF in which a glyph is missing from the embedded fonts (poppler
can: the PDF is right), so the letter texts here use characters the fonts have; letters beyond
them (CJK, Arabic, line separators) are checked in the DOCX.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import zipfile

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django.utils.html import escape
from docx import Document
from hypothesis import given
from hypothesis import strategies as st
from knox.models import AuthToken
from lxml import etree
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.models import User
from documents import letter_pdf
from documents.letter import letter_content
from documents.letter_docx import render_letter_docx
from documents.letter_pdf import letter_html, render_letter_pdf
from inspections.models import Inspection, Recommendation, RegionalFinding, RegionalReview
from regions.models import PDU, Region
from trackers.export import printable, tracker_xlsx
from trackers.models import Action, ProgressNote, RecommendationResponse

from ..factories import set_publication
from .values import (
    FORMULA_STARTS,
    LOOKALIKES,
    MARK,
    MARKUP,
    UNICODE_ODDITIES,
    examples,
    is_neutral,
    markup_in,
    short_values,
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def rolled_back(judge):
    def run(*args, **kwargs):
        with transaction.atomic():
            judge(*args, **kwargs)
            transaction.set_rollback(True)

    return run


# Letters --------------------------------------------------------------------------------------

# Characters the letter's fonts have, and those a letter must drop or turn into a line break.
FONT_LETTERS = ["é", "£", "’", "—", "ß", "\u00a0", " and ", " ", "Dorset"]  # Liberation Sans has them
CONTROLS = ["\t", "\n", "\x0b", "\x0c", "\x01", "\x1b", "\x7f", "\x85", "\ufffe", "\uffff"]
NO_TOKENS = [t for t in LOOKALIKES if "[[" not in t and "]]" not in t]  # figure tokens: tests/test_figures.py
_letter_pieces = st.one_of(
    st.sampled_from(MARKUP),
    st.sampled_from(MARKUP),
    st.sampled_from(NO_TOKENS),
    st.sampled_from(FONT_LETTERS),
    st.sampled_from(CONTROLS),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="[]"), max_size=15),
)
letter_texts = st.lists(_letter_pieces, min_size=1, max_size=6).map("".join).filter(lambda t: t.strip())
# The texts whose figure tokens are resolved (checked when saved): "[[" or "]]" there is a token or a
# form error (tests/test_figures.py), so they hold the other payloads, CDATA's "]]>" going elsewhere.
WITH_FIGURES = ("introduction", "summary", "narrative", "strength", "improvement")


def letter_fields(texts):
    return st.fixed_dictionaries(
        {
            name: texts.filter(lambda t: "[[" not in t and "]]" not in t) if name in WITH_FIGURES else texts
            for name in TEXT_FIELDS
        }
    )


def paragraphs(text: str) -> list[str]:
    """A text's paragraphs as the letter has them (documents.letter._paragraphs), made printable."""
    return [printable(p.strip()) for p in text.split("\n\n") if p.strip()]


def lines(text: str) -> list[str]:
    return [printable(line.strip()) for line in text.splitlines() if line.strip()]


def docx_text(text: str) -> str:
    """A text as python-docx reads a paragraph back: a line break (w:br) is a newline."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def small_letter(demo):
    """A regional letter of one published inspection (Dorset), with its first recommendation editable."""
    dorset = Inspection.objects.get(reference="SW-DOR-2023")
    review = RegionalReview.objects.create(
        region=dorset.pdu.region, slug="hostile-2099", letter_date=datetime.date(2099, 1, 2), addressee="A B, RPD"
    )
    review.inspections.add(dorset)
    set_publication(dorset, unlocked_at=timezone.now())  # its recommendations may change, for the test
    return review, Recommendation.objects.filter(inspection=dorset).order_by("order").first()


def write_letter(review: RegionalReview, recommendation: Recommendation, texts: dict[str, str]) -> None:
    """The texts stored as the forms store them (stripped), straight into the rows."""
    fields = ("greeting", "introduction", "copy_to", "signatory", "summary")
    RegionalReview.objects.filter(pk=review.pk).update(**{f: texts[f].strip() for f in fields})
    for order, kind in enumerate(("narrative", "strength", "improvement"), start=1):
        RegionalFinding.objects.create(
            review=review, heading="leadership", kind=kind, text=texts[kind].strip(), order=order
        )
    Recommendation.objects.filter(pk=recommendation.pk).update(text=texts["recommendation"].strip())
    review.refresh_from_db()


def expected_paragraphs(texts: dict[str, str]) -> list[str]:
    """Every paragraph (or line) of the letter that comes from the texts, as the renderers must show it."""
    expected = [printable(texts["greeting"].strip())]
    for name in ("introduction", "summary"):
        expected += paragraphs(texts[name])
    for name in ("copy_to", "signatory"):
        expected += lines(texts[name])
    expected += [printable(texts[k].strip()) for k in ("narrative", "strength", "improvement", "recommendation")]
    return [e for e in expected if e.strip()]


def docx_parts(data: bytes) -> dict[str, etree._Element]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {name: etree.fromstring(package.read(name), XML) for name in package.namelist() if name.endswith(".xml")}


def element_tags(parts: dict[str, etree._Element]) -> set[str]:
    return {element.tag for root in parts.values() for element in root.iter() if isinstance(element.tag, str)}


def judge_docx(data: bytes, expected: list[str], allowed_tags: set[str], texts: dict[str, str]) -> None:
    document = Document(io.BytesIO(data))  # python-docx opens it
    read = {docx_text(p.text) for p in document.paragraphs}
    for paragraph in expected:
        assert docx_text(paragraph) in read, paragraph[:80]
    parts = docx_parts(data)  # every XML part parses, entities unresolved
    tags = element_tags(parts)
    assert tags <= allowed_tags, tags - allowed_tags  # no element a plain letter has not
    assert not any(MARK in tag for tag in tags)
    body = parts["word/document.xml"]
    runs = [t.text or "" for t in body.iter(f"{W}t")]
    for value in texts.values():
        for payload in markup_in(value) + [p for p in NO_TOKENS if p in value]:
            assert any(payload in run for run in runs), payload  # literally, inside a w:t


def pdf_annotations_and_images(reader: PdfReader) -> tuple[int, int]:
    annotations = images = 0
    for page in reader.pages:
        annotations += len(page.get("/Annots") or [])
        resources = page.get("/Resources") or {}
        objects = resources.get("/XObject") or {}
        images += sum(1 for o in objects.values() if o.get_object().get("/Subtype") == "/Image")
    return annotations, images


def pdf_text(reader: PdfReader) -> str:
    return " ".join(page.extract_text() or "" for page in reader.pages)


@pytest.fixture
def fetched(monkeypatch):
    """Every URL WeasyPrint asks the project's fetcher for."""
    urls: list[str] = []
    original = letter_pdf.StaticFilesFetcher.fetch

    def spy(self, url, headers=None):
        urls.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(letter_pdf.StaticFilesFetcher, "fetch", spy)
    return urls


TEXT_FIELDS = (
    "greeting",
    "introduction",
    "copy_to",
    "signatory",
    "summary",
    "narrative",
    "strength",
    "improvement",
    "recommendation",
)
PLAIN = {name: f"Plain {name}\twith a tab\nand a line" for name in TEXT_FIELDS}


@pytest.mark.django_db
def test_text_typed_into_a_letter_never_becomes_markup_in_its_docx_or_pdf(small_letter, fetched):
    review, recommendation = small_letter
    # What a plain letter is made of: the elements, annotations, images and tags a hostile one may have.
    with transaction.atomic():
        write_letter(review, recommendation, PLAIN)
        plain = letter_content(review=review)
        allowed = element_tags(docx_parts(render_letter_docx(plain)))
        plain_pdf = PdfReader(io.BytesIO(render_letter_pdf(plain)))
        plain_marks = pdf_annotations_and_images(plain_pdf)
        transaction.set_rollback(True)
    static_roots = [root.as_uri() for root in letter_pdf._static_roots()]

    @examples(6)
    @given(texts=letter_fields(letter_texts))
    @rolled_back
    def letter(texts):
        texts = {**texts, "greeting": texts["greeting"][:200]}
        write_letter(review, recommendation, texts)
        content = letter_content(review=review)
        expected = expected_paragraphs(texts)
        judge_docx(render_letter_docx(content), expected, allowed, texts)

        html = letter_html(content)
        for value in texts.values():
            for payload in markup_in(value):
                assert payload not in html and escape(payload) in html
        fetched.clear()
        reader = PdfReader(io.BytesIO(render_letter_pdf(content)))
        assert fetched and all(any(url.startswith(root) for root in static_roots) for url in fetched), fetched
        text = squeezed(pdf_text(reader))
        for paragraph in expected:
            assert squeezed(paragraph) in text, paragraph[:80]
        assert pdf_annotations_and_images(reader) == plain_marks  # no link or image from the text

    letter()


@pytest.mark.django_db
def test_any_unicode_typed_into_a_letter_is_literal_text_in_its_docx(small_letter):
    review, recommendation = small_letter
    with transaction.atomic():
        write_letter(review, recommendation, PLAIN)
        allowed = element_tags(docx_parts(render_letter_docx(letter_content(review=review))))
        transaction.set_rollback(True)
    pieces = st.one_of(
        st.sampled_from(UNICODE_ODDITIES), st.sampled_from(CONTROLS), _letter_pieces, st.text(max_size=8)
    )
    texts_of = st.lists(pieces, min_size=1, max_size=6).map("".join).map(lambda t: t.replace("\x00", ""))

    @examples(25)
    @given(texts=letter_fields(texts_of.filter(lambda t: t.strip())))
    @rolled_back
    def letter(texts):
        texts = {**texts, "greeting": texts["greeting"][:200]}
        texts = {k: v if printable(v).strip() else "x" for k, v in texts.items()}
        write_letter(review, recommendation, texts)
        judge_docx(render_letter_docx(letter_content(review=review)), expected_paragraphs(texts), allowed, texts)

    letter()


def test_a_control_character_typed_into_a_letter_does_not_stop_its_docx_or_garble_its_pdf(small_letter):
    # Found by the properties above: python-docx refuses a text with a control character (a
    # vertical tab pasted from Word, an escape), so the letter's DOCX failed to generate; and a
    # glyph the PDF's fonts lack made pypdf read the PDF's text as garbage.
    review, recommendation = small_letter
    texts = {name: f"Before\x0b{name}\x01 and\x1b after\ufffe." for name in TEXT_FIELDS}
    write_letter(review, recommendation, texts)
    content = letter_content(review=review)
    document = Document(io.BytesIO(render_letter_docx(content)))
    assert "Before\ngreeting and after." in [p.text for p in document.paragraphs]
    text = pdf_text(PdfReader(io.BytesIO(render_letter_pdf(content))))
    assert "Before" in text and "introduction and after." in text


# Exports ----------------------------------------------------------------------------------------

formula_values = st.tuples(st.sampled_from([*FORMULA_STARTS, "", "'"]), short_values).map(
    lambda pair: (pair[0] + pair[1]).replace("\x00", "")[:100]  # PostgreSQL text holds no NUL
)
EXPORT_FIELDS = (
    "region",
    "pdu",
    "recommendation",
    "narrative",
    "description",
    "owner_name",
    "owner_email",
    "note",
)


def plant(values: dict[str, str]) -> None:
    """The values in every free text of one South West recommendation's action plan, and the names."""
    dorset = Inspection.objects.get(reference="SW-DOR-2023")
    Region.objects.filter(slug="south-west").update(name=values["region"])
    PDU.objects.filter(pk=dorset.pdu_id).update(name=values["pdu"])
    set_publication(dorset, unlocked_at=timezone.now())
    response = (
        RecommendationResponse.objects.filter(recommendation__inspection=dorset, actions__isnull=False)
        .order_by("recommendation__order")
        .first()
    )
    Recommendation.objects.filter(pk=response.recommendation_id).update(text=values["recommendation"])
    RecommendationResponse.objects.filter(pk=response.pk).update(narrative=values["narrative"])
    action = response.actions.order_by("number").first()
    Action.objects.filter(pk=action.pk).update(
        description=values["description"],
        owner_name=values["owner_name"],
        owner_email=values["owner_email"],
        due_date=datetime.date(2020, 1, 1),  # overdue and open: in the dashboard's open actions too
        status="in_progress",
    )
    ProgressNote.objects.create(
        action=action,
        date=datetime.date(2024, 1, 1),
        text=values["note"],
        by=User.objects.get(email="director.southwest@demo.test"),
    )


def csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def xlsx_cells(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in package.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in package.read(name) and b"<f " not in package.read(name), name  # no formula
    workbook = load_workbook(io.BytesIO(data))
    cells = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.coordinate
                if isinstance(cell.value, str):
                    cells.append(cell.value)
    return cells


def dashboard_csvs(client: Client) -> dict[str, str]:
    """Every CSV table the region dashboard and the national view link to."""
    found = {}
    for page in ("/regions/south-west/", "/national/"):
        html = client.get(page).content.decode()
        for table in sorted(set(re.findall(r"format=csv&amp;table=([-a-z0-9]+)", html))):
            response = client.get(page, {"format": "csv", "table": table})
            assert response.status_code == 200, (page, table)
            found[f"{page} {table}"] = b"".join(response.streaming_content).decode()
    return found


def api_csvs(client: Client) -> dict[str, str]:
    """Every API list as CSV, with the parameters a list requires."""
    schema = json.loads(Client().get("/api/v1/schema/", {"format": "json"}).content)
    required_values = {"question": "2.2.3"}
    found = {}
    for path, item in sorted(schema["paths"].items()):
        if "get" not in item or "{" in path or "schema" in path:
            continue
        query = {
            p["name"]: required_values.get(p["name"], "")
            for p in item["get"].get("parameters", [])
            if p["in"] == "query" and p.get("required")
        }
        response = client.get(path, {**query, "format": "csv"})
        assert response.status_code == 200, path
        body = b"".join(response.streaming_content) if response.streaming else response.content
        found[path] = body.decode()
    return found


@pytest.mark.django_db
def test_every_cell_of_every_export_is_neutralised(demo):
    director, inspector = Client(), Client()
    director.force_login(User.objects.get(email="director.southwest@demo.test"))
    inspector.force_login(User.objects.get(email="inspector@demo.test"))
    _, token = AuthToken.objects.create(User.objects.get(email="admin@demo.test"))
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")

    @examples(8)
    @given(values=st.fixed_dictionaries(dict.fromkeys(EXPORT_FIELDS, formula_values)))
    @rolled_back
    def exports(values):
        plant(values)
        tracker = {fmt: director.get(f"/trackers/south-west/download/{fmt}/").content for fmt in ("xlsx", "csv")}
        files = {
            "tracker.xlsx": xlsx_cells(tracker["xlsx"]),
            "tracker.csv": csv_cells(tracker["csv"].decode("utf-8-sig")),
            **{name: csv_cells(text) for name, text in dashboard_csvs(inspector).items()},
            **{name: csv_cells(text) for name, text in api_csvs(api).items()},
        }
        for name, cells in files.items():
            bad = [cell for cell in cells if not is_neutral(cell)]
            assert not bad, (name, bad[:3])
        # The planted values did reach the exports, neutralised where they start like a formula.
        for field in ("recommendation", "narrative", "description", "owner_name"):
            value = printable(values[field])
            if value.startswith(FORMULA_STARTS) and value.strip():
                assert "'" + value in files["tracker.xlsx"], field
        description = values["description"]
        if description.startswith(FORMULA_STARTS):
            assert "'" + description in files["tracker.csv"]
            assert "'" + description in files["/api/v1/actions/"]
            assert "'" + description in files["/regions/south-west/ open-actions"]

    exports()


def test_a_control_character_in_an_action_plan_does_not_stop_its_spreadsheet(demo):
    # Found by the property above: openpyxl refuses a control character (a vertical tab pasted
    # from Word) in a cell, so the region's XLSX download failed with a server error.
    plant({name: f"=1+1\x0bnext\x01 line\ufffe {name}" for name in EXPORT_FIELDS})
    cells = xlsx_cells(tracker_xlsx(region=Region.objects.get(slug="south-west")))
    assert "'=1+1\nnext line description" in cells
