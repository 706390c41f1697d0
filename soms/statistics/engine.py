"""The counting rules of statistics-rules.md, over facts (money measures) and over the registry
and workforce records (enterprise measures).

A query names a measure, a currency, a range of months, the dimensions to break it down by, a
flow and filters; the answer has one row per combination of dimension values with ``value``,
``value_prev`` (the same range a year earlier), ``yoy_pct`` and ``flag``, and says whether the
figures are provisional. Scoping (whose data) and disclosure control (for the public) are
applied here, so every output — the API, ``soms stats``, pages — gets the same figures.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from soms.core.errors import ServiceError
from soms.filing.calendar import next_month
from soms.filing.models import WorkforceReport
from soms.reference.choices import DesignationKind, RegionKind
from soms.reference.models import CityDesignation, Region
from soms.registry.models import Enterprise
from soms.review.choices import Level, SignOffStatus
from soms.review.models import SignOff
from soms.statistics import factsql, rollups, versions
from soms.statistics.models import Fact

MONEY_MEASURES = {
    # measure: (fact kinds, direction, what is summed)
    "contract_value": (("contract", "amendment"), "inbound", "value"),
    "contract_count": (("contract",), "inbound", "contracts"),
    "execution_value": (("execution",), "inbound", "value"),
    "outbound_contract_value": (("contract", "amendment"), "outbound", "value"),
    "outbound_execution_value": (("execution",), "outbound", "value"),
}
ENTERPRISE_MEASURES = (
    "enterprises_registered",
    "enterprises_active",
    "employees",
    "employees_college",
    "new_hires",
    "new_hires_college",
)
MEASURES = (*MONEY_MEASURES, *ENTERPRISE_MEASURES)
ENTERPRISE_DIMENSIONS = (
    "province",
    "city",
    "district",
    "nbs_region",
    "demonstration_city",
    "ownership",
    "month",
)
RECORD_DIMENSIONS = ("category_l1", "category", "flow", "counterpart_country", "counterpart_group")
DIMENSIONS = (*ENTERPRISE_DIMENSIONS, *RECORD_DIMENSIONS)
CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def _refuse(message: Any, code: str, field: str, **params: Any) -> ServiceError:
    return ServiceError(message, code=code, field=field, params=params)


def parse_month(text: str, field: str) -> dt.date:
    try:
        year, month = (int(part) for part in str(text).split("-"))
        return dt.date(year, month, 1)
    except (ValueError, TypeError):
        raise _refuse(
            _("“%(value)s” is not a month (YYYY-MM)."), "invalid_month", field, value=text
        ) from None


def shift_month(label: str, years: int) -> str:
    """ "2024-03" one year on is "2025-03"."""
    year, _sep, month = label.partition("-")
    try:
        return f"{int(year) + years:04d}-{month}"
    except ValueError:
        return label


@dataclass
class Query:
    measure: str
    start: dt.date
    end: dt.date
    currency: str = "CNY"
    by: tuple[str, ...] = ()
    flow: str | None = None
    where: dict[str, set[str]] = field(default_factory=dict)

    def check(self) -> None:
        if self.measure not in MEASURES:
            raise _refuse(
                _("“%(value)s” is not a measure (%(allowed)s)."),
                "unknown_measure",
                "measure",
                value=self.measure,
                allowed=", ".join(MEASURES),
            )
        if self.currency not in ("CNY", "USD"):
            raise _refuse(_("The currency is CNY or USD."), "invalid_currency", "currency")
        if self.end < self.start:
            raise _refuse(_("The range ends before it starts."), "date_order", "to")
        if self.flow not in (None, "offshore", "onshore"):
            raise _refuse(_("The flow is offshore or onshore."), "invalid_flow", "flow")
        allowed = DIMENSIONS if self.measure in MONEY_MEASURES else ENTERPRISE_DIMENSIONS
        for dim in (*self.by, *self.where):
            if dim not in DIMENSIONS:
                raise _refuse(
                    _("“%(value)s” is not a dimension (%(allowed)s)."),
                    "unknown_dimension",
                    "by",
                    value=dim,
                    allowed=", ".join(DIMENSIONS),
                )
            if dim not in allowed:
                raise _refuse(
                    _("%(measure)s cannot be broken down by %(dimension)s."),
                    "dimension_not_applicable",
                    "by",
                    measure=self.measure,
                    dimension=dim,
                )
        if self.flow and self.measure not in MONEY_MEASURES:
            raise _refuse(
                _("%(measure)s cannot be broken down by %(dimension)s."),
                "dimension_not_applicable",
                "flow",
                measure=self.measure,
                dimension="flow",
            )

    def previous(self) -> Query:
        """The same range one year earlier (a filter on months moves with it)."""
        where = dict(self.where)
        if "month" in where:
            where["month"] = {shift_month(m, -1) for m in where["month"]}
        return Query(
            self.measure,
            self.start.replace(year=self.start.year - 1),
            self.end.replace(year=self.end.year - 1),
            self.currency,
            self.by,
            self.flow,
            where,
        )

    @property
    def months(self) -> list[dt.date]:
        months, month = [], self.start
        while month <= self.end:
            months.append(month)
            month = next_month(month)
        return months


@dataclass
class Cell:
    """One row's figure with what disclosure control needs: each enterprise's part, or (summed
    in the database) how many enterprises contribute, the parts' total size and the largest."""

    total: Decimal = Decimal(0)
    parts: dict[int, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    contribution: tuple[int, Decimal, Decimal] | None = None

    def add(self, enterprise: int, value: Decimal) -> None:
        self.total += value
        self.parts[enterprise] += value

    def contributors(self) -> tuple[int, Decimal, Decimal]:
        """(enterprises with a part other than zero, sum of |part|, largest |part|)."""
        if self.contribution is not None:
            return self.contribution
        sizes = [abs(v) for v in self.parts.values() if v != 0]
        return len(sizes), sum(sizes, Decimal(0)), max(sizes, default=Decimal(0))


@dataclass
class Row:
    keys: dict[str, str]
    value: Decimal | None
    value_prev: Decimal | None
    yoy_pct: Decimal | None
    flag: str | None = None


@dataclass
class Result:
    query: Query
    rows: list[Row]
    provisional: bool


class Dimensions:
    """Maps enterprises to their dimension values (enterprise measures); read once per query."""

    def __init__(self, enterprise_ids: Iterable[int]) -> None:
        ids = set(enterprise_ids)
        self.enterprises = (
            {
                e["pk"]: e
                for e in Enterprise.objects.filter(pk__in=ids).values(
                    "pk",
                    "division_id",
                    "division__city_code",
                    "division__province_code",
                    "ownership",
                )
            }
            if ids
            else {}
        )

    # Reference tables, read when a query needs them.
    @cached_property
    def nbs(self) -> dict[str, str]:
        return {
            code: region
            for region, code in Region.objects.filter(kind=RegionKind.NBS).values_list(
                "code", "members__code"
            )
        }

    @cached_property
    def demonstration(self) -> dict[str, list[tuple[dt.date, dt.date | None]]]:
        """Each demonstration city's designations: (designated on, exited on or None)."""
        spans: dict[str, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
        for city, day, end in CityDesignation.objects.filter(
            kind=DesignationKind.DEMONSTRATION
        ).values_list("division_id", "designated_on", "revoked_on"):
            spans[city].append((day, end))
        return dict(spans)

    def is_demonstration(self, city: str, month: dt.date) -> bool:
        """Designated on or before the month's first day, and not exited by then."""
        return any(
            start <= month and (end is None or month < end)
            for start, end in self.demonstration.get(city, ())
        )

    def enterprise_values(self, enterprise: int, month: dt.date) -> dict[str, str]:
        e = self.enterprises[enterprise]
        city = e["division__city_code"]
        return {
            "province": e["division__province_code"],
            "city": city,
            "district": e["division_id"],
            "nbs_region": self.nbs.get(e["division__province_code"], ""),
            # A city counts as a demonstration city for the months of its designation.
            "demonstration_city": "yes" if self.is_demonstration(city, month) else "no",
            "ownership": e["ownership"],
            "month": f"{month:%Y-%m}",
        }


def _cells(query: Query, scope: Q, public: bool = False) -> dict[tuple[str, ...], Cell]:
    if query.measure in MONEY_MEASURES:
        area = None if public else rollups.area_of(scope)
        if area is not None:
            needed = {*query.by, *query.where, *(("flow",) if query.flow else ())}
            grain = rollups.plan(needed, area[0])
            # The group rollup has a row for each group a record's counterpart is in: filtered
            # on several groups without a row per group, a record in two would count twice.
            several_groups = (
                len(query.where.get("counterpart_group", ())) > 1
                and "counterpart_group" not in query.by
            )
            if grain is not None and not several_groups:
                return _rollup_cells(query, grain, area, needed)
        return _money_cells(query, scope)
    return _enterprise_cells(query, scope)


def _summed_column(query: Query) -> str:
    """The fact or rollup column a money measure sums."""
    if MONEY_MEASURES[query.measure][2] == "contracts":
        return "contracts"
    return "value_usd" if query.currency == "USD" else "value_cny"


def _refuse_missing_usd(months: Iterable[str]) -> None:
    missing = sorted(set(months))
    if missing:
        raise _refuse(
            _(
                "There is no dollar rate for %(months)s: figures in USD cannot be "
                "computed for these months."
            ),
            "no_rate",
            "currency",
            months=", ".join(missing),
        )


def _rollup_cells(
    query: Query, grain: rollups.Grain, area: tuple[str | None, str], needed: set[str]
) -> dict[tuple[str, ...], Cell]:
    """Officials' figures from the smallest rollup that answers the query: the same cells as
    over the facts, without each enterprise's part (which only disclosure control needs)."""
    kinds, direction, summed = MONEY_MEASURES[query.measure]
    family = "execution" if kinds == ("execution",) else "contract"
    column = _summed_column(query)
    if column == "value_usd":
        whole = rollups.plan({"flow"}, area[0]) or grain
        _refuse_missing_usd(
            rollups.missing_usd_months(
                whole, family, direction, query.start, query.end, query.flow, area
            )
        )
    summed_cells = rollups.read(
        grain,
        family=family,
        direction=direction,
        start=query.start,
        end=query.end,
        column=column,
        by=query.by,
        where=query.where,
        flow=query.flow,
        area=area,
        count_rows=summed == "contracts",
    )
    # Officials' figures: no disclosure control, so no enterprise's part is needed.
    return {key: Cell(total) for key, total in summed_cells.items()}


def _money_cells(query: Query, scope: Q) -> dict[tuple[str, ...], Cell]:
    kinds, direction, _summed = MONEY_MEASURES[query.measure]
    column = _summed_column(query)
    if column == "value_usd":
        _refuse_missing_usd(
            factsql.months_without_dollars(
                kinds, direction, query.start, query.end, query.flow, scope
            )
        )
    summed_cells = factsql.cells(
        kinds=kinds,
        direction=direction,
        start=query.start,
        end=query.end,
        column=column,
        by=query.by,
        where=query.where,
        flow=query.flow,
        scope=scope,
    )
    return {
        key: Cell(s.total, contribution=(s.contributors, s.size, s.largest))
        for key, s in summed_cells.items()
    }


def month_end(month: dt.date) -> dt.date:
    return next_month(month) - dt.timedelta(days=1)


def _enterprise_cells(query: Query, scope: Q) -> dict[tuple[str, ...], Cell]:
    cells: dict[tuple[str, ...], Cell] = defaultdict(Cell)
    # Stocks (registered, employees) are read at each month's end when broken down by month,
    # else at the range's end; flows (active, new hires) over each month or the whole range.
    periods = [(m, m) for m in query.months] if "month" in query.by else [(query.start, query.end)]
    in_scope = Enterprise.objects.filter(scope)
    for start, end in periods:
        registered = in_scope.registered_on(month_end(end))
        contributions: dict[int, Decimal] = {}  # read at the period's end
        dated: dict[tuple[int, dt.date], Decimal] = {}  # dated by a month within the period
        if query.measure == "enterprises_registered":
            contributions = {pk: Decimal(1) for pk in registered.values_list("pk", flat=True)}
        elif query.measure == "enterprises_active":
            active = (
                Fact.objects.filter(
                    kind__in=("contract", "execution"),
                    month__gte=start,
                    month__lte=end,
                    enterprise__in=registered,
                )
                .values_list("enterprise_id", flat=True)
                .distinct()
            )
            contributions = {pk: Decimal(1) for pk in active}
        elif query.measure in ("employees", "employees_college"):
            # Each enterprise's latest approved report dated at or before the period's end.
            latest: dict[int, int] = {}
            for pk, value in (
                WorkforceReport.objects.counting()
                .filter(enterprise__in=registered, month__lte=end)
                .order_by("enterprise_id", "month")
                .values_list("enterprise_id", query.measure)
            ):
                latest[pk] = value
            contributions = {pk: Decimal(v) for pk, v in latest.items()}
        else:
            # New hires are dated by the report's month, which also places the enterprise in
            # or out of a demonstration city (designated on a date): one part per month.
            for pk, month, v in (
                WorkforceReport.objects.counting()
                .filter(enterprise__in=in_scope, month__gte=start, month__lte=end)
                .values("enterprise_id", "month")
                .annotate(v=Sum(query.measure))
                .order_by()
                .values_list("enterprise_id", "month", "v")
            ):
                dated[(pk, month)] = Decimal(v)
        parts = dated or {(pk, end): value for pk, value in contributions.items()}
        dims = Dimensions(pk for pk, _month in parts)
        for (pk, month), value in parts.items():
            values = dims.enterprise_values(pk, month)
            values["month"] = f"{end:%Y-%m}"
            if all(values[dim] in allowed for dim, allowed in query.where.items()):
                cells[tuple(values[dim] for dim in query.by)].add(pk, value)
    return cells


def _round(value: Decimal, measure: str) -> Decimal:
    if measure in MONEY_MEASURES and MONEY_MEASURES[measure][2] == "value":
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    return value.quantize(Decimal(1))


def yoy(value: Decimal | None, previous: Decimal | None) -> Decimal | None:
    """(v − v_prev) / v_prev × 100, half-up to one decimal; empty when v_prev is 0 or absent."""
    if value is None or not previous:
        return None
    return ((value - previous) / previous * 100).quantize(TENTH, rounding=ROUND_HALF_UP)


def is_provisional(query: Query) -> bool:
    """Final once every month of the range is signed off at the top (the nation)."""
    signed = SignOff.objects.filter(
        level=Level.NATION,
        status=SignOffStatus.SIGNED,
        period__gte=query.start,
        period__lte=query.end,
    ).count()
    return signed < len(query.months)


def compute(query: Query, scope: Q | None = None, public: bool = False) -> Result:
    """The figures of ``query`` over the enterprises ``scope`` selects (all by default); with
    ``public``, disclosure control as an anonymous visitor gets it (money figures reused while
    the data is unchanged, see :mod:`soms.statistics.versions`)."""
    query.check()
    scope = scope if scope is not None else Q()
    if public and query.measure in MONEY_MEASURES:
        rows = versions.reuse(repr((query, scope)), lambda: _rows(query, scope, public))
    else:
        rows = _rows(query, scope, public)
    # Whether the months are final is asked each time: a sign-off changes it, not the figures.
    return Result(query, rows, is_provisional(query))


def _rows(query: Query, scope: Q, public: bool) -> list[Row]:
    from soms.statistics.disclosure import suppress

    current = _cells(query, scope, public)
    try:
        previous = _cells(query.previous(), scope, public)
    except ServiceError as refused:
        if refused.code != "no_rate":
            raise
        # Last year's months without a dollar rate leave the comparison empty (no value_prev,
        # no growth); they do not stop this year's figures.
        previous = {}
    if "month" in query.by:
        # A month's row compares with the same month a year earlier.
        at = query.by.index("month")
        previous = {
            (*key[:at], shift_month(key[at], 1), *key[at + 1 :]): cell
            for key, cell in previous.items()
        }
    keys = sorted(set(current) | set(previous))
    hidden = suppress(current) if public else set()
    hidden_prev = suppress(previous) if public else set()
    rows = []
    for key in keys:
        if key not in current:
            continue  # a row exists for what the range has; last year's alone is not a row
        value = _round(current[key].total, query.measure)
        prev = _round(previous[key].total, query.measure) if key in previous else None
        row = Row(dict(zip(query.by, key, strict=True)), value, prev, yoy(value, prev))
        if key in hidden:
            row.value = row.value_prev = row.yoy_pct = None
            row.flag = "C"
        elif key in hidden_prev:
            row.value_prev = row.yoy_pct = None
        rows.append(row)
    return rows
