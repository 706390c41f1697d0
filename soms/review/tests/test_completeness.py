"""Completeness and timeliness of May 2025's workforce reports, checked against a count made
here in plain Python from the scenario itself (not from the database)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from soms.accounts.choices import Role
from soms.audit.models import AuditEvent
from soms.filing import services
from soms.filing.choices import RecordStatus
from soms.filing.models import WorkforceReport
from soms.filing.rules import Context
from soms.registry.choices import RegistrationStatus
from soms.review import services as review
from soms.review.choices import Level
from soms.review.completeness import Completeness, breakdown, completeness, missing_enterprises
from soms.review.completeness import send_reminders as remind
from soms.review.hierarchy import Unit
from soms.review.models import Message
from soms.testing import make_enterprise, make_user

pytestmark = pytest.mark.django_db

MAY = dt.date(2025, 5, 1)
DUE = dt.date(2025, 6, 5)
VALUES = {"employees": 8, "employees_college": 4, "new_hires": 1, "new_hires_college": 1}


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    moment = dt.datetime(2025, 6, 20, 2, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)


@dataclass
class Case:
    """One enterprise of the scenario and what should be known about it for May."""

    name: str
    district: str
    # What happens to its May report: None (none at all), "draft", "submitted", "approved",
    # "returned", "withdrawn", "april_only", "correction_open", "direct" (written directly).
    report: str | None = None
    submitted_on: dt.date | None = None
    extension_until: dt.date | None = None
    registered_on: dt.date | None = dt.date(2020, 1, 1)
    deregistered_on: dt.date | None = None
    status: str = RegistrationStatus.APPROVED
    enterprise: Any = None
    users: list[Any] = field(default_factory=list)

    @property
    def expected(self) -> bool:
        end = dt.date(2025, 5, 31)
        return (
            self.registered_on is not None
            and self.registered_on <= end
            and (self.deregistered_on is None or self.deregistered_on > end)
        )

    @property
    def filed(self) -> bool:
        return self.expected and self.report in (
            "submitted",
            "approved",
            "returned",
            "correction_open",
        )

    @property
    def late(self) -> bool:
        assert self.submitted_on is not None
        return self.filed and self.submitted_on > max(DUE, self.extension_until or DUE)


CASES = [
    # Huqiu district (320505)
    Case("on time, awaiting review", "320505", "submitted", dt.date(2025, 6, 3)),
    Case("late, then approved", "320505", "approved", dt.date(2025, 6, 10)),
    Case("on the due date, returned", "320505", "returned", dt.date(2025, 6, 5)),
    Case("draft only", "320505", "draft"),
    Case("nothing at all", "320505"),
    Case("deregistered in May", "320505", "direct", dt.date(2025, 6, 1),
         deregistered_on=dt.date(2025, 5, 20)),
    Case("registered in June", "320505", registered_on=dt.date(2025, 6, 2)),
    Case("deregistered in June", "320505", deregistered_on=dt.date(2025, 6, 10)),
    Case("registration awaiting review", "320505", status=RegistrationStatus.SUBMITTED,
         registered_on=None),
    # Gusu district (320508)
    Case("late but within its extension", "320508", "approved", dt.date(2025, 6, 10),
         extension_until=dt.date(2025, 6, 15)),
    Case("after its extension", "320508", "submitted", dt.date(2025, 6, 16),
         extension_until=dt.date(2025, 6, 15)),
    Case("withdrawn", "320508", "withdrawn", dt.date(2025, 6, 2)),
    Case("April only", "320508", "april_only"),
    Case("approved with a correction open", "320508", "correction_open", dt.date(2025, 6, 4)),
    Case("registered on the last day", "320508", "submitted", dt.date(2025, 6, 6),
         registered_on=dt.date(2025, 5, 31)),
    # Wuxi (another city of the province)
    Case("Wuxi, on time", "320205", "submitted", dt.date(2025, 6, 1)),
    Case("Wuxi, nothing", "320205"),
]  # fmt: skip


def build(cases: list[Case]) -> dict[str, Any]:
    reviewers = {
        code: make_user(Role.DISTRICT_REVIEWER, division=code)
        for code in {c.district for c in cases}
    }
    for case in cases:
        case.enterprise = make_enterprise(
            case.district,
            status=case.status,
            registered_on=case.registered_on,
            deregistered_on=None,
        )
        admin = make_user(
            Role.ENTERPRISE_ADMIN,
            enterprise=case.enterprise,
            email=f"admin{case.enterprise.pk}@example.com",
        )
        filer = make_user(Role.ENTERPRISE_FILER, enterprise=case.enterprise)  # no e-mail
        gone = make_user(
            Role.ENTERPRISE_FILER, enterprise=case.enterprise, is_active=False, email="g@x.cn"
        )
        case.users = [admin, filer, gone]
        if case.extension_until:
            review.grant_extension(
                actor=reviewers[case.district],
                enterprise=case.enterprise,
                period=MAY,
                until=case.extension_until,
                reason="系统故障",
            )
        file_report(case, admin, reviewers[case.district])
        if case.deregistered_on:
            type(case.enterprise).objects.filter(pk=case.enterprise.pk).update(
                status=RegistrationStatus.DEREGISTERED, deregistered_on=case.deregistered_on
            )
    return reviewers


def file_report(case: Case, filer: Any, reviewer: Any) -> None:
    if case.report is None:
        return
    if case.report == "direct":
        # A report written directly (an import): it must not count for a non-reporter.
        WorkforceReport.objects.create(
            enterprise=case.enterprise,
            month=MAY,
            period=MAY,
            created_by=filer,
            status=RecordStatus.SUBMITTED,
            is_late=False,
            **VALUES,
        )
        return
    month = dt.date(2025, 4, 1) if case.report == "april_only" else MAY
    today = case.submitted_on or dt.date(2025, 6, 1)
    context = Context(today=today)
    row = services.create_record(
        actor=filer,
        model=WorkforceReport,
        enterprise=case.enterprise,
        key={"month": month},
        data=VALUES,
        context=context,
    )
    if case.report == "draft":
        return
    row = services.submit(actor=filer, row=row, context=context)
    if case.report == "withdrawn":
        services.withdraw(actor=filer, row=row)
    elif case.report == "returned":
        review.return_record(actor=reviewer, row=row, reason="数字有误")
    elif case.report in ("approved", "correction_open", "april_only"):
        record = review.approve_record(actor=reviewer, row=row, context=context)
        if case.report == "correction_open":
            correction = services.start_correction(actor=filer, record=record)
            services.submit(actor=filer, row=correction, context=Context(dt.date(2025, 6, 20)))


def expected_figures(cases: list[Case], unit: Unit) -> tuple[int, int, int, int]:
    def inside(case: Case) -> bool:
        if unit.level == Level.COUNTY:
            return case.district == unit.code
        if unit.level == Level.CITY:
            return case.district[:4] + "00" == unit.code
        if unit.level == Level.PROVINCE:
            return case.district[:2] + "0000" == unit.code
        return True

    mine = [c for c in cases if inside(c) and c.expected]
    filed = [c for c in mine if c.filed]
    late = [c for c in filed if c.late]
    return len(mine), len(filed), len(filed) - len(late), len(late)


@pytest.fixture
def scenario() -> list[Case]:
    cases = [dataclasses.replace(c, enterprise=None, users=[]) for c in CASES]
    build(cases)
    return cases


UNITS = [
    Unit(Level.COUNTY, "320505"),
    Unit(Level.COUNTY, "320508"),
    Unit(Level.COUNTY, "320205"),
    Unit(Level.COUNTY, "320506"),
    Unit(Level.CITY, "320500"),
    Unit(Level.CITY, "320200"),
    Unit(Level.PROVINCE, "320000"),
    Unit(Level.PROVINCE, "310000"),
    Unit(Level.NATION, None),
]


def test_the_independent_count_itself() -> None:
    """The scenario's own arithmetic, written out once by hand for the two districts."""
    assert expected_figures(CASES, Unit(Level.COUNTY, "320505")) == (6, 3, 2, 1)
    assert expected_figures(CASES, Unit(Level.COUNTY, "320508")) == (6, 4, 2, 2)
    assert expected_figures(CASES, Unit(Level.CITY, "320500")) == (12, 7, 4, 3)


def test_completeness_matches_an_independent_count(scenario: list[Case]) -> None:
    for unit in UNITS:
        figures = completeness(MAY, unit)
        expected, filed, on_time, late = expected_figures(scenario, unit)
        got = (figures.expected, figures.filed, figures.on_time, figures.late)
        assert got == (expected, filed, on_time, late), unit
        assert figures.missing == expected - filed
        assert figures.unit == unit
        if expected:
            assert figures.filed_pct == round(100 * filed / expected, 1)
        else:
            assert figures.filed_pct is None


def test_breakdown_by_district_and_by_city(scenario: list[Case]) -> None:
    city = breakdown(MAY, Unit(Level.CITY, "320500"))
    assert [c.unit for c in city] == [Unit(Level.COUNTY, "320505"), Unit(Level.COUNTY, "320508")]
    for item in city:
        assert (item.expected, item.filed, item.on_time, item.late) == expected_figures(
            scenario, item.unit
        )
    total = completeness(MAY, Unit(Level.CITY, "320500"))
    assert sum(c.expected for c in city) == total.expected
    assert sum(c.filed for c in city) == total.filed
    assert sum(c.late for c in city) == total.late

    province = breakdown(MAY, Unit(Level.PROVINCE, "320000"))
    assert [c.unit for c in province] == [Unit(Level.CITY, "320200"), Unit(Level.CITY, "320500")]
    assert breakdown(MAY, Unit(Level.COUNTY, "320505")) == []
    nation = breakdown(MAY, Unit(Level.NATION, None))
    assert [c.unit for c in nation] == [Unit(Level.PROVINCE, "320000")]


def test_missing_enterprises(scenario: list[Case]) -> None:
    for unit in UNITS:
        expected = {
            c.enterprise.pk
            for c in scenario
            if c.expected and not c.filed and expected_figures([c], unit)[0]
        }
        assert set(missing_enterprises(MAY, unit).values_list("pk", flat=True)) == expected
    names = {
        c.name for c in scenario if c.enterprise in missing_enterprises(MAY, Unit("city", "320500"))
    }
    assert names == {
        "draft only",
        "nothing at all",
        "deregistered in June",
        "withdrawn",
        "April only",
    }


def test_a_month_with_nothing_filed() -> None:
    enterprise = make_enterprise("320508")
    figures = completeness(dt.date(2025, 3, 1), Unit(Level.COUNTY, "320508"))
    assert figures == Completeness(Unit(Level.COUNTY, "320508"), 1, 0, 0, 0)
    assert figures.missing == 1 and figures.filed_pct == 0.0
    assert list(missing_enterprises(dt.date(2025, 3, 1), Unit("county", "320508"))) == [enterprise]


def test_reminders_reach_every_active_user_of_each_missing_enterprise(
    scenario: list[Case],
) -> None:
    city = make_user(Role.CITY_REVIEWER, division="320500")
    unit = Unit(Level.CITY, "320500")
    missing = [c for c in scenario if c.expected and not c.filed and c.district.startswith("3205")]
    active = [u for c in missing for u in c.users if u.is_active]
    mail.outbox.clear()
    Message.objects.all().delete()

    sent = remind(actor=city, period=MAY, unit=unit)

    assert sent == len(active) == 2 * len(missing) == 10
    messages = Message.objects.filter(kind="reminder")
    assert sorted(m.recipient_id for m in messages) == sorted(u.pk for u in active)
    for message in messages:
        assert "2025-05" in message.subject and "2025-05" in message.body
        assert " / " in message.subject  # both languages
    # E-mail goes to those with an address (the administrators), not the inactive users.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in active if u.email)
    assert len(mail.outbox) == len(missing)
    events = AuditEvent.objects.filter(action="review.reminder.sent")
    assert sorted(int(e.object_id) for e in events) == sorted(c.enterprise.pk for c in missing)
    assert {e.after["month"] for e in events} == {"2025-05"}


def test_no_reminder_when_nobody_is_missing() -> None:
    enterprise = make_enterprise("320508")
    filer = make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise, email="a@example.com")
    row = services.create_record(
        actor=filer,
        model=WorkforceReport,
        enterprise=enterprise,
        key={"month": MAY},
        data=VALUES,
    )
    services.submit(actor=filer, row=row)
    reviewer = make_user(Role.DISTRICT_REVIEWER, division="320508")
    assert remind(actor=reviewer, period=MAY, unit=Unit(Level.COUNTY, "320508")) == 0
    assert not Message.objects.exists() and mail.outbox == []
    assert not AuditEvent.objects.filter(action="review.reminder.sent").exists()
