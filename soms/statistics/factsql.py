"""Cells summed from the facts in the database, with what disclosure control needs of each cell:
how many enterprises contribute, the sum of their parts' sizes and the largest part.

This path serves what no rollup answers: public queries (each enterprise's part decides whether
a cell is published), enterprises' own figures, breakdowns by ownership, arbitrary scopes. Every
dimension is mapped by a join, so a national year at 1 million facts is one GROUP BY in the
database and a few hundred rows to Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.db import connection
from django.db.models import Q

from soms.reference.models import CountryGroupMembership, Division
from soms.registry.models import Enterprise
from soms.statistics.models import Fact
from soms.statistics.rollups import (
    MEMBER_ON_DAY,
    decimal_reader,
    parse_first_day,
    reference_joins,
)

EXPRESSIONS = {
    "month": "f.month",
    "province": "d.province_code",
    "city": "d.city_code",
    "district": "e.division_id",
    "nbs_region": "COALESCE(n.region_id, '')",
    # A city counts as a demonstration city for the months of its designation (joined).
    "demonstration_city": "CASE WHEN dc.division_id IS NULL THEN 'no' ELSE 'yes' END",
    "ownership": "e.ownership",
    "category": "f.category_code",
    "category_l1": "f.category_l1",
    "flow": "CASE WHEN f.counterpart_country = 'CN' THEN 'onshore' ELSE 'offshore' END",
    "counterpart_country": "f.counterpart_country",
    "counterpart_group": "m.group_id",
}


@dataclass
class Summed:
    total: Decimal
    contributors: int
    size: Decimal  # the sum of the parts' absolute values
    largest: Decimal  # the largest part's absolute value


def _in(values: list[Any]) -> str:
    return f"({', '.join(['%s'] * len(values))})"


def _base(
    kinds: tuple[str, ...],
    direction: str,
    start: dt.date,
    end: dt.date,
    flow: str | None,
    scope: Q,
) -> tuple[list[str], list[Any]]:
    conditions = [f"f.kind IN {_in(list(kinds))}", "f.direction = %s", "f.month >= %s"]
    conditions.append("f.month <= %s")
    params: list[Any] = [*kinds, direction, start, end]
    if flow == "offshore":
        conditions.append("f.counterpart_country <> 'CN'")
    elif flow == "onshore":
        conditions.append("f.counterpart_country = 'CN'")
    if scope.children:
        sql, scope_params = Enterprise.objects.filter(scope).values("pk").query.sql_with_params()
        conditions.append(f"f.enterprise_id IN ({sql})")
        params += list(scope_params)
    return conditions, params


def cells(
    *,
    kinds: tuple[str, ...],
    direction: str,
    start: dt.date,
    end: dt.date,
    column: str,
    by: tuple[str, ...],
    where: dict[str, set[str]],
    flow: str | None,
    scope: Q,
) -> dict[tuple[str, ...], Summed]:
    used = {*by, *where}
    joins = (
        f" JOIN {Enterprise._meta.db_table} e ON e.id = f.enterprise_id"
        f" JOIN {Division._meta.db_table} d ON d.code = e.division_id"
    )
    more, params = reference_joins(used, "d.province_code", "d.city_code", "f.month")
    joins += more
    membership = CountryGroupMembership._meta.db_table
    if "counterpart_group" in by:
        # A record in several groups counts in each group's row.
        joins += f" JOIN {membership} m ON {MEMBER_ON_DAY.format(m='m')}"
    conditions, base_params = _base(kinds, direction, start, end, flow, scope)
    params += base_params
    for dim, allowed in where.items():
        values: list[Any] = sorted(allowed)
        if dim == "month":
            values = [parse_first_day(v) for v in values]
        if dim == "counterpart_group" and "counterpart_group" not in by:
            # Counted once, however many of the groups its counterpart is in.
            conditions.append(
                f"EXISTS (SELECT 1 FROM {membership} x"  # noqa: S608
                f" WHERE {MEMBER_ON_DAY.format(m='x')} AND x.group_id IN {_in(values)})"
            )
        else:
            conditions.append(f"{EXPRESSIONS[dim]} IN {_in(values)}")
        params += values
    keys = [EXPRESSIONS[dim] for dim in by]
    names = [f"k{n}" for n in range(len(by))]
    inner = (
        f"SELECT {''.join(f'{k} AS {n}, ' for k, n in zip(keys, names, strict=True))}"  # noqa: S608
        f"f.enterprise_id AS enterprise, SUM(f.{column}) AS part"
        f" FROM {Fact._meta.db_table} f{joins} WHERE {' AND '.join(conditions)}"
        f" GROUP BY {', '.join([*keys, 'f.enterprise_id'])}"
    )
    outer = (
        f"SELECT {''.join(f'{n}, ' for n in names)}SUM(part),"  # noqa: S608
        # An enterprise whose parts cancel out contributes nothing (the rounding absorbs
        # SQLite's binary fractions).
        " SUM(CASE WHEN ROUND(part, 8) <> 0 THEN 1 ELSE 0 END),"
        " SUM(ABS(part)), MAX(ABS(part))"
        f" FROM ({inner}) t" + (f" GROUP BY {', '.join(names)}" if names else "")
    )
    as_decimal = decimal_reader()
    result: dict[tuple[str, ...], Summed] = {}
    with connection.cursor() as cursor:
        cursor.execute(outer, params)
        for row in cursor.fetchall():
            *values, total, contributors, size, largest = row
            if contributors is None:  # no fact at all: an empty total row
                continue
            key = tuple(
                str(v)[:7] if dim == "month" else str(v) for dim, v in zip(by, values, strict=True)
            )
            result[key] = Summed(
                as_decimal(total), int(contributors), as_decimal(size), as_decimal(largest)
            )
    return result


def months_without_dollars(
    kinds: tuple[str, ...],
    direction: str,
    start: dt.date,
    end: dt.date,
    flow: str | None,
    scope: Q,
) -> list[str]:
    """The months of the facts in scope that have no dollar value yet (no rate)."""
    conditions, params = _base(kinds, direction, start, end, flow, scope)
    sql = (
        f"SELECT DISTINCT f.month FROM {Fact._meta.db_table} f"  # noqa: S608
        f" WHERE {' AND '.join(conditions)} AND f.value_usd IS NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(str(month)[:7] for (month,) in cast(list[tuple[Any]], cursor.fetchall()))
