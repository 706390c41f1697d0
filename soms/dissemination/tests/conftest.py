"""A filing history for the release tests: five enterprises in Suzhou (a demonstration city),
one in Wuhan and one alone in Shanghai (so its province is confidential in public outputs),
contracts and executions with clients in the US, Hong Kong, Germany and China, in yuan and
dollars, over March 2025 and January–March 2026, and workforce reports; all approved through
the services. The release month is March 2026."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.filing.models import Contract, Execution
from soms.registry.models import Enterprise
from soms.statistics.tests.desk import Desk, rates
from soms.testing import make_user

MONTH = dt.date(2026, 3, 1)
USD_RATE = Decimal("7.0")


@dataclass
class History:
    desk: Desk
    month: dt.date
    firms: list[Enterprise]
    lone: Enterprise  # the only enterprise in Shanghai
    contracts: list[Contract] = field(default_factory=list)
    executions: list[Execution] = field(default_factory=list)
    statistician: User | None = None

    def execute(
        self, contract: Contract, number: str, day: dt.date, amount: str, currency: str = "CNY"
    ) -> Execution:
        execution = self.desk.approve(
            self.desk.execution(contract, number, day, currency, Decimal(amount))
        )
        self.executions.append(execution)
        return execution


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


@pytest.fixture
def history(db: Any) -> History:
    rates({(m, "USD"): USD_RATE for m in _months(dt.date(2025, 1, 1), dt.date(2026, 6, 1))})
    desk = Desk()
    firms = [desk.enterprise("320508") for _ in range(5)] + [desk.enterprise("420106")]
    lone = desk.enterprise("310115")
    world = History(desk, MONTH, firms, lone)
    clients = ("US", "HK", "DE", "CN", "US", "US", "HK")
    for n, firm in enumerate([*firms, lone]):
        for year in (2025, 2026):
            signed = dt.date(year, 1 + n % 3, 10)
            contract = desk.approve(
                desk.contract(
                    firm,
                    f"C-{year}-{n}",
                    counterpart_country=clients[n],
                    category=("ITO01", "BPO02", "KPO03")[n % 3],
                    currency="USD" if clients[n] != "CN" else "CNY",
                    amount=Decimal(1_000_000 * (n + 1) * (year - 2014)),
                    signed_on=signed,
                )
            )
            world.contracts.append(contract)
            world.execute(
                contract,
                f"E-{year}-{n}-a",
                dt.date(year, 3, 15),
                str(100_000 * (n + 1) + year - 2025),
                contract.currency_id,
            )
        desk.approve(
            desk.workforce(
                firm,
                dt.date(2026, 3, 1),
                employees=100 + n,
                employees_college=60 + n,
                new_hires=10,
                new_hires_college=7,
            )
        )
    world.statistician = make_user(Role.MINISTRY_STATISTICIAN)
    return world
