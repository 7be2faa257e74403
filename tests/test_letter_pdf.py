"""The regional letter as PDF: tagged (PDF/UA-1), its figures in the text, nothing fetched but static files."""

import dataclasses
import datetime
import io
from pathlib import Path

import pytest
from django.conf import settings
from pypdf import PdfReader

from documents.content import LetterContent, PDURatings, RecommendationGroup, Section, StandardRating
from documents.letter_pdf import StaticFilesFetcher, render_letter_pdf

STANDARDS = [
    ("1.1", "Leadership"),
    ("1.2", "Staff"),
    ("1.3", "Services"),
    ("1.4", "Information and facilities"),
    ("2.1", "Court work"),
    ("2.2", "Assessment"),
    ("2.3", "Planning"),
    ("2.4", "Implementation and delivery"),
    ("2.5", "Reviewing"),
]
RI, INADEQUATE, GOOD = "Requires improvement", "Inadequate", "Good"


def ratings(pdu, reference, labels, score, overall):
    standards = [StandardRating(code=c, title=t, rating=r) for (c, t), r in zip(STANDARDS, labels, strict=True)]
    return PDURatings(pdu=pdu, inspection=reference, standards=standards, score=score, max_score=27, overall=overall)


def letter(**changes) -> LetterContent:
    """A small letter in the seed's shape, built by hand (not from the database)."""
    content = LetterContent(
        title="South West regional letter, August 2023",
        language="en-GB",
        letterhead=[
            "HM Inspectorate of Probation",
            "1st Floor, Manchester Civil Justice Centre, 1 Bridge Street West, Manchester M3 3FX",
        ],
        date=datetime.date(2023, 8, 24),
        addressees=["Angela Cossins, Regional Probation Director"],
        copy_to=["Kate White, Inspection Single Point of Contact", "Keith McInnis, Lead Inspector"],
        greeting="Dear Angela,",
        introduction=["Many thanks for the cooperation we received from you and your staff."],
        sections=[
            Section(
                heading="Leadership",
                narrative=["The South West region covers an enormous and varied geographic space."],
                strengths=["Regional leaders are realistic and understand the risks faced by the service."],
                improvements=["In 59 out of 109 relevant cases no enquiry to children's services was made."],
            ),
            Section(heading="Staff", narrative=["Caseloads were gradually reducing for frontline staff."]),
        ],
        summary=["We rated Somerset as 'Requires improvement' and Dorset as 'Inadequate'."],
        closing=["Our recommendations are set out in Annexe one.", "Yours sincerely"],
        signatory=["Justin Russell", "Chief Inspector of Probation"],
        annexe_one=[
            RecommendationGroup(
                pdu="Somerset",
                addressee="Somerset PDU should:",
                recommendations=["develop and implement a stronger offer to engage the voice of people on probation"],
            ),
            RecommendationGroup(
                pdu="Somerset",
                addressee="HM Prison and Probation Service should:",
                recommendations=["ensure regions and PDUs have sufficient workload capacity"],
            ),
            RecommendationGroup(
                pdu="Dorset",
                addressee="South West region should:",
                recommendations=["prioritise the recruitment of a permanent head of PDU"],
            ),
        ],
        annexe_two=[
            ratings("Somerset", "SW-SOM-2023", [RI, RI, GOOD, GOOD, INADEQUATE, INADEQUATE, INADEQUATE, RI, RI], 8, RI),
            ratings("Dorset", "SW-DOR-2023", [INADEQUATE, RI, INADEQUATE, RI, RI] + [INADEQUATE] * 4, 3, INADEQUATE),
        ],
    )
    return dataclasses.replace(content, **changes)


def text_of(reader: PdfReader) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def structure_types(reader: PdfReader) -> set[str]:
    """Every structure element type (/H1, /Table, /L, …) in the PDF's tag tree."""
    types, stack = set(), [reader.trailer["/Root"]["/StructTreeRoot"]]
    while stack:
        node = stack.pop()
        if hasattr(node, "get_object"):
            node = node.get_object()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if "/S" in node:
                types.add(str(node["/S"]))
            if "/K" in node:
                stack.append(node["/K"])
    return types


@pytest.fixture(scope="module")
def pdf() -> PdfReader:
    return PdfReader(io.BytesIO(render_letter_pdf(letter())))


def test_the_pdf_is_tagged_with_its_title_and_language(pdf):
    root = pdf.trailer["/Root"]
    assert pdf.metadata.title == "South West regional letter, August 2023"
    assert root["/Lang"] == "en-GB"
    assert root["/MarkInfo"]["/Marked"].value is True
    assert "/StructTreeRoot" in root
    assert root["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    # PDF/UA-1 declares itself in the XMP metadata.
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()


def test_headings_lists_and_tables_are_real_structure(pdf):
    assert {"/H1", "/H2", "/H3", "/H4", "/L", "/LI", "/Table", "/TH", "/TD"} <= structure_types(pdf)


def test_the_letter_reads_in_the_seed_order(pdf):
    text = text_of(pdf)
    order = [
        "HM Inspectorate of Probation",
        "Thursday 24 August 2023",
        "To:",
        "Angela Cossins, Regional Probation Director",
        "CC:",
        "Keith McInnis, Lead Inspector",
        "Dear Angela,",
        "Regional observations",
        "Leadership",
        "Key strengths",
        "Areas for improvement",
        "Staff",
        "Summary",
        "Yours sincerely",
        "Justin Russell",
        "Annexe one – Recommendations",
        "Somerset PDU should:",
        "develop and implement a stronger offer",
        "HM Prison and Probation Service should:",
        "Dorset PDU",
        "South West region should:",
        "Annexe two – PDU ratings",
    ]
    positions = [text.find(phrase) for phrase in order]
    assert -1 not in positions, [p for p, at in zip(order, positions, strict=True) if at == -1]
    assert positions == sorted(positions)


def test_annexe_two_holds_each_pdus_score_overall_and_nine_ratings(pdf):
    annexe = text_of(pdf).split("Annexe two – PDU ratings")[1]
    somerset, dorset = annexe.split("Dorset PDU (SW-DOR-2023)")
    assert "Score 8/27" in somerset and "Overall rating Requires improvement" in somerset
    assert "1.3 Services Good" in somerset and "2.1 Court work Inadequate" in somerset
    assert "Score 3/27" in dorset and "Overall rating Inadequate" in dorset
    assert "1.1 Leadership Inadequate" in dorset and "2.5 Reviewing Inadequate" in dorset


def test_every_page_is_numbered(pdf):
    count = len(pdf.pages)
    assert count >= 3
    for number, page in enumerate(pdf.pages, start=1):
        assert f"Page {number} of {count}" in page.extract_text()


def test_a_ratings_table_that_runs_onto_the_next_page_repeats_its_header():
    many = [StandardRating(code=f"9.{n}", title=f"Standard {n}", rating=GOOD) for n in range(1, 80)]
    long = PDURatings(pdu="Long", inspection="SW-LNG-2023", standards=many, score=20, max_score=27, overall=GOOD)
    reader = PdfReader(io.BytesIO(render_letter_pdf(letter(annexe_one=[], annexe_two=[long]))))
    table_pages = [page.extract_text() for page in reader.pages if "Standard 1" in page.extract_text()]
    table_pages += [page.extract_text() for page in reader.pages if "Standard 79" in page.extract_text()]
    assert table_pages[0] != table_pages[-1], "the table should span two pages"
    assert all("Standard Rating" in " ".join(text.split()) for text in table_pages)


def test_the_letters_text_is_escaped_not_markup():
    reader = PdfReader(io.BytesIO(render_letter_pdf(letter(greeting='Dear <img src="http://127.0.0.1:9/x"> Angela,'))))
    assert 'Dear <img src="http://127.0.0.1:9/x"> Angela,' in text_of(reader)


def test_the_fonts_are_the_shipped_ones_embedded(monkeypatch):
    fetched = []
    fetch = StaticFilesFetcher.fetch

    def recording_fetch(self, url, headers=None):
        fetched.append(url)
        return fetch(self, url, headers)

    monkeypatch.setattr(StaticFilesFetcher, "fetch", recording_fetch)
    reader = PdfReader(io.BytesIO(render_letter_pdf(letter())))
    fonts_folder = (Path(settings.STATICFILES_DIRS[0]) / "fonts").resolve().as_uri()
    assert {url.rsplit("/", 1)[1] for url in fetched if url.startswith(fonts_folder)} == {
        "LiberationSans-Regular.ttf",
        "LiberationSans-Bold.ttf",
    }
    fonts = {
        str(font["/BaseFont"]).split("+")[-1]: font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        for page in reader.pages
        for font in (f.get_object() for f in page["/Resources"]["/Font"].values())
    }
    assert set(fonts) == {"Liberation-Sans", "Liberation-Sans-Bold"}
    assert all("/FontFile2" in descriptor for descriptor in fonts.values()), "embedded"


@pytest.mark.django_db
def test_the_demos_south_west_letter_carries_the_ratings_engines_figures():
    from django.core.management import call_command

    from documents.letter import letter_content
    from inspections.models import RegionalReview

    call_command("load_demo", stdout=io.StringIO())
    review = RegionalReview.objects.get(slug="south-west-2023")
    reader = PdfReader(io.BytesIO(render_letter_pdf(letter_content(review=review))))
    assert reader.metadata.title == "South West regional letter, August 2023"
    annexe = text_of(reader).split("Annexe two – PDU ratings")[1]
    tables = {
        pdu: annexe.split(f"{pdu} PDU (")[1][:400]
        for pdu in ("Somerset", "Dorset", "Bristol and South Gloucestershire")
    }
    assert "Score 8/27 Overall rating Requires improvement" in tables["Somerset"]
    assert "Score 3/27 Overall rating Inadequate" in tables["Dorset"]
    assert "Score 6/27 Overall rating Requires improvement" in tables["Bristol and South Gloucestershire"]
    assert "2.1 Court work Inadequate" in tables["Somerset"]


class TestStaticFilesFetcher:
    def test_serves_a_file_from_the_static_folders(self):
        path = Path(settings.STATICFILES_DIRS[0]) / "css" / "letter-print.css"
        response = StaticFilesFetcher()(path.resolve().as_uri())
        assert b"@font-face" in response.read()
        assert response.content_type == "text/css"

    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:9/logo.png",
            "https://www.justiceinspectorates.gov.uk/hmiprobation",
            "file:///etc/passwd",
            "file://example.org/etc/passwd",
            # Escaping the static folder with "..": resolved before the check.
            (Path(settings.STATICFILES_DIRS[0]).resolve() / "css" / ".." / ".." / "manage.py").as_uri(),
            "data:text/plain,hello",
            "ftp://127.0.0.1/file",
        ],
    )
    def test_refuses_everything_else(self, url):
        with pytest.raises(ValueError, match="static files"):
            StaticFilesFetcher()(url)
