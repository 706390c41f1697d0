"""Corrections of approved records: a second row that goes through review on its own while the
record keeps its approved values and keeps counting; approving it copies its values in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from soms.accounts.choices import Role
from soms.audit.models import AuditEvent
from soms.audit.services import snapshot
from soms.core.errors import ServiceError
from soms.filing import services
from soms.filing.choices import RecordStatus
from soms.filing.models import Contract, Execution, WorkforceReport
from soms.filing.signals import record_counted
from soms.review import services as review
from soms.testing import make_enterprise, make_user

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 16)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    moment = dt.datetime(2025, 6, 16, 2, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.fixture
def people() -> tuple[Any, Any, Any]:
    enterprise = make_enterprise("320508")
    return (
        enterprise,
        make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise),
        make_user(Role.DISTRICT_REVIEWER, division="320508"),
    )


def contract_data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "direction": "inbound",
        "counterpart_name": "Acme Inc.",
        "counterpart_country": "US",
        "category": "ITO01",
        "currency": "CNY",
        "amount": "100000.00",
        "signed_on": dt.date(2025, 5, 10),
    }
    data.update(over)
    return data


def approved_contract(people: tuple[Any, Any, Any], no: str = "C-1", **over: Any) -> Contract:
    enterprise, filer, reviewer = people
    row = services.create_record(
        actor=filer,
        model=Contract,
        enterprise=enterprise,
        key={"contract_no": no},
        data=contract_data(**over),
    )
    services.submit(actor=filer, row=row)
    return review.approve_record(actor=reviewer, row=row)  # type: ignore[return-value]


def approved_execution(
    people: tuple[Any, Any, Any], contract: Contract, no: str, amount: str
) -> Execution:
    enterprise, filer, reviewer = people
    row = services.create_record(
        actor=filer,
        model=Execution,
        enterprise=enterprise,
        key={"contract": contract, "execution_no": no},
        data={"executed_on": dt.date(2025, 5, 20), "currency": "CNY", "amount": amount},
    )
    services.submit(actor=filer, row=row)
    return review.approve_record(actor=reviewer, row=row)  # type: ignore[return-value]


def test_the_record_keeps_counting_until_the_correction_is_approved(people) -> None:  # type: ignore[no-untyped-def]
    _enterprise, filer, reviewer = people
    record = approved_contract(people)
    correction = services.start_correction(actor=filer, record=record)
    assert correction.corrects_id == record.pk and correction.status == RecordStatus.DRAFT
    assert correction.contract_no == "C-1" and correction.values() == record.values()
    assert correction.period == record.period
    started = AuditEvent.objects.get(action="filing.contract.correction_started")
    assert started.object_id == str(record.pk) and started.after == {"correction": correction.pk}

    correction = services.update_record(
        actor=filer,
        row=correction,
        data=contract_data(amount="130000", category="ITO05", signed_on="2025-06-01"),
    )
    correction = services.submit(actor=filer, row=correction)
    # Counting: exactly the record, with its approved values; the correction never counts.
    counting = Contract.objects.counting()
    assert list(counting) == [record]
    assert counting.get().amount == Decimal("100000.00")
    assert Contract.objects.records().count() == 1
    record_before = snapshot(Contract.objects.get(pk=record.pk))

    review.return_record(actor=reviewer, row=correction, reason="附件缺失")
    assert snapshot(Contract.objects.get(pk=record.pk)) == record_before
    assert counting.get().amount == Decimal("100000.00")
    correction = services.submit(actor=filer, row=correction)

    heard: list[dict[str, Any]] = []

    def listener(sender: Any, **kwargs: Any) -> None:
        heard.append(kwargs)

    record_counted.connect(listener)
    try:
        result = review.approve_record(actor=reviewer, row=correction)
    finally:
        record_counted.disconnect(listener)
    assert result.pk == record.pk
    record.refresh_from_db()
    correction.refresh_from_db()
    assert record.amount == Decimal("130000") and record.category.code == "ITO05"
    assert record.signed_on == dt.date(2025, 6, 1) and record.period == dt.date(2025, 6, 1)
    assert record.status == RecordStatus.APPROVED and record.decided_by == reviewer
    assert record.lock_version == record_before["lock_version"] + 1
    assert correction.status == RecordStatus.APPROVED
    assert list(Contract.objects.counting()) == [record]
    assert Contract.objects.counting().get().amount == Decimal("130000")

    event = AuditEvent.objects.get(action="filing.contract.correction_approved")
    assert event.object_id == str(record.pk)
    assert Decimal(event.before["amount"]) == Decimal("100000")
    assert Decimal(event.after["amount"]) == Decimal("130000")
    assert len(heard) == 1
    assert heard[0]["record"].pk == record.pk
    assert heard[0]["before"]["amount"] == Decimal("100000.00")
    assert heard[0]["before"]["signed_on"] == dt.date(2025, 5, 10)
    assert heard[0]["after"]["amount"] == Decimal("130000")
    assert heard[0]["after"]["category"] != heard[0]["before"]["category"]


def test_one_open_correction_at_a_time(people) -> None:  # type: ignore[no-untyped-def]
    _enterprise, filer, reviewer = people
    record = approved_contract(people)
    first = services.start_correction(actor=filer, record=record)
    events = AuditEvent.objects.count()
    again = services.start_correction(actor=filer, record=record)
    assert again.pk == first.pk
    assert AuditEvent.objects.count() == events  # nothing new
    assert Contract.objects.filter(corrects=record).count() == 1

    # Still open while awaiting review or returned.
    services.submit(actor=filer, row=first)
    assert services.start_correction(actor=filer, record=record).pk == first.pk
    review.return_record(actor=reviewer, row=first, reason="x")
    assert services.start_correction(actor=filer, record=record).pk == first.pk

    # Once approved, the next correction is a new row.
    services.submit(actor=filer, row=first)
    review.approve_record(actor=reviewer, row=first)
    second = services.start_correction(actor=filer, record=record)
    assert second.pk != first.pk
    assert Contract.objects.filter(corrects=record).count() == 2


def test_a_withdrawn_or_discarded_correction_leaves_the_record_alone(people) -> None:  # type: ignore[no-untyped-def]
    _enterprise, filer, _reviewer = people
    record = approved_contract(people)
    before = snapshot(Contract.objects.get(pk=record.pk))
    correction = services.start_correction(actor=filer, record=record)
    services.update_record(actor=filer, row=correction, data=contract_data(amount="1"))
    correction = services.submit(actor=filer, row=correction)
    correction = services.withdraw(actor=filer, row=correction)
    assert correction.status == RecordStatus.DRAFT
    services.discard(actor=filer, row=correction)
    assert snapshot(Contract.objects.get(pk=record.pk)) == before
    assert not Contract.objects.filter(corrects=record).exists()
    assert AuditEvent.objects.filter(action="filing.contract.discarded").count() == 1
    # A new correction may then start.
    assert services.start_correction(actor=filer, record=record).corrects_id == record.pk


def test_only_an_approved_record_is_corrected(people) -> None:  # type: ignore[no-untyped-def]
    enterprise, filer, _reviewer = people
    draft = services.create_record(
        actor=filer,
        model=Contract,
        enterprise=enterprise,
        key={"contract_no": "D"},
        data=contract_data(),
    )
    record = approved_contract(people)
    correction = services.start_correction(actor=filer, record=record)
    events = AuditEvent.objects.count()
    for target in (draft, correction):
        with pytest.raises(ServiceError) as refused:
            services.start_correction(actor=filer, record=target)
        assert refused.value.code == "illegal_transition"
        assert refused.value.message_zh != refused.value.message_en
    # An approved correction is not corrected either: the record is.
    services.submit(actor=filer, row=correction)
    review.approve_record(actor=people[2], row=correction)
    with pytest.raises(ServiceError):
        services.start_correction(actor=filer, record=Contract.objects.get(pk=correction.pk))
    assert AuditEvent.objects.count() == events + 2  # the submission and the approval


def test_a_corrected_execution_is_checked_against_the_others_without_itself(people) -> None:  # type: ignore[no-untyped-def]
    _enterprise, filer, reviewer = people
    contract = approved_contract(people)
    approved_execution(people, contract, "E-1", "60000")
    second = approved_execution(people, contract, "E-2", "30000")
    correction = services.start_correction(actor=filer, record=second)
    # 60,000 + 40,000 = the contract's value: allowed (the record's own 30,000 is not added).
    services.update_record(
        actor=filer,
        row=correction,
        data={"executed_on": "2025-05-20", "currency": "CNY", "amount": "40000"},
    )
    before = snapshot(Execution.objects.get(pk=correction.pk))
    with pytest.raises(ServiceError) as refused:
        services.update_record(
            actor=filer,
            row=correction,
            data={"executed_on": "2025-05-20", "currency": "CNY", "amount": "40000.01"},
        )
    assert refused.value.code == "above_contract" and refused.value.field == "amount"
    assert "100,000.01" in refused.value.message_en and "100,000.00" in refused.value.message_en
    assert snapshot(Execution.objects.get(pk=correction.pk)) == before
    services.submit(actor=filer, row=correction)
    review.approve_record(actor=reviewer, row=correction)
    assert sum(e.amount for e in Execution.objects.counting()) == Decimal("100000")


def test_a_workforce_correction(people) -> None:  # type: ignore[no-untyped-def]
    enterprise, filer, reviewer = people
    values = {"employees": 10, "employees_college": 5, "new_hires": 2, "new_hires_college": 1}
    row = services.create_record(
        actor=filer,
        model=WorkforceReport,
        enterprise=enterprise,
        key={"month": dt.date(2025, 5, 1)},
        data=values,
    )
    services.submit(actor=filer, row=row)
    record = review.approve_record(actor=reviewer, row=row)
    assert isinstance(record, WorkforceReport)
    correction = services.start_correction(actor=filer, record=record)
    assert correction.month == dt.date(2025, 5, 1)
    with pytest.raises(ServiceError) as refused:
        services.update_record(
            actor=filer, row=correction, data={**values, "employees_college": 11}
        )
    assert refused.value.code == "college_above_total"
    services.update_record(actor=filer, row=correction, data={**values, "employees": 12})
    services.submit(actor=filer, row=correction)
    review.approve_record(actor=reviewer, row=correction)
    assert WorkforceReport.objects.counting().get().employees == 12
