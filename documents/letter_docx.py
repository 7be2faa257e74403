"""The regional letter as an editable Word document (python-docx).

Real structure, so it reads well in Word and LibreOffice and with a screen reader: the
built-in Title / Heading 1 / Heading 2 styles, "List Bullet" lists, Annexe two as tables
with a repeated header row, and the document's title and language in its properties.
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from .content import LetterContent

DOMAINS = {"1": "Organisational delivery", "2": "Court work and case supervision"}


def _set_language(document, language: str) -> None:
    """The default language of every run (w:lang in the document defaults), besides core properties."""
    styles = document.styles.element
    rpr_default = styles.find(qn("w:docDefaults"))
    if rpr_default is None:
        return
    rpr = rpr_default.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
    if rpr is None:
        return
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), language)


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _bullets(document, items: list[str]) -> None:
    for item in items:
        document.add_paragraph(item, style="List Bullet")


def render_letter_docx(content: LetterContent) -> bytes:
    document = Document()
    document.core_properties.title = content.title
    document.core_properties.language = content.language
    document.core_properties.author = content.letterhead[0] if content.letterhead else ""
    _set_language(document, content.language)
    document.styles["Normal"].font.name = "Arial"
    document.styles["Normal"].font.size = Pt(11)

    # Letterhead: the inspectorate's name as the document's title, then its address lines.
    if content.letterhead:
        document.add_paragraph(content.letterhead[0], style="Title")
        for line in content.letterhead[1:]:
            document.add_paragraph(line)
    document.add_paragraph(f"{content.date:%A} {content.date.day} {content.date:%B %Y}")

    document.add_paragraph("To:")
    for addressee in content.addressees:
        document.add_paragraph().add_run(addressee).bold = True
    if content.copy_to:
        document.add_paragraph("CC:")
        for line in content.copy_to:
            document.add_paragraph(line)

    document.add_paragraph(content.greeting)
    for paragraph in content.introduction:
        document.add_paragraph(paragraph)

    document.add_heading("Regional observations", level=1)
    document.add_paragraph(
        "At a regional level, we have identified the following key strengths and areas for improvement:"
    )
    for section in content.sections:
        document.add_heading(section.heading, level=2)
        for paragraph in section.narrative:
            document.add_paragraph(paragraph)
        if section.strengths:
            document.add_heading("Key strengths", level=3)
            _bullets(document, section.strengths)
        if section.improvements:
            document.add_heading("Areas for improvement", level=3)
            _bullets(document, section.improvements)

    document.add_heading("Summary", level=1)
    for paragraph in content.summary:
        document.add_paragraph(paragraph)
    for paragraph in content.closing:
        document.add_paragraph(paragraph)
    if content.signatory:
        document.add_paragraph().add_run(content.signatory[0]).bold = True
        for line in content.signatory[1:]:
            document.add_paragraph(line)

    # Annexe one: recommendations by inspected PDU, then by addressee.
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.add_heading("Annexe one – Recommendations", level=1)
    document.add_paragraph("Set out below are the recommendations arising from the inspection of PDUs in this region.")
    current_pdu = None
    for group in content.annexe_one:
        if group.pdu != current_pdu:
            document.add_heading(f"{group.pdu} PDU inspection", level=2)
            current_pdu = group.pdu
        document.add_heading(group.addressee, level=3)
        _bullets(document, group.recommendations)

    # Annexe two: each PDU's nine ratings, score and overall rating, as a real table.
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.add_heading("Annexe two – PDU ratings", level=1)
    document.add_paragraph(
        "Set out below are the ratings of the PDUs in this region. More detail about the reasons for the "
        "ratings is available in the PDU reports, which are published on our website."
    )
    for pdu in content.annexe_two:
        document.add_heading(f"{pdu.pdu} PDU", level=2)
        score = "Not rated" if pdu.score is None else f"{pdu.score}/{pdu.max_score}"
        table = document.add_table(rows=1, cols=2)
        table.style = "Table Grid"
        header = table.rows[0]
        _repeat_header(header)
        for cell, text in zip(header.cells, ("Standard", "Rating"), strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
        rows = [("Score", score), ("Overall rating", pdu.overall)]
        domain = None
        for standard in pdu.standards:
            prefix = standard.code.split(".")[0]
            if prefix != domain and prefix in DOMAINS:
                rows.append((f"{prefix}. {DOMAINS[prefix]}", ""))
                domain = prefix
            rows.append((f"{standard.code} {standard.title}", standard.rating))
        for label, value in rows:
            cells = table.add_row().cells
            cells[0].text = label
            cells[1].text = value

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
