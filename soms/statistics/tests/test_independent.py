"""Every figure recomputed independently from statistics-rules.md (``spec.World``) must equal
what the engine computes, for random filing histories (hypothesis)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Q
from hypothesis import given, settings
from hypothesis import strategies as st

from soms.statistics.engine import Query, Result, compute
from soms.statistics.tests import spec
from soms.statistics.tests.desk import Desk
from soms.statistics.tests.scenario import SETTINGS, Scenario, play, scenarios

pytestmark = pytest.mark.django_db

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 1))
# Half in the first year of data: last year's figures are partly absent.
STRADDLING = (dt.date(2024, 7, 1), dt.date(2025, 6, 1))
MONEY_DIMS = (
    "province",
    "city",
    "district",
    "nbs_region",
    "demonstration_city",
    "category_l1",
    "category",
    "flow",
    "counterpart_country",
    "counterpart_group",
    "ownership",
    "month",
)
# By month: with demonstration_city below (stocks at each month's end, flows in each month).
FIRM_DIMS = ("province", "city", "district", "nbs_region", "ownership")
PAIRS = (
    ("province", "category_l1"),
    ("demonstration_city", "month"),
    ("counterpart_group", "flow"),
)

# Any scope that is not a jurisdiction is counted over the facts.
EVERY_ENTERPRISE = Q(pk__isnull=False)

Rows = dict[tuple[str, ...], tuple[Decimal | None, Decimal | None, Decimal | None]]


def rows_of(result: Result) -> Rows:
    by = result.query.by
    rows: Rows = {}
    for row in result.rows:
        key = tuple(row.keys[d] for d in by)
        assert key not in rows, f"two rows for {key}"
        assert row.flag is None
        rows[key] = (row.value, row.value_prev, row.yoy_pct)
    return rows


def check(
    world: spec.World,
    measure: str,
    span: tuple[dt.date, dt.date],
    currency: str = "CNY",
    by: tuple[str, ...] = (),
    flow: str | None = None,
    where: dict[str, set[str]] | None = None,
) -> None:
    query = Query(measure, span[0], span[1], currency, by, flow, dict(where or {}))
    expected = world.expected(measure, span[0], span[1], currency, by, flow, where)
    label = f"{measure} {currency} {span[0]:%Y-%m}..{span[1]:%Y-%m} by {by} {flow} {where}"
    # The nation's figures come from the rollups where one answers, and from the facts for
    # an arbitrary set of enterprises: both must count as the rules do.
    assert rows_of(compute(query)) == expected, label
    assert rows_of(compute(query, EVERY_ENTERPRISE)) == expected, f"{label} (facts)"


def check_scoped(
    world: spec.World, measure: str, level: str, code: str, by: tuple[str, ...]
) -> None:
    """An official's jurisdiction (read from the rollups' areas) gives the figures of the
    enterprises registered in it."""
    field = {
        "province": "division__province_code",
        "city": "division__city_code",
        "district": "division",
    }[level]
    query = Query(measure, *YEAR, by=by)
    expected = world.expected(measure, *YEAR, "CNY", by, None, {level: {code}})
    got = rows_of(compute(query, Q(**{field: code})))
    assert got == expected, f"{measure} by {by} in {level} {code}"


def run(scenario: Scenario, checks: object) -> None:
    """Each example in its own savepoint, rolled back afterwards."""
    with transaction.atomic():
        world = play(Desk(), scenario)
        checks(world)  # type: ignore[operator]
        transaction.set_rollback(True)


MAIN = ("contract_value", "execution_value")
# The other measures are checked by a few dimensions drawn for each example.
SOME_DIMS = st.lists(st.sampled_from(MONEY_DIMS), min_size=4, max_size=4, unique=True)


@settings(SETTINGS, max_examples=6)
@given(scenario=scenarios(), ytd_month=st.integers(1, 12), some=SOME_DIMS)
def test_money_measures_as_the_rules_count_them(
    scenario: Scenario, ytd_month: int, some: list[str]
) -> None:
    def checks(world: spec.World) -> None:
        for measure in spec.MONEY:
            check(world, measure, YEAR)
            for dim in MONEY_DIMS if measure in MAIN else some:
                check(world, measure, YEAR, by=(dim,))
            # In dollars: each record converted at its month's rates.
            check(world, measure, YEAR, "USD")
            if measure in MAIN:
                check(world, measure, YEAR, "USD", by=("month",))
                check(world, measure, YEAR, "USD", by=("counterpart_group",))
            # Year to date (1-M月累计) and a range whose previous year is partly empty.
            check(world, measure, (YEAR[0], dt.date(2025, ytd_month, 1)))
            check(world, measure, STRADDLING, by=("month",))
        for measure in ("contract_value", "execution_value"):
            for pair in PAIRS:
                check(world, measure, YEAR, by=pair)
            check(world, measure, YEAR, "USD", by=PAIRS[0])
        for measure in ("contract_value", "execution_value"):
            for level, code in (
                ("province", "320000"),
                ("city", "320500"),
                ("city", "310000"),  # a municipality is its own city
                ("city", "429004"),  # a county administered by the province is its own city
                ("district", "320508"),
            ):
                check_scoped(world, measure, level, code, ("category",))
                check_scoped(world, measure, level, code, ("district", "category_l1"))
                check_scoped(world, measure, level, code, ("demonstration_city", "month"))
        check(world, "execution_value", YEAR, by=("province",), where={"flow": {"offshore"}})
        check(world, "execution_value", YEAR, by=("province",), flow="offshore")
        # A record in both groups counts once in a total over both.
        check(world, "execution_value", YEAR, where={"counterpart_group": {"ASEAN", "RCEP"}})
        check(world, "execution_value", YEAR, by=("flow",), where={"counterpart_group": {"RCEP"}})
        check(
            world,
            "contract_value",
            YEAR,
            by=("category_l1",),
            flow="onshore",
            where={"province": {"320000", "310000"}},
        )
        check(
            world,
            "execution_value",
            YEAR,
            "USD",
            by=("counterpart_group",),
            where={"counterpart_group": {"ASEAN"}},
        )
        check(
            world,
            "outbound_execution_value",
            YEAR,
            by=("counterpart_country", "ownership"),
            where={"counterpart_country": {"US", "DE", "HK"}},
        )

    run(scenario, checks)


@settings(SETTINGS, max_examples=5)
@given(
    scenario=scenarios(max_contracts=6),
    ytd_month=st.integers(1, 12),
    some=st.lists(st.sampled_from(FIRM_DIMS), min_size=2, max_size=2, unique=True),
)
def test_enterprise_measures_as_the_rules_count_them(
    scenario: Scenario, ytd_month: int, some: list[str]
) -> None:
    def checks(world: spec.World) -> None:
        for measure in spec.ENTERPRISE:
            check(world, measure, YEAR)
            check(world, measure, (YEAR[0], dt.date(2025, ytd_month, 1)))
            for dim in some if measure.endswith("_college") else FIRM_DIMS:
                check(world, measure, YEAR, by=(dim,))
            if not measure.endswith("_college"):
                check(world, measure, STRADDLING, by=("month", "demonstration_city"))
            check(world, measure, YEAR, by=("province",), where={"ownership": {"private"}})
        # Stocks and dated flows by demonstration status over a range.
        for measure in ("enterprises_registered", "employees", "new_hires"):
            check(world, measure, YEAR, by=("demonstration_city",))

    run(scenario, checks)
