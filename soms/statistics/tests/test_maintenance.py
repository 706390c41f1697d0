"""The facts kept current on every decision are the facts a full rebuild makes from the records,
and figures are the same before and after a rebuild."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Q
from hypothesis import given, settings

from soms.core.errors import ServiceError
from soms.filing.models import Amendment, Contract, Execution
from soms.reference.models import CountryGroup, CountryGroupMembership
from soms.statistics.engine import Query, compute
from soms.statistics.maintenance import rebuild
from soms.statistics.models import Fact, Rollup
from soms.statistics.rollups import KEY_COLUMNS, SUM_COLUMNS
from soms.statistics.tests.desk import Desk, rates, values_of
from soms.statistics.tests.scenario import SETTINGS, Scenario, play, scenarios

pytestmark = pytest.mark.django_db

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 1))
FIELDS = (
    "kind",
    "record_id",
    "value_cny",
    "value_usd",
    "direction",
    "enterprise_id",
    "day",
    "month",
    "category_code",
    "category_l1",
    "counterpart_country",
    "contracts",
)
QUERIES = [
    Query("contract_value", *YEAR, by=("month", "counterpart_group")),
    Query("contract_count", *YEAR, by=("category",)),
    Query("execution_value", *YEAR, currency="USD", by=("province", "flow")),
    Query("outbound_contract_value", *YEAR, by=("counterpart_country",)),
    Query("outbound_execution_value", dt.date(2024, 1, 1), dt.date(2024, 12, 1), by=("month",)),
    Query("enterprises_active", *YEAR, by=("month",)),
]


def facts() -> set[tuple[Any, ...]]:
    return set(Fact.objects.values_list(*FIELDS))


def rollups() -> set[tuple[Any, ...]]:
    """The rollup cells; on SQLite (which sums in binary floating point) to 1e-6 yuan."""
    exact = connection.vendor == "postgresql"
    return {
        (
            *keys,
            *(v if exact else Decimal(v).quantize(Decimal("0.000001")) for v in (cny, usd)),
            *counts,
        )
        for *keys, cny, usd, missing, contracts, n in Rollup.objects.values_list(
            *KEY_COLUMNS, *SUM_COLUMNS
        )
        for counts in [(missing, contracts, n)]
    }


def figures() -> list[list[tuple[Any, ...]]]:
    return [
        [(r.keys, r.value, r.value_prev, r.yoy_pct, r.flag) for r in compute(q).rows]
        for q in QUERIES
    ]


@settings(SETTINGS, max_examples=4)
@given(scenario=scenarios())
def test_maintained_facts_are_the_rebuilt_facts(scenario: Scenario) -> None:
    with transaction.atomic():
        play(Desk(), scenario)
        maintained, cells, before = facts(), rollups(), figures()
        assert rebuild() == len(maintained)
        assert facts() == maintained
        assert rollups() == cells
        assert figures() == before
        transaction.set_rollback(True)


# --- the decisions one by one -------------------------------------------------------------------


@pytest.fixture
def desk() -> Desk:
    months = [dt.date(2025, m, 1) for m in range(1, 13)]
    rates(
        {(m, c): v for m in months for c, v in (("USD", Decimal("7.1")), ("EUR", Decimal("7.8")))}
    )
    return Desk()


def execution_value(currency: str = "CNY") -> Decimal | None:
    rows = compute(Query("execution_value", *YEAR, currency=currency)).rows
    return rows[0].value if rows else None


def test_figures_follow_each_decision(desk: Desk) -> None:
    firm = desk.enterprise("320508")
    contract = desk.approve(
        desk.contract(firm, "C-1", currency="EUR", amount="1000.00", signed_on=dt.date(2025, 2, 3))
    )
    first = desk.execution(contract, "E-1", dt.date(2025, 3, 5), "EUR", Decimal("100.00"))
    assert execution_value() is None  # awaiting review: not counted
    desk.give_back(first)
    assert execution_value() is None
    desk.approve(desk.refile(first, values_of(first) | {"amount": "120.00"}))
    assert execution_value() == Decimal("936.00")  # 120 EUR x 7.8
    record = Execution.objects.get(pk=first.pk)
    desk.correct(record, values_of(record) | {"amount": "50.00"}, "pending")
    assert execution_value() == Decimal("936.00")  # a correction counts once approved
    desk.approve(Execution.objects.get(corrects=record, status="submitted"))
    assert execution_value() == Decimal("390.00")
    maintained = facts()
    assert rebuild() == 2
    assert facts() == maintained


def test_an_earlier_amendment_approved_later_changes_the_deltas(desk: Desk) -> None:
    firm = desk.enterprise("320508")
    contract = desk.approve(
        desk.contract(firm, "C-1", amount="1000.00", signed_on=dt.date(2025, 1, 10))
    )
    desk.approve(desk.amendment(contract, "A-2", dt.date(2025, 6, 1), Decimal("1500.00")))
    desk.approve(desk.amendment(contract, "A-1", dt.date(2025, 3, 1), Decimal("800.00")))
    by_month = compute(Query("contract_value", *YEAR, by=("month",))).rows
    # 1000 in January, -200 in March (1000 -> 800), +700 in June (800 -> 1500).
    assert [(r.keys["month"], r.value) for r in by_month] == [
        ("2025-01", Decimal("1000.00")),
        ("2025-03", Decimal("-200.00")),
        ("2025-06", Decimal("700.00")),
    ]
    maintained = facts()
    rebuild()
    assert facts() == maintained


def test_a_contract_correction_moves_its_executions_with_it(desk: Desk) -> None:
    firm = desk.enterprise("320508")
    contract = desk.approve(
        desk.contract(firm, "C-1", counterpart_country="US", signed_on=dt.date(2025, 1, 10))
    )
    desk.approve(desk.execution(contract, "E-1", dt.date(2025, 2, 1), "CNY", Decimal("10.00")))
    record = Contract.objects.get(pk=contract.pk)
    desk.correct(record, values_of(record) | {"counterpart_country": "CN", "category": "KPO03"})
    rows = compute(Query("execution_value", *YEAR, by=("flow", "category"))).rows
    assert [(r.keys, r.value) for r in rows] == [
        ({"flow": "onshore", "category": "KPO03"}, Decimal("10.00"))
    ]
    maintained = facts()
    rebuild()
    assert facts() == maintained


def test_a_revised_rate_reconverts_the_records_of_its_month(desk: Desk) -> None:
    """Conversion uses the monthly rate table: a rate revised after approval changes the
    current figures (and the maintained facts stay those a rebuild makes)."""
    firm = desk.enterprise("320508")
    contract = desk.approve(
        desk.contract(firm, "C-1", currency="EUR", amount="1000.00", signed_on=dt.date(2025, 4, 2))
    )
    desk.approve(desk.execution(contract, "E-1", dt.date(2025, 4, 9), "EUR", Decimal("100.00")))
    assert execution_value() == Decimal("780.00")
    rates({(dt.date(2025, 4, 1), "EUR"): Decimal("7.9")})
    assert execution_value() == Decimal("790.00")
    rates({(dt.date(2025, 4, 1), "USD"): Decimal("7.9")})
    assert execution_value("USD") == Decimal("100.00")
    maintained = facts()
    rebuild()
    assert facts() == maintained


def test_a_dollar_rate_published_after_approval_is_used(desk: Desk) -> None:
    """A yuan record needs no rate to be approved; once the month's dollar rate is published
    the figures in dollars are computed with it."""
    firm = desk.enterprise("320508")
    january = dt.date(2026, 1, 1)
    contract = desk.approve(
        desk.contract(firm, "C-1", amount="710.00", signed_on=dt.date(2026, 1, 5))
    )
    query = Query("contract_value", january, january, currency="USD")
    with pytest.raises(ServiceError) as refused:
        compute(query)
    assert refused.value.code == "no_rate" and "2026-01" in refused.value.text
    rates({(january, "USD"): Decimal("7.1")})
    assert compute(query).rows[0].value == Decimal("100.00")
    assert Contract.objects.get(pk=contract.pk).status == "approved"


def test_amendment_facts_follow_the_record_counted_signal(desk: Desk) -> None:
    firm = desk.enterprise("320508")
    contract = desk.approve(
        desk.contract(firm, "C-1", amount="1000.00", signed_on=dt.date(2025, 1, 10))
    )
    amendment = desk.approve(
        desk.amendment(contract, "A-1", dt.date(2025, 2, 1), Decimal("1200.00"))
    )
    assert Fact.objects.get(kind="amendment", record_id=amendment.pk).value_cny == 200
    record = Amendment.objects.get(pk=amendment.pk)
    desk.correct(record, values_of(record) | {"new_amount": "900.00"})
    assert Fact.objects.get(kind="amendment", record_id=amendment.pk).value_cny == -100


def test_an_enterprise_moving_takes_its_figures_along(desk: Desk) -> None:
    firm = desk.enterprise("320508")
    contract = desk.approve(
        desk.contract(firm, "C-1", amount="1000.00", signed_on=dt.date(2025, 2, 3))
    )
    desk.approve(desk.execution(contract, "E-1", dt.date(2025, 3, 5), "CNY", Decimal("400.00")))
    by_city = Query("execution_value", *YEAR, by=("province", "city", "district"))
    assert [r.keys["city"] for r in compute(by_city).rows] == ["320500"]

    firm.division_id = "310115"  # an approved change of address to Pudong
    firm.save()
    rows = compute(by_city).rows
    assert [(r.keys["province"], r.keys["city"], r.keys["district"]) for r in rows] == [
        ("310000", "310000", "310115")
    ]
    assert rows[0].value == Decimal("400.00")
    suzhou = compute(Query("execution_value", *YEAR), Q(division__city_code="320500")).rows
    assert suzhou == []
    cells = rollups()
    rebuild()
    assert rollups() == cells


def test_a_country_joining_a_group_counts_in_it_from_its_date(desk: Desk) -> None:
    firm = desk.enterprise("320508")
    contract = desk.approve(
        desk.contract(
            firm, "C-1", amount="1000.00", signed_on=dt.date(2025, 2, 3), counterpart_country="GB"
        )
    )
    for day, amount in ((dt.date(2025, 3, 5), "100.00"), (dt.date(2025, 8, 5), "300.00")):
        desk.approve(desk.execution(contract, f"E-{day}", day, "CNY", Decimal(amount)))
    by_group = Query("execution_value", *YEAR, by=("counterpart_group",))

    def figures() -> dict[str, Decimal | None]:
        return {r.keys["counterpart_group"]: r.value for r in compute(by_group).rows}

    assert "EU27" not in figures()
    group = CountryGroup.objects.get(code="EU27")
    membership = CountryGroupMembership.objects.create(
        group=group, country_id="GB", valid_from=dt.date(2025, 6, 1)
    )
    assert figures()["EU27"] == Decimal("300.00")  # only what was executed after joining
    membership.delete()
    assert "EU27" not in figures()


def test_last_year_without_a_dollar_rate_leaves_only_the_growth_empty(desk: Desk) -> None:
    """The desk's rates cover 2025 only: 2024's yuan records have no dollar value, so the
    2025 figures in dollars are computed and their comparison with 2024 is empty."""
    firm = desk.enterprise("320508")
    for number, signed_on in (("C-0", dt.date(2024, 5, 6)), ("C-1", dt.date(2025, 5, 6))):
        desk.approve(desk.contract(firm, number, amount="710.00", signed_on=signed_on))
    (row,) = compute(Query("contract_value", *YEAR, currency="USD")).rows
    assert (row.value, row.value_prev, row.yoy_pct) == (Decimal("100.00"), None, None)
    (row,) = compute(Query("contract_value", *YEAR)).rows  # in yuan, last year is there
    assert (row.value, row.value_prev, row.yoy_pct) == (Decimal("710.00"), Decimal("710.00"), 0)
    with pytest.raises(ServiceError):
        compute(Query("contract_value", dt.date(2024, 1, 1), dt.date(2024, 12, 1), "USD"))
