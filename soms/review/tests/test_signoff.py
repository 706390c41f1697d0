"""Sign-off up the hierarchy (district → city → province → nation), the lock it puts on a month,
and reopening by a higher level."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from soms.accounts.choices import Role
from soms.audit.models import AuditEvent
from soms.audit.services import snapshot
from soms.core.errors import NotPermitted, ServiceError
from soms.filing import services
from soms.filing.choices import RecordStatus
from soms.filing.models import Contract, FiledRecord, WorkforceReport
from soms.filing.rules import Context
from soms.review import hierarchy
from soms.review import services as review
from soms.review.choices import Level, SignOffStatus
from soms.review.hierarchy import Unit
from soms.review.models import SignOff
from soms.testing import make_enterprise, make_user

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 16)
MAY = dt.date(2025, 5, 1)
JUNE = dt.date(2025, 6, 1)
CTX = Context(today=TODAY)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    moment = dt.datetime(2025, 6, 16, 2, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.fixture
def h() -> dict[str, Any]:
    """Suzhou (320500) with two districts that have enterprises and one without; Shanghai, a
    municipality (310000 is its city and its province); the people who sign."""
    a = make_enterprise("320508")
    b = make_enterprise("320505")
    s = make_enterprise("310115")
    # Deregistered before May's end: 320507 has no expected reporter in May.
    make_enterprise("320507", deregistered_on=dt.date(2025, 5, 10))
    return {
        "a": a,
        "b": b,
        "s": s,
        "filer_a": make_user(Role.ENTERPRISE_ADMIN, enterprise=a),
        "filer_b": make_user(Role.ENTERPRISE_ADMIN, enterprise=b),
        "filer_s": make_user(Role.ENTERPRISE_ADMIN, enterprise=s),
        "d508": make_user(Role.DISTRICT_REVIEWER, division="320508"),
        "d505": make_user(Role.DISTRICT_REVIEWER, division="320505"),
        "d506": make_user(Role.DISTRICT_REVIEWER, division="320506"),
        "suzhou": make_user(Role.CITY_REVIEWER, division="320500"),
        "wuxi": make_user(Role.CITY_REVIEWER, division="320200"),
        "jiangsu": make_user(Role.PROVINCE_REVIEWER, division="320000"),
        "d115": make_user(Role.DISTRICT_REVIEWER, division="310115"),
        "shanghai_city": make_user(Role.CITY_REVIEWER, division="310000"),
        "shanghai_province": make_user(Role.PROVINCE_REVIEWER, division="310000"),
        "ministry": make_user(Role.MINISTRY_STATISTICIAN),
        "evaluator": make_user(Role.CITY_EVALUATOR, division="320500"),
    }


def sign(user: Any, period: dt.date = MAY) -> SignOff:
    return review.sign_off(actor=user, period=period)


def refused_sign(user: Any, period: dt.date = MAY) -> ServiceError:
    before = SignOff.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ServiceError) as caught:
        sign(user, period)
    assert (SignOff.objects.count(), AuditEvent.objects.count()) == before
    assert caught.value.message_zh != caught.value.message_en
    return caught.value


def report(h: dict[str, Any], who: str, month: dt.date = MAY, submit: bool = False) -> Any:
    row = services.create_record(
        actor=h[f"filer_{who}"],
        model=WorkforceReport,
        enterprise=h[who],
        key={"month": month},
        data={"employees": 5, "employees_college": 2, "new_hires": 1, "new_hires_college": 0},
        context=CTX,
    )
    if submit:
        row = services.submit(actor=h[f"filer_{who}"], row=row, context=CTX)
    return row


def test_a_district_signs_only_with_an_empty_queue(h: dict[str, Any]) -> None:
    first = report(h, "a", submit=True)
    error = refused_sign(h["d508"])
    assert error.code == "queue_not_empty"
    assert error.params == {"count": 1, "month": "2025-05"}
    assert "1" in error.message_en and "2025-05" in error.message_en
    # Another month's queue does not matter to May; but June's queue blocks June.
    report(h, "a", JUNE, submit=True)
    assert refused_sign(h["d508"], JUNE).code == "queue_not_empty"
    review.approve_record(actor=h["d508"], row=first, context=CTX)

    sign_off = sign(h["d508"], dt.date(2025, 5, 31))  # any day names its month
    assert (sign_off.period, sign_off.level, sign_off.division_id) == (MAY, "county", "320508")
    assert sign_off.status == SignOffStatus.SIGNED and sign_off.signed_by == h["d508"]
    event = AuditEvent.objects.get(action="review.period.signed_off")
    assert event.object_id == str(sign_off.pk) and event.before is None
    assert event.after["status"] == "signed"
    assert refused_sign(h["d508"]).code == "already_signed"


def test_a_draft_does_not_hold_up_the_district(h: dict[str, Any]) -> None:
    report(h, "a")
    assert sign(h["d508"]).status == SignOffStatus.SIGNED


def test_a_city_waits_for_every_district_with_reporters(h: dict[str, Any]) -> None:
    assert hierarchy.children(MAY, Unit(Level.CITY, "320500")) == [
        Unit(Level.COUNTY, "320505"),
        Unit(Level.COUNTY, "320508"),
    ]
    error = refused_sign(h["suzhou"])
    assert error.code == "lower_levels_open" and error.params["count"] == 2
    sign(h["d508"])
    error = refused_sign(h["suzhou"])
    assert error.code == "lower_levels_open" and error.params["count"] == 1
    assert "虎丘区" in error.message_zh and "虎丘区" in error.message_en
    assert "姑苏区" not in error.message_en
    sign(h["d505"])
    # 320506 (no enterprise) and 320507 (its only one deregistered in May) are not waited for.
    city = sign(h["suzhou"])
    assert (city.level, city.division_id) == ("city", "320500")


def test_a_province_and_the_nation_wait_for_the_level_below(h: dict[str, Any]) -> None:
    assert refused_sign(h["jiangsu"]).code == "lower_levels_open"
    sign(h["d508"])
    sign(h["d505"])
    assert "苏州市" in refused_sign(h["jiangsu"]).message_en
    sign(h["suzhou"])
    sign(h["jiangsu"])

    error = refused_sign(h["ministry"])
    assert error.code == "lower_levels_open" and error.params["count"] == 1
    assert "上海市" in error.message_en

    # A municipality: 310000 is both the city unit and the province unit.
    assert hierarchy.children(MAY, Unit(Level.PROVINCE, "310000")) == [Unit(Level.CITY, "310000")]
    assert refused_sign(h["shanghai_city"]).code == "lower_levels_open"
    sign(h["d115"])
    assert refused_sign(h["shanghai_province"]).code == "lower_levels_open"
    assert sign(h["shanghai_city"]).level == "city"
    assert sign(h["shanghai_province"]).level == "province"
    nation = sign(h["ministry"])
    assert (nation.level, nation.division_id) == ("nation", None)
    assert SignOff.objects.filter(period=MAY, status="signed").count() == 8


def test_who_signs_and_when(h: dict[str, Any]) -> None:
    for user in (h["filer_a"], h["evaluator"]):
        error = refused_sign(user)
        assert error.code == "not_permitted" and isinstance(error, NotPermitted)
    assert refused_sign(h["d508"], dt.date(2025, 7, 1)).code == "future_month"
    assert sign(h["d508"], JUNE).period == JUNE  # the current month, once begun
    assert sign(h["d506"]).division_id == "320506"  # nothing to wait for


def test_unit_state(h: dict[str, Any]) -> None:
    county, city = Unit(Level.COUNTY, "320508"), Unit(Level.CITY, "320500")
    assert review.unit_state(MAY, Unit(Level.COUNTY, "320506")) == "nothing"
    assert review.unit_state(MAY, city) == "waiting"
    row = report(h, "a", submit=True)
    assert review.unit_state(MAY, county) == "waiting"
    review.approve_record(actor=h["d508"], row=row, context=CTX)
    assert review.unit_state(MAY, county) == "ready"
    sign(h["d508"])
    assert review.unit_state(MAY, county) == "signed"
    sign(h["d505"])
    assert review.unit_state(MAY, city) == "ready"
    review.reopen(actor=h["suzhou"], period=MAY, unit=county, reason="补正")
    assert review.unit_state(MAY, county) == "reopened"


# --- the lock -------------------------------------------------------------------------------


def unchanged(row: FiledRecord) -> tuple[Any, int]:
    return snapshot(type(row).objects.get(pk=row.pk)), AuditEvent.objects.count()


def assert_locked(call: Any, month: str = "2025-05") -> None:
    with pytest.raises(ServiceError) as caught:
        call()
    error = caught.value
    assert error.code == "locked_month", error.text
    assert month in error.message_zh and month in error.message_en
    assert error.message_zh != error.message_en


def test_a_signed_month_is_locked(h: dict[str, Any]) -> None:
    draft = report(h, "a")
    june = report(h, "a", JUNE)
    contract = services.create_record(
        actor=h["filer_a"],
        model=Contract,
        enterprise=h["a"],
        key={"contract_no": "C-1"},
        data={
            "direction": "inbound",
            "counterpart_name": "Acme",
            "counterpart_country": "US",
            "category": "ITO01",
            "currency": "CNY",
            "amount": "1000",
            "signed_on": "2025-05-05",
        },
        context=CTX,
    )
    services.submit(actor=h["filer_a"], row=contract, context=CTX)
    approved = review.approve_record(actor=h["d508"], row=contract, context=CTX)
    sign(h["d508"])

    data = {"employees": 6, "employees_college": 2, "new_hires": 1, "new_hires_college": 0}
    before = unchanged(draft)
    assert_locked(
        lambda: services.create_record(
            actor=h["filer_a"],
            model=Contract,
            enterprise=h["a"],
            key={"contract_no": "C-2"},
            data=contract_values(approved, amount="5", signed_on="2025-05-06"),
            context=CTX,
        )
    )
    assert_locked(lambda: services.update_record(actor=h["filer_a"], row=draft, data=data))
    assert_locked(lambda: services.submit(actor=h["filer_a"], row=draft, context=CTX))
    assert unchanged(draft) == before

    # A record awaiting review when the month was locked (here: put there directly) can
    # neither be approved nor returned.
    WorkforceReport.objects.filter(pk=draft.pk).update(status=RecordStatus.SUBMITTED)
    before = unchanged(draft)
    assert_locked(lambda: review.approve_record(actor=h["d508"], row=draft, context=CTX))
    assert_locked(lambda: review.return_record(actor=h["d508"], row=draft, reason="x"))
    assert unchanged(draft) == before

    # A correction of the approved contract dated in the locked month.
    correction = services.start_correction(actor=h["filer_a"], record=approved)
    assert_locked(
        lambda: services.update_record(
            actor=h["filer_a"], row=correction, data=contract_values(approved, amount="900")
        )
    )

    # June is open; so is May in another district, until the city signs.
    assert services.update_record(actor=h["filer_a"], row=june, data=data).employees == 6
    assert report(h, "b").pk
    sign(h["d505"])
    sign(h["suzhou"])
    assert_locked(lambda: services.submit(actor=h["filer_b"], row=report_of(h["b"]), context=CTX))


def contract_values(row: Contract, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "direction": row.direction,
        "counterpart_name": row.counterpart_name,
        "counterpart_country": row.counterpart_country_id,
        "category": row.category.code,
        "currency": row.currency_id,
        "amount": str(row.amount),
        "signed_on": row.signed_on,
    }
    data.update(over)
    return data


def report_of(enterprise: Any) -> WorkforceReport:
    return WorkforceReport.objects.get(enterprise=enterprise, month=MAY)


def test_a_correction_cannot_move_a_record_out_of_a_locked_month(h: dict[str, Any]) -> None:
    """Approving it would change the figures of the signed-off month the record counts in."""
    row = services.create_record(
        actor=h["filer_a"],
        model=Contract,
        enterprise=h["a"],
        key={"contract_no": "C-1"},
        data={
            "direction": "inbound",
            "counterpart_name": "Acme",
            "counterpart_country": "US",
            "category": "ITO01",
            "currency": "CNY",
            "amount": "1000",
            "signed_on": "2025-05-05",
        },
        context=CTX,
    )
    services.submit(actor=h["filer_a"], row=row, context=CTX)
    record = review.approve_record(actor=h["d508"], row=row, context=CTX)
    correction = services.start_correction(actor=h["filer_a"], record=record)
    # Moved to June while May is open: fine; submitted.
    correction = services.update_record(
        actor=h["filer_a"],
        row=correction,
        data=contract_values(record, signed_on="2025-06-02", amount="2000"),
        context=CTX,
    )
    correction = services.submit(actor=h["filer_a"], row=correction, context=CTX)
    # May is signed off before the correction is decided: the district's queue for May is
    # empty (the correction is dated in June).
    sign(h["d508"])
    before = unchanged(record)
    assert_locked(lambda: review.approve_record(actor=h["d508"], row=correction, context=CTX))
    assert unchanged(record) == before
    assert Contract.objects.counting().get().period == MAY
    # Once May is reopened the correction goes through.
    review.reopen(actor=h["suzhou"], period=MAY, unit=Unit(Level.COUNTY, "320508"), reason="改期")
    review.approve_record(actor=h["d508"], row=correction, context=CTX)
    assert Contract.objects.counting().get().period == JUNE


def test_a_correction_cannot_move_a_record_into_a_locked_month(h: dict[str, Any]) -> None:
    row = report(h, "a", JUNE, submit=True)
    record = review.approve_record(actor=h["d508"], row=row, context=CTX)
    sign(h["d508"])
    correction = services.start_correction(actor=h["filer_a"], record=record)
    assert correction.period == JUNE
    # A workforce report keeps its month; a contract shows the other direction.
    c = services.create_record(
        actor=h["filer_a"],
        model=Contract,
        enterprise=h["a"],
        key={"contract_no": "C-9"},
        data={
            "direction": "inbound",
            "counterpart_name": "Acme",
            "counterpart_country": "US",
            "category": "ITO01",
            "currency": "CNY",
            "amount": "1000",
            "signed_on": "2025-06-05",
        },
        context=CTX,
    )
    services.submit(actor=h["filer_a"], row=c, context=CTX)
    contract = review.approve_record(actor=h["d508"], row=c, context=CTX)
    fix = services.start_correction(actor=h["filer_a"], record=contract)
    assert_locked(
        lambda: services.update_record(
            actor=h["filer_a"],
            row=fix,
            data=contract_values(contract, signed_on="2025-05-30"),
            context=CTX,
        )
    )


# --- reopening ------------------------------------------------------------------------------


def suzhou_signed(h: dict[str, Any]) -> None:
    sign(h["d508"])
    sign(h["d505"])
    sign(h["suzhou"])


def reopen(user: Any, code: str | None, level: str = "county", reason: str = "补正数据") -> Any:
    return review.reopen(actor=user, period=MAY, unit=Unit(level, code), reason=reason)


def refused_reopen(user: Any, code: str | None, level: str = "county", reason: str = "x") -> Any:
    before = [snapshot(s) for s in SignOff.objects.order_by("pk")], AuditEvent.objects.count()
    with pytest.raises(ServiceError) as caught:
        reopen(user, code, level, reason)
    assert ([snapshot(s) for s in SignOff.objects.order_by("pk")], AuditEvent.objects.count()) == (
        before
    )
    assert caught.value.message_zh != caught.value.message_en
    return caught.value


def test_the_city_reopens_a_district_and_its_own_sign_off(h: dict[str, Any]) -> None:
    suzhou_signed(h)
    error = refused_reopen(h["suzhou"], "320508", reason="  ")
    assert (error.code, error.field) == ("reason_required", "reason")
    reopened = reopen(h["suzhou"], "320508")
    assert [(s.level, s.division_id) for s in reopened] == [
        ("county", "320508"),
        ("city", "320500"),
    ]
    for s in reopened:
        s.refresh_from_db()
        assert s.status == SignOffStatus.REOPENED and s.reopened_by == h["suzhou"]
        assert s.reopen_reason == "补正数据" and s.reopened_at == timezone.now()
    events = AuditEvent.objects.filter(action="review.period.reopened").order_by("sequence")
    assert [e.object_id for e in events] == [str(s.pk) for s in reopened]
    assert {e.reason for e in events} == {"补正数据"}
    assert review.signed(MAY, Unit(Level.COUNTY, "320505"))  # the sibling stays signed

    # The district is open again: filing, then signing again (the same row, signed anew).
    row = report(h, "a", submit=True)
    review.approve_record(actor=h["d508"], row=row, context=CTX)
    again = sign(h["d508"])
    assert again.pk == reopened[0].pk and again.status == SignOffStatus.SIGNED
    event = AuditEvent.objects.filter(action="review.period.signed_off").order_by("-sequence")[0]
    assert event.before["status"] == "reopened" and event.after["status"] == "signed"
    sign(h["suzhou"])


def test_only_a_higher_level_over_the_unit_reopens(h: dict[str, Any]) -> None:
    assert refused_reopen(h["suzhou"], "320508").code == "not_signed"
    suzhou_signed(h)
    for user, code, level in [
        (h["d508"], "320508", "county"),  # the same level
        (h["d505"], "320508", "county"),  # a sibling
        (h["d508"], "320500", "city"),  # a lower level
        (h["suzhou"], "320500", "city"),  # its own unit
        (h["wuxi"], "320508", "county"),  # another city
        (h["shanghai_province"], "320508", "county"),  # another province
        (h["filer_a"], "320508", "county"),
        (h["evaluator"], "320508", "county"),
    ]:
        error = refused_reopen(user, code, level)
        assert error.code == "not_permitted" and isinstance(error, NotPermitted), user
    # 320506 never signed, but the city's sign-off locks it: reopening it reopens the city.
    assert review.locking_sign_off("320506", MAY).level == "city"
    assert [s.level for s in reopen(h["suzhou"], "320506")] == ["city"]
    assert review.locking_sign_off("320506", MAY) is None
    assert review.locking_sign_off("320508", MAY).level == "county"


def test_reopening_is_refused_while_a_level_above_has_signed(h: dict[str, Any]) -> None:
    suzhou_signed(h)
    sign(h["jiangsu"])
    error = refused_reopen(h["suzhou"], "320508")
    assert error.code == "locked_above" and "2025-05" in error.message_en
    reopened = review.reopen(
        actor=h["jiangsu"],
        period=dt.date(2025, 5, 20),  # any day names its month
        unit=Unit(Level.COUNTY, "320508"),
        reason="省级抽查",
    )
    assert [(s.level, s.division_id) for s in reopened] == [
        ("county", "320508"),
        ("city", "320500"),
        ("province", "320000"),
    ]
    assert review.signed(MAY, Unit(Level.COUNTY, "320505"))


def test_the_ministry_reopens_the_whole_chain(h: dict[str, Any]) -> None:
    suzhou_signed(h)
    sign(h["jiangsu"])
    sign(h["d115"])
    sign(h["shanghai_city"])
    sign(h["shanghai_province"])
    sign(h["ministry"])
    assert refused_reopen(h["jiangsu"], "320508").code == "locked_above"
    assert refused_reopen(h["shanghai_province"], "310000", "city").code == "locked_above"
    reopened = reopen(h["ministry"], "310000", "city")
    assert [(s.level, s.division_id) for s in reopened] == [
        ("city", "310000"),
        ("province", "310000"),
        ("nation", None),
    ]
    assert review.signed(MAY, Unit(Level.COUNTY, "310115"))
    assert review.signed(MAY, Unit(Level.PROVINCE, "320000"))
    # Shanghai's district is still locked by its own sign-off; its province may now reopen it.
    assert review.locking_sign_off("310115", MAY).level == "county"
    assert [s.level for s in reopen(h["shanghai_province"], "310115")] == ["county"]
    assert review.locking_sign_off("310115", MAY) is None
