"""The indicators computed from the system's data, against the records filed: executions in
dollars and yuan, offshore and onshore, over two years; a workforce report; three cities, one
with no record at all."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from soms.evaluation.formulas import FORMULAS, compute_formula
from soms.statistics.tests.desk import Desk, rates

pytestmark = pytest.mark.django_db
CITIES = ["320500", "420100", "210200"]  # Suzhou, Wuhan, Dalian (nothing filed)
RATE = Decimal("7.0")


@pytest.fixture
def filed(db: object) -> None:
    rates(
        {(dt.date(year, month, 1), "USD"): RATE for year in (2024, 2025) for month in range(1, 13)}
    )
    desk = Desk()
    suzhou, wuhan = desk.enterprise("320508"), desk.enterprise("420106")
    abroad = desk.approve(
        desk.contract(
            suzhou, "SZ-1", currency="USD", amount=Decimal(10**6), signed_on=dt.date(2024, 1, 10)
        )
    )
    desk.approve(desk.execution(abroad, "E1", dt.date(2024, 3, 15), "USD", Decimal(100_000)))
    desk.approve(desk.execution(abroad, "E2", dt.date(2025, 3, 15), "USD", Decimal(150_000)))
    at_home = desk.approve(
        desk.contract(
            suzhou,
            "SZ-2",
            counterpart_country="CN",
            currency="CNY",
            amount=Decimal(10**6),
            signed_on=dt.date(2025, 1, 10),
        )
    )
    desk.approve(desk.execution(at_home, "E3", dt.date(2025, 4, 15), "CNY", Decimal(700_000)))
    wuhan_abroad = desk.approve(
        desk.contract(
            wuhan, "WH-1", currency="USD", amount=Decimal(10**6), signed_on=dt.date(2025, 2, 1)
        )
    )
    desk.approve(desk.execution(wuhan_abroad, "E4", dt.date(2025, 5, 15), "USD", Decimal(50_000)))
    desk.approve(
        desk.workforce(
            suzhou,
            dt.date(2025, 12, 1),
            employees=100,
            employees_college=60,
            new_hires=10,
            new_hires_college=7,
        )
    )


def test_each_formula_against_the_records(filed: None) -> None:
    def values(code: str) -> dict[str, Decimal | None]:
        return compute_formula(code, 2025, CITIES)

    assert values("offshore_execution_usd") == {"320500": 150_000, "420100": 50_000, "210200": 0}
    assert values("execution_cny") == {
        "320500": 150_000 * RATE + 700_000,
        "420100": 50_000 * RATE,
        "210200": 0,
    }
    # 2025 against 2024 (= 100); Wuhan had nothing the year before, Dalian nothing at all.
    assert values("offshore_execution_growth") == {"320500": 150, "420100": None, "210200": None}
    assert values("employees") == {"320500": 100, "420100": 0, "210200": 0}
    assert values("college_share") == {"320500": 60, "420100": None, "210200": None}
    assert values("enterprises") == {"320500": 1, "420100": 1, "210200": 0}
    assert values("new_hires_college") == {"320500": 7, "420100": 0, "210200": 0}
    assert set(FORMULAS) == {
        "offshore_execution_usd",
        "execution_cny",
        "offshore_execution_growth",
        "employees",
        "college_share",
        "enterprises",
        "new_hires_college",
    }
