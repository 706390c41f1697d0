"""The statistics dashboard: a month's headline figures, the trend, the breakdowns, the
province map and the long history, over the data the user may see (``access_for``): officials
get exact figures for their jurisdiction, the public disclosure-controlled national figures
(flag ``C``). The public page shows the public figures to everyone, officials included.

Every figure comes from :func:`soms.statistics.engine.compute`, so the page agrees with the API
and ``soms stats``. Charts are drawn from the JSON of ``json_script``; each has a table under
it that carries the same figures without JavaScript.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _

from soms.core.errors import ServiceError
from soms.review.forms import parse_month
from soms.statistics.access import PUBLIC, Access, access_for, scope_name
from soms.statistics.engine import Query, Result, Row, compute
from soms.statistics.history import long_history
from soms.statistics.labels import disclosure_rule
from soms.statistics.names import names_for
from soms.statistics.tiles import COLUMNS, ROWS, TILES

TENTH = Decimal("0.1")
TREND_MONTHS = 24
TOP_COUNTRIES = 10
GROUPS = ("EU27", "ASEAN", "RCEP", "HMT", "BRI")


def previous_month(today: dt.date | None = None) -> dt.date:
    first = (today or timezone.localdate()).replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def months_back(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 - count
    return dt.date(index // 12, index % 12 + 1, 1)


def share(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    """part / whole × 100, half-up to one decimal; empty when the whole is 0 or unknown."""
    if part is None or not whole:
        return None
    return (part / whole * 100).quantize(TENTH, rounding=ROUND_HALF_UP)


def money_text(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


@dataclass
class Figure:
    """One figure as shown: ``flag`` "C" when disclosure control hides it."""

    value: Decimal | None
    yoy_pct: Decimal | None = None
    flag: str | None = None
    code: str = ""
    name: str = ""

    @property
    def text(self) -> str:
        return money_text(self.value)

    @property
    def raw(self) -> str:
        return "" if self.value is None else str(self.value)

    @classmethod
    def of(cls, row: Row | None, code: str = "", name: str = "") -> Figure:
        if row is None:  # nothing was filed: zero, which discloses no enterprise's figure
            return cls(Decimal("0.00"), code=code, name=name)
        return cls(row.value, row.yoy_pct, row.flag, code, name)

    def chart_value(self) -> str | None:
        return None if self.flag else self.raw


@dataclass
class Share:
    value: Decimal | None
    flag: str | None = None


class Dashboard:
    """Runs the dashboard's queries for one user, month and currency, collecting refusals
    (a missing dollar rate) instead of failing the page."""

    def __init__(self, access: Access, month: dt.date, currency: str) -> None:
        self.access = access
        self.month = month
        self.currency = currency
        self.errors: list[str] = []
        self.provisional = False

    def run(
        self,
        measure: str,
        start: dt.date,
        by: tuple[str, ...] = (),
        flow: str | None = None,
    ) -> Result | None:
        query = Query(measure, start, self.month, self.currency, by, flow)
        try:
            result = compute(query, self.access.scope, public=self.access.public)
        except ServiceError as refused:
            if refused.text not in self.errors:
                self.errors.append(refused.text)
            return None
        self.provisional = self.provisional or result.provisional
        return result

    def total(self, measure: str, start: dt.date, flow: str | None = None) -> Figure | None:
        result = self.run(measure, start, flow=flow)
        if result is None:
            return None
        return Figure.of(result.rows[0] if result.rows else None)

    def breakdown(self, dimension: str, start: dt.date, flow: str | None = None) -> list[Figure]:
        result = self.run("execution_value", start, (dimension,), flow)
        if result is None:
            return []
        codes = {row.keys[dimension] for row in result.rows}
        names = names_for(dimension, codes)
        return [
            Figure.of(row, row.keys[dimension], names.get(row.keys[dimension], row.keys[dimension]))
            for row in result.rows
        ]


def headline(board: Dashboard, start: dt.date) -> dict[str, Any]:
    contract = board.total("contract_value", start)
    execution = board.total("execution_value", start)
    offshore = board.total("execution_value", start, flow="offshore")
    offshore_share: Share | None = None
    if execution is not None and offshore is not None:
        if execution.flag or offshore.flag:
            offshore_share = Share(None, "C")
        else:
            offshore_share = Share(share(offshore.value, execution.value))
    return {
        "contract": contract,
        "execution": execution,
        "offshore": offshore,
        "offshore_share": offshore_share,
        "cards_list": [
            ("contract", _("Contract value"), contract),
            ("execution", _("Execution value"), execution),
        ],
    }


def by_value(figures: list[Figure]) -> list[Figure]:
    """Largest first; hidden cells (C) after the figures that can be ranked."""
    return sorted(figures, key=lambda f: (f.flag is not None, -(f.value or 0), f.code))


def trend(board: Dashboard) -> list[Figure]:
    start = months_back(board.month, TREND_MONTHS - 1)
    result = board.run("execution_value", start, ("month",))
    if result is None:
        return []
    rows = {row.keys["month"]: row for row in result.rows}
    figures = []
    for n in range(TREND_MONTHS - 1, -1, -1):
        label = f"{months_back(board.month, n):%Y-%m}"
        figures.append(Figure.of(rows.get(label), label, label))
    return figures


def tile_map(figures: list[Figure]) -> list[dict[str, Any]]:
    """The 31 tiles with their figure and a colour scaled to the largest visible value."""
    found = {f.code: f for f in figures}
    largest = max((f.value for f in figures if f.value and not f.flag), default=Decimal(0))
    tiles = []
    for tile in TILES:
        figure = found.get(tile.code) or Figure(Decimal("0.00"), code=tile.code)
        if figure.flag:
            background, light_text = "#adb5bd", False
        else:
            level = float(figure.value / largest) if largest and figure.value else 0.0
            alpha = 0.08 + 0.92 * max(level, 0.0)
            background, light_text = f"rgba(13, 110, 253, {alpha:.2f})", alpha > 0.55
        tiles.append(
            {
                "tile": tile,
                "figure": figure,
                "background": background,
                "light_text": light_text,
                # CSS grid lines start at 1.
                "grid_row": tile.row + 1,
                "grid_col": tile.col + 1,
            }
        )
    return tiles


def _chart(figures: list[Figure]) -> dict[str, list[Any]]:
    return {
        "labels": [f.name for f in figures],
        "values": [f.chart_value() for f in figures],
    }


def _province_chart(figures: list[Figure]) -> dict[str, list[Any]]:
    return {
        "codes": [f.code for f in figures],
        "labels": [f.name for f in figures],
        "values": [f.chart_value() for f in figures],
    }


def dashboard_context(request: HttpRequest, access: Access) -> dict[str, Any]:
    """Everything the dashboard shows for ``access``: the page for the caller and the public
    page (always :data:`~soms.statistics.access.PUBLIC`) share it."""
    month = parse_month(request.GET.get("month")) or previous_month()
    currency = "USD" if (request.GET.get("currency") or "").upper() == "USD" else "CNY"
    ytd_start = month.replace(month=1)
    board = Dashboard(access, month, currency)

    month_cards = headline(board, month)
    ytd_cards = headline(board, ytd_start)
    monthly = trend(board)
    composition = board.breakdown("category_l1", ytd_start)
    composition.sort(key=lambda f: f.code)
    countries = by_value(board.breakdown("counterpart_country", ytd_start, "offshore"))
    countries = countries[:TOP_COUNTRIES]
    found_groups = {f.code: f for f in board.breakdown("counterpart_group", ytd_start, "offshore")}
    group_names = names_for("counterpart_group", set(GROUPS))
    groups = [
        found_groups.get(code) or Figure(Decimal("0.00"), code=code)
        for code in GROUPS
        if code in group_names
    ]
    for figure in groups:
        figure.name = group_names.get(figure.code, figure.code)
    regions = by_value(board.breakdown("nbs_region", ytd_start))
    demonstration = board.breakdown("demonstration_city", ytd_start)
    demonstration.sort(key=lambda f: f.code != "yes")
    provinces = by_value(board.breakdown("province", ytd_start))
    history = long_history(access)

    chart = {
        "currency": currency,
        "labels": {
            "execution": str(_("execution value")),
            "confidential": str(_("confidential")),
        },
        "trend": _chart(monthly),
        "composition": _chart(composition),
        "countries": _chart(countries),
        "groups": _chart(groups),
        "provinces": _province_chart(provinces),
        "history": history.chart(),
    }
    following = months_back(month, -1)
    return {
        "month": month,
        "month_text": f"{month:%Y-%m}",
        "previous_month": f"{months_back(month, 1):%Y-%m}",
        "next_month": f"{following:%Y-%m}" if following <= timezone.localdate() else "",
        "ytd_text": f"{ytd_start:%Y-%m} – {month:%Y-%m}",
        "ytd_start_text": f"{ytd_start:%Y-%m}",
        "ytd_months": month.month,
        "currency": currency,
        "public": access.public,
        "scope_name": scope_name(request.user, access),
        "errors": board.errors,
        "provisional": board.provisional,
        "month_cards": month_cards,
        "ytd_cards": ytd_cards,
        "trend": monthly,
        "composition": composition,
        "countries": countries,
        "groups": groups,
        "regions": regions,
        "demonstration": demonstration,
        "provinces": provinces,
        "province_geojson": bool(settings.SOMS_PROVINCE_GEOJSON),
        "tiles": tile_map(provinces),
        "tile_rows": ROWS,
        "tile_columns": COLUMNS,
        "history": history,
        "chart": chart,
    }


def dashboard(request: HttpRequest) -> HttpResponse:
    """The figures the caller may see: exact for a jurisdiction, public for anyone else."""
    context = dashboard_context(request, access_for(request.user))
    return render(request, "statistics/dashboard.html", context)


def public_dashboard(request: HttpRequest) -> HttpResponse:
    """The public, disclosure-controlled national figures, whoever asks: what an official's
    figures look like once published."""
    context = dashboard_context(request, PUBLIC)
    context["public_page"] = True
    context["disclosure_rule"] = disclosure_rule()
    return render(request, "statistics/dashboard.html", context)


def province_geojson(request: HttpRequest) -> FileResponse:
    """The deployer's approved province boundaries (``SOMS_PROVINCE_GEOJSON``) for the map;
    none is shipped, so without the setting there is nothing here and the page draws tiles."""
    path = settings.SOMS_PROVINCE_GEOJSON
    if not path:
        raise Http404("SOMS_PROVINCE_GEOJSON is not set")
    try:
        handle = Path(path).open("rb")  # noqa: SIM115 (FileResponse closes it)
    except OSError:
        raise Http404("SOMS_PROVINCE_GEOJSON cannot be read") from None
    response = FileResponse(handle, content_type="application/geo+json")
    patch_cache_control(response, public=True, max_age=3600)
    return response
