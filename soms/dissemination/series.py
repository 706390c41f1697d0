"""The open-data time series: the national table's series month by month over the last three
calendar years up to the latest public release, as they are now (disclosure control applied).
Unlike a release it is not frozen: it follows approvals, and says so."""

from __future__ import annotations

import datetime as dt

from soms.dissemination.models import Release
from soms.dissemination.tables import BY_CODE, Cell, Figures
from soms.statistics.engine import Query, compute, is_provisional

YEARS = 3


def series_end() -> dt.date | None:
    latest = Release.objects.public().order_by("-period").first()
    return latest.period if latest else None


def national_series(end: dt.date | None = None) -> Figures:
    end = end or series_end()
    if end is None:
        return Figures(dt.date.today().replace(day=1), {}, True)
    start = dt.date(end.year - YEARS + 1, 1, 1)
    table = BY_CODE["national"]
    cells = {}
    for series in table.series:
        query = Query(series.measure, start, end, series.currency, ("month",), series.flow)
        for row in compute(query, public=True).rows:
            cells[table.code, series.code, row.keys["month"]] = Cell(
                row.value, row.value_prev, row.yoy_pct, row.flag or ""
            )
    return Figures(end, cells, is_provisional(Query("contract_value", start, end)))
