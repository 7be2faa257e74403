"""The national view: the regions compared on the region dashboard's measures."""

from __future__ import annotations

import datetime
import statistics
from collections import Counter, defaultdict
from functools import cached_property

from inspections.choices import RATING_ORDER, Rating
from regions.models import Region

from . import cache, selectors
from .charts import Bar, BarChart, Point, Series, TrendChart
from .filters import Filters
from .region import DrillDown, Section
from .tables import Cell, Table, number, percent, suppressed


class NationalDashboard:
    def __init__(self, *, filters: Filters, threshold: int, drill: DrillDown, today: datetime.date) -> None:
        self.filters = filters
        self.threshold = threshold
        self.drill = drill
        self.today = today

    @cached_property
    def regions(self) -> list[Region]:
        return list(Region.objects.order_by("name"))

    @cached_property
    def latest(self) -> list[selectors.RatedInspection]:
        return selectors.rated(selectors.latest_per_pdu(selectors.published(self.filters)))

    @cached_property
    def version(self) -> str:
        return cache.data_version()

    # Both aggregates are read once for every PDU's latest inspection in the nation and summed
    # per PDU, region or nation here: every dashboard shares the same two cached results.
    def _findings(self):
        ids = self.latest_ids
        return cache.cached(
            "findings", self.version, [ids, self.filters], lambda: selectors.finding_counts(ids, self.filters)
        )

    def _disproportionality(self):
        ids = self.latest_ids
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
    def trend_points(self) -> list[selectors.ScorePoint]:
        return selectors.published_scores(selectors.published(self.filters))

    @property
    def has_synthetic(self) -> bool:
        return any(r.inspection.synthetic for r in self.latest) or any(p.synthetic for p in self.trend_points)

    def _by_region(self) -> dict[int, list[selectors.RatedInspection]]:
        rows = defaultdict(list)
        for r in self.latest:
            rows[r.inspection.pdu.region_id].append(r)
        return rows

    @cached_property
    def ratings(self) -> Section:
        section = Section(id="ratings", title="Ratings by region")
        table = Table(
            name="regions",
            caption="Each region's PDUs by overall rating, from their latest published inspections",
            columns=[
                "Region",
                "PDUs inspected",
                "Mean score",
                *(Rating(r).label for r in RATING_ORDER),
                "Lowest score",
                "Highest score",
            ],
            numeric_columns=frozenset(range(1, 9)),
        )
        bars = []
        by_region = self._by_region()
        for region in self.regions:
            rows = by_region.get(region.id, [])
            scores = [r.result.score for r in rows if r.result.score is not None]
            bands = Counter(r.result.rating for r in rows if r.result.rating)
            mean = round(statistics.fmean(scores), 1) if scores else None
            maximum = max((r.result.max_score for r in rows), default=27)
            table.rows.append(
                [
                    Cell(value=region.name),
                    number(len(rows)),
                    Cell(value=mean, numeric=True),
                    *(number(bands.get(rating, 0)) for rating in RATING_ORDER),
                    Cell(value=min(scores) if scores else None, numeric=True),
                    Cell(value=max(scores) if scores else None, numeric=True),
                ]
            )
            if mean is not None:
                bars.append(Bar(label=region.name, value=mean, text=f"{mean} out of {maximum}"))
                section.summary.append(
                    f"{region.name}: {len(rows)} PDUs, mean score {mean}; "
                    + ", ".join(f"{bands[r]} {Rating(r).label}" for r in RATING_ORDER if bands.get(r))
                    + "."
                )
        section.tables.append(table)
        if bars:
            section.charts.append(
                BarChart(
                    title="Mean score of each region's PDUs (latest published inspections)",
                    summary=" ".join(section.summary),
                    bars=bars,
                    maximum=27,
                ).svg()
            )
        standards = Table(
            name="standards",
            caption="Each standard's ratings across each region's PDUs",
            columns=["Region", "Standard", *(Rating(r).label for r in RATING_ORDER)],
            numeric_columns=frozenset(range(2, 6)),
        )
        for region in self.regions:
            counts: dict[str, Counter] = defaultdict(Counter)
            titles = {}
            for r in by_region.get(region.id, []):
                for s in r.result.standards:
                    titles[s.code] = f"{s.code} {s.title}"
                    if s.rating:
                        counts[s.code][s.rating] += 1
            for code in sorted(titles):
                standards.rows.append(
                    [
                        Cell(value=region.name),
                        Cell(value=titles[code]),
                        *(number(counts[code].get(r, 0)) for r in RATING_ORDER),
                    ]
                )
        section.tables.append(standards)
        return section

    @cached_property
    def findings(self) -> Section:
        section = Section(id="findings", title="Findings in relevant cases, by region")
        counts = self._findings()
        table = Table(
            name="findings",
            caption="Findings the regional letters quote, per region and nationally",
            columns=["Finding", "Question", "Counted answer", "Scope", "Cases", "Relevant cases", "Percentage"],
            numeric_columns=frozenset({4, 5, 6}),
        )
        bars = []
        scopes = [(region.name, selectors.total(counts, region_id=region.id)) for region in self.regions]
        scopes.append(("National", selectors.total(counts)))
        for headline in selectors.HEADLINE_FINDINGS:
            first = True
            for name, counts_by in scopes:
                found = counts_by.get(headline.question)
                if found is None:
                    continue
                counted = found.yes if headline.answer == "yes" else found.no
                pct = selectors.percent_of(counted, found.relevant)
                table.rows.append(
                    [
                        Cell(value=headline.label),
                        Cell(value=headline.question),
                        Cell(value=headline.answer),
                        Cell(value=name),
                        Cell(value=counted, text=f"{counted} out of {found.relevant}", numeric=True),
                        Cell(value=found.relevant, numeric=True),
                        percent(pct),
                    ]
                )
                bars.append(
                    Bar(
                        label=name,
                        value=float(pct) if pct is not None else None,
                        text=f"{counted} of {found.relevant}" + (f" ({pct}%)" if pct is not None else ""),
                        heading=f"{headline.label} ({headline.question})" if first else "",
                    )
                )
                first = False
                if name == "National" and found.relevant:
                    section.summary.append(
                        f"{headline.label}: {counted} out of {found.relevant} relevant cases nationally ({pct}%)."
                    )
        section.tables.append(table)
        if bars:
            section.charts.append(
                BarChart(
                    title="Findings in relevant cases, by region", summary=" ".join(section.summary), bars=bars
                ).svg()
            )
        return section

    @cached_property
    def trends(self) -> Section:
        section = Section(id="trends", title="Trends by region")
        names = {r.id: r.name for r in self.regions}
        scores: dict[tuple[int, int], list[int]] = defaultdict(list)
        maximum = 27
        for p in self.trend_points:
            if p.score is not None:
                scores[(p.region_id, p.fieldwork_start.year)].append(p.score)
                maximum = p.max_score or maximum
        table = Table(
            name="trends",
            caption="Mean score of the PDUs inspected in each region, by year of fieldwork",
            columns=["Region", "Year", "Inspections", "Mean score"],
            numeric_columns=frozenset({1, 2, 3}),
        )
        series: dict[int, list[Point]] = defaultdict(list)
        for (region_id, year), values in sorted(scores.items(), key=lambda kv: (names[kv[0][0]], kv[0][1])):
            mean = round(statistics.fmean(values), 1)
            table.rows.append(
                [Cell(value=names[region_id]), Cell(value=year), number(len(values)), Cell(value=mean, numeric=True)]
            )
            series[region_id].append(Point(x_label=str(year), value=mean, text=str(mean)))
        for region_id, points in series.items():
            section.summary.append(
                f"{names[region_id]}: mean score {points[0].text} in {points[0].x_label}"
                + (f", {points[-1].text} in {points[-1].x_label}." if len(points) > 1 else ".")
            )
        section.tables.append(table)
        if series:
            section.charts.append(
                TrendChart(
                    title="Mean score by region and year",
                    summary=" ".join(section.summary),
                    series=[
                        Series(label=names[r], points=p) for r, p in sorted(series.items(), key=lambda kv: names[kv[0]])
                    ],
                    maximum=maximum,
                ).svg()
            )
        return section

    @cached_property
    def action_plan(self) -> Section:
        section = Section(id="action-plan", title="Action plan progress by region")
        responses = selectors.response_counts(self.latest_ids, by="region")
        actions = selectors.action_counts(self.latest_ids, self.today, by="region")
        table = Table(
            name="action-plan",
            caption="Recommendations by response and actions by status, per region",
            columns=[
                "Region",
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
            numeric_columns=frozenset(range(1, 10)),
        )
        bars = []
        for region in self.regions:
            rc = responses.get(region.id) or selectors.ResponseCounts(0, 0, 0, 0, 0)
            ac = actions.get(region.id) or selectors.ActionCounts(0, 0, 0, 0)
            table.rows.append(
                [
                    Cell(value=region.name),
                    *(
                        number(v)
                        for v in (
                            rc.recommendations,
                            rc.agreed,
                            rc.partly_agreed,
                            rc.not_agreed,
                            rc.awaiting,
                            ac.not_started,
                            ac.in_progress,
                            ac.complete,
                            ac.overdue,
                        )
                    ),
                ]
            )
            if ac.total:
                share = selectors.percent_of(ac.complete, ac.total)
                bars.append(Bar(label=region.name, value=float(share), text=f"{share}% complete; {ac.overdue} overdue"))
        section.tables.append(table)
        if bars:
            section.summary.append("The share of each region's actions that are complete, with those overdue.")
            section.charts.append(
                BarChart(title="Actions complete, by region", summary=section.summary[0], bars=bars).svg()
            )
        return section

    @cached_property
    def disproportionality(self) -> Section:
        section = Section(id="disproportionality", title="Disproportionality, nationally")
        groups = selectors.total(self._disproportionality())
        table = Table(
            name="disproportionality",
            caption="Key questions judged sufficient, by protected characteristic, nationally",
            columns=["Characteristic", "Group", "Cases", "Key questions sufficient"],
            numeric_columns=frozenset({2, 3}),
        )
        bars = []
        for characteristic, name in selectors.CHARACTERISTICS.items():
            first = True
            for value, label in selectors.characteristic_groups(characteristic):
                group = groups.get((characteristic, value))
                if group is None:
                    continue
                shown = group.cases >= self.threshold
                table.rows.append(
                    [
                        Cell(value=name),
                        Cell(value=label),
                        number(group.cases) if shown else suppressed(self.threshold),
                        Cell(
                            value=group.percent,
                            text=f"{group.percent}% ({group.yes} of {group.relevant})",
                            numeric=True,
                        )
                        if shown
                        else suppressed(self.threshold),
                    ]
                )
                bars.append(
                    Bar(
                        label=label,
                        value=float(group.percent) if shown and group.percent is not None else None,
                        text=f"{group.percent}% of {group.cases} cases"
                        if shown
                        else f"fewer than {self.threshold} cases",
                        heading=name if first else "",
                    )
                )
                first = False
        section.tables.append(table)
        section.summary.append(
            "The share of key-question answers judged sufficient in each group's cases, from every PDU's latest "
            f"published inspection. A group of fewer than {self.threshold} cases is not shown."
        )
        if bars:
            section.charts.append(
                BarChart(
                    title="Key questions judged sufficient, by group, nationally", summary=section.summary[0], bars=bars
                ).svg()
            )
        return section

    @cached_property
    def sections(self) -> list[Section]:
        return [self.ratings, self.findings, self.trends, self.action_plan, self.disproportionality]

    def table_names(self) -> list[str]:
        return [name for names in TABLES.values() for name in names]

    def table(self, name: str) -> Table | None:
        for section_name, names in TABLES.items():
            if name in names:
                return next(t for t in getattr(self, section_name).tables if t.name == name)
        return None


TABLES = {
    "ratings": ("regions", "standards"),
    "findings": ("findings",),
    "trends": ("trends",),
    "action_plan": ("action-plan",),
    "disproportionality": ("disproportionality",),
}
