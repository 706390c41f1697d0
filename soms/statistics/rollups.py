"""Rollups: the facts summed at a few grains, so that the common questions (the nation by
province, by category, by market, a city by category, a trend) read a few hundred rows instead
of millions of facts.

Each grain keeps the month, the flow and at most one area, one category and one counterpart
column. One SQL statement per grain sums facts into it; the same statement serves the full
rebuild (every fact) and the upkeep of a decision (the facts it replaces, subtracted, and the
facts it writes, added, in its own transaction), so the two cannot disagree about what a grain
holds. A query that no grain answers (by ownership, an enterprise's own figures) or that needs
each enterprise's part (disclosure control for the public) reads the facts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal
from typing import Any, cast

from django.db import connection
from django.db.models import Q

from soms.core import db
from soms.reference.choices import DesignationKind, RegionKind
from soms.reference.models import CityDesignation, CountryGroupMembership, Division, Region
from soms.registry.models import Enterprise
from soms.statistics.models import Fact, Rollup

AREA_RANK = {None: 0, "province": 1, "city": 2, "district": 3}
AREA_DIMENSIONS = {
    None: set(),
    "province": {"province", "nbs_region"},
    "city": {"province", "city", "nbs_region", "demonstration_city"},
    "district": {"province", "city", "district", "nbs_region", "demonstration_city"},
}
CATEGORY_DIMENSIONS = {None: set(), "l1": {"category_l1"}, "leaf": {"category", "category_l1"}}
COUNTERPART_DIMENSIONS = {
    None: set(),
    "country": {"counterpart_country"},
    "group": {"counterpart_group"},
}


@dataclass(frozen=True)
class Grain:
    code: str
    area: str | None = None
    category: str | None = None
    counterpart: str | None = None

    @property
    def dimensions(self) -> set[str]:
        return {
            "month",
            "flow",
            *AREA_DIMENSIONS[self.area],
            *CATEGORY_DIMENSIONS[self.category],
            *COUNTERPART_DIMENSIONS[self.counterpart],
        }

    def answers(self, dimensions: set[str], area: str | None) -> bool:
        return dimensions <= self.dimensions and AREA_RANK[area] <= AREA_RANK[self.area]


# Smallest first: a query reads the first grain that answers it.
GRAINS = (
    Grain("T"),
    Grain("L", category="leaf"),
    Grain("G", category="l1", counterpart="group"),
    Grain("K", category="l1", counterpart="country"),
    Grain("P", area="province", category="l1"),
    Grain("Y", area="city"),
    Grain("D", area="district", category="l1"),
    Grain("C", area="city", category="leaf"),
)
AREA_GRAINS = tuple(g for g in GRAINS if g.area)
GROUP_GRAINS = tuple(g for g in GRAINS if g.counterpart == "group")


def plan(dimensions: set[str], area: str | None) -> Grain | None:
    return next((g for g in GRAINS if g.answers(dimensions, area)), None)


def area_of(scope: Q) -> tuple[str | None, str] | None:
    """The jurisdiction a scope stands for (see ``User.division_scope``): ``(None, "")`` for the
    nation, ``("province", code)`` …; ``None`` for any other scope (an enterprise's own)."""
    if not scope.children:
        return (None, "")
    if len(scope.children) != 1 or scope.negated:
        return None
    child = scope.children[0]
    if not isinstance(child, tuple):
        return None
    key, value = child
    level = {
        "division__province_code": "province",
        "division__city_code": "city",
        "division": "district",
        "division_id": "district",
    }.get(key)
    return (level, str(value)) if level else None


# --- writing ---------------------------------------------------------------------------------


def _select(grain: Grain) -> tuple[str, str]:
    """The grain's key columns and the joins they need, as SQL over facts ``f``."""
    area = {
        None: "''",
        "province": "d.province_code",
        "city": "d.city_code",
        "district": "e.division_id",
    }[grain.area]
    category = "f.category_code" if grain.category == "leaf" else "''"
    category_l1 = "f.category_l1" if grain.category else "''"
    counterpart = {None: "''", "country": "f.counterpart_country", "group": "m.group_id"}[
        grain.counterpart
    ]
    joins = ""
    if grain.area:
        joins += (
            f" JOIN {Enterprise._meta.db_table} e ON e.id = f.enterprise_id"
            f" JOIN {Division._meta.db_table} d ON d.code = e.division_id"
        )
    if grain.counterpart == "group":
        # A fact counts in every group its counterpart belongs to on the fact's date.
        joins += f" JOIN {CountryGroupMembership._meta.db_table} m ON {MEMBER_ON_DAY.format(m='m')}"
    keys = (
        f"'{grain.code}',"
        " CASE WHEN f.kind = 'execution' THEN 'execution' ELSE 'contract' END,"
        f" f.direction, f.month, {area}, {category}, {category_l1}, {counterpart},"
        " CASE WHEN f.counterpart_country = 'CN' THEN 'onshore' ELSE 'offshore' END"
    )
    return keys, joins


# A fact's counterpart belongs to a group on the fact's date (both ends included).
MEMBER_ON_DAY = (
    "{m}.country_id = f.counterpart_country"
    " AND ({m}.valid_from IS NULL OR {m}.valid_from <= f.day)"
    " AND ({m}.valid_to IS NULL OR f.day <= {m}.valid_to)"
)
KEY_COLUMNS = (
    "grain",
    "family",
    "direction",
    "month",
    "area",
    "category",
    "category_l1",
    "counterpart",
    "flow",
)
SUM_COLUMNS = ("value_cny", "value_usd", "usd_missing", "contracts", "facts")


def add(
    sign: int = 1,
    facts: Sequence[int] | None = None,
    enterprise: int | None = None,
    grains: Iterable[Grain] = GRAINS,
) -> None:
    """Add (``sign`` 1) or subtract (−1) facts to the grains: the facts ``facts`` names, an
    enterprise's facts, or every fact."""
    if facts is not None and not facts:
        return
    table = Rollup._meta.db_table
    where, params = "1 = 1", cast(list[Any], [])
    prepared = facts is not None and db.uses_prepared()
    if facts is not None and prepared:
        where = "f.id = ANY($1)"  # one prepared statement, whatever the number of facts
    elif facts is not None:
        where = f"f.id IN ({', '.join(['%s'] * len(facts))})"
        params = list(facts)
    elif enterprise is not None:
        where, params = "f.enterprise_id = %s", [enterprise]
    s = int(sign)
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in SUM_COLUMNS)
    positions = ", ".join(str(n) for n in range(1, len(KEY_COLUMNS) + 1))
    selects, all_params = [], []
    for grain in grains:
        keys, joins = _select(grain)
        selects.append(
            f"SELECT {keys},"  # noqa: S608 (table names and constants; values are parameters)
            f" {s} * SUM(f.value_cny),"
            f" {s} * SUM(COALESCE(f.value_usd, 0)),"
            f" {s} * SUM(CASE WHEN f.value_usd IS NULL THEN 1 ELSE 0 END),"
            f" {s} * SUM(f.contracts),"
            f" {s} * COUNT(*)"
            f" FROM {Fact._meta.db_table} f{joins}"
            f" WHERE {where}"
            f" GROUP BY {positions}"
        )
        all_params.extend(params)
    if not selects:
        return
    columns = ", ".join(KEY_COLUMNS + SUM_COLUMNS)
    if facts is None and enterprise is None:
        # Every fact, into grains emptied first (a rebuild): plain inserts, one grain at a
        # time.
        with connection.cursor() as cursor:
            for select in selects:
                cursor.execute(f"INSERT INTO {table} ({columns}) {select}")
        return
    with connection.cursor() as cursor:
        # One statement for every grain. Ordered, so that concurrent decisions lock shared
        # cells in the same order; the WHERE is what SQLite needs to parse an upsert after
        # INSERT … SELECT.
        sql = (
            f"INSERT INTO {table} ({columns})"  # noqa: S608
            f" SELECT * FROM ({' UNION ALL '.join(selects)}) u"
            f" WHERE 1 = 1 ORDER BY {positions}"
            f" ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET {updates}"
        )
        if prepared:
            db.execute_prepared(cursor, sql, ["bigint[]"], [list(facts or [])])
        else:
            cursor.execute(sql, all_params)
    if sign < 0:
        drop_empty()


def drop_empty() -> None:
    Rollup.objects.filter(facts=0).delete()


def rebuild(grains: Iterable[Grain] = GRAINS) -> int:
    """The grains again from every fact (inside the caller's transaction)."""
    grains = tuple(grains)
    Rollup.objects.filter(grain__in=[g.code for g in grains]).delete()
    add(1, grains=grains)
    return Rollup.objects.count()


# --- reading ---------------------------------------------------------------------------------


def _scope_areas(grain: Grain, level: str | None, code: str) -> list[str] | None:
    """The grain's area codes inside the jurisdiction (None for the nation)."""
    if level is None:
        return None
    if level == grain.area:
        return [code]
    fields = {"province": "province_code", "city": "city_code", "district": "code"}
    return sorted(
        set(
            Division.objects.filter(**{fields[level]: code}).values_list(
                fields[grain.area or ""], flat=True
            )
        )
    )


def _expressions(grain: Grain) -> dict[str, str]:
    """Each dimension the grain answers, as SQL over the rollup ``r`` and its joins."""
    expressions = {
        "month": "r.month",
        "flow": "r.flow",
        "province": "r.area" if grain.area == "province" else "d.province_code",
        "city": "r.area" if grain.area == "city" else "d.city_code",
        "district": "r.area",
        "nbs_region": "COALESCE(n.region_id, '')",
        # A city counts as a demonstration city for the months of its designation (joined).
        "demonstration_city": "CASE WHEN dc.division_id IS NULL THEN 'no' ELSE 'yes' END",
        "category": "r.category",
        "category_l1": "r.category_l1",
        "counterpart_country": "r.counterpart",
        "counterpart_group": "r.counterpart",
    }
    return {dim: sql for dim, sql in expressions.items() if dim in grain.dimensions}


def reference_joins(
    used: set[str], province: str | None, city: str | None, month: str
) -> tuple[str, list[Any]]:
    """The joins that map a province (SQL ``province``) to its NBS region (``n.region_id``) and
    a city (``city``) in a month (``month``) to the demonstration designation in force then
    (``dc``: from the month after the designation day's month begins, to the month before the
    exit), as far as the dimensions ``used`` need them; shared by the rollups and the facts.
    A city has at most one designation in force at a time (a new one follows an exit), so the
    join adds no row."""
    joins, params = "", cast(list[Any], [])
    if "nbs_region" in used:
        members = Region.members.through._meta.db_table
        joins += (
            f" LEFT JOIN (SELECT m.region_id, m.division_id FROM {members} m"  # noqa: S608
            f" JOIN {Region._meta.db_table} g ON g.code = m.region_id WHERE g.kind = %s) n"
            f" ON n.division_id = {province}"
        )
        params.append(RegionKind.NBS)
    if "demonstration_city" in used:
        joins += (
            f" LEFT JOIN {CityDesignation._meta.db_table} dc"
            f" ON dc.division_id = {city} AND dc.kind = %s AND dc.designated_on <= {month}"
            f" AND (dc.revoked_on IS NULL OR {month} < dc.revoked_on)"
        )
        params.append(DesignationKind.DEMONSTRATION)
    return joins, params


def read(
    grain: Grain,
    *,
    family: str,
    direction: str,
    start: dt.date,
    end: dt.date,
    column: str,
    by: tuple[str, ...],
    where: dict[str, set[str]],
    flow: str | None,
    area: tuple[str | None, str],
    count_rows: bool = False,
) -> dict[tuple[str, ...], Decimal]:
    """The query's cells summed in the database from the grain: dimensions mapped by joins,
    filters applied before summing. ``count_rows``: only cells with a contract (not cells of
    amendments alone)."""
    expressions = _expressions(grain)
    used = {*by, *where}
    joins, params = "", cast(list[Any], [])
    if grain.area in ("city", "district"):
        joins += f" LEFT JOIN {Division._meta.db_table} d ON d.code = r.area"
    more, more_params = reference_joins(
        used, expressions.get("province"), expressions.get("city"), "r.month"
    )
    joins += more
    params += more_params
    conditions = ["r.grain = %s", "r.family = %s", "r.direction = %s"]
    conditions += ["r.month >= %s", "r.month <= %s"]
    params += [grain.code, family, direction, start, end]
    if flow:
        conditions.append("r.flow = %s")
        params.append(flow)
    areas = _scope_areas(grain, *area)
    if areas is not None:
        conditions.append(f"r.area IN ({', '.join(['%s'] * len(areas))})")
        params += areas
    for dim, allowed in where.items():
        values: list[Any] = sorted(allowed)
        if dim == "month":  # written YYYY-MM; the grain keeps the month's first day
            values = [parse_first_day(v) for v in values]
        conditions.append(f"{expressions[dim]} IN ({', '.join(['%s'] * len(values))})")
        params += values
    keys = [expressions[dim] for dim in by]
    sql = (
        f"SELECT {', '.join([*keys, f'SUM(r.{column})'])}"  # noqa: S608 (names only)
        f" FROM {Rollup._meta.db_table} r{joins} WHERE {' AND '.join(conditions)}"
        + (f" GROUP BY {', '.join(keys)}" if keys else "")
        + (" HAVING SUM(r.contracts) > 0" if count_rows else " HAVING COUNT(*) > 0")
    )
    as_decimal = decimal_reader()
    cells: dict[tuple[str, ...], Decimal] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for *values, total in cursor.fetchall():
            key = tuple(
                str(v)[:7] if dim == "month" else str(v) for dim, v in zip(by, values, strict=True)
            )
            cells[key] = as_decimal(total)
    return cells


def parse_first_day(label: str) -> dt.date | str:
    try:
        year, month = (int(p) for p in label.split("-"))
        return dt.date(year, month, 1)
    except ValueError:
        return label


def decimal_reader() -> Any:
    """Sums as Decimal: PostgreSQL sums NUMERIC exactly; SQLite's binary floats are read to 15
    significant digits, as Django reads its decimal columns."""
    if connection.vendor == "postgresql":
        return lambda v: Decimal(0) if v is None else Decimal(v)
    context = Context(prec=15)
    return lambda v: (
        Decimal(0)
        if v is None
        else (Decimal(v) if isinstance(v, int) else context.create_decimal_from_float(v))
    )


def missing_usd_months(
    grain: Grain,
    family: str,
    direction: str,
    start: dt.date,
    end: dt.date,
    flow: str | None,
    area: tuple[str | None, str],
) -> list[str]:
    rows = Rollup.objects.filter(
        grain=grain.code,
        family=family,
        direction=direction,
        month__gte=start,
        month__lte=end,
        usd_missing__gt=0,
    )
    if flow:
        rows = rows.filter(flow=flow)
    areas = _scope_areas(grain, *area)
    if areas is not None:
        rows = rows.filter(area__in=areas)
    return sorted({f"{m:%Y-%m}" for m in rows.values_list("month", flat=True).distinct()})
