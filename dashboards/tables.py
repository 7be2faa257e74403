"""A dashboard table: the one structure a page renders and a CSV download writes.

Every chart has its data in a `Table` beside it, and the same table is the CSV at
`?format=csv&table=<name>`, so what a person reads and what an analyst downloads
cannot drift apart. A suppressed cell (a group smaller than the small-number
threshold) reads "fewer than N" on the page and `[c]` in the CSV, as the
government statistics guidance on spreadsheets asks.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from inspections.templatetags.tags import tag_colour
from trackers.export import neutralise

SUPPRESSED_CSV = "[c]"


@dataclass(frozen=True)
class Cell:
    value: Any  # what the CSV holds: a number, a text, or None for an empty cell
    text: str | None = None  # what the page shows, when it differs from the value
    href: str | None = None  # the cases behind a count, for those who may see them
    numeric: bool = False
    suppressed: bool = False
    tag: str | None = None  # a rating or status value, shown as its GOV.UK tag with `text`

    @property
    def display(self) -> str:
        if self.text is not None:
            return self.text
        if self.value is None:
            return "–"
        return str(self.value)

    @property
    def csv_value(self) -> Any:
        if self.suppressed:
            return SUPPRESSED_CSV
        if self.value is None:
            return ""
        if isinstance(self.value, Decimal):
            return f"{self.value:f}"
        return neutralise(self.value)


def number(value: int | None, *, href: str | None = None) -> Cell:
    return Cell(value=value, numeric=True, href=href if value else None)


def percent(value: Decimal | None) -> Cell:
    return Cell(value=value, text=f"{value}%" if value is not None else "–", numeric=True)


def suppressed(threshold: int) -> Cell:
    return Cell(value=None, text=f"fewer than {threshold}", numeric=True, suppressed=True)


@dataclass
class Table:
    name: str  # the `table=` of its CSV address
    caption: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    numeric_columns: frozenset[int] = frozenset()

    def column_is_numeric(self, index: int) -> bool:
        return index in self.numeric_columns

    def html(self) -> SafeString:
        """The table's GOV.UK markup, written here rather than in a template: a national table has
        thousands of cells, and Django's template engine spends most of a page's time on them."""
        head = format_html_join("", '<th scope="col" class="govuk-table__header">{}</th>', ((c,) for c in self.columns))
        if self.rows:
            body = format_html_join("", '<tr class="govuk-table__row">{}</tr>', ((_row(row),) for row in self.rows))
        else:
            body = format_html(
                '<tr class="govuk-table__row"><td class="govuk-table__cell" colspan="{}">Nothing to show in this view.'
                "</td></tr>",
                len(self.columns),
            )
        return format_html(
            '<table class="govuk-table"><caption class="govuk-table__caption govuk-table__caption--s">{}</caption>'
            '<thead class="govuk-table__head"><tr class="govuk-table__row">{}</tr></thead>'
            '<tbody class="govuk-table__body">{}</tbody></table>',
            self.caption,
            head,
            body,
        )


def _content(cell: Cell) -> SafeString:
    if cell.tag:
        # As templates/includes/tag.html draws it: the same colours on every page.
        return format_html('<strong class="govuk-tag {}">{}</strong>', tag_colour(cell.tag), cell.display)
    if cell.href:
        # Named with aria-label, not visually hidden text: absolutely positioned text inside
        # the scrolling box would escape it and widen a phone's page.
        return format_html(
            '<a class="govuk-link" href="{}" aria-label="{}: the cases">{}</a>', cell.href, cell.display, cell.display
        )
    return format_html("{}", cell.display)


def _row(row: list[Cell]) -> SafeString:
    first, *others = row
    cells = [format_html('<th scope="row" class="govuk-table__header">{}</th>', _content(first))]
    for cell in others:
        numeric = " govuk-table__cell--numeric app-tabular-numbers" if cell.numeric else ""
        cells.append(format_html('<td class="govuk-table__cell{}">{}</td>', numeric, _content(cell)))
    return SafeString("".join(cells))


def csv_lines(table: Table) -> Iterator[str]:
    """The table as CSV lines: a header row, then the rows. Text that a spreadsheet would run is neutralised."""

    class Line:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Line(), lineterminator="\r\n")
    yield writer.writerow(table.columns)
    for row in table.rows:
        yield writer.writerow([cell.csv_value for cell in row])
