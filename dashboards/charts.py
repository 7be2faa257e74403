"""Server-rendered SVG charts: readable without JavaScript, in the page and in a PDF alike.

Each chart is an `<svg role="img">` with a title and a written summary (its
accessible name and description), a text label on every bar and point, and
threshold lines named in words, so nothing is said by colour alone. The charts
are narrow by design (400 units wide, labels wrapped on their own lines above each bar)
so that they scale down to a 390-pixel phone screen without overlapping text. Each fills the width
of its figure, which the page limits (two thirds of the column on a wider screen): no style attribute,
which the Content-Security-Policy would refuse.
The data of each chart is a `Table` shown beside it and downloadable as CSV.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 400
PLOT = WIDTH - 8  # the bars' full length (the last threshold label needs a little room)
FONT = 'font-family="Arial, sans-serif"'
INK = "#0b0c0c"
BAR = "#1d70b8"
MUTED = "#505a5f"
_ids = itertools.count(1)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: nothing to draw (no relevant cases, or suppressed)
    text: str  # the value in words, always shown: "41.5% (22 out of 53)"
    heading: str = ""  # starts a group of bars, e.g. a standard's name


@dataclass(frozen=True)
class Threshold:
    value: float
    label: str  # "50%": the band names are in the chart's summary


@dataclass
class BarChart:
    title: str
    summary: str
    bars: list[Bar]
    maximum: float = 100.0  # the value a full-length bar stands for
    thresholds: list[Threshold] = field(default_factory=list)

    def svg(self) -> SafeString:
        return bar_chart_svg(self)


def _text(x: float, y: float, text: str, *, size: int = 13, bold: bool = False, anchor: str = "start", fill=INK):
    weight = ' font-weight="bold"' if bold else ""
    # A white halo under each letter keeps text legible where a threshold line passes behind it.
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" {FONT} font-size="{size}"{weight} text-anchor="{anchor}" '
        f'fill="{fill}" stroke="#ffffff" stroke-width="3" paint-order="stroke">{escape(text)}</text>'
    )


def wrap(text: str, *, size: int, width: float = WIDTH) -> list[str]:
    """Lines of at most `width` units: SVG does not wrap text, and a phone has no room to spare.

    Arial's characters average a little over half the font size in width; 0.6 errs on the side
    of a shorter line.
    """
    limit = max(int(width / (size * 0.6)), 10)
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if len(candidate) <= limit or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def _lines(y: float, text: str, *, size: int, bold: bool = False) -> tuple[list[str], float]:
    """Wrapped text from baseline `y`: its elements and the baseline of its last line."""
    body = []
    for i, line in enumerate(wrap(text, size=size)):
        if i:
            y += size + 3
        body.append(_text(0, y, line, size=size, bold=bold))
    return body, y


def _frame(height: float, title: str, summary: str, body: list[str]) -> SafeString:
    n = next(_ids)
    return mark_safe(
        f'<svg class="app-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
        'width="100%" role="img" '
        f'aria-labelledby="chart-{n}-title chart-{n}-desc" focusable="false">'
        f'<title id="chart-{n}-title">{escape(title)}</title><desc id="chart-{n}-desc">{escape(summary)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def bar_chart_svg(chart: BarChart) -> SafeString:
    """Each bar under its label and value, on one line or wrapped: "2.2.3 (decides): 34.6% (18/52)"."""
    body: list[str] = []
    y = 24.0 if chart.thresholds else 4.0
    top = y
    for bar in chart.bars:
        if bar.heading:
            lines, y = _lines(y + 18, bar.heading, size=14, bold=True)
            body += lines
            y += 4
        lines, y = _lines(y + 15, f"{bar.label}: {bar.text}", size=13)
        body += lines
        bar_y = y + 5
        length = 0.0 if bar.value is None else max(0.0, min(bar.value / chart.maximum, 1.0)) * PLOT
        # A faint track shows the full scale, so a short bar reads as short and not as missing.
        body.append(f'<rect x="0" y="{bar_y:.1f}" width="{PLOT}" height="14" fill="#f3f2f1"/>')
        if length:
            body.append(f'<rect x="0" y="{bar_y:.1f}" width="{length:.1f}" height="14" fill="{BAR}"/>')
        y = bar_y + 14 + 6
    bottom = y
    lines = []
    for threshold in chart.thresholds:
        x = threshold.value / chart.maximum * PLOT
        lines.append(
            f'<line x1="{x:.1f}" y1="{top - 6:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" stroke="{INK}" '
            'stroke-width="1.5" stroke-dasharray="4 3"/>'
        )
        lines.append(_text(x, top - 10, threshold.label, size=11, anchor="middle"))
    # The threshold lines go first, behind the labels and bars.
    return _frame(bottom + 4, chart.title, chart.summary, lines + body)


@dataclass(frozen=True)
class Point:
    x_label: str  # e.g. the year of fieldwork
    value: float
    text: str  # e.g. "8/27"


@dataclass(frozen=True)
class Series:
    label: str
    points: list[Point]


@dataclass
class TrendChart:
    """One small panel per series (a PDU or a region), sharing the x positions: no legend to decode."""

    title: str
    summary: str
    series: list[Series]
    maximum: float

    def svg(self) -> SafeString:
        return trend_chart_svg(self)


def trend_chart_svg(chart: TrendChart) -> SafeString:
    columns = sorted({p.x_label for s in chart.series for p in s.points})
    step = (WIDTH - 40) / max(len(columns), 1)
    x_of = {label: 20 + step * (i + 0.5) for i, label in enumerate(columns)}
    body: list[str] = []
    y = 0.0
    for series in chart.series:
        lines, y = _lines(y + 16, series.label, size=14, bold=True)
        body += lines
        plot_top, plot_bottom = y + 18, y + 50
        body.append(
            f'<line x1="0" y1="{plot_bottom:.1f}" x2="{WIDTH}" y2="{plot_bottom:.1f}" stroke="{MUTED}" '
            'stroke-width="1"/>'
        )
        coordinates = [
            (x_of[p.x_label], plot_bottom - (p.value / chart.maximum) * (plot_bottom - plot_top), p)
            for p in series.points
        ]
        if len(coordinates) > 1:
            path = " ".join(f"{x:.1f},{py:.1f}" for x, py, _ in coordinates)
            body.append(f'<polyline points="{path}" fill="none" stroke="{BAR}" stroke-width="2"/>')
        for x, py, p in coordinates:
            body.append(f'<circle cx="{x:.1f}" cy="{py:.1f}" r="4" fill="{BAR}"/>')
            body.append(_text(x, py - 8, p.text, size=12, bold=True, anchor="middle"))
            body.append(_text(x, plot_bottom + 15, p.x_label, size=11, anchor="middle", fill=MUTED))
        y = plot_bottom + 20
    return _frame(max(y, 20), chart.title, chart.summary, body)
