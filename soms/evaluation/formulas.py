"""The indicators an evaluation can compute from the system's data: a small declared set, each
answered by the statistics engine for the round's year (January to December), by city, over the
approved records (exact figures: the results show scores, not these values, to the public).

A city with no record in the year has 0 for a sum (it reported nothing); a ratio without its
denominator (no employee, nothing the year before) has no value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from soms.statistics.engine import Query, Result, compute

Values = dict[str, Decimal | None]


@dataclass(frozen=True)
class Formula:
    code: str
    label: str | Promise
    unit: str | Promise
    compute: Callable[[int, list[str]], Values]


def _result(measure: str, year: int, cities: list[str], **options: object) -> Result:
    query = Query(
        measure,
        dt.date(year, 1, 1),
        dt.date(year, 12, 1),
        by=("city",),
        where={"city": set(cities)},
        **options,  # type: ignore[arg-type]
    )
    return compute(query)


def _sums(measure: str, **options: object) -> Callable[[int, list[str]], Values]:
    def values(year: int, cities: list[str]) -> Values:
        found = {
            row.keys["city"]: row.value for row in _result(measure, year, cities, **options).rows
        }
        return {city: _not_negative(found.get(city, Decimal(0))) for city in cities}

    return values


def _not_negative(value: Decimal | None) -> Decimal | None:
    return value if value is not None and value >= 0 else None


def _growth(year: int, cities: list[str]) -> Values:
    """This year's offshore execution (USD) as a percentage of last year's (发展速度, 上年=100)."""
    rows = {
        row.keys["city"]: row
        for row in _result("execution_value", year, cities, currency="USD", flow="offshore").rows
    }
    out: Values = {}
    for city in cities:
        row = rows.get(city)
        if row is None or row.value is None or not row.value_prev or row.value_prev < 0:
            out[city] = None
        else:
            out[city] = _not_negative(row.value / row.value_prev * 100)
    return out


def _college_share(year: int, cities: list[str]) -> Values:
    """College-educated employees as a percentage of employees, at the year's end."""
    employees = _sums("employees")(year, cities)
    college = _sums("employees_college")(year, cities)
    out: Values = {}
    for city in cities:
        total, part = employees[city], college[city]
        out[city] = part / total * 100 if total and part is not None else None
    return out


FORMULAS: dict[str, Formula] = {
    f.code: f
    for f in (
        Formula(
            "offshore_execution_usd",
            _("Offshore execution value (USD)"),
            _("US dollars"),
            _sums("execution_value", currency="USD", flow="offshore"),
        ),
        Formula(
            "execution_cny",
            _("Execution value (CNY)"),
            _("yuan"),
            _sums("execution_value", currency="CNY"),
        ),
        Formula(
            "offshore_execution_growth",
            _("Offshore execution value against the year before (previous year = 100)"),
            _("per cent"),
            _growth,
        ),
        Formula("employees", _("Employees at the year's end"), _("persons"), _sums("employees")),
        Formula(
            "college_share",
            _("College-educated share of employees at the year's end"),
            _("per cent"),
            _college_share,
        ),
        Formula(
            "enterprises",
            _("Enterprises registered at the year's end"),
            _("enterprises"),
            _sums("enterprises_registered"),
        ),
        Formula(
            "new_hires_college",
            _("College graduates newly hired in the year"),
            _("persons"),
            _sums("new_hires_college"),
        ),
    )
}


def formula_choices() -> list[tuple[str, str]]:
    return [(code, str(f.label)) for code, f in FORMULAS.items()]


def compute_formula(code: str, year: int, cities: Iterable[str]) -> Values:
    """The formula's value for each city (codes of statistics cities) over ``year``."""
    return FORMULAS[code].compute(year, sorted(set(cities)))
