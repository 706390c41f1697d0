"""Each indicator against an independent recomputation: plain Python over the approved records
the fixture filed (executions, certificates, workforce reports, training records)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

import pytest

from soms.policy.choices import ScopeLevel, Source
from soms.policy.indicators import INDICATORS, Confidential, Params, Reading, Scope, read
from soms.policy.tests.conftest import TODAY, USD_RATE, World, contract_of
from soms.reference.models import CatalogueItem, CityDesignation
from soms.registry.models import Enterprise

pytestmark = pytest.mark.django_db

NATION = Scope(today=TODAY)
JIANGSU = Scope(ScopeLevel.PROVINCE, "320000", today=TODAY)
WUHAN = Scope(ScopeLevel.CITY, "420100", today=TODAY)
CENT = Decimal("0.01")


def _q(value: Decimal, places: str = "0.01") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _in(firm: Enterprise, scope: Scope) -> bool:
    division = firm.division
    if scope.level == ScopeLevel.PROVINCE:
        return division.province_code == scope.division
    if scope.level == ScopeLevel.CITY:
        return division.city_code == scope.division
    return True


def _read(code: str, scope: Scope, year: int, params: Params | None = None) -> Reading | None:
    # A scope of its own for each reading: what a scope remembers belongs to one evaluation.
    return read(INDICATORS[code], replace(scope, memo={}), year, params or Params())


def _value(code: str, scope: Scope, year: int, params: Params | None = None) -> Decimal | None:
    reading = _read(code, scope, year, params)
    return None if reading is None else reading.value


def _executions(world: World, scope: Scope, year: int) -> list[tuple[Decimal, Decimal, bool, str]]:
    """(yuan, dollars, offshore, category) of each approved execution of ``year``."""
    rows = []
    for e in world.executions:
        contract = contract_of(e)
        if e.executed_on.year != year or not _in(contract.enterprise, scope):
            continue
        usd = e.amount if e.currency_id == "USD" else e.amount / USD_RATE
        cny = e.amount * USD_RATE if e.currency_id == "USD" else e.amount
        rows.append((cny, usd, contract.counterpart_country_id != "CN", contract.category.code))
    return rows


def test_the_fixture_files_digital_and_other_business() -> None:
    assert CatalogueItem.objects.filter(code="ITO05", digital=True).exists()
    assert CatalogueItem.objects.filter(code="BPO03", digital=False).exists()


@pytest.mark.parametrize("scope", [NATION, JIANGSU, WUHAN], ids=["nation", "jiangsu", "wuhan"])
def test_money_indicators_match_the_approved_executions(world: World, scope: Scope) -> None:
    digital = set(CatalogueItem.objects.filter(digital=True).values_list("code", flat=True))
    for year in (2023, 2024, 2025):
        rows = _executions(world, scope, year)
        offshore = sum((usd for _cny, usd, off, _c in rows if off), Decimal(0))
        assert _value("offshore_execution", scope, year) == _q(offshore / 10**8)
        total = sum((cny for cny, _usd, _off, _c in rows), Decimal(0))
        in_digital = sum((cny for cny, _usd, _off, c in rows if c in digital), Decimal(0))
        assert _value("digital_share", scope, year) == _q(in_digital / total * 100, "0.1")


def test_a_flow_of_the_current_year_is_partial_and_says_to_which_month(world: World) -> None:
    reading = _read("offshore_execution", NATION, 2026)
    assert reading is not None and reading.partial
    assert reading.partial_to == dt.date(2026, 6, 1)
    offshore = sum(
        (usd for _c, usd, off, _k in _executions(world, NATION, 2026) if off), Decimal(0)
    )
    assert reading.value == _q(offshore / 10**8)


def _holders(world: World, scope: Scope, day: dt.date, test) -> int:  # type: ignore[no-untyped-def]
    return len(
        {
            c.enterprise_id
            for c in world.certifications
            if _in(c.enterprise, scope) and c.valid_from <= day <= c.valid_to and test(c)
        }
    )


@pytest.mark.parametrize("scope", [NATION, JIANGSU, WUHAN], ids=["nation", "jiangsu", "wuhan"])
def test_certified_enterprises_match_the_certificates(world: World, scope: Scope) -> None:
    for year, day in ((2023, dt.date(2023, 12, 31)), (2024, dt.date(2024, 12, 31)),
                      (2025, dt.date(2025, 12, 31)), (2026, TODAY)):  # fmt: skip
        level3 = _holders(world, scope, day, lambda c: c.kind in ("CMM", "CMMI") and c.level >= 3)
        level5 = _holders(world, scope, day, lambda c: c.kind in ("CMM", "CMMI") and c.level == 5)
        international = _holders(
            world,
            scope,
            day,
            lambda c: c.kind != "other" and c.enterprise.size in ("large", "medium"),
        )
        assert _value("cmmi_level3", scope, year) == level3
        assert _value("cmmi_level5", scope, year) == level5
        assert _value("international_certified", scope, year) == international
    # The CMMI 3 of Suzhou's second firm is valid from June 2024 to May 2025 only.
    assert _value("cmmi_level3", JIANGSU, 2024) == 2
    assert _value("cmmi_level3", JIANGSU, 2025) == 1


def test_workforce_and_training_indicators_match_the_records(world: World) -> None:
    for year in (2023, 2024, 2025):
        day = dt.date(year, 12, 31)
        trained = sum(1 for t in world.training if t.completed_on.year == year)
        assert _value("trainees", NATION, year) == trained
        hires = sum(w.new_hires_college for w in world.workforce if w.month.year == year)
        assert _value("college_hires", NATION, year) == hires
        latest: dict[int, int] = {}
        for report in sorted(world.workforce, key=lambda w: w.month):
            if report.month <= day:
                latest[report.enterprise_id] = report.employees
        staff = sum(latest.values())
        assert _value("employees", NATION, year) == staff
        usd = sum((u for _c, u, _o, _k in _executions(world, NATION, year)), Decimal(0))
        assert _value("output_per_practitioner", NATION, year) == _q(_q(usd) / staff, "1")


def test_leading_enterprises_reach_the_threshold(world: World) -> None:
    threshold = Decimal(200_000_000)
    for year in (2023, 2024, 2025):
        by_firm: dict[int, Decimal] = {}
        for e in world.executions:
            if e.executed_on.year == year:
                cny = e.amount * USD_RATE if e.currency_id == "USD" else e.amount
                by_firm[e.enterprise_id] = by_firm.get(e.enterprise_id, Decimal(0)) + cny
        expected = sum(1 for v in by_firm.values() if v >= threshold)
        assert _value("leading_enterprises", NATION, year, Params(threshold=threshold)) == expected
    # The first firm reaches 200 million yuan from 2024 on.
    assert _value("leading_enterprises", NATION, 2023, Params(threshold=threshold)) == 3
    assert _value("leading_enterprises", NATION, 2024, Params(threshold=threshold)) == 4


def test_designated_cities_count_the_designations_in_force() -> None:
    day = dt.date(2010, 12, 31)
    expected = len(
        {
            d.division_id
            for d in CityDesignation.objects.all()
            if d.designated_on <= day and (d.revoked_on is None or d.revoked_on > day)
        }
    )
    assert expected >= 10
    reading = _read("designated_cities", NATION, 2010)
    assert reading is not None and reading.value == expected
    assert reading.source == Source.REFERENCE
    # Before the first designation there was none: a true zero, from complete reference data.
    assert _value("designated_cities", NATION, 2005) == 0


def test_a_year_without_records_has_no_figure_never_zero(world: World) -> None:
    # The system's first records are of January 2023; 2024 has no training record but the
    # system was running: zero trainees is a figure. 2022 has none at all.
    assert _value("trainees", NATION, 2024) == 0
    assert _value("trainees", NATION, 2022) is None
    # Every enterprise registered on 1 January 2020: the registry did not cover 2019.
    assert _value("cmmi_level3", NATION, 2019) is None
    assert _value("cmmi_level3", NATION, 2020) == 0
    # A contract signed long before it was filed does not date the system back.
    firm = world.firms[0]
    world.desk.approve(
        world.desk.contract(
            firm, "OLD-2019", signed_on=dt.date(2019, 5, 1), counterpart_country="US"
        )
    )
    assert _value("trainees", NATION, 2022) is None
    assert _value("offshore_execution", JIANGSU, 2019) is None
    # No published offshore figure in dollars for 2022, and none for a province at all.
    assert _value("offshore_execution", NATION, 2022) is None
    assert _value("offshore_execution", JIANGSU, 2019) is None


def test_a_national_year_before_the_system_takes_the_published_figure(world: World) -> None:
    reading = _read("offshore_execution", NATION, 2019)
    assert reading is not None
    assert reading.source == Source.PUBLISHED
    assert reading.value == Decimal("968.90")  # published-national-figures.csv, 2019 offshore
    assert reading.url.startswith("http")


def test_the_public_gets_confidential_rather_than_an_enterprises_figure(world: World) -> None:
    public_wuhan = Scope(ScopeLevel.CITY, "420100", public=True, today=TODAY)
    with pytest.raises(Confidential):
        _read("offshore_execution", public_wuhan, 2025)
    # Officials get the exact figure.
    assert _value("offshore_execution", WUHAN, 2025) == Decimal("0.90")
