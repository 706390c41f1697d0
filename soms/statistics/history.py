"""The long history: the system's own annual contract and execution values beside the national
figures the ministry published before SOMS existed (reference external series), in 100 million
US dollars.

The published figures are national, so they are shown only to callers whose figures are national
(the public and the ministry); anyone else sees their own annual figures alone. The system's
figures come from :func:`~soms.statistics.engine.compute` like every other figure, one query per
year and measure, so the public gets them disclosure-controlled and a missing dollar rate is
reported, not fatal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from soms.core.errors import ServiceError
from soms.reference.choices import ExternalUnit
from soms.reference.loaders import PUBLISHED_PREFIX
from soms.reference.models import ExternalObservation
from soms.statistics.access import Access, is_national
from soms.statistics.engine import Query, compute
from soms.statistics.labels import measure_label

MEASURES = ("execution_value", "contract_value")
# The system looks for its own figures from the start of the 2006 programme on; the published
# series start in 2008.
SYSTEM_START = dt.date(2006, 1, 1)
PUBLISHED_START = 2008
HUNDRED_MILLION = Decimal(100_000_000)
CENT = Decimal("0.01")


@dataclass
class YearFigure:
    """The system's figure for a year in 100 million US dollars (``to``: the last month
    counted when the year is not over)."""

    year: int
    value: Decimal | None
    flag: str | None = None
    to: str = ""

    @property
    def text(self) -> str:
        if self.flag:
            return "C"
        return "" if self.value is None else f"{self.value:,.2f}"


@dataclass
class PublishedFigure:
    year: int
    measure: str
    observation: ExternalObservation

    @property
    def measure_name(self) -> str:
        return measure_label(self.measure)

    @property
    def value_text(self) -> str:
        value = self.observation.value
        text = f"{value:,f}"
        return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass
class LongHistory:
    national: bool
    system: dict[str, dict[int, YearFigure]] = field(default_factory=dict)
    published: list[PublishedFigure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def years(self) -> list[int]:
        found = {year for figures in self.system.values() for year in figures}
        found |= {
            f.year for f in self.published if f.observation.series.unit == ExternalUnit.USD_100M
        }
        return list(range(min(found), max(found) + 1)) if found else []

    @property
    def system_years(self) -> list[tuple[int, YearFigure | None, YearFigure | None]]:
        years = sorted({year for figures in self.system.values() for year in figures})
        return [
            (
                year,
                self.system.get("execution_value", {}).get(year),
                self.system.get("contract_value", {}).get(year),
            )
            for year in years
        ]

    def chart(self) -> dict[str, Any]:
        years = self.years
        series: list[dict[str, Any]] = []
        for measure in MEASURES:
            published = {
                f.year: str(f.observation.value)
                for f in self.published
                if f.measure == measure and f.observation.series.unit == ExternalUnit.USD_100M
            }
            if published:
                series.append(
                    {
                        "name": _("%(measure)s, published national figure")
                        % {"measure": measure_label(measure)},
                        "kind": "published",
                        "values": [published.get(year) for year in years],
                    }
                )
        for measure in MEASURES:
            own = self.system.get(measure, {})
            if own:
                series.append(
                    {
                        "name": _("%(measure)s, SOMS") % {"measure": measure_label(measure)},
                        "kind": "system",
                        "values": [
                            None
                            if year not in own or own[year].flag or own[year].value is None
                            else str(own[year].value)
                            for year in years
                        ],
                    }
                )
        return {
            "years": [str(year) for year in years],
            "series": series,
            "unit": _("100 million US dollars"),
        }


def _published() -> list[PublishedFigure]:
    """The national annual contract and execution values, in every unit they were given."""
    figures = []
    for observation in (
        ExternalObservation.objects.filter(
            series__code__startswith=PUBLISHED_PREFIX,
            series__scope="all",
            series__measure__in=MEASURES,
            period_start__year__gte=PUBLISHED_START,
        )
        .select_related("series")
        .order_by("period_start", "series__measure", "series__unit")
    ):
        year = observation.period_start.year
        if (observation.period_start, observation.period_end) == (
            dt.date(year, 1, 1),
            dt.date(year, 12, 31),
        ):
            figures.append(PublishedFigure(year, observation.series.measure, observation))
    return figures


def _refused(history: LongHistory, refused: ServiceError) -> None:
    if refused.text not in history.errors:
        history.errors.append(refused.text)


def long_history(access: Access, today: dt.date | None = None) -> LongHistory:
    current = (today or timezone.localdate()).replace(day=1)
    history = LongHistory(national=is_national(access))
    for measure in MEASURES:
        # Which years have figures at all: in yuan, which needs no rate.
        try:
            months = compute(
                Query(measure, SYSTEM_START, current, "CNY", ("month",)),
                access.scope,
                public=access.public,
            )
        except ServiceError as refused:
            _refused(history, refused)
            continue
        figures: dict[int, YearFigure] = {}
        for year in sorted({int(row.keys["month"][:4]) for row in months.rows}):
            end = dt.date(year, 12, 1) if year < current.year else current
            query = Query(measure, dt.date(year, 1, 1), end, "USD")
            try:
                result = compute(query, access.scope, public=access.public)
            except ServiceError as refused:
                _refused(history, refused)
                continue
            row = result.rows[0] if result.rows else None
            to = f"{end:%Y-%m}" if end.month < 12 else ""
            if row is None or row.value is None:
                figures[year] = YearFigure(year, None, row.flag if row else None, to)
                continue
            value = (row.value / HUNDRED_MILLION).quantize(CENT, rounding=ROUND_HALF_UP)
            figures[year] = YearFigure(year, value, None, to)
        history.system[measure] = figures
    if history.national:
        history.published = _published()
    return history
