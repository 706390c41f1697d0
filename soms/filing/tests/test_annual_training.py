"""The annual enterprise information form and training records: the same life as every record
kind (draft → submitted → approved / returned → resubmitted, withdrawal, reviewed corrections)
through the services, the pages and the API; their own checks refused with the field and the
rule and nothing written; the annual form's due date (15 January) and filing window (the
previous year's form until 31 March)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone
from django.utils.translation import override

from soms.accounts.choices import Role
from soms.accounts.models import ApiToken, User
from soms.audit.models import AuditEvent
from soms.audit.services import verify_chain
from soms.core.errors import NotPermitted, ServiceError
from soms.filing import calendar, services
from soms.filing.choices import Cycle, RecordStatus
from soms.filing.models import AnnualReport, FiledRecord, TrainingRecord
from soms.filing.rules import Context
from soms.review import services as review
from soms.review.hierarchy import Unit
from soms.testing import make_enterprise, make_user

pytestmark = pytest.mark.django_db

D = dt.date
CJK = re.compile(r"[\u4e00-\u9fff]")


class Clock:
    """What the services and pages see as now: 10:00 in Beijing on a given day."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.set(D(2025, 1, 10))

    def set(self, day: dt.date) -> None:
        moment = dt.datetime(day.year, day.month, day.day, 2, 0, tzinfo=dt.UTC)
        self.monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


class World:
    def __init__(self) -> None:
        self.enterprise = make_enterprise("320508")
        self.filer = make_user(Role.ENTERPRISE_ADMIN, enterprise=self.enterprise)
        self.reviewer = make_user(Role.DISTRICT_REVIEWER, division="320508")
        self.city = make_user(Role.CITY_REVIEWER, division="320500")
        self.other = make_enterprise("320508")
        self.other_filer = make_user(Role.ENTERPRISE_ADMIN, enterprise=self.other)
        self.other_reviewer = make_user(Role.DISTRICT_REVIEWER, division="320505")

    def annual(self, year: int = 2024, **over: Any) -> AnnualReport:
        return services.create_record(
            actor=self.filer,
            model=AnnualReport,
            enterprise=self.enterprise,
            key={"year": year},
            data=annual_data(**over),
        )

    def training(self, no: str = "T-1", **over: Any) -> TrainingRecord:
        return services.create_record(
            actor=self.filer,
            model=TrainingRecord,
            enterprise=self.enterprise,
            key={"record_no": no},
            data=training_data(**over),
        )


@pytest.fixture
def w(clock: Clock) -> World:
    return World()


def annual_data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "revenue_total": "5000000.00",
        "revenue_outsourcing": "3000000",
        "revenue_offshore": "1200000.50",
        "revenue_tase_scope": "2500000",
        "staff_education_spend": "80000",
        "employees_year_end": 120,
        "employees_college_year_end": 90,
    }
    data.update(over)
    return data


def training_data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "trainee_name": "李四",
        "institution": "苏州服务外包职业学院",
        "course": "Java 软件开发",
        "hours": "120.5",
        "completed_on": D(2025, 1, 8),
        "hired": True,
    }
    data.update(over)
    return data


def written() -> tuple[int, int, int]:
    return AnnualReport.objects.count(), TrainingRecord.objects.count(), AuditEvent.objects.count()


def assert_bilingual(error: ServiceError) -> None:
    assert CJK.search(error.message_zh) and not CJK.search(error.message_en)
    assert error.text == f"{error.message_zh} / {error.message_en}"


def verbs(record: FiledRecord) -> list[str]:
    return [
        a.removeprefix(f"filing.{record.kind}.")
        for a in AuditEvent.objects.filter(
            object_id=str(record.pk), action__startswith=f"filing.{record.kind}."
        )
        .order_by("sequence")
        .values_list("action", flat=True)
    ]


# --- the life of each kind through the services -------------------------------------------------


def test_annual_form_full_life(w: World) -> None:
    row = w.annual()
    assert row.status == RecordStatus.DRAFT and row.year == 2024
    assert row.year_end == D(2024, 12, 31) and row.dated_on() == D(2024, 12, 31)
    assert row.period == D(2024, 12, 1)
    assert row.revenue_offshore == Decimal("1200000.50") and row.employees_year_end == 120
    row = services.update_record(actor=w.filer, row=row, data=annual_data(revenue_total="6000000"))
    row = services.submit(actor=w.filer, row=row)
    assert row.status == RecordStatus.SUBMITTED and row.is_late is False  # due 15 January
    row = services.withdraw(actor=w.filer, row=row)
    assert row.status == RecordStatus.DRAFT
    row = services.submit(actor=w.filer, row=row)
    row = review.return_record(actor=w.reviewer, row=row, reason="离岸收入与合同执行不符")
    assert row.status == RecordStatus.RETURNED and row.return_reason == "离岸收入与合同执行不符"
    row = services.update_record(actor=w.filer, row=row, data=annual_data(revenue_offshore="0"))
    row = services.submit(actor=w.filer, row=row)
    record = review.approve_record(actor=w.reviewer, row=row)
    assert isinstance(record, AnnualReport) and record.status == RecordStatus.APPROVED
    assert list(AnnualReport.objects.counting()) == [record]

    # A correction is reviewed beside the approved values, which count until it is approved.
    correction = services.start_correction(actor=w.filer, record=record)
    assert correction.corrects_id == record.pk and correction.year == 2024
    assert correction.year_end == D(2024, 12, 31) and correction.period == D(2024, 12, 1)
    services.update_record(
        actor=w.filer, row=correction, data=annual_data(revenue_offshore="900000")
    )
    services.submit(actor=w.filer, row=correction)
    assert AnnualReport.objects.counting().get().revenue_offshore == Decimal(0)
    review.approve_record(actor=w.reviewer, row=correction)
    counted = AnnualReport.objects.counting().get()
    assert counted.pk == record.pk and counted.revenue_offshore == Decimal("900000")
    review.add_comment(actor=w.reviewer, row=record, text="已核")
    assert verbs(record) == [
        "created",
        "edited",
        "submitted",
        "withdrawn",
        "submitted",
        "returned",
        "edited",
        "submitted",
        "approved",
        "correction_started",
        "correction_approved",
        "commented",
    ]
    assert verify_chain().ok


def test_training_record_full_life(w: World) -> None:
    row = w.training("  T-7  ")
    assert row.record_no == "T-7" and row.hours == Decimal("120.5") and row.hired is True
    assert row.period == D(2025, 1, 1)
    row = services.update_record(actor=w.filer, row=row, data=training_data(hired=False))
    assert row.hired is False
    row = services.submit(actor=w.filer, row=row)
    assert row.is_late is False  # January's record, due on 5 February
    row = services.withdraw(actor=w.filer, row=row)
    row = services.submit(actor=w.filer, row=row)
    row = review.return_record(actor=w.reviewer, row=row, reason="学时与证书不符")
    row = services.update_record(actor=w.filer, row=row, data=training_data(hours="96"))
    row = services.submit(actor=w.filer, row=row)
    record = review.approve_record(actor=w.reviewer, row=row)
    correction = services.start_correction(actor=w.filer, record=record)
    services.update_record(actor=w.filer, row=correction, data=training_data(hours="100"))
    services.submit(actor=w.filer, row=correction)
    assert TrainingRecord.objects.counting().get().hours == Decimal("96")
    review.approve_record(actor=w.reviewer, row=correction)
    assert TrainingRecord.objects.counting().get().hours == Decimal("100")
    assert verbs(record) == [
        "created",
        "edited",
        "submitted",
        "withdrawn",
        "submitted",
        "returned",
        "edited",
        "submitted",
        "approved",
        "correction_started",
        "correction_approved",
    ]
    assert verify_chain().ok


def test_a_draft_is_discarded_with_its_event(w: World) -> None:
    for row in (w.annual(), w.training()):
        services.discard(actor=w.filer, row=row)
        assert not type(row).objects.filter(pk=row.pk).exists()
        assert verbs(row)[-1] == "discarded"


def test_one_form_per_year_and_one_record_per_number(w: World) -> None:
    record = review.approve_record(
        actor=w.reviewer, row=services.submit(actor=w.filer, row=w.annual())
    )
    before = written()
    with pytest.raises(ServiceError) as refused:
        w.annual()
    assert refused.value.code == "duplicate" and refused.value.field == "year"
    assert "annual information form for this year" in refused.value.message_en
    w.training("T-1")
    with pytest.raises(ServiceError) as again:
        w.training("T-1")
    assert again.value.code == "duplicate" and again.value.field == "record_no"
    assert written()[0] == before[0] and TrainingRecord.objects.count() == 1
    # A correction of the form is a second row of the same year.
    services.start_correction(actor=w.filer, record=record)
    assert AnnualReport.objects.filter(year=2024).count() == 2
    # Another enterprise has its own 2024 form.
    services.create_record(
        actor=w.other_filer,
        model=AnnualReport,
        enterprise=w.other,
        key={"year": "2024"},
        data=annual_data(),
    )


# --- refusals -----------------------------------------------------------------------------------


ANNUAL_REFUSALS = [
    ({"revenue_outsourcing": "5000000.01"}, "revenue_above_total", "revenue_outsourcing"),
    ({"revenue_offshore": "3000001"}, "revenue_above_total", "revenue_offshore"),
    ({"revenue_tase_scope": "5000001"}, "revenue_above_total", "revenue_tase_scope"),
    ({"employees_college_year_end": 121}, "college_above_total", "employees_college_year_end"),
    ({"revenue_total": "-1"}, "invalid_amount", "revenue_total"),
    ({"staff_education_spend": "1.005"}, "invalid_amount", "staff_education_spend"),
    ({"revenue_offshore": "abc"}, "invalid_number", "revenue_offshore"),
    ({"revenue_total": "1e30"}, "too_large", "revenue_total"),
    ({"staff_education_spend": None}, "required", "staff_education_spend"),
    ({"employees_year_end": "-3"}, "invalid_count", "employees_year_end"),
    ({"employees_college_year_end": ""}, "required", "employees_college_year_end"),
]


@pytest.mark.parametrize(("over", "code", "field"), ANNUAL_REFUSALS)
def test_annual_checks_refuse_with_field_and_code(
    w: World, over: dict[str, Any], code: str, field: str
) -> None:
    before = written()
    with pytest.raises(ServiceError) as refused:
        w.annual(**over)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert_bilingual(refused.value)
    assert written() == before
    # The same refusal on an edit leaves the row as it was.
    row = w.annual()
    before, values = written(), row.values()
    with pytest.raises(ServiceError) as on_edit:
        services.update_record(actor=w.filer, row=row, data=annual_data(**over))
    assert (on_edit.value.code, on_edit.value.field) == (code, field)
    assert written() == before
    row.refresh_from_db()
    assert row.lock_version == 1 and row.values() == values


def test_zero_amounts_are_accepted_and_the_messages_name_the_values(w: World) -> None:
    row = w.annual(
        revenue_outsourcing="0",
        revenue_offshore="0",
        revenue_tase_scope="0",
        staff_education_spend="0",
        employees_college_year_end=0,
    )
    assert row.revenue_outsourcing == 0 and row.employees_college_year_end == 0
    with pytest.raises(ServiceError) as refused:
        services.update_record(
            actor=w.filer, row=row, data=annual_data(revenue_outsourcing="5000000.01")
        )
    assert "5,000,000.01" in refused.value.message_en and "5,000,000.00" in refused.value.message_en
    with override("zh-hans"):
        assert "服务外包业务收入" in refused.value.message_zh


@pytest.mark.parametrize(
    ("year", "code"),
    [("24", "invalid_year"), ("abcd", "invalid_year"), ("02024", "invalid_year"), ("", "required")],
)
def test_the_year_is_four_digits(w: World, year: str, code: str) -> None:
    before = written()
    with pytest.raises(ServiceError) as refused:
        w.annual(year=year)  # type: ignore[arg-type]
    assert (refused.value.code, refused.value.field) == (code, "year")
    assert written() == before


def test_the_database_holds_the_annual_constraints(w: World) -> None:
    row = w.annual()
    for field, value in [
        ("revenue_outsourcing", Decimal("5000000.01")),
        ("revenue_offshore", Decimal("3000000.01")),
        ("revenue_tase_scope", Decimal("5000000.01")),
        ("employees_college_year_end", 121),
        ("staff_education_spend", Decimal("-1")),
        ("year_end", D(2024, 12, 30)),
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            AnnualReport.objects.filter(pk=row.pk).update(**{field: value})
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingRecord.objects.filter(pk=w.training().pk).update(hours=Decimal(0))


TRAINING_REFUSALS = [
    ({"hours": "0"}, "invalid_hours", "hours"),
    ({"hours": "-2"}, "invalid_hours", "hours"),
    ({"hours": "1.25"}, "invalid_hours", "hours"),
    ({"hours": "100000"}, "too_large", "hours"),
    ({"hours": None}, "required", "hours"),
    ({"completed_on": D(2025, 1, 11)}, "future_date", "completed_on"),
    ({"completed_on": "2025-13-01"}, "invalid_date", "completed_on"),
    ({"completed_on": D(2024, 6, 30)}, "outside_window", "completed_on"),
    ({"trainee_name": "  "}, "required", "trainee_name"),
    ({"trainee_name": "李" * 101}, "too_long", "trainee_name"),
    ({"institution": ""}, "required", "institution"),
    ({"course": "x" * 301}, "too_long", "course"),
    ({"hired": "maybe"}, "invalid_choice", "hired"),
]


@pytest.mark.parametrize(("over", "code", "field"), TRAINING_REFUSALS)
def test_training_checks_refuse_with_field_and_code(
    w: World, over: dict[str, Any], code: str, field: str
) -> None:
    before = written()
    with pytest.raises(ServiceError) as refused:
        w.training(**over)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert_bilingual(refused.value)
    assert written() == before


@pytest.mark.parametrize(
    ("given", "hired"), [(None, False), ("", False), ("是", True), ("false", False), (1, True)]
)
def test_hired_is_yes_or_no(w: World, given: Any, hired: bool) -> None:
    assert w.training(hired=given).hired is hired


def test_the_hours_rule_guards_rows_the_services_did_not_type(w: World) -> None:
    from soms.filing import rules

    row = w.training()
    row.hours = Decimal(0)
    found = [(v.code, v.field) for v in rules.check(row)]
    assert ("invalid_hours", "hours") in found


# --- due date and filing window -----------------------------------------------------------------


def test_the_annual_due_date(settings: Any) -> None:
    assert calendar.due_date(D(2024, 12, 1), Cycle.ANNUAL) == D(2025, 1, 15)
    assert calendar.due_date(D(2024, 12, 1)) == D(2025, 1, 5)  # December's monthly records
    settings.SOMS_ANNUAL_DUE = (2, 30)  # a day February lacks is its last day
    assert calendar.due_date(D(2023, 12, 1), Cycle.ANNUAL) == D(2024, 2, 29)
    assert calendar.due_date(D(2024, 12, 1), Cycle.ANNUAL) == D(2025, 2, 28)


@pytest.mark.parametrize(
    ("day", "late"),
    [
        (D(2025, 1, 2), False),
        (D(2025, 1, 15), False),
        (D(2025, 1, 16), True),
        (D(2025, 3, 31), True),
    ],
)
def test_the_annual_form_is_late_after_15_january(
    w: World, clock: Clock, day: dt.date, late: bool
) -> None:
    clock.set(day)
    row = services.submit(actor=w.filer, row=w.annual())
    assert row.is_late is late
    # A training record completed in December is due on 5 January like any month's record.
    training = services.submit(actor=w.filer, row=w.training(completed_on=D(2024, 12, 20)))
    assert training.is_late is (day > D(2025, 1, 5))


def test_an_extension_of_december_moves_the_annual_due_date(w: World, clock: Clock) -> None:
    review.grant_extension(
        actor=w.reviewer,
        period=D(2024, 12, 1),
        until=D(2025, 1, 31),
        reason="系统故障",
        enterprise=w.enterprise,
    )
    clock.set(D(2025, 1, 31))
    assert services.submit(actor=w.filer, row=w.annual()).is_late is False
    clock.set(D(2025, 2, 1))
    row = services.submit(actor=w.filer, row=w.training(completed_on=D(2024, 12, 1)))
    assert row.is_late is True


def test_the_previous_years_form_is_accepted_until_31_march(w: World, clock: Clock) -> None:
    clock.set(D(2025, 3, 31))
    row = services.submit(actor=w.filer, row=w.annual(2024))
    # The form of the year before is outside the window already.
    with pytest.raises(ServiceError) as older:
        w.annual(2023)
    assert (older.value.code, older.value.field) == ("outside_window", "year")

    clock.set(D(2025, 4, 1))
    before = written()
    with pytest.raises(ServiceError) as refused:
        services.create_record(
            actor=w.other_filer,
            model=AnnualReport,
            enterprise=w.other,
            key={"year": 2024},
            data=annual_data(),
        )
    error = refused.value
    assert (error.code, error.field) == ("outside_window", "year")
    assert "2024-12-31" in error.message_en and "2025-01-01" in error.message_en
    assert_bilingual(error)
    assert written() == before
    # Nor is the form submitted on 31 March approved from 1 April.
    with pytest.raises(ServiceError) as late:
        review.approve_record(actor=w.reviewer, row=row)
    assert late.value.code == "outside_window"
    # A history import is exempt from the window.
    old = services.create_record(
        actor=w.filer,
        model=AnnualReport,
        enterprise=w.enterprise,
        key={"year": 2023},
        data=annual_data(),
        context=Context(history=True),
    )
    assert old.period == D(2023, 12, 1)


@pytest.mark.parametrize("day", [D(2025, 6, 16), D(2025, 12, 31)])
def test_a_years_form_is_filed_once_the_year_has_ended(
    w: World, clock: Clock, day: dt.date
) -> None:
    clock.set(day)
    with pytest.raises(ServiceError) as refused:
        w.annual(2025)
    assert (refused.value.code, refused.value.field) == ("year_not_ended", "year")
    assert "1 January 2026" in refused.value.message_en
    assert_bilingual(refused.value)
    with pytest.raises(ServiceError) as future:
        w.annual(2026)
    assert future.value.code == "year_not_ended"
    clock.set(D(2026, 1, 1))
    assert w.annual(2025).status == RecordStatus.DRAFT


def test_signing_december_off_locks_the_annual_form(w: World, clock: Clock) -> None:
    row = services.submit(actor=w.filer, row=w.annual())
    # An annual form awaiting review keeps December open in the district.
    with pytest.raises(ServiceError) as waiting:
        review.sign_off(actor=w.reviewer, period=D(2024, 12, 1))
    assert waiting.value.code == "queue_not_empty"
    review.approve_record(actor=w.reviewer, row=row)
    review.sign_off(actor=w.reviewer, period=D(2024, 12, 1))
    correction = services.start_correction(actor=w.filer, record=row)
    before = written()
    with pytest.raises(ServiceError) as locked:
        services.submit(actor=w.filer, row=correction)
    assert (locked.value.code, locked.value.field) == ("locked_month", "year")
    assert written() == before
    review.reopen(
        actor=w.city, period=D(2024, 12, 1), unit=Unit("county", "320508"), reason="更正年报"
    )
    assert services.submit(actor=w.filer, row=correction).status == RecordStatus.SUBMITTED


# --- who may act --------------------------------------------------------------------------------


def strangers_acting_on(w: World, row: FiledRecord) -> list[Callable[[], Any]]:
    return [
        lambda: services.update_record(actor=w.other_filer, row=row, data={}),
        lambda: services.withdraw(actor=w.other_filer, row=row),
        lambda: services.discard(actor=w.other_filer, row=row),
        lambda: review.approve_record(actor=w.other_reviewer, row=row),
        lambda: review.return_record(actor=w.city, row=row, reason="x"),
        lambda: review.add_comment(actor=w.other_filer, row=row, text="x"),
    ]


def test_only_the_enterprise_and_its_district_act_on_its_records(w: World) -> None:
    for make in (w.annual, w.training):
        submitted = services.submit(actor=w.filer, row=make())
        before = written(), submitted.lock_version
        for attempt in strangers_acting_on(w, submitted):
            with pytest.raises(NotPermitted):
                attempt()
        submitted.refresh_from_db()
        assert (written(), submitted.lock_version) == before
        assert submitted.status == RecordStatus.SUBMITTED
    with pytest.raises(NotPermitted):
        services.create_record(
            actor=w.other_filer,
            model=TrainingRecord,
            enterprise=w.enterprise,
            key={"record_no": "X"},
            data=training_data(),
        )


# --- the pages ----------------------------------------------------------------------------------


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<div role="alert" data-field-error="{field}">(.*?)</div>', html, re.S)
    return match.group(1) if match else ""


def test_annual_form_through_the_pages(w: World) -> None:
    filer = logged_in(w.filer)
    home = filer.get("/filing/").content.decode()
    assert 'data-testid="create-annual"' in home and 'data-testid="create-training"' in home
    assert "/filing/annual/?month=2024-12" in home  # the annual card counts by year
    form = filer.get("/filing/annual/new/").content.decode()
    assert 'name="year"' in form and 'type="number"' in form and 'value="2024"' in form

    # A refusal is shown under its field, in both languages, and nothing is written.
    before = written()
    body = {"year": "2024", **annual_data(employees_college_year_end="121")}
    response = filer.post("/filing/annual/new/", body)
    assert response.status_code == 200
    error = field_error(response.content.decode(), "employees_college_year_end")
    assert "cannot exceed employees at the year end" in error and CJK.search(error)
    assert written() == before

    response = filer.post("/filing/annual/new/", {"year": "2024", **annual_data()})
    row = AnnualReport.objects.get(enterprise=w.enterprise)
    assert response.status_code == 302 and response["Location"] == f"/filing/annual/{row.pk}/"
    html = filer.get(f"/filing/annual/{row.pk}/").content.decode()
    assert "5,000,000.00" in html and "1,200,000.50" in html
    edit = filer.get(f"/filing/annual/{row.pk}/edit/").content.decode()
    assert re.search(r'name="year"[^>]*disabled', edit)
    response = filer.post(
        f"/filing/annual/{row.pk}/edit/",
        {"year": "2030", "version": 1, **annual_data(revenue_total="5500000")},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.year == 2024 and row.revenue_total == Decimal("5500000")
    assert filer.post(f"/filing/annual/{row.pk}/submit/", {"version": 2}).status_code == 302

    district = logged_in(w.reviewer)
    queue = district.get("/filing/review/?kind=annual").content.decode()
    assert f'data-row="annual:{row.pk}"' in queue
    response = district.post(f"/filing/review/annual/{row.pk}/approve/", {"version": 3})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == RecordStatus.APPROVED

    # A correction is reviewed beside the approved values.
    response = filer.post(f"/filing/annual/{row.pk}/correction/")
    correction = AnnualReport.objects.get(corrects=row)
    assert response["Location"] == f"/filing/annual/{correction.pk}/edit/"
    filer.post(
        f"/filing/annual/{correction.pk}/edit/",
        {"version": 1, **annual_data(revenue_total="5600000")},
    )
    filer.post(f"/filing/annual/{correction.pk}/submit/", {"version": 2})
    page = district.get(f"/filing/annual/{correction.pk}/").content.decode()
    assert 'data-changed="revenue_total"' in page and "5,600,000.00" in page
    queue = district.get("/filing/review/").content.decode()
    assert "<del>5,500,000.00</del>" in queue

    # Another enterprise, another district: 404.
    for user in (w.other_filer, w.other_reviewer):
        other = logged_in(user)
        assert other.get(f"/filing/annual/{row.pk}/").status_code == 404
        assert other.post(f"/filing/annual/{correction.pk}/submit/").status_code == 404
    assert (
        logged_in(w.other_reviewer)
        .post(f"/filing/review/annual/{correction.pk}/approve/")
        .status_code
        == 404
    )


def test_training_record_through_the_pages(w: World) -> None:
    filer = logged_in(w.filer)
    form = filer.get("/filing/training/new/").content.decode()
    assert re.search(r'type="checkbox" name="hired"', form)
    before = written()
    response = filer.post("/filing/training/new/", {"record_no": "T-1", **training_data(hours="0")})
    error = field_error(response.content.decode(), "hours")
    assert "greater than zero" in error and CJK.search(error)
    assert written() == before
    body = {**training_data(), "record_no": "T-1", "completed_on": "2025-01-08"}
    body.pop("hired")  # an unticked box
    response = filer.post("/filing/training/new/", body)
    row = TrainingRecord.objects.get()
    assert response.status_code == 302 and row.hired is False
    response = filer.post(f"/filing/training/{row.pk}/edit/", {**body, "hired": "on", "version": 1})
    row.refresh_from_db()
    assert row.hired is True
    html = filer.get(f"/filing/training/{row.pk}/").content.decode()
    assert "120.5" in html and "120.50" not in html
    listing = filer.get("/filing/training/").content.decode()
    assert "李四" in listing
    filer.post(f"/filing/training/{row.pk}/submit/", {"version": 2})
    district = logged_in(w.reviewer)
    response = district.post(
        f"/filing/review/training/{row.pk}/return/", {"reason": "证书缺失", "version": 3}
    )
    row.refresh_from_db()
    assert row.status == RecordStatus.RETURNED
    assert logged_in(w.other_filer).get(f"/filing/training/{row.pk}/edit/").status_code == 404


# --- the API ------------------------------------------------------------------------------------


class Caller:
    def __init__(self, user: User) -> None:
        _token, key = ApiToken.issue(user, "test")
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        self.client = Client()

    def get(self, url: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{url}", params, **self.headers)

    def post(self, url: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(
            f"/api/v1{url}", body or {}, content_type="application/json", **self.headers
        )

    def put(self, url: str, body: dict[str, Any]) -> Any:
        return self.client.put(
            f"/api/v1{url}", body, content_type="application/json", **self.headers
        )


def refused(response: Any, code: str, field: str | None, status: int = 400) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert (body["code"], body["field"]) == (code, field)
    assert CJK.search(body["message_zh"]) and not CJK.search(body["message_en"])


def test_annual_form_through_the_api(w: World) -> None:
    filer, district = Caller(w.filer), Caller(w.reviewer)
    before = written()
    refused(
        filer.post("/filing/annual/", {"year": 2024, **annual_data(revenue_offshore="3000001")}),
        "revenue_above_total",
        "revenue_offshore",
    )
    refused(
        filer.post("/filing/annual/", {"year": 2025, **annual_data()}), "year_not_ended", "year"
    )
    refused(filer.post("/filing/annual/", annual_data()), "required", "year")
    assert written() == before

    response = filer.post("/filing/annual/", {"year": 2024, **annual_data()})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["kind"] == "annual" and created["key"] == {"year": 2024}
    assert created["period"] == "2024-12"
    assert created["values"]["revenue_outsourcing"] == "3000000.00"
    assert created["values"]["employees_year_end"] == 120
    assert "year_end" not in created["values"]
    id = created["id"]
    response = filer.put(
        f"/filing/annual/{id}", {**annual_data(revenue_total="5100000"), "version": 1}
    )
    assert (
        response.status_code == 200 and response.json()["values"]["revenue_total"] == "5100000.00"
    )
    submitted = filer.post(f"/filing/annual/{id}/submit", {"version": 2}).json()
    assert submitted["status"] == "submitted" and submitted["is_late"] is False

    queue = district.get("/review/queue", kind="annual").json()["items"]
    assert [r["id"] for r in queue] == [id]
    assert Caller(w.other_reviewer).get(f"/filing/annual/{id}").status_code == 404
    assert Caller(w.other_filer).get(f"/filing/annual/{id}").status_code == 404
    assert Caller(w.other_reviewer).post(f"/review/annual/{id}/approve", {}).status_code == 404
    response = district.post(f"/review/annual/{id}/approve", {"version": 3})
    assert response.status_code == 200 and response.json()["status"] == "approved"
    response = filer.post(f"/filing/annual/{id}/correction")
    assert response.status_code == 201 and response.json()["corrects"] == id
    assert filer.get(f"/filing/annual/{id}").json()["open_correction"] == response.json()["id"]


def test_training_records_through_the_api(w: World) -> None:
    filer, district = Caller(w.filer), Caller(w.reviewer)
    body = {"record_no": "T-1", **training_data(completed_on="2025-01-08")}
    refused(filer.post("/filing/training/", {**body, "hours": "0.0"}), "invalid_hours", "hours")
    refused(
        filer.post("/filing/training/", {**body, "completed_on": "2025-02-01"}),
        "future_date",
        "completed_on",
    )
    assert written()[1] == 0
    first = filer.post("/filing/training/", body).json()
    assert first["key"] == {"record_no": "T-1"}
    assert first["values"]["hours"] == "120.5" and first["values"]["hired"] is True
    no_hire = {**body, "record_no": "T-2"}
    no_hire.pop("hired")
    second = filer.post("/filing/training/", no_hire).json()
    assert second["values"]["hired"] is False
    refused(filer.post("/filing/training/", body), "duplicate", "record_no")
    for row in (first, second):
        filer.post(f"/filing/training/{row['id']}/submit", {})
    response = district.post(
        "/review/decisions",
        {
            "records": [{"kind": "training", "id": first["id"]}, {"kind": "annual", "id": 999999}],
            "decision": "approve",
        },
    )
    result = response.json()
    assert [r["id"] for r in result["done"]] == [first["id"]]
    assert [(r["kind"], r["code"]) for r in result["refused"]] == [("annual", "not_found")]
    response = district.post(f"/review/training/{second['id']}/return", {"reason": "缺少证书"})
    assert response.json()["status"] == "returned"
    listed = filer.get("/filing/training/", status="returned").json()["items"]
    assert [r["id"] for r in listed] == [second["id"]]
