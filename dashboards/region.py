"""A region's dashboard: each part a `Section` of tables and charts built from the selectors.

Sections are computed when first asked for, so the CSV of one table runs only
the reads that table needs. Numbers come from the ratings engine's published
results and from one aggregate per table; nothing here counts rows in Python.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from django.utils.safestring import SafeString

from inspections.choices import RATING_ORDER, RatedBy, Rating
from inspections.models import Inspection
from ratings import explain
from regions.models import Region

from . import cache, selectors
from .charts import Bar, BarChart, Point, Series, Threshold, TrendChart
from .filters import Filters
from .tables import Cell, Table, number, percent, suppressed

# Makes the address of the cases behind a count from its parameters; None for those who see counts only.
DrillDown = Callable[[dict[str, str]], str] | None


@dataclass
class Section:
    id: str
    title: str
    summary: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[SafeString] = field(default_factory=list)
    # Per PDU or inspection: a heading with its own sentences, chart and table (the key questions).
    parts: list[Section] = field(default_factory=list)
    # Tables offered as CSV only, when the page shows the same rows in its parts.
    downloads: list[Table] = field(default_factory=list)


def rating_cell(rating: Rating | str | None) -> Cell:
    if not rating:
        return Cell(value=None, text="Not rated")
    rating = Rating(rating)
    return Cell(value=rating.label, tag=rating.value)


def counts_cell(count: int, relevant: int, params: dict[str, str], drill: DrillDown) -> Cell:
    text = f"{count} out of {relevant}"
    return Cell(value=count, text=text, numeric=True, href=drill(params) if drill and count else None)


def thresholds_of(result) -> list[Threshold]:
    rules = result.rules
    return [
        Threshold(value=float(rules.threshold(rating)), label=f"{explain._number(rules.threshold(rating))}%")
        for rating in RATING_ORDER
        if rules.threshold(rating) is not None
    ]


def band_words(result) -> str:
    """ "Outstanding from 80%, Good from 65%, Requires improvement from 50%, Inadequate below 50%"."""
    rules = result.rules
    words = []
    for rating in RATING_ORDER:
        threshold = rules.threshold(rating)
        if threshold is not None:
            words.append(f"{Rating(rating).label} from {explain._number(threshold)}%")
        else:
            words.append(f"{Rating(rating).label} below that")
    return ", ".join(words)


class RegionDashboard:
    def __init__(
        self, *, region: Region, filters: Filters, threshold: int, drill: DrillDown, today: datetime.date
    ) -> None:
        self.region = region
        self.filters = filters
        self.threshold = threshold
        self.drill = drill
        self.today = today

    # The inspections in view ---------------------------------------------------------------

    @cached_property
    def latest(self) -> list[selectors.RatedInspection]:
        return selectors.rated(selectors.latest_per_pdu(selectors.published(self.filters, region=self.region)))

    @cached_property
    def version(self) -> str:
        return cache.data_version()

    # Both aggregates are read once for every PDU's latest inspection in the nation and summed
    # per PDU, region or nation here: every dashboard shares the same two cached results.
    def _findings(self):
        ids = self.national_ids
        return cache.cached(
            "findings", self.version, [ids, self.filters], lambda: selectors.finding_counts(ids, self.filters)
        )

    def _disproportionality(self):
        ids = self.national_ids
        return cache.cached(
            "disproportionality",
            self.version,
            [ids, self.filters],
            lambda: selectors.disproportionality(ids, self.filters),
        )

    @cached_property
    def latest_ids(self) -> list[int]:
        return [r.inspection.id for r in self.latest]

    @cached_property
    def national_ids(self) -> list[int]:
        return selectors.latest_ids(selectors.published(self.filters))

    @cached_property
    def pdus(self):
        return selectors.region_pdus(self.region)

    @cached_property
    def in_progress(self) -> list[Inspection]:
        return selectors.in_progress(self.region)

    @cached_property
    def trend_points(self) -> list[selectors.ScorePoint]:
        return selectors.published_scores(selectors.published(self.filters, region=self.region))

    @property
    def has_synthetic(self) -> bool:
        return any(r.inspection.synthetic for r in self.latest) or any(p.synthetic for p in self.trend_points)

    def _drill(self, **params: str) -> dict[str, str]:
        return {k: v for k, v in params.items() if v not in (None, "")}

    # Sections ------------------------------------------------------------------------------

    @cached_property
    def ratings(self) -> Section:
        section = Section(id="ratings", title="Ratings")
        by_framework: dict[str, list[selectors.RatedInspection]] = defaultdict(list)
        for r in self.latest:
            by_framework[r.inspection.framework.code].append(r)
        inspected = {r.inspection.pdu_id for r in self.latest}
        for code, rows in sorted(by_framework.items()):
            standards = rows[0].result.standards
            name = "ratings" if len(by_framework) == 1 else f"ratings-{code}"
            table = Table(
                name=name,
                caption=f"Each PDU's latest published ratings ({code})",
                columns=[
                    "PDU",
                    "Inspection",
                    "Fieldwork started",
                    *(f"{s.code} {s.title}" for s in standards),
                    "Score",
                    "Overall rating",
                ],
                numeric_columns=frozenset({len(standards) + 3}),
            )
            for r in rows:
                result = r.result
                table.rows.append(
                    [
                        Cell(value=r.inspection.pdu.name),
                        Cell(value=r.inspection.reference),
                        Cell(
                            value=r.inspection.fieldwork_start.isoformat(), text=f"{r.inspection.fieldwork_start:%B %Y}"
                        ),
                        *(rating_cell(s.rating) for s in result.standards),
                        Cell(
                            value=result.score,
                            text=f"{result.score}/{result.max_score}" if result.score is not None else "No score",
                            numeric=True,
                        ),
                        rating_cell(result.rating),
                    ]
                )
                if result.score is not None:
                    section.summary.append(
                        f"{r.inspection.pdu.name}: {result.score} out of {result.max_score}, "
                        f"{Rating(result.rating).label}."
                    )
            section.tables.append(table)
        not_inspected = [p.name for p in self.pdus if p.id not in inspected]
        if not_inspected:
            section.summary.append(
                "No published inspection in this view for: " + ", ".join(not_inspected) + "."
                if self.latest
                else f"No inspection in {self.region.name} has been published in this view yet. "
                f"Its PDUs: {', '.join(not_inspected)}."
            )
        return section

    @cached_property
    def key_questions(self) -> Section:
        section = Section(id="key-questions", title="Key questions against the thresholds")
        table = Table(
            name="key-questions",
            caption="Key questions of each PDU's latest published inspection",
            columns=[
                "PDU",
                "Inspection",
                "Standard",
                "Key question",
                "Sufficient",
                "Relevant cases",
                "Percentage",
                "Band",
                "More sufficient cases for the next band",
            ],
            numeric_columns=frozenset({4, 5, 6, 8}),
        )
        for r in self.latest:
            result = r.result
            bars: list[Bar] = []
            sentences: list[str] = []
            part_table = Table(
                name="key-questions",
                caption=f"{r.inspection.pdu.name}: key questions",
                columns=["Standard", "Key question", "Sufficient", "Percentage", "Band", "To the next band"],
                numeric_columns=frozenset({2, 3, 5}),
            )
            for standard in result.standards:
                if standard.rated_by != RatedBy.CASE_DATA:
                    continue
                rating = Rating(standard.rating).label if standard.rating else "not rated"
                heading = f"{standard.code} {standard.title}: {rating}"
                for i, kq in enumerate(standard.key_questions):
                    counts = kq.counts
                    pct = counts.percent
                    to_next = kq.next_band.more_sufficient if kq.next_band else None
                    bars.append(
                        Bar(
                            label=kq.code + (" (decides)" if kq.code == standard.deciding_key_question else ""),
                            value=float(pct) if pct is not None else None,
                            text=f"{pct}% ({counts.yes}/{counts.relevant})" if pct is not None else "no relevant cases",
                            heading=heading if i == 0 else "",
                        )
                    )
                    params = self._drill(pdu=r.inspection.pdu.slug, question=kq.code)
                    sufficient = counts_cell(counts.yes, counts.relevant, {**params, "answer": "yes"}, self.drill)
                    band = rating_cell(kq.rating) if kq.rating else Cell(value=None, text="No relevant cases")
                    next_text = (
                        f"{to_next} more for {Rating(kq.next_band.rating).label}" if kq.next_band else "Top band"
                    )
                    part_table.rows.append(
                        [
                            Cell(value=f"{standard.code} {standard.title}"),
                            Cell(value=kq.code),
                            sufficient,
                            percent(pct),
                            band,
                            Cell(value=to_next, text=next_text if counts.relevant else "–", numeric=True),
                        ]
                    )
                    table.rows.append(
                        [
                            Cell(value=r.inspection.pdu.name),
                            Cell(value=r.inspection.reference),
                            Cell(value=standard.code),
                            Cell(value=kq.code),
                            Cell(value=counts.yes, numeric=True),
                            Cell(value=counts.relevant, numeric=True),
                            percent(pct),
                            Cell(value=Rating(kq.rating).label if kq.rating else None),
                            Cell(value=to_next, numeric=True),
                        ]
                    )
                if standard.deciding_key_question:
                    deciding = next(k for k in standard.key_questions if k.code == standard.deciding_key_question)
                    sentence = (
                        f"{standard.code} {standard.title} is {Rating(standard.rating).label}: "
                        f"its lowest key question, {deciding.code}, is {explain.counts_text(deciding.counts)}."
                    )
                    if standard.next_band is not None:
                        sentence += " " + explain.next_band_text(standard.code, standard.next_band)
                    sentences.append(sentence)
            if not bars:
                continue
            chart = BarChart(
                title=f"{r.inspection.pdu.name}: key questions as the percentage of relevant cases judged sufficient",
                summary=" ".join(sentences) + f" Thresholds: {band_words(result)}.",
                bars=bars,
                thresholds=thresholds_of(result),
            )
            score = f"{result.score}/{result.max_score}" if result.score is not None else "no score"
            section.parts.append(
                Section(
                    id=f"key-questions-{r.inspection.pdu.slug}",
                    title=f"{r.inspection.pdu.name} ({r.inspection.reference}, {score})",
                    summary=sentences,
                    tables=[part_table],
                    charts=[chart.svg()],
                )
            )
        section.downloads.append(table)
        return section

    @cached_property
    def findings(self) -> Section:
        section = Section(id="findings", title="Findings in relevant cases")
        counts = self._findings()
        region = selectors.total(counts, region_id=self.region.id)
        national = selectors.total(counts)
        table = Table(
            name="findings",
            caption="Findings the regional letter quotes, per PDU, for the region and nationally",
            columns=["Finding", "Question", "Counted answer", "Scope", "Cases", "Relevant cases", "Percentage"],
            numeric_columns=frozenset({4, 5, 6}),
        )
        bars: list[Bar] = []
        scopes = [
            (r.inspection.pdu.name, r.inspection.pdu.slug, selectors.total(counts, pdu=r.inspection.pdu.slug))
            for r in self.latest
        ]
        scopes += [(f"{self.region.name} (region)", None, region), ("National", None, national)]
        for headline in selectors.HEADLINE_FINDINGS:
            first = True
            for scope_name, pdu_slug, counts_by in scopes:
                found = counts_by.get(headline.question)
                if found is None:
                    continue
                counted = found.yes if headline.answer == "yes" else found.no
                pct = selectors.percent_of(counted, found.relevant)
                drill = self.drill if scope_name != "National" else None
                params = self._drill(pdu=pdu_slug, question=headline.question, answer=headline.answer)
                table.rows.append(
                    [
                        Cell(value=headline.label),
                        Cell(value=headline.question),
                        Cell(value=headline.answer),
                        Cell(value=scope_name),
                        counts_cell(counted, found.relevant, params, drill),
                        Cell(value=found.relevant, numeric=True),
                        percent(pct),
                    ]
                )
                bars.append(
                    Bar(
                        label=scope_name,
                        value=float(pct) if pct is not None else None,
                        text=f"{counted} of {found.relevant}" + (f" ({pct}%)" if pct is not None else ""),
                        heading=f"{headline.label} ({headline.question})" if first else "",
                    )
                )
                first = False
                if pdu_slug is None and scope_name != "National" and found.relevant:
                    section.summary.append(
                        f"{headline.label}: {counted} out of {found.relevant} relevant cases in the region ({pct}%)."
                    )
        section.tables.append(table)
        if bars:
            section.charts.append(
                BarChart(
                    title="Findings in relevant cases, per PDU, for the region and nationally",
                    summary=" ".join(section.summary),
                    bars=bars,
                ).svg()
            )
        return section

    @cached_property
    def trends(self) -> Section:
        section = Section(id="trends", title="Trends across inspections")
        names = {p.id: p.name for p in self.pdus}
        table = Table(
            name="trends",
            caption="Every published inspection of the region's PDUs in this view, oldest first",
            columns=["PDU", "Inspection", "Fieldwork started", "Score", "Out of", "Overall rating", "Synthetic"],
            numeric_columns=frozenset({3, 4}),
        )
        series: dict[int, list[Point]] = defaultdict(list)
        for p in self.trend_points:
            table.rows.append(
                [
                    Cell(value=names.get(p.pdu_id, "")),
                    Cell(value=p.reference),
                    Cell(value=p.fieldwork_start.isoformat(), text=f"{p.fieldwork_start:%B %Y}"),
                    Cell(value=p.score, numeric=True),
                    Cell(value=p.max_score, numeric=True),
                    rating_cell(p.rating),
                    Cell(value="yes" if p.synthetic else "no", text="Synthetic" if p.synthetic else "No"),
                ]
            )
            if p.score is not None:
                series[p.pdu_id].append(
                    Point(x_label=str(p.fieldwork_start.year), value=p.score, text=f"{p.score}/{p.max_score}")
                )
        for pdu_id, points in series.items():
            if len(points) == 1:
                section.summary.append(f"{names.get(pdu_id)}: one published inspection so far ({points[0].text}).")
            else:
                first, last = points[0], points[-1]
                change = "up" if last.value > first.value else "down" if last.value < first.value else "unchanged"
                section.summary.append(
                    f"{names.get(pdu_id)}: {first.text} in {first.x_label}, {last.text} in {last.x_label} ({change})."
                )
        section.tables.append(table)
        if series:
            maximum = max((p.max_score or 0) for p in self.trend_points) or 27
            section.charts.append(
                TrendChart(
                    title="Score of each published inspection, by PDU and year",
                    summary=" ".join(section.summary),
                    series=[Series(label=names.get(pdu_id, ""), points=points) for pdu_id, points in series.items()],
                    maximum=maximum,
                ).svg()
            )
        return section

    @cached_property
    def action_plan(self) -> Section:
        section = Section(id="action-plan", title="Action plan progress")
        responses = selectors.response_counts(self.latest_ids, by="inspection")
        actions = selectors.action_counts(self.latest_ids, self.today, by="inspection")
        table = Table(
            name="action-plan",
            caption="Recommendations by the region's response, and their actions by status",
            columns=[
                "PDU",
                "Inspection",
                "Recommendations",
                "Agreed",
                "Partly agreed",
                "Not agreed",
                "Awaiting a response",
                "Actions not started",
                "Actions in progress",
                "Actions complete",
                "Actions overdue",
            ],
            numeric_columns=frozenset(range(2, 11)),
        )
        totals = defaultdict(int)
        for r in self.latest:
            rc = responses.get(r.inspection.id) or selectors.ResponseCounts(0, 0, 0, 0, 0)
            ac = actions.get(r.inspection.id) or selectors.ActionCounts(0, 0, 0, 0)
            values = [
                rc.recommendations,
                rc.agreed,
                rc.partly_agreed,
                rc.not_agreed,
                rc.awaiting,
                ac.not_started,
                ac.in_progress,
                ac.complete,
                ac.overdue,
            ]
            for i, v in enumerate(values):
                totals[i] += v
            table.rows.append(
                [Cell(value=r.inspection.pdu.name), Cell(value=r.inspection.reference), *(number(v) for v in values)]
            )
        section.tables.append(table)
        open_table = Table(
            name="open-actions",
            caption="Actions not yet complete, overdue first",
            columns=["Inspection", "Recommendation", "Action", "Description", "Owner", "Due", "Status", "RAG"],
        )
        for action in selectors.open_actions(self.latest_ids, self.today):
            overdue = action.due_date < self.today
            recommendation = action.response.recommendation
            open_table.rows.append(
                [
                    Cell(value=recommendation.inspection.reference),
                    Cell(value=recommendation.order, numeric=True),
                    Cell(value=action.number, numeric=True),
                    Cell(value=action.description),
                    Cell(value=action.owner_name),
                    Cell(
                        value=action.due_date.isoformat(),
                        text=f"{action.due_date:%-d %B %Y}" + (" (overdue)" if overdue else ""),
                    ),
                    Cell(value=action.get_status_display()),
                    Cell(value=action.get_rag_display()),
                ]
            )
        section.tables.append(open_table)
        if self.latest:
            recommendations, overdue = totals[0], totals[8]
            actions_total = totals[5] + totals[6] + totals[7]
            section.summary.append(
                f"{recommendations} recommendations: {totals[1]} agreed, {totals[2]} partly agreed, "
                f"{totals[3]} not agreed, {totals[4]} awaiting a response. {actions_total} actions: "
                f"{totals[7]} complete, {totals[6]} in progress, {totals[5]} not started; {overdue} overdue."
            )
            section.charts.append(
                BarChart(
                    title=f"{self.region.name}: actions by status",
                    summary=section.summary[-1],
                    bars=[
                        Bar(label="Complete", value=totals[7], text=str(totals[7])),
                        Bar(label="In progress", value=totals[6], text=str(totals[6])),
                        Bar(label="Not started", value=totals[5], text=str(totals[5])),
                        Bar(label="Overdue (not complete, past the due date)", value=overdue, text=str(overdue)),
                    ],
                    maximum=max(actions_total, 1),
                ).svg()
            )
        return section

    @cached_property
    def disproportionality(self) -> Section:
        section = Section(id="disproportionality", title="Disproportionality")
        groups = self._disproportionality()
        region = selectors.total(groups, region_id=self.region.id)
        national = selectors.total(groups)
        table = Table(
            name="disproportionality",
            caption="Key questions judged sufficient, by protected characteristic",
            columns=[
                "Characteristic",
                "Group",
                "Region: cases",
                "Region: key questions sufficient",
                "National: cases",
                "National: key questions sufficient",
            ],
            numeric_columns=frozenset({2, 3, 4, 5}),
        )
        bars: list[Bar] = []
        for characteristic, name in selectors.CHARACTERISTICS.items():
            first = True
            for value, label in selectors.characteristic_groups(characteristic):
                here = region.get((characteristic, value))
                there = national.get((characteristic, value))
                if here is None and there is None:
                    continue
                row = [Cell(value=name), Cell(value=label)]
                for group, drill in ((here, self.drill), (there, None)):
                    if group is None:
                        row += [number(0), Cell(value=None)]
                    elif group.cases < self.threshold:
                        row += [suppressed(self.threshold), suppressed(self.threshold)]
                    else:
                        params = self._drill(characteristic=characteristic, group=value)
                        row += [
                            number(group.cases, href=drill(params) if drill else None),
                            Cell(
                                value=group.percent,
                                text=f"{group.percent}% ({group.yes} of {group.relevant})",
                                numeric=True,
                            ),
                        ]
                table.rows.append(row)
                if here is not None:
                    shown = here.cases >= self.threshold
                    bars.append(
                        Bar(
                            label=label,
                            value=float(here.percent) if shown and here.percent is not None else None,
                            text=f"{here.percent}% of {here.cases} cases"
                            if shown
                            else f"fewer than {self.threshold} cases",
                            heading=name if first else "",
                        )
                    )
                    first = False
        section.tables.append(table)
        section.summary.append(
            "The share of key-question answers judged sufficient in each group's cases, for the region's latest "
            f"inspections and nationally. A group of fewer than {self.threshold} cases is not shown, so that no "
            "one can be recognised and no percentage rests on too few cases."
        )
        if bars:
            section.charts.append(
                BarChart(
                    title=f"{self.region.name}: key questions judged sufficient, by group",
                    summary=section.summary[0],
                    bars=bars,
                ).svg()
            )
        return section

    @cached_property
    def sections(self) -> list[Section]:
        return [self.ratings, self.key_questions, self.findings, self.trends, self.action_plan, self.disproportionality]

    def table_names(self) -> list[str]:
        return [name for names in TABLES.values() for name in names]

    def table(self, name: str) -> Table | None:
        """The table of that name (the `table=` of a CSV address), computing only its own section."""
        for section_name, table_names in TABLES.items():
            if name in table_names or (section_name == "ratings" and name.startswith("ratings")):
                section = getattr(self, section_name)
                for table in (*section.tables, *section.downloads):
                    if table.name == name:
                        return table
        return None


# Each section's downloadable tables, so a CSV request builds only the section it needs.
TABLES = {
    "ratings": ("ratings",),
    "key_questions": ("key-questions",),
    "findings": ("findings",),
    "trends": ("trends",),
    "action_plan": ("action-plan", "open-actions"),
    "disproportionality": ("disproportionality",),
}
