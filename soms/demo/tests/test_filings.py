"""The demo's filings: months of records in every state, reviewed and signed off through the
services, consistent with the rules, and built once."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from soms.audit.models import AuditEvent
from soms.audit.services import verify_chain
from soms.demo import build, calibration
from soms.demo.activity import (
    CLIENT_NAMES,
    RETURN_REASONS,
    Filer,
    PlannedFiling,
    add_months,
    plan_filings,
)
from soms.demo.planning import FLAGSHIP_USCC
from soms.filing.calendar import due_date, effective_due_date
from soms.filing.choices import RecordStatus
from soms.filing.models import RECORD_MODELS, Contract, Execution, Extension, WorkforceReport
from soms.filing.rules import contract_value
from soms.reference.models import CatalogueItem, ExchangeRate
from soms.registry.models import Enterprise
from soms.review.choices import Level, SignOffStatus
from soms.review.models import SignOff

COUNT, MONTHS = 20, 5
CURRENCIES = {"USD", "EUR", "JPY", "HKD", "CNY", "GBP"}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """One build for the module's tests (a few seconds), rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build(count=COUNT, months=MONTHS)
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def _rows(**filters: object) -> list:  # type: ignore[type-arg]
    return [row for model in RECORD_MODELS.values() for row in model.objects.filter(**filters)]


def test_records_are_in_every_state_with_late_returned_and_corrected_ones(demo) -> None:  # type: ignore[no-untyped-def]
    filings = demo.filings
    assert filings is not None and filings.months == MONTHS + 1

    records = _rows(corrects__isnull=True)
    statuses = Counter(r.status for r in records)
    assert set(statuses) == set(RecordStatus.values)
    assert statuses[RecordStatus.APPROVED] > sum(statuses.values()) / 2
    assert any(r.is_late for r in records)
    returned = [r for r in records if r.status == RecordStatus.RETURNED]
    assert returned and all(r.return_reason in RETURN_REASONS.values() for r in returned)
    pending = _rows(corrects__isnull=False, status=RecordStatus.SUBMITTED)
    assert pending and all(c.corrects.status == RecordStatus.APPROVED for c in pending)
    assert Extension.objects.filter(division__isnull=False).exists()
    assert Extension.objects.filter(enterprise__isnull=False).exists()
    # The flagship's own pages show every state.
    flagship = Enterprise.objects.get(uscc=FLAGSHIP_USCC)
    assert {r.status for r in records if r.enterprise_id == flagship.pk} == set(RecordStatus.values)
    # Every event of the demo is in the audit chain, which verifies.
    assert AuditEvent.objects.filter(action="filing.contract.submitted").exists()
    assert AuditEvent.objects.filter(action="review.period.signed_off").exists()
    assert verify_chain().ok


def test_old_months_are_signed_off_to_the_nation_and_the_last_two_are_open(demo) -> None:  # type: ignore[no-untyped-def]
    current = timezone.localdate().replace(day=1)
    open_from = add_months(current, -1)
    signed = {
        (s.period, s.level) for s in SignOff.objects.all() if s.status == SignOffStatus.SIGNED
    }
    for months_ago in range(2, MONTHS + 1):
        period = add_months(current, -months_ago)
        assert {(period, level) for level in Level.values} <= signed, period
    assert not {(p, lv) for p, lv in signed if p >= open_from and lv != Level.COUNTY}
    # A city reopened a month of one of its districts, which was corrected and signed again.
    assert AuditEvent.objects.filter(action="review.period.reopened").exists()
    # Everything of the signed months was decided before they were signed off.
    assert not _rows(period__lt=open_from, status=RecordStatus.SUBMITTED)
    # Every registered enterprise reported its workforce for every signed month.
    for enterprise in Enterprise.objects.filter(status="approved"):
        assert enterprise.registered_on is not None
        expected = {
            add_months(current, -m)
            for m in range(2, MONTHS + 1)
            if add_months(current, 1 - m) > enterprise.registered_on
        }
        reported = set(
            WorkforceReport.objects.records()
            .filter(enterprise=enterprise, status=RecordStatus.APPROVED)
            .values_list("month", flat=True)
        )
        assert expected <= reported, enterprise.uscc


def test_filed_values_follow_the_rules_and_the_calibration(demo) -> None:  # type: ignore[no-untyped-def]
    contracts = list(Contract.objects.records().select_related("counterpart_country"))
    assert contracts
    for contract in contracts:
        counted = (
            Execution.objects.records()
            .filter(contract=contract, status__in=["submitted", "approved"])
            .aggregate(total=Sum("amount"))["total"]
        ) or Decimal(0)
        assert counted <= contract_value(contract), contract.contract_no
        assert contract.currency_id in CURRENCIES
        if contract.currency_id != "CNY":
            month = contract.signed_on.replace(day=1)
            assert ExchangeRate.objects.filter(month=month, currency=contract.currency_id).exists()
        if contract.counterpart_country_id != "CN":
            assert contract.counterpart_country_id in CLIENT_NAMES
    leaves = set(CatalogueItem.objects.filter(children__isnull=True).values_list("pk", flat=True))
    assert {c.category_id for c in contracts} <= leaves
    for execution in Execution.objects.records().select_related("contract"):
        assert execution.currency_id == execution.contract.currency_id
        offshore = execution.contract.counterpart_country_id != "CN"
        assert bool(execution.receipt_no) == offshore
    reports = list(WorkforceReport.objects.records())
    assert all(r.employees_college <= r.employees for r in reports)
    share = sum(r.employees_college for r in reports) / sum(r.employees for r in reports)
    assert abs(share - calibration().college_share) < 0.15


def test_moments_are_those_of_the_time(demo) -> None:  # type: ignore[no-untyped-def]
    for row in _rows(corrects__isnull=True, submitted_at__isnull=False):
        submitted = timezone.localdate(row.submitted_at)
        assert row.created_at <= row.submitted_at
        assert row.dated_on() <= submitted <= due_date(row.period) + dt.timedelta(days=45)
        enterprise = row.enterprise
        due = effective_due_date(enterprise.pk, enterprise.division_id, row.period)
        if row.status == RecordStatus.APPROVED:
            assert row.decided_at is not None and row.decided_at > row.submitted_at
            # Late exactly when submitted after the due date (with any extension); a record
            # returned and submitted again may be late the second time only.
            if not AuditEvent.objects.filter(
                action=f"filing.{row.kind}.returned", object_id=str(row.pk)
            ).exists():
                assert row.is_late == (submitted > due), row
    for sign_off in SignOff.objects.exclude(period__gte=add_months(timezone.localdate(), -1)):
        assert sign_off.signed_at.date() > sign_off.period


def test_the_plan_depends_on_the_seed() -> None:
    filers = [
        Filer("91310115MA1K000001", "Shanghai A Software Co., Ltd.", "310115", "310000", "上海",
              400, dt.date(2018, 3, 1), flagship=True),
        Filer("91210211MA1K000002", "Dalian B Data Co., Ltd.", "210211", "210200", "大连",
              60, dt.date(2025, 2, 10)),
    ]  # fmt: skip
    leaves = {"ITO": ["ITO01", "ITO02"], "BPO": ["BPO01"], "KPO": ["KPO01", "KPO99"]}
    now = timezone.make_aware(dt.datetime(2026, 5, 20, 15))

    def planned(seed: int) -> list[PlannedFiling]:
        return plan_filings(
            seed=seed, filers=filers, cal=calibration(), leaves=leaves, months=12, now=now
        ).filings

    first = planned(1)
    assert first == planned(1)
    assert first != planned(2)
    months = {f.period for f in first if f.kind == "workforce" and f.uscc == filers[1].uscc}
    # Reports from the month of registration up to last month.
    assert min(months) == dt.date(2025, 5, 1) and max(months) <= dt.date(2026, 4, 1)
