"""The region's tracker as XLSX and CSV: one row per action (a recommendation with none has one row).

Both neutralise every text cell that a spreadsheet would read as a formula (OWASP's CSV
injection advice: a leading = + - @, tab or carriage return gets a single quote in front),
because progress notes and narratives are typed by people and opened in Excel.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from regions.models import Region

from .models import Action, RecommendationResponse
from .selectors import response_of, tracker_recommendations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What XML 1.0 forbids (C0 controls but tab and line breaks, U+FFFE, U+FFFF, surrogates), with DEL
# and the C1 controls: typed or pasted into a text, they made openpyxl and python-docx refuse the
# whole file. A vertical tab or form feed (Word's line and page breaks, pasted) is a line break.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})


def neutralise(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def printable(value: object) -> object:
    """A text without the control characters an XML file cannot hold (XLSX, DOCX); other values as they are."""
    if isinstance(value, str):
        return _UNPRINTABLE.sub("", value.translate(_BREAKS))
    return value


@dataclass(frozen=True)
class Column:
    title: str
    width: int


COLUMNS = (
    Column("Inspection", 14),
    Column("PDU", 28),
    Column("Recommendation", 8),
    Column("Addressee", 18),
    Column("Recommendation text", 60),
    Column("Standard", 24),
    Column("Response", 14),
    Column("Response narrative", 50),
    Column("Action", 8),
    Column("Action description", 50),
    Column("Owner", 22),
    Column("Owner email", 30),
    Column("Due date", 12),
    Column("Status", 13),
    Column("RAG", 8),
    Column("Overdue", 9),
    Column("Progress notes", 60),
    Column("Evidence links", 40),
    Column("Follow-up judgement", 14),
    Column("Closed on", 12),
)
STATUS_COLUMN = COLUMNS.index(next(c for c in COLUMNS if c.title == "Status")) + 1
RAG_COLUMN = STATUS_COLUMN + 1
DATE_COLUMNS = {i + 1 for i, c in enumerate(COLUMNS) if c.title in ("Due date", "Closed on")}


def _rows(region: Region, today: datetime.date) -> Iterator[list]:
    for recommendation in tracker_recommendations(region=region, with_notes=True):
        response: RecommendationResponse | None = response_of(recommendation)
        inspection = recommendation.inspection
        common = [
            inspection.reference,
            inspection.pdu.name,
            recommendation.order,
            recommendation.get_addressee_display(),
            recommendation.text,
            str(response.standard) if response and response.standard else "",
            response.get_answer_display() if response else "",
            response.narrative if response else "",
        ]
        tail = [
            response.get_follow_up_display() if response else "",
            timezone.localdate(response.closed_at) if response and response.closed_at else None,
        ]
        actions: list[Action] = list(response.actions.all()) if response else []
        if not actions:
            yield [*common, None, "", "", "", None, "", "", "", "", "", *tail]
        for action in actions:
            notes = list(action.notes.all())
            yield [
                *common,
                action.number,
                action.description,
                action.owner_name,
                action.owner_email,
                action.due_date,
                action.get_status_display(),
                action.get_rag_display(),
                "Yes" if action.is_overdue(today) else "No",
                "\n".join(f"{note.text} ({note.date:%d/%m/%Y})" for note in reversed(notes)),  # newest first
                "\n".join(note.evidence_url for note in notes if note.evidence_url),
                *tail,
            ]


def tracker_xlsx(*, region: Region) -> bytes:
    today = timezone.localdate()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Action plan"[:31]
    sheet.append([c.title for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for values in _rows(region, today):
        sheet.append([neutralise(printable(v)) for v in values])
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":  # never a formula, whatever openpyxl guessed
                cell.data_type = "s"
            if cell.column in DATE_COLUMNS:
                cell.number_format = "dd/mm/yyyy"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    last = max(sheet.max_row, 2) + 200  # room for rows added by hand
    for column, choices in ((STATUS_COLUMN, Action.Status.labels), (RAG_COLUMN, Action.Rag.labels)):
        validation = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True)
        validation.error = f"Choose one of: {', '.join(choices)}"
        validation.errorTitle = COLUMNS[column - 1].title
        letter = get_column_letter(column)
        validation.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(validation)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def tracker_csv(*, region: Region) -> bytes:
    """The same columns as the XLSX, UTF-8 with a byte order mark so that Excel reads the accents."""
    today = timezone.localdate()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.title for c in COLUMNS])
    for values in _rows(region, today):
        writer.writerow(
            ["" if v is None else v.isoformat() if isinstance(v, datetime.date) else neutralise(v) for v in values]
        )
    return buffer.getvalue().encode("utf-8-sig")
