"""The published national figures that the demo dataset imitates.

A demo whose enterprises all have five employees, or whose offshore share is 90 %, teaches the
people trying SOMS the wrong orders of magnitude. So the demo reads its ratios from
``published-national-figures.csv`` (the figures MOFCOM and Xinhua published) instead of
inventing them; later parts of the demo (contracts, executions, workforce) read the same
:func:`calibration` so that they stay consistent with each other and with the publications.
"""

from __future__ import annotations

import csv
import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from soms.reference.loaders import reference_path
from soms.registry.choices import Size

FIGURES_FILE = "published-national-figures.csv"

# Only whole years and year-ends: the cumulative "2013-01..2013-09" rows are not comparable.
_ANNUAL = re.compile(r"^(\d{4})(?:-12)?$")
_UNIT_FACTORS = {"count": 1.0, "persons_10k": 10_000.0, "CNY_100M": 1e8, "USD_100M": 1e8}

# The figures give the mean headcount, not its spread. Enterprise sizes are strongly skewed
# (a few thousand-person delivery centres, many small studios); a log-normal with this shape
# puts roughly half of the enterprises below 100 employees and one in six at 300 or more. The
# shape is an assumption of the demo, not a published figure.
HEADCOUNT_SIGMA = 1.25

# Employee thresholds of the SME classification for software and IT services
# (工信部联企业〔2011〕300号): large from 300, medium from 100, small from 10.
SIZE_THRESHOLDS = ((300, Size.LARGE), (100, Size.MEDIUM), (10, Size.SMALL))


@dataclass(frozen=True)
class Calibration:
    """Ratios of the latest national figures, each with the year it comes from."""

    employees_per_enterprise: float
    employees_year: int
    college_share: float
    college_year: int
    offshore_share: float
    offshore_year: int
    # Offshore execution value by ITO, BPO and KPO, as shares summing to 1.
    category_shares: Mapping[str, float]
    category_year: int
    # Execution value (yuan) per employee and year: what an enterprise's contracts amount to.
    execution_per_employee: float
    execution_year: int

    def draw_employees(self, rng: random.Random) -> int:
        """A headcount whose mean over many enterprises is the national mean."""
        mu = math.log(self.employees_per_enterprise) - HEADCOUNT_SIGMA**2 / 2
        return max(3, round(rng.lognormvariate(mu, HEADCOUNT_SIGMA)))


def size_of(employees: int) -> str:
    """The registry's size class for a headcount (the employee criterion only)."""
    for threshold, size in SIZE_THRESHOLDS:
        if employees >= threshold:
            return str(size)
    return str(Size.MICRO)


def _read_annual(path: Path) -> dict[tuple[int, str, str, str], float]:
    """Annual values keyed by (year, scope, measure, unit), in units (persons, yuan, dollars)."""
    values: dict[tuple[int, str, str, str], float] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            match = _ANNUAL.match(row["period"].strip())
            unit = row["unit"].strip()
            if match is None or unit not in _UNIT_FACTORS or not row["value"].strip():
                continue
            key = (int(match.group(1)), row["scope"].strip(), row["measure"].strip(), unit)
            values[key] = float(row["value"]) * _UNIT_FACTORS[unit]
    return values


def _latest(
    values: dict[tuple[int, str, str, str], float], *keys: tuple[str, str, str]
) -> tuple[int, list[float]]:
    """The latest year in which every (scope, measure, unit) of ``keys`` is published."""
    years = sorted({year for year, *_rest in values}, reverse=True)
    for year in years:
        found = [values.get((year, *key)) for key in keys]
        if all(value is not None for value in found):
            return year, [value for value in found if value is not None]
    raise ValueError(f"{FIGURES_FILE} has no year with all of {keys}")


@cache
def calibration() -> Calibration:
    """Read the ratios from the published figures (once per process)."""
    values = _read_annual(reference_path(FIGURES_FILE))
    employees_year, (employees, enterprises) = _latest(
        values, ("all", "employees", "persons_10k"), ("all", "enterprises", "count")
    )
    college_year, (college, all_employees) = _latest(
        values, ("all", "employees_college", "persons_10k"), ("all", "employees", "persons_10k")
    )
    offshore_year, (offshore, total) = _latest(
        values, ("offshore", "execution_value", "CNY_100M"), ("all", "execution_value", "CNY_100M")
    )
    categories = ("ITO", "BPO", "KPO")
    category_year, by_category = _latest(
        values, *((f"offshore:{c}", "execution_value", "CNY_100M") for c in categories)
    )
    category_total = sum(by_category)
    execution_year, (execution, execution_employees) = _latest(
        values, ("all", "execution_value", "CNY_100M"), ("all", "employees", "persons_10k")
    )
    return Calibration(
        employees_per_enterprise=employees / enterprises,
        employees_year=employees_year,
        college_share=college / all_employees,
        college_year=college_year,
        offshore_share=offshore / total,
        offshore_year=offshore_year,
        category_shares={
            c: v / category_total for c, v in zip(categories, by_category, strict=True)
        },
        category_year=category_year,
        execution_per_employee=execution / execution_employees,
        execution_year=execution_year,
    )
