"""The standard tables of a monthly release, declared once.

A table breaks its series down by one dimension (its rows) and has a total row (key ""); a
series is a measure in a currency, over the release's year to date (January to the month) or
over the month alone. Every output of a release — its pages, the Excel tables, the CSV, SDMX and
the bulletin — is drawn from these cells, and the frozen figures of a published release are
these cells as they were at publication. Nothing here counts: the figures come from
:func:`soms.statistics.engine.compute`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from soms.statistics.engine import MONEY_MEASURES, Query, compute, is_provisional
from soms.statistics.names import names_for

HUNDRED_MILLION = Decimal(100_000_000)
TEN_THOUSAND = Decimal(10_000)
CENT = Decimal("0.01")
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Series:
    code: str
    measure: str
    label: Promise
    currency: str = "CNY"
    flow: str | None = None

    @property
    def money(self) -> bool:
        return self.measure in MONEY_MEASURES and MONEY_MEASURES[self.measure][2] == "value"

    @property
    def unit(self) -> Promise:
        """The unit a table shows this series in."""
        if self.money:
            return _("100 million yuan") if self.currency == "CNY" else _("100 million US dollars")
        if self.measure.startswith("employees") or self.measure.startswith("new_hires"):
            return pgettext_lazy("unit", "persons")
        if self.measure == "contract_count":
            return pgettext_lazy("unit", "contracts")
        return pgettext_lazy("unit", "enterprises")

    def shown(self, value: Decimal | None) -> Decimal | None:
        """The value in the table's unit: money in 100 millions, half-up to two decimals,
        computed from the unrounded-to-unit figure (statistics-rules.md)."""
        if value is None:
            return None
        if self.money:
            return (value / HUNDRED_MILLION).quantize(CENT, rounding=ROUND_HALF_UP)
        return value


@dataclass(frozen=True)
class Table:
    code: str
    title: Promise
    dimension: str
    series: tuple[Series, ...]
    # "key" keeps the dimension's order (months, province codes); "value" puts the largest
    # first by the first series, as the ministry's tables of markets and categories do.
    order: str = "key"
    span: str = "ytd"  # the range: the year to date, whatever the rows
    where: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def query(self, series: Series, month: dt.date, by: tuple[str, ...]) -> Query:
        return Query(
            series.measure,
            month.replace(month=1),
            month,
            series.currency,
            by,
            series.flow,
            {dim: set(values) for dim, values in self.where.items()},
        )


def _s(code: str, measure: str, label: Promise, currency: str = "CNY", flow: str | None = None):
    return Series(code, measure, label, currency, flow)


CONTRACT_CNY = _s("contract_value_cny", "contract_value", _("Contract value"))
EXECUTION_CNY = _s("execution_value_cny", "execution_value", _("Execution value"))
CONTRACT_USD = _s("contract_value_usd", "contract_value", _("Contract value"), "USD")
EXECUTION_USD = _s("execution_value_usd", "execution_value", _("Execution value"), "USD")
OFFSHORE_CONTRACT_USD = _s(
    "offshore_contract_value_usd", "contract_value", _("Offshore contract value"), "USD", "offshore"
)
OFFSHORE_EXECUTION_USD = _s(
    "offshore_execution_value_usd",
    "execution_value",
    _("Offshore execution value"),
    "USD",
    "offshore",
)
OFFSHORE_EXECUTION_CNY = _s(
    "offshore_execution_value_cny",
    "execution_value",
    _("Offshore execution value"),
    "CNY",
    "offshore",
)

TABLES: tuple[Table, ...] = (
    Table(
        "national",
        _("National, by month"),
        "month",
        (
            CONTRACT_CNY,
            EXECUTION_CNY,
            CONTRACT_USD,
            EXECUTION_USD,
            OFFSHORE_CONTRACT_USD,
            OFFSHORE_EXECUTION_USD,
            OFFSHORE_EXECUTION_CNY,
        ),
    ),
    Table(
        "province",
        _("By province"),
        "province",
        (CONTRACT_CNY, EXECUTION_CNY, OFFSHORE_EXECUTION_USD),
    ),
    Table("region", _("By region"), "nbs_region", (EXECUTION_CNY, OFFSHORE_EXECUTION_USD)),
    Table(
        "category_l1",
        _("By type of service (ITO, BPO, KPO)"),
        "category_l1",
        (OFFSHORE_CONTRACT_USD, OFFSHORE_EXECUTION_USD, EXECUTION_CNY),
    ),
    Table(
        "category",
        _("By category of service"),
        "category",
        (OFFSHORE_EXECUTION_USD, EXECUTION_CNY),
        order="value",
    ),
    Table(
        "market_group",
        _("By market: groups of countries"),
        "counterpart_group",
        (OFFSHORE_CONTRACT_USD, OFFSHORE_EXECUTION_USD),
        order="value",
    ),
    Table(
        "market_country",
        _("By market: countries and territories"),
        "counterpart_country",
        (OFFSHORE_CONTRACT_USD, OFFSHORE_EXECUTION_USD),
        order="value",
    ),
    Table(
        "demonstration",
        _("Demonstration cities and other cities"),
        "demonstration_city",
        (CONTRACT_CNY, EXECUTION_CNY, OFFSHORE_EXECUTION_USD),
    ),
    Table(
        "demonstration_city",
        _("By demonstration city"),
        "city",
        (EXECUTION_CNY, OFFSHORE_EXECUTION_USD),
        order="value",
        where={"demonstration_city": frozenset({"yes"})},
    ),
    Table(
        "enterprises",
        _("Enterprises and employment, by province"),
        "province",
        (
            _s("enterprises_registered", "enterprises_registered", _("Registered enterprises")),
            _s("enterprises_active", "enterprises_active", _("Active enterprises")),
            _s("employees", "employees", _("Employees")),
            _s("employees_college", "employees_college", _("Employees with a college degree")),
            _s("new_hires", "new_hires", _("New hires")),
            _s("new_hires_college", "new_hires_college", _("New graduate hires")),
        ),
    ),
)
BY_CODE = {table.code: table for table in TABLES}


@dataclass(frozen=True)
class Cell:
    value: Decimal | None
    value_prev: Decimal | None = None
    yoy_pct: Decimal | None = None
    flag: str = ""


Key = tuple[str, str, str]  # (table, series, row key); row key "" is the total


@dataclass
class Figures:
    """A release's cells, current or frozen."""

    month: dt.date
    cells: dict[Key, Cell]
    provisional: bool

    def get(self, table: str, series: str, key: str = "") -> Cell | None:
        return self.cells.get((table, series, key))

    def keys(self, table: str) -> list[str]:
        return sorted({k for t, _s, k in self.cells if t == table and k})


def compute_figures(month: dt.date, scope: Q | None = None, public: bool = True) -> Figures:
    """Every table's cells for ``month`` (its year to date) as they are now: public ones with
    disclosure control (what a release publishes), or exact ones over ``scope`` (an official's
    current data). A missing exchange rate refuses the whole (ServiceError ``no_rate``)."""
    cells: dict[Key, Cell] = {}
    for table in TABLES:
        for series in table.series:
            for by in ((table.dimension,), ()):
                result = compute(table.query(series, month, by), scope, public=public)
                for row in result.rows:
                    key = row.keys.get(table.dimension, "") if by else ""
                    cells[table.code, series.code, key] = Cell(
                        row.value, row.value_prev, row.yoy_pct, row.flag or ""
                    )
    if public:
        _hide_across_tables(cells)
    whole = Query("contract_value", month.replace(month=1), month)
    return Figures(month, cells, is_provisional(whole))


HIDDEN = Cell(None, None, None, "C")


def _hide_across_tables(cells: dict[Key, Cell]) -> None:
    """Disclosure control across tables. The demonstration-city table's total is the figure
    of the "demonstration cities" row of the demonstration table: hidden in one, it must be
    hidden in the other, and with it the "other cities" row, which the national total minus
    the demonstration cities would otherwise give away. (Every other total is the same query
    in every table, so it is published or hidden alike.)"""
    for series in BY_CODE["demonstration_city"].series:
        same = [("demonstration", series.code, "yes"), ("demonstration_city", series.code, "")]
        if not all(key in cells for key in same):
            continue
        if any(cells[key].flag for key in same):
            for key in same:
                cells[key] = HIDDEN
            other = ("demonstration", series.code, "no")
            if other in cells:
                cells[other] = HIDDEN


@dataclass
class Line:
    key: str
    name: str
    cells: list[Cell | None]


@dataclass(frozen=True)
class Shown:
    """A cell as a page prints it: the value in the table's unit, the growth, the flag."""

    text: str
    yoy: str
    flag: str


def show(series: Series, cell: Cell | None) -> Shown:
    if cell is None:
        return Shown("", "", "")
    if cell.flag:
        return Shown("", "", cell.flag)
    value = series.shown(cell.value)
    text = "" if value is None else (f"{value:,.2f}" if series.money else f"{value:,}")
    return Shown(text, "" if cell.yoy_pct is None else f"{cell.yoy_pct}", "")


@dataclass
class Sheet:
    """A table laid out for people: named rows in order, the total last."""

    table: Table
    lines: list[Line]
    total: Line

    @property
    def series(self) -> tuple[Series, ...]:
        return self.table.series

    def shown(self) -> list[tuple[Line, list[Shown]]]:
        """Each line (the total last) with its cells as printed."""
        return [
            (line, [show(s, c) for s, c in zip(self.series, line.cells, strict=True)])
            for line in [*self.lines, self.total]
        ]


def _names(dimension: str, codes: Iterable[str]) -> dict[str, str]:
    codes = set(codes)
    if dimension == "month":
        return {code: code for code in codes}
    return names_for(dimension, codes)


def sheets(figures: Figures, tables: Iterable[Table] = TABLES) -> list[Sheet]:
    out = []
    for table in tables:
        keys = figures.keys(table.code)
        names = _names(table.dimension, keys)

        def line(key: str, table: Table = table, names: dict[str, str] = names) -> Line:
            return Line(
                key,
                names.get(key, key) if key else str(_("Total")),
                [figures.get(table.code, s.code, key) for s in table.series],
            )

        lines = [line(key) for key in keys]
        if table.order == "value":
            lines.sort(key=lambda ln: (_rank(ln.cells[0]), ln.key))
        out.append(Sheet(table, lines, line("")))
    return out


def _rank(cell: Cell | None) -> tuple[int, Decimal]:
    """Largest first; suppressed and empty cells after the figures that can be ranked."""
    if cell is None or cell.value is None:
        return (1, Decimal(0))
    return (0, -cell.value)


def as_rows(figures: Figures) -> list[dict[str, Any]]:
    """The cells as flat records (the release's CSV and API): one per table, series and row."""
    rows = []
    for sheet in sheets(figures):
        for line in [*sheet.lines, sheet.total]:
            for series, cell in zip(sheet.series, line.cells, strict=True):
                if cell is None:
                    continue
                rows.append(
                    {
                        "table": sheet.table.code,
                        "series": series.code,
                        "measure": series.measure,
                        "currency": series.currency if series.money else "",
                        "flow": series.flow or "",
                        "dimension": sheet.table.dimension if line.key else "",
                        "key": line.key,
                        "name": line.name,
                        "value": cell.value,
                        "value_prev": cell.value_prev,
                        "yoy_pct": cell.yoy_pct,
                        "flag": cell.flag,
                    }
                )
    return rows
