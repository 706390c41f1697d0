"""The life of a filed record, transition by transition (filing.models docstring): every legal
transition writes its audit event; every illegal one is refused with a clear, bilingual message
and changes nothing — neither the row nor the audit trail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.translation import override

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.audit.models import AuditEvent
from soms.audit.services import snapshot, verify_chain
from soms.core.errors import ConflictError, NotPermitted, ServiceError
from soms.filing import services
from soms.filing.choices import RecordStatus
from soms.filing.models import Amendment, Contract, Execution, FiledRecord, WorkforceReport
from soms.filing.signals import record_counted
from soms.registry.choices import RegistrationStatus
from soms.review import services as review
from soms.review.models import Message
from soms.testing import make_enterprise, make_user

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 16)
MONTH = dt.date(2025, 6, 1)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every service sees 16 June 2025 (10:00 in Beijing) as now."""
    moment = dt.datetime(2025, 6, 16, 2, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)


@dataclass
class World:
    enterprise: Any
    filer: User
    reviewer: User
    other_reviewer: User
    city: User
    other_enterprise: Any
    other_filer: User


@pytest.fixture
def w() -> World:
    enterprise = make_enterprise("320508")
    other = make_enterprise("320505")
    return World(
        enterprise=enterprise,
        filer=make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise, email="filer@example.com"),
        reviewer=make_user(Role.DISTRICT_REVIEWER, division="320508"),
        other_reviewer=make_user(Role.DISTRICT_REVIEWER, division="320505"),
        city=make_user(Role.CITY_REVIEWER, division="320500"),
        other_enterprise=other,
        other_filer=make_user(Role.ENTERPRISE_ADMIN, enterprise=other),
    )


def contract_data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "direction": "inbound",
        "counterpart_name": "Acme Inc.",
        "counterpart_country": "US",
        "category": "ITO01",
        "currency": "CNY",
        "amount": "100000.00",
        "signed_on": TODAY,
    }
    data.update(over)
    return data


def new_contract(w: World, no: str = "C-1", **over: Any) -> Contract:
    return services.create_record(
        actor=w.filer,
        model=Contract,
        enterprise=w.enterprise,
        key={"contract_no": no},
        data=contract_data(**over),
    )


def contract_in(state: str, w: World, no: str = "C-1") -> Contract:
    """A contract brought to ``state`` through the services."""
    row = new_contract(w, no)
    if state == "draft":
        return row
    row = services.submit(actor=w.filer, row=row)
    if state == "submitted":
        return row
    if state == "returned":
        return review.return_record(actor=w.reviewer, row=row, reason="金额有误")
    assert state == "approved"
    return review.approve_record(actor=w.reviewer, row=row)  # type: ignore[return-value]


def events(action: str | None = None, obj: FiledRecord | None = None) -> int:
    qs = AuditEvent.objects.all()
    if action:
        qs = qs.filter(action=action)
    if obj is not None:
        qs = qs.filter(object_id=str(obj.pk))
    return qs.count()


def state_of(row: FiledRecord) -> dict[str, Any] | None:
    current = type(row).objects.filter(pk=row.pk).first()
    return snapshot(current) if current else None


ACTIONS: dict[str, Callable[[World, Contract], Any]] = {
    "update": lambda w, row: services.update_record(
        actor=w.filer, row=row, data=contract_data(amount="90000")
    ),
    "submit": lambda w, row: services.submit(actor=w.filer, row=row),
    "withdraw": lambda w, row: services.withdraw(actor=w.filer, row=row),
    "discard": lambda w, row: services.discard(actor=w.filer, row=row),
    "approve": lambda w, row: review.approve_record(actor=w.reviewer, row=row),
    "return": lambda w, row: review.return_record(actor=w.reviewer, row=row, reason="请核对"),
    "start_correction": lambda w, row: services.start_correction(actor=w.filer, record=row),
}
LEGAL: dict[str, dict[str, str | None]] = {
    "draft": {"update": "draft", "submit": "submitted", "discard": None},
    "submitted": {"withdraw": "draft", "approve": "approved", "return": "returned"},
    "returned": {"update": "returned", "submit": "submitted"},
    "approved": {"start_correction": "approved"},
}
AUDIT = {
    "update": "filing.contract.edited",
    "submit": "filing.contract.submitted",
    "withdraw": "filing.contract.withdrawn",
    "discard": "filing.contract.discarded",
    "approve": "filing.contract.approved",
    "return": "filing.contract.returned",
    "start_correction": "filing.contract.correction_started",
}
# The refusals that name the record's current status.
NAMES_STATUS = {"update", "submit", "withdraw", "approve", "return"}
ILLEGAL = [(s, a) for s in LEGAL for a in ACTIONS if a not in LEGAL[s]]
ENGLISH = {
    "draft": "Draft",
    "submitted": "Submitted",
    "returned": "Returned",
    "approved": "Approved",
}


def test_the_table_covers_every_pair() -> None:
    legal = sum(len(v) for v in LEGAL.values())
    assert legal + len(ILLEGAL) == len(LEGAL) * len(ACTIONS) == 28


@pytest.mark.parametrize(
    ("state", "action"), [(s, a) for s, actions in LEGAL.items() for a in actions]
)
def test_legal_transition_changes_state_and_writes_its_event(
    w: World, state: str, action: str
) -> None:
    row = contract_in(state, w)
    before = events()
    result = ACTIONS[action](w, row)
    after_state = LEGAL[state][action]
    current = Contract.objects.filter(pk=row.pk).first()
    if after_state is None:
        assert current is None
    else:
        assert current is not None and current.status == after_state
    assert events() == before + 1
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event.action == AUDIT[action]
    assert event.object_id == str(row.pk)
    assert event.actor_name == (w.reviewer if action in ("approve", "return") else w.filer).username
    if action == "start_correction":
        assert isinstance(result, Contract) and result.corrects_id == row.pk
        assert result.status == RecordStatus.DRAFT
    assert verify_chain().ok


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
def test_illegal_transition_is_refused_and_changes_nothing(
    w: World, state: str, action: str
) -> None:
    row = contract_in(state, w)
    before_row, before_events, before_rows = state_of(row), events(), Contract.objects.count()
    with pytest.raises(ServiceError) as refused:
        ACTIONS[action](w, row)
    error = refused.value
    assert not isinstance(error, NotPermitted | ConflictError)
    expected = "not_editable" if action == "update" else "illegal_transition"
    assert error.code == expected
    # A clear message, in both languages.
    assert error.message_zh != error.message_en
    assert error.text == f"{error.message_zh} / {error.message_en}"
    if action in NAMES_STATUS:
        assert f"“{ENGLISH[state]}”" in error.message_en
        with override("zh-hans"):
            assert str(RecordStatus(state).label) in error.message_zh
    assert state_of(row) == before_row
    assert events() == before_events
    assert Contract.objects.count() == before_rows


def test_create_is_a_draft_with_its_month_and_event(w: World) -> None:
    row = new_contract(w, "  C-7  ", signed_on="2025-05-20")
    assert row.contract_no == "C-7"
    assert row.status == RecordStatus.DRAFT and row.lock_version == 1
    assert row.period == dt.date(2025, 5, 1)
    assert row.created_by == w.filer and row.amount == Decimal("100000.00")
    event = AuditEvent.objects.get(action="filing.contract.created")
    assert event.object_id == str(row.pk) and event.after["contract_no"] == "C-7"


def test_update_bumps_the_version_and_records_before_and_after(w: World) -> None:
    row = new_contract(w)
    row = services.update_record(
        actor=w.filer,
        row=row,
        data=contract_data(amount="120000", signed_on="2025-05-02"),
        expected_version=1,
    )
    assert row.lock_version == 2 and row.amount == Decimal("120000")
    assert row.period == dt.date(2025, 5, 1)
    event = AuditEvent.objects.get(action="filing.contract.edited")
    assert Decimal(event.before["amount"]) == Decimal("100000")
    assert Decimal(event.after["amount"]) == Decimal("120000")


def test_submit_withdraw_resubmit(w: World) -> None:
    row = new_contract(w)
    row = services.submit(actor=w.filer, row=row, expected_version=1)
    assert row.status == RecordStatus.SUBMITTED and row.submitted_at == timezone.now()
    assert row.is_late is False  # June's record, due on 5 July
    row = services.withdraw(actor=w.filer, row=row, expected_version=2)
    assert row.status == RecordStatus.DRAFT and row.lock_version == 3
    row = services.submit(actor=w.filer, row=row)
    assert row.status == RecordStatus.SUBMITTED
    actions = list(
        AuditEvent.objects.filter(object_id=str(row.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == [
        "filing.contract.created",
        "filing.contract.submitted",
        "filing.contract.withdrawn",
        "filing.contract.submitted",
    ]


def test_return_needs_a_reason_and_tells_the_enterprise(w: World) -> None:
    inactive = make_user(
        Role.ENTERPRISE_FILER, enterprise=w.enterprise, is_active=False, email="x@example.com"
    )
    row = contract_in("submitted", w)
    before = state_of(row), events()
    for reason in ("", "   "):
        with pytest.raises(ServiceError) as refused:
            review.return_record(actor=w.reviewer, row=row, reason=reason)
        assert refused.value.code == "reason_required" and refused.value.field == "reason"
    assert (state_of(row), events()) == before
    assert not Message.objects.exists()

    row = review.return_record(actor=w.reviewer, row=row, reason="  合同金额与附件不符  ")
    assert row.status == RecordStatus.RETURNED and row.return_reason == "合同金额与附件不符"
    assert row.decided_by == w.reviewer
    event = AuditEvent.objects.get(action="filing.contract.returned")
    assert event.reason == "合同金额与附件不符"
    message = Message.objects.get()
    assert message.recipient == w.filer and message.kind == "return"
    assert "合同金额与附件不符" in message.body and "C-1" in message.subject
    assert not Message.objects.filter(recipient=inactive).exists()
    assert [m.to for m in mail.outbox] == [["filer@example.com"]]


def test_returned_record_is_edited_resubmitted_and_approved(w: World) -> None:
    row = contract_in("returned", w)
    row = services.update_record(actor=w.filer, row=row, data=contract_data(amount="95000"))
    assert row.status == RecordStatus.RETURNED
    row = services.submit(actor=w.filer, row=row)
    approved = review.approve_record(actor=w.reviewer, row=row)
    assert isinstance(approved, Contract) and approved.status == RecordStatus.APPROVED
    assert approved.return_reason == "" and approved.decided_by == w.reviewer
    assert approved.amount == Decimal("95000")
    assert list(Contract.objects.counting()) == [approved]


def test_discard_removes_the_draft_and_keeps_its_last_state_in_the_trail(w: World) -> None:
    row = new_contract(w)
    services.discard(actor=w.filer, row=row)
    assert not Contract.objects.exists()
    event = AuditEvent.objects.get(action="filing.contract.discarded")
    assert event.before["contract_no"] == "C-1" and event.after is None


def test_a_contract_with_executions_is_not_discarded(w: World) -> None:
    contract = new_contract(w)
    services.create_record(
        actor=w.filer,
        model=Execution,
        enterprise=w.enterprise,
        key={"contract": contract, "execution_no": "E-1"},
        data={"executed_on": TODAY, "currency": "CNY", "amount": "10"},
    )
    with pytest.raises(ServiceError) as refused:
        services.discard(actor=w.filer, row=contract)
    assert refused.value.code == "has_dependants"
    assert Contract.objects.filter(pk=contract.pk).exists()


def test_every_kind_writes_its_own_audit_actions(w: World) -> None:
    contract = contract_in("approved", w)
    kinds: list[tuple[type[FiledRecord], dict[str, Any], dict[str, Any]]] = [
        (
            Amendment,
            {"contract": contract, "amendment_no": "A-1"},
            {"effective_on": TODAY, "new_amount": "150000", "reason": "scope"},
        ),
        (
            Execution,
            {"contract": contract, "execution_no": "E-1"},
            {"executed_on": TODAY, "currency": "CNY", "amount": "5000"},
        ),
        (
            WorkforceReport,
            {"month": dt.date(2025, 5, 1)},
            {"employees": 10, "employees_college": 5, "new_hires": 2, "new_hires_college": 1},
        ),
    ]
    for model, key, data in kinds:
        row = services.create_record(
            actor=w.filer, model=model, enterprise=w.enterprise, key=key, data=data
        )
        row = services.update_record(actor=w.filer, row=row, data=data)
        row = services.submit(actor=w.filer, row=row)
        row = services.withdraw(actor=w.filer, row=row)
        row = services.submit(actor=w.filer, row=row)
        row = review.return_record(actor=w.reviewer, row=row, reason="again")
        row = services.submit(actor=w.filer, row=row)
        record = review.approve_record(actor=w.reviewer, row=row)
        correction = services.start_correction(actor=w.filer, record=record)
        services.submit(actor=w.filer, row=correction)
        review.approve_record(actor=w.reviewer, row=correction)
        review.add_comment(actor=w.reviewer, row=record, text="ok")
        actions = list(
            AuditEvent.objects.filter(object_id=str(record.pk), action__startswith="filing.")
            .filter(action__startswith=f"filing.{model.kind}.")
            .order_by("sequence")
            .values_list("action", flat=True)
        )
        verbs = [a.removeprefix(f"filing.{model.kind}.") for a in actions]
        assert verbs == [
            "created",
            "edited",
            "submitted",
            "withdrawn",
            "submitted",
            "returned",
            "submitted",
            "approved",
            "correction_started",
            "correction_approved",
            "commented",
        ], model.kind
    assert verify_chain().ok


def test_approval_sends_record_counted_with_the_values(w: World) -> None:
    heard: list[dict[str, Any]] = []

    def listener(sender: Any, **kwargs: Any) -> None:
        heard.append({"sender": sender, **kwargs})

    record_counted.connect(listener)
    try:
        row = contract_in("submitted", w)
        review.return_record(actor=w.reviewer, row=row, reason="x")
        assert heard == []  # a return changes nothing that counts
        services.submit(actor=w.filer, row=row)
        approved = review.approve_record(actor=w.reviewer, row=row)
    finally:
        record_counted.disconnect(listener)
    assert len(heard) == 1
    assert heard[0]["sender"] is Contract and heard[0]["record"].pk == approved.pk
    assert heard[0]["before"] is None
    assert heard[0]["after"] == approved.values()
    assert heard[0]["after"]["amount"] == Decimal("100000.00")
    assert heard[0]["after"]["counterpart_country"] == "US"


def test_a_failing_listener_rolls_the_approval_back(w: World) -> None:
    def listener(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("aggregates unavailable")

    row = contract_in("submitted", w)
    before = state_of(row), events()
    record_counted.connect(listener)
    try:
        with pytest.raises(RuntimeError):
            review.approve_record(actor=w.reviewer, row=row)
    finally:
        record_counted.disconnect(listener)
    assert (state_of(row), events()) == before
    assert not Contract.objects.counting().exists()


def test_stale_versions_are_refused_as_conflicts(w: World) -> None:
    row = new_contract(w)
    services.update_record(actor=w.filer, row=row, data=contract_data(amount="1"))
    stale = row.lock_version  # 1, the row is now at 2
    for act in (
        lambda: services.update_record(
            actor=w.filer, row=row, data=contract_data(), expected_version=stale
        ),
        lambda: services.submit(actor=w.filer, row=row, expected_version=stale),
    ):
        before = state_of(row), events()
        with pytest.raises(ConflictError) as refused:
            act()
        assert refused.value.code == "conflict" and refused.value.status == 409
        assert "someone else" in refused.value.message_en
        assert refused.value.message_zh != refused.value.message_en
        assert (state_of(row), events()) == before
    row = services.submit(actor=w.filer, row=row, expected_version=2)
    with pytest.raises(ConflictError):
        services.withdraw(actor=w.filer, row=row, expected_version=2)
    with pytest.raises(ConflictError):
        review.approve_record(actor=w.reviewer, row=row, expected_version=2)
    with pytest.raises(ConflictError):
        review.return_record(actor=w.reviewer, row=row, reason="x", expected_version=2)
    assert review.approve_record(actor=w.reviewer, row=row, expected_version=3).lock_version == 4


# --- who may act ----------------------------------------------------------------------------


def test_only_the_enterprise_files_for_itself(w: World) -> None:
    before = events()
    for actor in (w.other_filer, w.reviewer, w.city):
        with pytest.raises(NotPermitted) as refused:
            services.create_record(
                actor=actor,
                model=Contract,
                enterprise=w.enterprise,
                key={"contract_no": "X"},
                data=contract_data(),
            )
        assert refused.value.code == "not_permitted" and refused.value.status == 403
    assert not Contract.objects.exists() and events() == before

    row = new_contract(w)
    submitted = contract_in("submitted", w, "C-2")
    approved = contract_in("approved", w, "C-3")
    attempts: list[Callable[[], Any]] = [
        lambda: services.update_record(actor=w.other_filer, row=row, data=contract_data()),
        lambda: services.submit(actor=w.other_filer, row=row),
        lambda: services.discard(actor=w.other_filer, row=row),
        lambda: services.withdraw(actor=w.other_filer, row=submitted),
        lambda: services.start_correction(actor=w.other_filer, record=approved),
        lambda: services.update_record(actor=w.reviewer, row=row, data=contract_data()),
        lambda: services.submit(actor=w.reviewer, row=row),
        lambda: review.add_comment(actor=w.other_filer, row=row, text="hi"),
    ]
    unchanged = events(), [state_of(r) for r in (row, submitted, approved)]
    for attempt in attempts:
        with pytest.raises(NotPermitted):
            attempt()
    assert (events(), [state_of(r) for r in (row, submitted, approved)]) == unchanged


def test_only_the_enterprises_district_decides(w: World) -> None:
    row = contract_in("submitted", w)
    before = state_of(row), events()
    for actor in (w.other_reviewer, w.city, w.filer, w.other_filer):
        with pytest.raises(NotPermitted) as refused:
            review.approve_record(actor=actor, row=row)
        assert refused.value.code == "not_permitted"
        with pytest.raises(NotPermitted):
            review.return_record(actor=actor, row=row, reason="x")
    assert (state_of(row), events()) == before
    # The city sees the record and may comment on it, but not decide.
    review.add_comment(actor=w.city, row=row, text="请区里核实")
    assert events("filing.contract.commented", row) == 1


def test_an_inactive_filer_may_do_nothing(w: World) -> None:
    row = new_contract(w)
    w.filer.is_active = False
    w.filer.save()
    with pytest.raises(NotPermitted):
        services.submit(actor=w.filer, row=row)


def test_only_registered_enterprises_file(w: World) -> None:
    for status in (RegistrationStatus.SUBMITTED, RegistrationStatus.DEREGISTERED):
        enterprise = make_enterprise(
            "320508", status=status, registered_on=None, deregistered_on=None
        )
        filer = make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
        with pytest.raises(ServiceError) as refused:
            services.create_record(
                actor=filer,
                model=Contract,
                enterprise=enterprise,
                key={"contract_no": "C"},
                data=contract_data(),
            )
        assert refused.value.code == "not_registered"
        assert refused.value.message_zh != refused.value.message_en


def test_an_execution_waits_for_its_contract(w: World) -> None:
    contract = contract_in("submitted", w)
    execution = services.create_record(
        actor=w.filer,
        model=Execution,
        enterprise=w.enterprise,
        key={"contract": contract, "execution_no": "E-1"},
        data={"executed_on": TODAY, "currency": "CNY", "amount": "10"},
    )
    execution = services.submit(actor=w.filer, row=execution)
    before = state_of(execution), events()
    with pytest.raises(ServiceError) as refused:
        review.approve_record(actor=w.reviewer, row=execution)
    assert refused.value.code == "contract_not_approved" and refused.value.field == "contract"
    assert (state_of(execution), events()) == before
    review.approve_record(actor=w.reviewer, row=contract)
    assert review.approve_record(actor=w.reviewer, row=execution).status == "approved"


def test_an_execution_names_its_own_enterprises_contract(w: World) -> None:
    theirs = services.create_record(
        actor=w.other_filer,
        model=Contract,
        enterprise=w.other_enterprise,
        key={"contract_no": "T-1"},
        data=contract_data(),
    )
    with pytest.raises(ServiceError) as refused:
        services.create_record(
            actor=w.filer,
            model=Execution,
            enterprise=w.enterprise,
            key={"contract": theirs, "execution_no": "E-1"},
            data={"executed_on": TODAY, "currency": "CNY", "amount": "10"},
        )
    assert refused.value.code == "contract_of_other" and refused.value.field == "contract"
    assert not Execution.objects.exists()


def test_decide_many_reports_each_refusal_and_does_the_rest(w: World) -> None:
    good = contract_in("submitted", w, "C-1")
    draft = contract_in("draft", w, "C-2")
    also_good = contract_in("submitted", w, "C-3")
    result = review.decide_many(actor=w.reviewer, rows=[good, draft, also_good], approve=True)
    assert [r.pk for r in result.done] == [good.pk, also_good.pk]
    assert [(r.pk, e.code) for r, e in result.refused] == [(draft.pk, "illegal_transition")]
    assert Contract.objects.counting().count() == 2
    again = review.decide_many(actor=w.reviewer, rows=[good], approve=False, reason="x")
    assert again.done == [] and again.refused[0][1].code == "illegal_transition"
