"""The demo dataset: its size and spread, its logins, its determinism and its audit trail."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone
from stdnum.cn import uscc as stdnum_uscc

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.audit.models import AuditEvent
from soms.audit.services import verify_chain
from soms.demo import (
    DEFAULT_COUNT,
    DEMO_PASSWORD,
    PlannedEnterprise,
    build,
    calibration,
    logins,
    plan,
)
from soms.demo.calibration import size_of
from soms.demo.names import gb11714_check
from soms.demo.planning import FLAGSHIP_USCC, DemoState
from soms.demo.rates import RATES_FROM, demo_rates, write_rates
from soms.filing.models import Contract, WorkforceReport
from soms.reference.choices import DesignationKind
from soms.reference.models import CityDesignation, Division, ExchangeRate
from soms.reference.services import save_rates
from soms.registry.models import Certification, Enterprise, ProfileChange

SMALL = 30


def _enterprise_rows() -> list[tuple[str, str, str, str]]:
    # Sorted here, not by the database, whose collation may differ from Python's.
    return sorted(Enterprise.objects.values_list("uscc", "name", "division_id", "status"))


@pytest.mark.django_db
def test_the_default_demo_is_the_planned_dataset_spread_over_the_country() -> None:
    report = build(seed=2026, months=0)

    assert report.created and report.enterprises == DEFAULT_COUNT
    # What was written is what an independent plan for the same seed says, state included.
    planned = plan(2026, DEFAULT_COUNT)
    assert _enterprise_rows() == sorted(
        (p.uscc, p.name, p.division, p.state.status) for p in planned
    )
    enterprises = list(Enterprise.objects.select_related("division"))
    assert len({e.division.province_code for e in enterprises}) >= 6
    demonstration = set(
        CityDesignation.objects.filter(kind=DesignationKind.DEMONSTRATION).values_list(
            "division_id", flat=True
        )
    )
    assert len({e.division.city_code for e in enterprises} & demonstration) >= 4
    for enterprise in enterprises:
        assert stdnum_uscc.is_valid(enterprise.uscc), enterprise.uscc
        assert enterprise.uscc[2:8] == enterprise.division_id
        assert enterprise.division.accepts_enterprises
    assert set(Counter(e.status for e in enterprises)) == {
        "approved",
        "submitted",
        "returned",
        "deregistered",
    }
    assert ProfileChange.objects.filter(status="submitted").exists()
    assert all(e.return_reason for e in enterprises if e.status == "returned")
    registrations = AuditEvent.objects.filter(action="registry.enterprise.registered")
    assert registrations.count() == DEFAULT_COUNT
    assert set(registrations.values_list("channel", flat=True)) == {"demo"}
    assert verify_chain().ok


@pytest.mark.django_db
def test_certificates_are_current_expiring_and_expired() -> None:
    build(count=SMALL, months=0)

    states = Counter(c.state for c in Certification.objects.all())
    assert {"valid", "expiring", "expired"} <= set(states)
    flagship = Enterprise.objects.get(uscc=FLAGSHIP_USCC)
    assert flagship.certifications.filter(kind="CMMI", level=5).get().state == "valid"
    assert AuditEvent.objects.filter(action="registry.certification.added").count() == sum(
        states.values()
    )


@pytest.mark.django_db
def test_every_role_has_a_user_and_every_login_signs_in_with_the_demo_password() -> None:
    build(count=SMALL, months=0)

    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert {login.role for login in logins()} == set(Role)
    for login in logins():
        request = RequestFactory().post("/accounts/login/")
        user = authenticate(request, username=login.username, password=DEMO_PASSWORD)
        assert user is not None, login.username
        assert user.role == login.role  # type: ignore[attr-defined]
    admin = User.objects.get(username="ministry-admin")
    assert admin.is_staff and admin.is_superuser
    filer = User.objects.get(username="ent-filer")
    assert filer.enterprise is not None and filer.enterprise.uscc == FLAGSHIP_USCC
    assert filer.enterprise.status == "approved" and filer.enterprise.division_id == "310115"
    assert AuditEvent.objects.filter(
        action="accounts.user.created", object_id=str(admin.pk), actor_name="demo"
    ).exists()


@pytest.mark.django_db
def test_every_district_with_enterprises_has_its_reviewer() -> None:
    build(count=SMALL, months=0)

    reviewed = set(
        User.objects.filter(role=Role.DISTRICT_REVIEWER).values_list("division_id", flat=True)
    )
    assert set(Enterprise.objects.values_list("division_id", flat=True)) <= reviewed
    # The approvals were made by each district's own reviewer.
    for event in AuditEvent.objects.filter(action="registry.enterprise.approved"):
        enterprise = Enterprise.objects.get(pk=event.object_id)
        assert event.actor is not None and event.actor.division_id == enterprise.division_id


@pytest.mark.django_db
def test_the_command_builds_once_and_prints_the_logins_every_time() -> None:
    first, second = StringIO(), StringIO()
    call_command("demo", "--count", str(SMALL), "--months", "0", stdout=first)
    rows = _enterprise_rows()
    events = AuditEvent.objects.count()
    call_command("demo", "--count", str(SMALL), "--months", "0", stdout=second)

    assert "already exists" in second.getvalue()
    assert _enterprise_rows() == rows and len(rows) == SMALL
    assert AuditEvent.objects.count() == events
    for output in (first.getvalue(), second.getvalue()):
        for login in logins():
            assert login.username in output
        assert DEMO_PASSWORD in output


def test_gb11714_check_character_of_a_published_code() -> None:
    # 91110000600037341L: organisation code 60003734-1.
    assert gb11714_check("60003734") == "1"


@pytest.mark.django_db
def test_the_plan_depends_on_the_seed_and_not_on_the_day() -> None:
    today = timezone.localdate()
    first = plan(7, SMALL, today)
    later = plan(7, SMALL, today + dt.timedelta(days=400))

    def identity(enterprises: list[PlannedEnterprise]) -> list[tuple[str, ...]]:
        return [(p.uscc, p.name, p.division, p.ownership, p.state) for p in enterprises]

    assert first == plan(7, SMALL, today)
    assert identity(first) == identity(later)
    assert identity(first)[1:] != identity(plan(8, SMALL, today))[1:]
    assert len({p.uscc for p in first}) == len({p.name for p in first}) == SMALL
    states = Counter(p.state for p in first)
    assert set(states) == set(DemoState)
    for planned in first:
        if planned.registered_on:
            assert planned.established_on < planned.registered_on <= today
        if planned.deregistered_on:
            assert planned.registered_on and planned.registered_on < planned.deregistered_on
        for certification in planned.certifications:
            assert certification.valid_from <= today


@pytest.mark.django_db
def test_plan_places_enterprises_in_county_level_divisions_of_its_cities() -> None:
    planned = plan(2026, DEFAULT_COUNT)
    divisions = {d.code: d for d in Division.objects.filter(code__in={p.division for p in planned})}

    assert all(divisions[p.division].accepts_enterprises for p in planned)
    assert Counter(p.ownership for p in planned).most_common(1)[0][0] == "private"
    # Sizes come from headcounts calibrated on the national mean.
    mean = sum(p.employees for p in planned) / len(planned)
    assert 0.6 < mean / calibration().employees_per_enterprise < 1.5
    assert all(p.size == size_of(p.employees) for p in planned)


def test_calibration_reads_the_latest_published_ratios() -> None:
    path = settings.SOMS_REFERENCE_DIR / "published-national-figures.csv"
    with path.open(encoding="utf-8") as handle:
        rows = {
            (r["period"], r["scope"], r["measure"]): float(r["value"])
            for r in csv.DictReader(handle)
            if r["unit"] in ("count", "persons_10k")
        }
    cal = calibration()

    assert cal.employees_year == 2024
    assert cal.employees_per_enterprise == pytest.approx(
        rows[("2024", "all", "employees")] * 10_000 / rows[("2024", "all", "enterprises")]
    )
    assert cal.college_share == pytest.approx(
        rows[("2021-12", "all", "employees_college")] / rows[("2021-12", "all", "employees")]
    )
    assert sum(cal.category_shares.values()) == pytest.approx(1)
    assert 0 < cal.offshore_share < 1
    assert [size_of(n) for n in (5, 10, 99, 100, 299, 300)] == [
        "micro",
        "small",
        "small",
        "medium",
        "medium",
        "large",
    ]


@pytest.mark.django_db
def test_rates_cover_every_month_in_plausible_ranges_and_keep_existing_ones() -> None:
    today = timezone.localdate()
    month = today.replace(day=1)
    save_rates(actor="test", rates=[(month, "USD", Decimal("7.1234"))])
    rates = demo_rates(2026, today)

    write_rates(2026, today)

    months = (today.year - RATES_FROM.year) * 12 + today.month
    assert len(rates) == months * 7
    assert ExchangeRate.objects.filter(month__gte=RATES_FROM).count() == months * 7
    assert ExchangeRate.objects.get(month=month, currency="USD").cny_per_unit == Decimal("7.1234")
    by_key = {(m, c): v for m, c, v in rates}
    for (m, currency), value in by_key.items():
        if currency == "USD":
            assert Decimal("6.9") <= value <= Decimal("7.3")
            assert by_key[(m, "HKD")] == pytest.approx(value / Decimal("7.8"), rel=Decimal("0.01"))
    assert rates == demo_rates(2026, today)


@pytest.mark.django_db
def test_the_command_adds_the_filings_once() -> None:
    first, second, third = StringIO(), StringIO(), StringIO()
    call_command("demo", "--count", "12", "--months", "0", stdout=first)
    assert not Contract.objects.exists()
    call_command("demo", "--count", "12", "--months", "3", stdout=second)
    events = AuditEvent.objects.count()
    call_command("demo", "--count", "12", "--months", "3", stdout=third)

    assert "filings were added" in second.getvalue() and "Filings:" in second.getvalue()
    assert WorkforceReport.objects.exists()
    assert "already exists" in third.getvalue()
    assert AuditEvent.objects.count() == events
