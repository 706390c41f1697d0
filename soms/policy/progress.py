"""A target's yearly figures, its progress, the projection to its deadline and its status.

Nothing here is stored: each evaluation reads the indicator's figures (:mod:`.indicators`) for
the years from the baseline (or a few years before the deadline) to the current year.

- **Progress** is the way from the baseline to the target covered by the latest figure
  ((latest − baseline) / (target − baseline)); without a baseline, the latest figure as a share
  of the target.
- **Projection**: the least-squares line through the latest figures — at most
  :data:`TREND_YEARS` years, all from the same source as the latest (a published national
  figure and the system's own are not one series), leaving out figures of part of a year —
  carried to the deadline. One year of figures gives no projection.
- **Status**: *achieved* when the latest figure meets the target (for a passed deadline: the
  deadline year's figure); *missed* when the deadline has passed without; before the deadline
  *on track* when the projection meets the target at the deadline, else *at risk*. A target
  that sets a direction is on track (achieved, once its deadline has passed) while its
  latest figures move that way. *No data* when the figures needed are missing, never a zero.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from soms.core.errors import ServiceError
from soms.policy.choices import STATUS_COLOURS, Comparison, Direction, Source, Status
from soms.policy.indicators import (
    INDICATORS,
    Confidential,
    Indicator,
    Params,
    Reading,
    Scope,
    read,
    rounded,
)
from soms.policy.models import Target

TREND_YEARS = 5
# Years read before the deadline (or before today) when the target has no baseline year.
LOOK_BACK = 6
TENTH = Decimal("0.1")
# How bad a status is, to combine a target's two indicators (the worse one stands).
SEVERITY = {
    Status.MISSED: 0,
    Status.AT_RISK: 1,
    Status.NO_DATA: 2,
    Status.ON_TRACK: 3,
    Status.ACHIEVED: 4,
}


def figure_text(value: Decimal | None, places: int | None) -> str:
    """A figure with thousands separators, at the indicator's places."""
    if value is None:
        return "—"
    value = rounded(value, places)
    text = f"{value:,f}"
    if places is None and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


@dataclass
class YearFigure:
    year: int
    reading: Reading | None = None
    missing: str = ""
    confidential: bool = False

    @property
    def value(self) -> Decimal | None:
        return self.reading.value if self.reading else None

    @property
    def usable(self) -> bool:
        """Whether the figure counts for the trend and the status: there, and of a whole
        year (a flow of part of a year is shown, not compared)."""
        return self.reading is not None and not self.reading.partial

    @property
    def source(self) -> str:
        return self.reading.source if self.reading else ""

    @property
    def source_label(self) -> str:
        return str(Source(self.reading.source).label) if self.reading else ""

    @property
    def partial_text(self) -> str:
        reading = self.reading
        if reading is None or not reading.partial:
            return ""
        start = reading.partial_from or dt.date(self.year, 1, 1)
        end = reading.partial_to or dt.date(self.year, 12, 1)
        return _("%(start)s to %(end)s only") % {"start": f"{start:%Y-%m}", "end": f"{end:%Y-%m}"}


@dataclass(frozen=True)
class Trend:
    """A least-squares line through (year, figure) points."""

    points: tuple[tuple[int, Decimal], ...]
    slope: Decimal
    mean_year: Decimal
    mean_value: Decimal

    def at(self, year: int) -> Decimal:
        return self.mean_value + self.slope * (Decimal(year) - self.mean_year)

    @property
    def years(self) -> list[int]:
        return [year for year, _value in self.points]


def least_squares(points: list[tuple[int, Decimal]]) -> Trend | None:
    """The ordinary least-squares line; ``None`` for fewer than two years."""
    if len({year for year, _value in points}) < 2:
        return None
    n = Decimal(len(points))
    mean_year = sum((Decimal(year) for year, _value in points), Decimal(0)) / n
    mean_value = sum((value for _year, value in points), Decimal(0)) / n
    sxx = sum(((Decimal(year) - mean_year) ** 2 for year, _value in points), Decimal(0))
    sxy = sum(
        ((Decimal(year) - mean_year) * (value - mean_value) for year, value in points),
        Decimal(0),
    )
    return Trend(tuple(points), sxy / sxx, mean_year, mean_value)


def recent_run(figures: list[YearFigure], until: int | None = None) -> list[YearFigure]:
    """The latest whole-year figures from one source: at most TREND_YEARS, up to ``until``."""
    usable = [f for f in figures if f.usable and (until is None or f.year <= until)]
    run: list[YearFigure] = []
    for figure in reversed(usable):
        if run and figure.source != run[0].source:
            break
        run.insert(0, figure)
        if len(run) == TREND_YEARS:
            break
    return run


def trend_of(run: list[YearFigure]) -> Trend | None:
    return least_squares([(f.year, f.value) for f in run if f.value is not None])


@dataclass
class Progress:
    target: Target
    indicator: Indicator | None
    today: dt.date
    unit: str = ""
    figures: list[YearFigure] = field(default_factory=list)
    baseline: Decimal | None = None
    baseline_note: str = ""
    benchmark: dict[int, Decimal] = field(default_factory=dict)
    trend: Trend | None = None
    status: str = Status.NO_DATA
    reasons: list[str] = field(default_factory=list)
    companion: Progress | None = None
    # The status of this indicator alone (the target's combines it with the companion's).
    own_status: str = Status.NO_DATA

    # --- reading ----------------------------------------------------------------------------

    @property
    def places(self) -> int | None:
        return self.indicator.places if self.indicator else 0

    @property
    def by_year(self) -> dict[int, YearFigure]:
        return {f.year: f for f in self.figures}

    @property
    def latest(self) -> YearFigure | None:
        """The latest figure of all, a part of a year included."""
        shown = [f for f in self.figures if f.reading is not None]
        return shown[-1] if shown else None

    @property
    def latest_usable(self) -> YearFigure | None:
        usable = [f for f in self.figures if f.usable]
        return usable[-1] if usable else None

    @property
    def deadline_passed(self) -> bool:
        return self.target.deadline < self.today.year

    @property
    def is_direction(self) -> bool:
        return bool(self.target.direction)

    def goal_at(self, year: int) -> Decimal | None:
        """The figure the target asks for in ``year``."""
        target = self.target
        if target.benchmark_id:
            return self._benchmark_at(year)
        if target.target_value is None:
            return None
        if target.comparison == Comparison.RATIO:
            return None if self.baseline is None else self.baseline * target.target_value
        return target.target_value

    def _benchmark_at(self, year: int) -> Decimal | None:
        if year in self.benchmark:
            return self.benchmark[year]
        earlier = [y for y in self.benchmark if y < year]
        if not earlier:
            return None
        # Past the benchmark's last figure: its own trend carried on (its latest figure held
        # when it has a single one).
        recent = sorted(earlier)[-TREND_YEARS:]
        line = least_squares([(y, self.benchmark[y]) for y in recent])
        return line.at(year) if line else self.benchmark[max(earlier)]

    @property
    def goal(self) -> Decimal | None:
        """The target at the deadline."""
        return self.goal_at(self.target.deadline)

    def met(self, value: Decimal, goal: Decimal) -> bool:
        if self.target.comparison == Comparison.AT_MOST:
            return value <= goal
        return value >= goal

    @property
    def projected(self) -> Decimal | None:
        """The trend carried to the deadline (none once the deadline has passed)."""
        if self.trend is None or self.deadline_passed:
            return None
        return self.trend.at(self.target.deadline)

    @property
    def percent(self) -> Decimal | None:
        """How much of the way from the baseline to the target the latest figure covers."""
        if self.deadline_passed:
            latest = self.by_year.get(self.target.deadline)
            latest = latest if latest is not None and latest.usable else None
        else:
            latest = self.latest_usable
        if self.is_direction or latest is None or latest.value is None:
            return None
        goal = self.goal_at(latest.year)
        if goal is None:
            return None
        if self.baseline is not None and goal != self.baseline:
            share = (latest.value - self.baseline) / (goal - self.baseline)
        elif self.target.comparison != Comparison.AT_MOST and goal > 0:
            share = latest.value / goal
        else:
            return None
        return (share * 100).quantize(TENTH, rounding=ROUND_HALF_UP)

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)

    @property
    def status_colour(self) -> str:
        return STATUS_COLOURS[Status(self.status)]

    def text(self, value: Decimal | None) -> str:
        return figure_text(value, self.places)

    @property
    def aim_text(self) -> str:
        """What the target asks for, in words."""
        target = self.target
        if target.direction:
            return str(Direction(target.direction).label)
        if target.benchmark is not None:
            return _("the benchmark (%(name)s)") % {"name": target.benchmark.name}
        if target.target_value is None:
            return ""
        if target.comparison == Comparison.RATIO:
            return _("%(multiple)s times the figure of %(year)s") % {
                "multiple": figure_text(target.target_value, None),
                "year": target.baseline_year,
            }
        value = figure_text(target.target_value, None)
        if target.comparison == Comparison.AT_MOST:
            return _("at most %(value)s") % {"value": value}
        return _("at least %(value)s") % {"value": value}

    @property
    def baseline_text(self) -> str:
        return self.text(self.baseline)

    @property
    def goal_text(self) -> str:
        return self.text(self.goal)

    @property
    def projected_text(self) -> str:
        return self.text(self.projected)

    @property
    def threshold_text(self) -> str:
        return figure_text(self.target.threshold, None)

    @property
    def latest_text(self) -> str:
        latest = self.latest
        return self.text(latest.value) if latest else "—"

    # --- what the page shows ------------------------------------------------------------------

    @property
    def axis(self) -> list[int]:
        """The chart's years: from the first figure (or the baseline) to the deadline or the
        last figure, whichever is later."""
        starts = [f.year for f in self.figures if f.reading is not None]
        if self.baseline is not None and self.target.baseline_year is not None:
            starts.append(self.target.baseline_year)
        first = min(starts or [self.target.deadline])
        with_figures = starts
        last = max([*with_figures, self.target.deadline])
        return list(range(first, last + 1))

    def rows(self) -> list[dict[str, Any]]:
        """The table under the chart: one row per year with a figure; runs of years without
        one, for the same reason, in one row."""
        rows: list[dict[str, Any]] = []
        projection = self.projection_line()
        for figure in self.figures:
            goal = self.goal_at(figure.year)
            if figure.reading is None:
                last = rows[-1] if rows else None
                if last and last["missing"] == figure.missing and last["last"] == figure.year - 1:
                    last["last"] = figure.year
                    continue
                rows.append(
                    {
                        "first": figure.year,
                        "last": figure.year,
                        "figure": figure,
                        "missing": figure.missing,
                        "goal": self.text(goal) if goal is not None else "",
                        "projection": "",
                    }
                )
                continue
            rows.append(
                {
                    "first": figure.year,
                    "last": figure.year,
                    "figure": figure,
                    "missing": "",
                    "value": self.text(figure.value),
                    "goal": self.text(goal) if goal is not None else "",
                    "projection": self.text(projection.get(figure.year)),
                }
            )
        for year in range(
            (self.figures[-1].year if self.figures else 0) + 1, self.target.deadline + 1
        ):
            if year in projection:
                goal = self.goal_at(year)
                rows.append(
                    {
                        "first": year,
                        "last": year,
                        "figure": None,
                        "missing": "",
                        "goal": self.text(goal) if goal is not None else "",
                        "projection": self.text(projection[year]),
                    }
                )
        return rows

    def projection_line(self) -> dict[int, Decimal]:
        """The trend over its years and on to the deadline (before the deadline only)."""
        if self.trend is None or self.deadline_passed:
            return {}
        first = self.trend.years[0]
        return {year: self.trend.at(year) for year in range(first, self.target.deadline + 1)}

    def chart(self) -> dict[str, Any]:
        years = self.axis
        places = self.places if self.places is not None else 4

        def plain(value: Decimal | None) -> str | None:
            return None if value is None else f"{rounded(value, places).normalize():f}"

        series: list[dict[str, Any]] = []
        by_year = self.by_year
        for source in Source:
            values = [
                plain(by_year[y].value)
                if y in by_year and by_year[y].source == source and by_year[y].usable
                else None
                for y in years
            ]
            if any(v is not None for v in values):
                series.append({"name": str(source.label), "kind": source.value, "values": values})
        partial = [
            plain(by_year[y].value)
            if y in by_year and by_year[y].reading and not by_year[y].usable
            else None
            for y in years
        ]
        if any(v is not None for v in partial):
            series.append({"name": _("part of a year"), "kind": "partial", "values": partial})
        goals = [plain(self.goal_at(y)) for y in years]
        if any(v is not None for v in goals):
            name = _("benchmark") if self.target.benchmark_id else _("target")
            series.append({"name": name, "kind": "target", "values": goals})
        projection = self.projection_line()
        if projection:
            series.append(
                {
                    "name": _("trend and projection"),
                    "kind": "projection",
                    "values": [plain(projection.get(y)) for y in years],
                }
            )
        return {"years": [str(y) for y in years], "unit": self.unit, "series": series}


# --- evaluation --------------------------------------------------------------------------------


def _years(target: Target, today: dt.date) -> list[int]:
    starts = [y for y in (target.baseline_year, target.accumulate_from) if y is not None]
    starts.append(min(target.deadline, today.year) - LOOK_BACK)
    return list(range(min(starts), today.year + 1))


def _figures(
    indicator: Indicator, scope: Scope, params: Params, years: list[int]
) -> list[YearFigure]:
    figures = []
    for year in years:
        try:
            reading = read(indicator, scope, year, params)
        except Confidential:
            figures.append(
                YearFigure(
                    year,
                    missing=_("Confidential: fewer than 3 enterprises, or one dominates."),
                    confidential=True,
                )
            )
            continue
        except ServiceError as refused:
            figures.append(YearFigure(year, missing=refused.text))
            continue
        figures.append(YearFigure(year, reading, "" if reading else str(indicator.missing)))
    return figures


def _accumulated(figures: list[YearFigure], start: int) -> list[YearFigure]:
    """Each year's figure the total since ``start``; none once a year on the way has none."""
    totals: list[YearFigure] = []
    total = Decimal(0)
    gaps: list[int] = []
    partial_from: dt.date | None = None
    for figure in figures:
        if figure.year < start:
            continue
        reading = figure.reading
        if reading is None:
            gaps.append(figure.year)
        else:
            total += reading.value
            partial_from = partial_from or reading.partial_from
        if gaps:
            totals.append(
                YearFigure(
                    figure.year,
                    missing=_(
                        "No figure for %(years)s: the total since %(start)s cannot be added up."
                    )
                    % {"years": _span(gaps), "start": start},
                    confidential=figure.confidential,
                )
            )
            continue
        assert reading is not None  # no gap so far, so this year has its figure
        totals.append(
            YearFigure(
                figure.year,
                Reading(
                    figure.year,
                    total,
                    reading.source,
                    reading.partial_to,
                    partial_from,
                    _("total since %(start)s") % {"start": start},
                    reading.url,
                ),
            )
        )
    return totals


def _span(years: list[int]) -> str:
    return str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"


def _baseline(progress: Progress) -> None:
    target = progress.target
    if target.baseline_value is not None:
        progress.baseline = target.baseline_value
        progress.baseline_note = target.baseline_source or _("entered with the target")
        return
    if target.baseline_year is None:
        return
    figure = progress.by_year.get(target.baseline_year)
    if figure is not None and figure.usable:
        progress.baseline = figure.value
        progress.baseline_note = figure.source_label
    else:
        progress.baseline_note = _("no figure for %(year)s") % {"year": target.baseline_year}


def _judge_value(progress: Progress) -> tuple[str, list[str]]:
    """The status of a target with a target value (or a benchmark)."""
    target = progress.target
    text = progress.text
    if target.comparison == Comparison.RATIO and progress.baseline is None:
        return Status.NO_DATA, [
            _("There is no figure for the baseline year %(year)s, so the target cannot be set.")
            % {"year": target.baseline_year}
        ]
    if progress.deadline_passed:
        figure = progress.by_year.get(target.deadline)
        goal = progress.goal_at(target.deadline)
        if figure is None or not figure.usable or figure.value is None:
            why = figure.partial_text or figure.missing if figure else ""
            return Status.NO_DATA, [
                _("There is no figure for the deadline year %(year)s.") % {"year": target.deadline}
                + (f" {why}" if why else "")
            ]
        if goal is None:
            return Status.NO_DATA, [_("There is no benchmark figure to compare with.")]
        reached = progress.met(figure.value, goal)
        return (Status.ACHIEVED if reached else Status.MISSED), [
            _("%(value)s in %(year)s against a target of %(goal)s.")
            % {"value": text(figure.value), "year": target.deadline, "goal": text(goal)}
        ]
    latest = progress.latest_usable
    if latest is None or latest.value is None:
        return Status.NO_DATA, [_("There is no figure of a whole year yet.")]
    goal = progress.goal_at(latest.year)
    if goal is None:
        return Status.NO_DATA, [_("There is no benchmark figure to compare with.")]
    if progress.met(latest.value, goal):
        return Status.ACHIEVED, [
            _("%(value)s in %(year)s already meets the target of %(goal)s.")
            % {"value": text(latest.value), "year": latest.year, "goal": text(goal)}
        ]
    projected, goal_then = progress.projected, progress.goal
    if projected is None or goal_then is None:
        return Status.AT_RISK, [
            _(
                "Only one year of figures (%(year)s) from one source: there is no trend to "
                "project yet, and the target is not met."
            )
            % {"year": latest.year}
        ]
    on_track = progress.met(projected, goal_then)
    return (Status.ON_TRACK if on_track else Status.AT_RISK), [
        _("The trend of %(years)s reaches %(projected)s in %(deadline)s against %(goal)s.")
        % {
            "years": _span(progress.trend.years if progress.trend else []),
            "projected": text(projected),
            "deadline": target.deadline,
            "goal": text(goal_then),
        }
    ]


def _judge_direction(progress: Progress, direction: str) -> tuple[str, list[str]]:
    passed = progress.deadline_passed
    run = recent_run(progress.figures, progress.target.deadline if passed else None)
    trend = trend_of(run)
    if trend is None:
        return Status.NO_DATA, [
            _(
                "Telling a direction needs whole-year figures of at least two years from one "
                "source; there are %(count)s."
            )
            % {"count": len(run)}
        ]
    good = trend.slope > 0 if direction == Direction.RISE else trend.slope < 0
    if passed:
        status = Status.ACHIEVED if good else Status.MISSED
    else:
        status = Status.ON_TRACK if good else Status.AT_RISK
    moved = _("rose") if trend.slope > 0 else _("fell") if trend.slope < 0 else _("stayed level")
    return status, [
        _("The figures of %(years)s %(moved)s (trend %(slope)s a year).")
        % {"years": _span(trend.years), "moved": moved, "slope": progress.text(trend.slope)}
    ]


def _evaluate(
    target: Target,
    indicator_code: str,
    scope: Scope,
    direction: str,
) -> Progress:
    progress = Progress(target, INDICATORS.get(indicator_code), scope.today)
    indicator = progress.indicator
    if indicator is None:
        progress.reasons = [_("Unknown indicator “%(code)s”.") % {"code": indicator_code}]
        return progress
    params = Params(target.series, target.threshold)
    progress.unit = indicator.unit_label(params)
    figures = _figures(indicator, scope, params, _years(target, scope.today))
    if target.accumulate_from is not None:
        figures = _accumulated(figures, target.accumulate_from)
    progress.figures = figures
    if target.benchmark is not None:
        progress.benchmark = {y: v.value for y, v in target.benchmark.by_year().items()}
    _baseline(progress)
    if not direction:
        progress.trend = trend_of(recent_run(figures))
        status, reasons = _judge_value(progress)
    else:
        until = target.deadline if progress.deadline_passed else None
        progress.trend = trend_of(recent_run(figures, until))
        status, reasons = _judge_direction(progress, direction)
    progress.status = progress.own_status = status
    progress.reasons = reasons
    return progress


def evaluate(target: Target, *, public: bool = False, today: dt.date | None = None) -> Progress:
    """The target's figures, progress, projection and status as of ``today``; with
    ``public``, money figures under disclosure control as the public gets them."""
    scope = Scope(
        target.scope_level,
        target.division_id,
        public,
        today or timezone.localdate(),
    )
    progress = _evaluate(target, target.indicator, scope, target.direction)
    if target.companion_indicator:
        companion = _evaluate(target, target.companion_indicator, scope, target.direction)
        progress.companion = companion
        if SEVERITY[Status(companion.status)] < SEVERITY[Status(progress.status)]:
            progress.status = companion.status
    return progress
