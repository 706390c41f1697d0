"""Due dates, the late-filing window and extensions (statistics-rules.md, "Filing windows")."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from soms.accounts.choices import Role
from soms.audit.models import AuditEvent
from soms.core.errors import NotPermitted, ServiceError
from soms.filing import calendar, services
from soms.filing.calendar import Window, due_date, filing_window, month_of, next_month
from soms.filing.models import Contract, Execution, Extension, WorkforceReport
from soms.filing.rules import Context
from soms.reference.models import Division
from soms.review import services as review
from soms.testing import make_enterprise, make_user

D = dt.date


# --- pure date arithmetic -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "start"),
    [
        (D(2025, 1, 1), D(2024, 7, 1)),
        (D(2025, 2, 28), D(2024, 7, 1)),
        (D(2025, 3, 31), D(2024, 7, 1)),  # the last day of the old rule
        (D(2025, 4, 1), D(2025, 1, 1)),  # the first day of the new one
        (D(2025, 6, 16), D(2025, 1, 1)),
        (D(2025, 12, 31), D(2025, 1, 1)),
        (D(2024, 2, 29), D(2023, 7, 1)),  # leap day
        (D(2024, 3, 31), D(2023, 7, 1)),
        (D(2024, 4, 1), D(2024, 1, 1)),
    ],
)
def test_filing_window(today: dt.date, start: dt.date) -> None:
    window = filing_window(today)
    assert window == Window(start, today)
    assert start in window and today in window
    assert start - dt.timedelta(days=1) not in window
    assert today + dt.timedelta(days=1) not in window


def test_the_cutoff_is_configurable(settings: Any) -> None:
    settings.SOMS_WINDOW_CUTOFF = (2, 28)
    assert filing_window(D(2025, 2, 28)).start == D(2024, 7, 1)
    assert filing_window(D(2025, 3, 1)).start == D(2025, 1, 1)
    assert filing_window(D(2024, 2, 29)).start == D(2024, 1, 1)  # 29 Feb is after 28 Feb


@pytest.mark.parametrize(
    ("period", "due"),
    [
        (D(2025, 1, 1), D(2025, 2, 5)),
        (D(2024, 12, 1), D(2025, 1, 5)),
        (D(2024, 1, 1), D(2024, 2, 5)),
    ],
)
def test_due_date(period: dt.date, due: dt.date) -> None:
    assert due_date(period) == due


@pytest.mark.parametrize(
    ("day", "period", "due"),
    [
        (31, D(2025, 1, 1), D(2025, 2, 28)),
        (31, D(2024, 1, 1), D(2024, 2, 29)),
        (30, D(2025, 3, 1), D(2025, 4, 30)),
        (31, D(2025, 11, 1), D(2025, 12, 31)),
        (29, D(2024, 1, 1), D(2024, 2, 29)),
    ],
)
def test_a_configured_due_day_the_month_lacks_is_its_last_day(
    settings: Any, day: int, period: dt.date, due: dt.date
) -> None:
    settings.SOMS_DUE_DAY = day
    assert due_date(period) == due


def test_months() -> None:
    assert month_of(D(2024, 2, 29)) == D(2024, 2, 1)
    assert next_month(D(2024, 12, 1)) == D(2025, 1, 1)
    assert next_month(D(2024, 11, 1)) == D(2024, 12, 1)
    assert [next_month(D(2025, m, 1)).month for m in range(1, 13)] == [*range(2, 13), 1]


# --- extensions -----------------------------------------------------------------------------


@pytest.fixture
def people(db: Any) -> dict[str, Any]:
    enterprise = make_enterprise("320508")
    neighbour = make_enterprise("320508")
    far = make_enterprise("320505")
    return {
        "enterprise": enterprise,
        "neighbour": neighbour,
        "far": far,
        "far_filer": make_user(Role.ENTERPRISE_ADMIN, enterprise=far),
        "filer": make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise),
        "neighbour_filer": make_user(Role.ENTERPRISE_ADMIN, enterprise=neighbour),
        "district": make_user(Role.DISTRICT_REVIEWER, division="320508"),
        "other_district": make_user(Role.DISTRICT_REVIEWER, division="320505"),
        "city": make_user(Role.CITY_REVIEWER, division="320500"),
        "other_city": make_user(Role.CITY_REVIEWER, division="320200"),
    }


def test_grant_an_extension_to_an_enterprise_and_a_district(people: dict[str, Any]) -> None:
    enterprise = people["enterprise"]
    extension = review.grant_extension(
        actor=people["district"],
        enterprise=enterprise,
        period=D(2024, 12, 17),
        until=D(2025, 4, 30),
        reason="  系统故障  ",
    )
    assert extension.period == D(2024, 12, 1) and extension.reason == "系统故障"
    assert extension.granted_by == people["district"]
    event = AuditEvent.objects.get(action="review.extension.granted")
    assert event.object_id == str(extension.pk) and event.reason == "系统故障"

    whole = review.grant_extension(
        actor=people["city"],
        division=Division.objects.get(code="320508"),
        period=D(2024, 12, 1),
        until=D(2025, 5, 31),
        reason="区里集中补报",
    )
    # The most generous one covering the enterprise's month applies.
    found = calendar.extension_for(enterprise.pk, "320508", D(2024, 12, 1))
    assert found == whole
    assert calendar.effective_due_date(enterprise.pk, "320508", D(2024, 12, 1)) == D(2025, 5, 31)
    assert calendar.extension_for(enterprise.pk, "320508", D(2024, 11, 1)) is None
    assert calendar.extension_for(enterprise.pk, "320505", D(2024, 12, 1)) == extension


def test_extensions_are_refused_with_reasons(people: dict[str, Any]) -> None:
    enterprise, district = people["enterprise"], people["district"]
    base: dict[str, Any] = {
        "actor": district,
        "enterprise": enterprise,
        "period": D(2025, 5, 1),
        "until": D(2025, 6, 30),
        "reason": "因故",
    }
    cases: list[tuple[dict[str, Any], str, str | None]] = [
        ({"reason": " "}, "reason_required", "reason"),
        ({"until": D(2025, 4, 30)}, "date_order", "until"),
        ({"division": Division.objects.get(code="320508")}, "invalid_target", "enterprise"),
        ({"enterprise": None}, "invalid_target", "enterprise"),
        ({"actor": people["other_district"]}, "not_permitted", None),
        ({"actor": people["other_city"]}, "not_permitted", None),
        ({"actor": people["filer"]}, "not_permitted", None),
        (
            {"enterprise": None, "division": Division.objects.get(code="320505")},
            "not_permitted",
            None,
        ),
        (
            {"enterprise": None, "division": Division.objects.get(code="320500")},
            "not_permitted",
            None,
        ),
    ]
    for change, code, field in cases:
        with pytest.raises(ServiceError) as refused:
            review.grant_extension(**{**base, **change})
        assert (refused.value.code, refused.value.field) == (code, field), change
        if code == "not_permitted":
            assert isinstance(refused.value, NotPermitted)
    assert not Extension.objects.exists()
    assert not AuditEvent.objects.filter(action="review.extension.granted").exists()


# --- the window and lateness applied to records ----------------------------------------------


def workforce(people: dict[str, Any], month: dt.date, today: dt.date, who: str = "") -> Any:
    enterprise = people[who or "enterprise"]
    return services.create_record(
        actor=people[f"{who}_filer" if who else "filer"],
        model=WorkforceReport,
        enterprise=enterprise,
        key={"month": month},
        data={"employees": 3, "employees_college": 1, "new_hires": 0, "new_hires_college": 0},
        context=Context(today=today),
    )


@pytest.mark.parametrize(
    ("today", "month", "admitted"),
    [
        (D(2025, 3, 31), D(2024, 7, 1), True),
        (D(2025, 3, 31), D(2024, 6, 1), False),
        (D(2025, 4, 1), D(2025, 1, 1), True),
        (D(2025, 4, 1), D(2024, 12, 1), False),
        (D(2024, 2, 29), D(2023, 7, 1), True),
        (D(2024, 2, 29), D(2023, 6, 1), False),
    ],
)
def test_a_record_outside_the_window_is_refused_naming_the_window(
    people: dict[str, Any], today: dt.date, month: dt.date, admitted: bool
) -> None:
    if admitted:
        assert workforce(people, month, today).month == month
        return
    events = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as refused:
        workforce(people, month, today)
    error = refused.value
    assert error.code == "outside_window" and error.field == "month"
    window = filing_window(today)
    for text in (error.message_en, error.message_zh):
        assert window.start.isoformat() in text and today.isoformat() in text
        assert month.isoformat() in text
    assert error.message_zh != error.message_en
    assert not WorkforceReport.objects.exists() and AuditEvent.objects.count() == events


def test_an_execution_outside_the_window_is_refused(people: dict[str, Any]) -> None:
    filer, enterprise = people["filer"], people["enterprise"]
    contract = services.create_record(
        actor=filer,
        model=Contract,
        enterprise=enterprise,
        key={"contract_no": "C-1"},
        data={
            "direction": "inbound",
            "counterpart_name": "Acme",
            "counterpart_country": "US",
            "category": "ITO01",
            "currency": "CNY",
            "amount": "1000",
            "signed_on": D(2024, 7, 1),
        },
        context=Context(today=D(2025, 3, 31)),
    )
    assert contract.pk
    with pytest.raises(ServiceError) as refused:
        services.create_record(
            actor=filer,
            model=Execution,
            enterprise=enterprise,
            key={"contract": contract, "execution_no": "E-1"},
            data={"executed_on": "2024-12-31", "currency": "CNY", "amount": "10"},
            context=Context(today=D(2025, 4, 1)),
        )
    assert refused.value.code == "outside_window" and refused.value.field == "executed_on"
    assert "2025-01-01" in refused.value.message_en


def test_a_future_date_is_refused(people: dict[str, Any]) -> None:
    with pytest.raises(ServiceError) as refused:
        workforce(people, D(2025, 7, 1), D(2025, 6, 30))
    assert refused.value.code == "future_date" and refused.value.field == "month"
    assert "2025-07-01" in refused.value.message_en
    assert refused.value.message_zh != refused.value.message_en


def test_a_history_import_is_exempt_from_the_window_and_lateness(people: dict[str, Any]) -> None:
    row = services.create_record(
        actor=people["filer"],
        model=WorkforceReport,
        enterprise=people["enterprise"],
        key={"month": D(2020, 1, 1)},
        data={"employees": 3, "employees_college": 1, "new_hires": 0, "new_hires_college": 0},
        context=Context(today=D(2025, 6, 16), history=True),
    )
    row = services.submit(
        actor=people["filer"], row=row, context=Context(today=D(2025, 6, 16), history=True)
    )
    assert row.is_late is False


def test_the_window_is_judged_again_at_approval(people: dict[str, Any]) -> None:
    """Submitted on 31 March inside the old window; approved on 1 April it is outside."""
    row = workforce(people, D(2024, 12, 1), D(2025, 3, 31))
    row = services.submit(actor=people["filer"], row=row, context=Context(today=D(2025, 3, 31)))
    with pytest.raises(ServiceError) as refused:
        review.approve_record(actor=people["district"], row=row, context=Context(D(2025, 4, 1)))
    assert refused.value.code == "outside_window"
    row.refresh_from_db()
    assert row.status == "submitted"
    # An extension of December for the enterprise admits it again until its date.
    review.grant_extension(
        actor=people["district"],
        enterprise=people["enterprise"],
        period=D(2024, 12, 1),
        until=D(2025, 4, 15),
        reason="补报",
    )
    approved = review.approve_record(
        actor=people["district"], row=row, context=Context(D(2025, 4, 15))
    )
    assert approved.status == "approved"


def test_an_extension_admits_its_month_until_its_date(people: dict[str, Any]) -> None:
    review.grant_extension(
        actor=people["district"],
        division=Division.objects.get(code="320508"),
        period=D(2024, 12, 1),
        until=D(2025, 4, 30),
        reason="补报",
    )
    assert calendar.admitted(D(2024, 12, 9), D(2025, 4, 30), people["enterprise"].pk, "320508")
    assert not calendar.admitted(D(2024, 12, 9), D(2025, 5, 1), people["enterprise"].pk, "320508")
    assert not calendar.admitted(D(2024, 11, 9), D(2025, 4, 2), people["enterprise"].pk, "320508")
    # The whole district: the neighbour too, but not another district's enterprise.
    assert workforce(people, D(2024, 12, 1), D(2025, 4, 30), who="neighbour").pk
    with pytest.raises(ServiceError) as refused:
        workforce(people, D(2024, 12, 1), D(2025, 4, 30), who="far")
    assert refused.value.code == "outside_window"
    assert not calendar.admitted(D(2024, 12, 9), D(2025, 4, 2), people["far"].pk, "320505")


@pytest.mark.parametrize(
    ("submitted_on", "extended_until", "late"),
    [
        (D(2025, 6, 5), None, False),  # on the due date
        (D(2025, 6, 6), None, True),
        (D(2025, 6, 20), D(2025, 6, 20), False),
        (D(2025, 6, 21), D(2025, 6, 20), True),
        (D(2025, 6, 3), D(2025, 6, 1), False),  # an extension never shortens the due date
    ],
)
def test_late_is_judged_against_the_due_date_with_extensions(
    people: dict[str, Any], submitted_on: dt.date, extended_until: dt.date | None, late: bool
) -> None:
    if extended_until:
        review.grant_extension(
            actor=people["district"],
            enterprise=people["enterprise"],
            period=D(2025, 5, 1),
            until=extended_until,
            reason="补报",
        )
    row = workforce(people, D(2025, 5, 1), submitted_on)
    row = services.submit(actor=people["filer"], row=row, context=Context(today=submitted_on))
    assert row.is_late is late


def test_without_a_context_lateness_follows_the_clock(
    people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    moment = dt.datetime(2025, 6, 5, 15, 59, tzinfo=dt.UTC)  # 23:59 on 5 June in Beijing
    monkeypatch.setattr(timezone, "now", lambda: moment)
    row = workforce(people, D(2025, 5, 1), D(2025, 6, 5))
    assert services.submit(actor=people["filer"], row=row).is_late is False
    services.withdraw(actor=people["filer"], row=row)
    moment = dt.datetime(2025, 6, 5, 16, 0, tzinfo=dt.UTC)  # midnight: 6 June in Beijing
    monkeypatch.setattr(timezone, "now", lambda: moment)
    assert services.submit(actor=people["filer"], row=row).is_late is True


def test_a_replayed_moment_decides_lateness(people: dict[str, Any]) -> None:
    """A context that carries the moment of filing (a replay of the past) is judged by it."""
    moment = dt.datetime(2025, 6, 9, 16, 30, tzinfo=dt.UTC)  # 10 June in Beijing
    row = workforce(people, D(2025, 5, 1), D(2025, 6, 10))
    row = services.submit(
        actor=people["filer"], row=row, context=Context(today=D(2025, 6, 10), now=moment)
    )
    assert row.submitted_at == moment and row.is_late is True
