"""The survey's main path, end to end through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from soms.accounts.choices import Role
from soms.audit.models import AuditEvent
from soms.core.errors import ServiceError
from soms.filing import services
from soms.filing.choices import RecordStatus
from soms.filing.models import Contract, Execution, WorkforceReport
from soms.reference.services import save_rates
from soms.review import services as review
from soms.review.hierarchy import Unit
from soms.testing import make_enterprise, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting():  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    month = today.replace(day=1)
    save_rates(actor="test", rates=[(month, "USD", Decimal("7.1"))])
    enterprise = make_enterprise("320508")
    filer = make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
    district = make_user(Role.DISTRICT_REVIEWER, division="320508")
    city = make_user(Role.CITY_REVIEWER, division="320500")
    return today, month, enterprise, filer, district, city


def contract_data(today: dt.date, **over: object) -> dict[str, object]:
    data = {
        "direction": "inbound",
        "counterpart_name": "Acme Inc.",
        "counterpart_country": "US",
        "category": "ITO01",
        "currency": "USD",
        "amount": "100000.00",
        "signed_on": today,
    }
    data.update(over)
    return data


def test_file_return_correct_approve_and_sign_off(setting) -> None:  # type: ignore[no-untyped-def]
    today, month, enterprise, filer, district, city = setting
    contract = services.create_record(
        actor=filer,
        model=Contract,
        enterprise=enterprise,
        key={"contract_no": "C-1"},
        data=contract_data(today),
    )
    services.submit(actor=filer, row=contract)
    review.approve_record(actor=district, row=contract)
    execution = services.create_record(
        actor=filer,
        model=Execution,
        enterprise=enterprise,
        key={"contract": contract, "execution_no": "E-1"},
        data={"executed_on": today, "currency": "USD", "amount": "40000", "receipt_no": "R1"},
    )
    services.submit(actor=filer, row=execution)
    review.return_record(actor=district, row=execution, reason="receipt number missing digits")
    execution.refresh_from_db()
    assert execution.status == RecordStatus.RETURNED
    services.update_record(
        actor=filer,
        row=execution,
        data={"executed_on": today, "currency": "USD", "amount": "40000", "receipt_no": "R1-2026"},
    )
    services.submit(actor=filer, row=execution)
    review.approve_record(actor=district, row=execution)

    # A correction keeps the approved values counting until it is approved.
    correction = services.start_correction(actor=filer, record=execution)
    services.update_record(
        actor=filer,
        row=correction,
        data={"executed_on": today, "currency": "USD", "amount": "45000"},
    )
    services.submit(actor=filer, row=correction)
    assert Execution.objects.counting().get().amount == Decimal("40000")
    review.approve_record(actor=district, row=correction)
    assert Execution.objects.counting().get().amount == Decimal("45000")

    with pytest.raises(ServiceError) as refused:
        review.sign_off(actor=city, period=month)
    assert refused.value.code == "lower_levels_open"
    review.sign_off(actor=district, period=month)
    review.sign_off(actor=city, period=month)
    with pytest.raises(ServiceError) as locked:
        services.create_record(
            actor=filer,
            model=WorkforceReport,
            enterprise=enterprise,
            key={"month": month},
            data={"employees": 10, "employees_college": 8, "new_hires": 1, "new_hires_college": 1},
        )
    assert locked.value.code == "locked_month"
    review.reopen(actor=city, period=month, unit=Unit("county", "320508"), reason="late fix")
    assert AuditEvent.objects.filter(action="review.period.reopened").count() == 2


def test_executions_above_the_contract_are_refused(setting) -> None:  # type: ignore[no-untyped-def]
    today, _month, enterprise, filer, _district, _city = setting
    contract = services.create_record(
        actor=filer,
        model=Contract,
        enterprise=enterprise,
        key={"contract_no": "C-2"},
        data=contract_data(today),
    )
    with pytest.raises(ServiceError) as refused:
        services.create_record(
            actor=filer,
            model=Execution,
            enterprise=enterprise,
            key={"contract": contract, "execution_no": "E-9"},
            data={"executed_on": today, "currency": "USD", "amount": "100000.01"},
        )
    assert refused.value.code == "above_contract" and refused.value.field == "amount"
