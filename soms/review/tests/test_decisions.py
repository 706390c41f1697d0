"""Reviewers' decisions on records: who may decide, what a decision writes, comments, and
decisions on several records at once."""

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
from soms.filing.models import Amendment, Contract
from soms.filing.rules import Context
from soms.review import services as review
from soms.review.models import Comment, Message
from soms.testing import make_enterprise, make_user

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 16)
MOMENT = dt.datetime(2025, 6, 16, 2, 0, tzinfo=dt.UTC)
CTX = Context(today=TODAY)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timezone, "now", lambda: MOMENT)


@pytest.fixture
def r() -> dict[str, Any]:
    enterprise = make_enterprise("320508")
    other = make_enterprise("320505")
    return {
        "enterprise": enterprise,
        "filer": make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise),
        "colleague": make_user(Role.ENTERPRISE_FILER, enterprise=enterprise),
        "other_filer": make_user(Role.ENTERPRISE_ADMIN, enterprise=other),
        "district": make_user(Role.DISTRICT_REVIEWER, division="320508"),
        "other_district": make_user(Role.DISTRICT_REVIEWER, division="320505"),
        "city": make_user(Role.CITY_REVIEWER, division="320500"),
        "other_city": make_user(Role.CITY_REVIEWER, division="320200"),
        "province": make_user(Role.PROVINCE_REVIEWER, division="320000"),
        "ministry": make_user(Role.MINISTRY_ADMIN),
        "evaluator": make_user(Role.CITY_EVALUATOR, division="320500"),
    }


def submitted_contract(r: dict[str, Any], no: str = "C-1", **over: Any) -> Contract:
    data: dict[str, Any] = {
        "direction": "inbound",
        "counterpart_name": "Acme Inc.",
        "counterpart_country": "JP",
        "category": "BPO01",
        "currency": "CNY",
        "amount": "8000",
        "signed_on": TODAY,
    }
    data.update(over)
    row = services.create_record(
        actor=r["filer"],
        model=Contract,
        enterprise=r["enterprise"],
        key={"contract_no": no},
        data=data,
        context=CTX,
    )
    return services.submit(actor=r["filer"], row=row, context=CTX)


def frozen(row: Contract) -> tuple[Any, int, int]:
    return (
        snapshot(Contract.objects.get(pk=row.pk)),
        AuditEvent.objects.count(),
        Message.objects.count(),
    )


def test_an_approval_records_who_and_when(r: dict[str, Any]) -> None:
    row = submitted_contract(r)
    approved = review.approve_record(actor=r["district"], row=row, expected_version=2)
    approved.refresh_from_db()
    assert approved.status == RecordStatus.APPROVED
    assert approved.decided_by == r["district"] and approved.decided_at == MOMENT
    assert approved.lock_version == 3
    event = AuditEvent.objects.get(action="filing.contract.approved")
    assert event.actor == r["district"]
    assert event.before["status"] == "submitted" and event.after["status"] == "approved"
    assert not Message.objects.exists()  # approvals send no message


@pytest.mark.parametrize(
    "who",
    [
        "other_district",
        "city",
        "other_city",
        "province",
        "ministry",
        "evaluator",
        "filer",
        "colleague",
        "other_filer",
    ],
)
def test_only_the_district_reviewer_decides(r: dict[str, Any], who: str) -> None:
    row = submitted_contract(r)
    before = frozen(row)
    with pytest.raises(NotPermitted) as refused:
        review.approve_record(actor=r[who], row=row)
    assert refused.value.code == "not_permitted"
    assert refused.value.message_zh != refused.value.message_en
    with pytest.raises(NotPermitted):
        review.return_record(actor=r[who], row=row, reason="不符")
    assert review.decide_many(actor=r[who], rows=[row], approve=True).refused[0][1].code == (
        "not_permitted"
    )
    assert frozen(row) == before


def test_an_inactive_reviewer_decides_nothing(r: dict[str, Any]) -> None:
    row = submitted_contract(r)
    r["district"].is_active = False
    r["district"].save()
    with pytest.raises(NotPermitted):
        review.approve_record(actor=r["district"], row=row)


def test_a_return_tells_each_active_user_of_the_enterprise_in_both_languages(
    r: dict[str, Any],
) -> None:
    row = submitted_contract(r)
    review.return_record(actor=r["district"], row=row, reason="请补充合同附件")
    messages = Message.objects.order_by("recipient_id")
    assert [m.recipient for m in messages] == [r["filer"], r["colleague"]]
    for message in messages:
        assert message.kind == "return"
        assert " / " in message.subject and "C-1" in message.subject
        assert "请补充合同附件" in message.body


def test_an_amendment_waits_for_its_contract(r: dict[str, Any]) -> None:
    contract = submitted_contract(r)
    amendment = services.create_record(
        actor=r["filer"],
        model=Amendment,
        enterprise=r["enterprise"],
        key={"contract": contract, "amendment_no": "A-1"},
        data={"effective_on": TODAY, "new_amount": "9000", "reason": "扩大范围"},
        context=CTX,
    )
    amendment = services.submit(actor=r["filer"], row=amendment, context=CTX)
    with pytest.raises(ServiceError) as refused:
        review.approve_record(actor=r["district"], row=amendment, context=CTX)
    assert refused.value.code == "contract_not_approved"
    review.approve_record(actor=r["district"], row=contract, context=CTX)
    assert review.approve_record(actor=r["district"], row=amendment, context=CTX).status == (
        "approved"
    )


def test_decide_many(r: dict[str, Any]) -> None:
    rows = [submitted_contract(r, f"C-{i}") for i in range(3)]
    services.withdraw(actor=r["filer"], row=rows[1])

    nothing = review.decide_many(actor=r["district"], rows=rows, approve=False, reason=" ")
    assert nothing.done == []
    assert {e.code for _, e in nothing.refused} == {"reason_required"}
    assert Contract.objects.filter(status="submitted").count() == 2

    returned = review.decide_many(actor=r["district"], rows=rows, approve=False, reason="重填")
    assert [row.pk for row in returned.done] == [rows[0].pk, rows[2].pk]
    assert [(row.pk, e.code) for row, e in returned.refused] == [(rows[1].pk, "illegal_transition")]
    assert {c.return_reason for c in Contract.objects.filter(status="returned")} == {"重填"}
    assert AuditEvent.objects.filter(action="filing.contract.returned").count() == 2


def test_comments(r: dict[str, Any]) -> None:
    row = submitted_contract(r)
    thread = [
        (r["district"], "金额与附件不一致？"),
        (r["filer"], "  附件已更新  "),
        (r["city"], "请区里复核"),
        (r["province"], "已阅"),
        (r["ministry"], "ok"),
    ]
    for author, text in thread:
        review.add_comment(actor=author, row=row, text=text)
    comments = review.comments_on(row)
    assert [(c.author, c.text) for c in comments] == [(a, t.strip()) for a, t in thread]
    events = AuditEvent.objects.filter(action="filing.contract.commented").order_by("sequence")
    assert [e.after["comment"] for e in events] == [t.strip() for _, t in thread]
    assert all(e.object_id == str(row.pk) for e in events)

    count = Comment.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ServiceError) as refused:
        review.add_comment(actor=r["district"], row=row, text="   ")
    assert (refused.value.code, refused.value.field) == ("required", "text")
    for outsider in ("other_district", "other_city", "other_filer", "evaluator"):
        with pytest.raises(NotPermitted):
            review.add_comment(actor=r[outsider], row=row, text="hello")
    assert (Comment.objects.count(), AuditEvent.objects.count()) == count
    # A comment is not a decision.
    row.refresh_from_db()
    assert row.status == RecordStatus.SUBMITTED
