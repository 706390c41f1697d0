"""A filing history for the policy tests, written through the services: three enterprises in
Suzhou (Jiangsu) and one in Wuhan, certificates, offshore and onshore executions in digital and
other categories, workforce reports and training records over 2023–2026, all approved. The
tests evaluate targets as of 15 June 2026, so 2023–2025 are whole years and 2026 is a part."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.filing.models import Contract, Execution, TrainingRecord, WorkforceReport
from soms.registry import services as registry
from soms.registry.choices import Size
from soms.registry.models import Certification, Enterprise
from soms.statistics.tests.desk import Desk, rates
from soms.testing import make_user

TODAY = dt.date(2026, 6, 15)
USD_RATE = Decimal("7.0")
YEARS = (2023, 2024, 2025, 2026)
# Catalogue leaves: ITO05 is flagged digital in catalogue v1, BPO03 is not (see the test
# of the fixture).
DIGITAL_LEAF = "ITO05"
OTHER_LEAF = "BPO03"


@dataclass
class World:
    desk: Desk
    firms: list[Enterprise]
    executions: list[Execution] = field(default_factory=list)
    workforce: list[WorkforceReport] = field(default_factory=list)
    training: list[TrainingRecord] = field(default_factory=list)
    admin: User | None = None
    statistician: User | None = None

    @property
    def certifications(self) -> list[Certification]:
        return list(Certification.objects.filter(enterprise__in=self.firms))


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def _certify(
    desk: Desk, firm: Enterprise, n: int, kind: str, level: int | None, years: Any
) -> None:
    first, last = years
    registry.add_certification(
        actor=desk.filers[firm.pk],
        enterprise=firm,
        data={
            "kind": kind,
            "level": level,
            "certificate_no": f"{kind}-{firm.pk}-{n}",
            "issuer": "CMMI Institute",
            "valid_from": first,
            "valid_to": last,
        },
    )


# Offshore (USD) and onshore (CNY) execution amounts of each firm in each year: growing, so
# that trends rise; the Wuhan firm is small.
def offshore_usd(firm_index: int, year: int) -> Decimal:
    return Decimal(20_000_000 * (firm_index + 1) + 5_000_000 * (year - 2023))


def onshore_cny(firm_index: int, year: int) -> Decimal:
    return Decimal(30_000_000 * (firm_index + 1) + 1_000_000 * (year - 2023))


@pytest.fixture
def world(db: Any) -> World:
    rates({(m, "USD"): USD_RATE for m in _months(dt.date(2023, 1, 1), dt.date(2026, 12, 1))})
    desk = Desk()
    firms = [
        desk.enterprise("320508", size=Size.LARGE),
        desk.enterprise("320508", size=Size.MEDIUM),
        desk.enterprise("320508", size=Size.SMALL),
        desk.enterprise("420106", size=Size.MEDIUM),
    ]
    w = World(desk, firms)
    # Certificates: a CMMI 5 valid throughout; a CMMI 3 that lapses in May 2025; an ISO 27001
    # of a small firm (not counted among large and medium); a CMM 3 and a PCMM 5 in Wuhan (a
    # PCMM is not CMM/CMMI).
    _certify(desk, firms[0], 1, "CMMI", 5, (dt.date(2022, 1, 1), dt.date(2027, 12, 31)))
    _certify(desk, firms[1], 1, "CMMI", 3, (dt.date(2024, 6, 1), dt.date(2025, 5, 31)))
    _certify(desk, firms[2], 1, "ISO27001", None, (dt.date(2020, 1, 1), dt.date(2030, 1, 1)))
    _certify(desk, firms[3], 1, "CMM", 3, (dt.date(2023, 3, 1), dt.date(2029, 1, 1)))
    _certify(desk, firms[3], 2, "PCMM", 5, (dt.date(2023, 3, 1), dt.date(2029, 1, 1)))
    for n, firm in enumerate(firms):
        offshore = desk.approve(
            desk.contract(
                firm,
                f"OFF-{n}",
                counterpart_country="US",
                category=DIGITAL_LEAF,
                currency="USD",
                amount=Decimal(900_000_000),
                signed_on=dt.date(2023, 1, 5),
            )
        )
        onshore = desk.approve(
            desk.contract(
                firm,
                f"ON-{n}",
                counterpart_country="CN",
                category=OTHER_LEAF,
                currency="CNY",
                amount=Decimal(900_000_000),
                signed_on=dt.date(2023, 1, 5),
            )
        )
        for year in YEARS:
            for contract, amount, currency in (
                (offshore, offshore_usd(n, year), "USD"),
                (onshore, onshore_cny(n, year), "CNY"),
            ):
                w.executions.append(
                    desk.approve(
                        desk.execution(
                            contract,
                            f"E-{year}",
                            dt.date(year, 1 if year == 2023 else 3, 20),
                            currency,
                            amount,
                        )
                    )
                )
            if year < 2026:
                w.workforce.append(
                    desk.approve(
                        desk.workforce(
                            firm,
                            dt.date(year, 12, 1),
                            employees=100 * (n + 1) + 10 * (year - 2023),
                            employees_college=50 * (n + 1),
                            new_hires=20 + year - 2023,
                            new_hires_college=10 + n + 2 * (year - 2023),
                        )
                    )
                )
            # Training records in 2023 and 2025 only: 2024 is a year of the system without any.
            if year in (2023, 2025):
                for k in range(n + 1):
                    w.training.append(
                        desk.approve(
                            desk.file(
                                TrainingRecord,
                                firm,
                                {"record_no": f"T-{year}-{k}"},
                                {
                                    "trainee_name": "李四",
                                    "institution": "苏州外包学院",
                                    "course": "Java",
                                    "hours": "40",
                                    "completed_on": dt.date(year, 6, 30),
                                    "hired": False,
                                },
                            )
                        )
                    )
    w.admin = make_user(Role.MINISTRY_ADMIN)
    w.statistician = make_user(Role.MINISTRY_STATISTICIAN)
    return w


def contract_of(execution: Execution) -> Contract:
    return Contract.objects.get(pk=execution.contract_id)
