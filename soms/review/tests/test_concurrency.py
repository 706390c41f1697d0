"""Two reviewers deciding the same record at the same moment, on two real PostgreSQL
connections: exactly one decision is taken, counted and recorded; the other reviewer is told the
record was changed by someone else. SQLite serialises writers wholesale, so these tests need
PostgreSQL.

They commit (transaction=True); the flush after each empties every table, the reference data
included, which the root conftest loads again for the next test that needs the database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from soms.accounts.choices import Role
from soms.audit.models import AuditEvent
from soms.audit.services import verify_chain
from soms.core.errors import ConflictError, ServiceError
from soms.filing import services
from soms.filing.choices import RecordStatus
from soms.filing.models import Contract, FiledRecord
from soms.filing.signals import record_counted
from soms.review import services as review
from soms.review.models import Message
from soms.testing import make_enterprise, make_user

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]


def run_together(works: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Run each work on its own thread (so its own connection), released at the same moment;
    the result or the refusal of each, by name."""
    start = threading.Barrier(len(works))
    results: dict[str, Any] = {}

    def runner(name: str, work: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            try:
                start.wait(timeout=10)
                results[name] = work()
            except ServiceError as error:
                results[name] = error
            except Exception as error:
                results[name] = error
            finally:
                connection.close()

        return run

    threads = [threading.Thread(target=runner(n, w), name=n) for n, w in works.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a decision hung"
    return results


@pytest.fixture
def submitted() -> tuple[Contract, list[Any]]:
    enterprise = make_enterprise("320508")
    filer = make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
    reviewers = [make_user(Role.DISTRICT_REVIEWER, division="320508") for _ in range(2)]
    row = services.create_record(
        actor=filer,
        model=Contract,
        enterprise=enterprise,
        key={"contract_no": "C-1"},
        data={
            "direction": "inbound",
            "counterpart_name": "Acme Inc.",
            "counterpart_country": "US",
            "category": "ITO01",
            "currency": "CNY",
            "amount": "100000.00",
            "signed_on": timezone.localdate(),
        },
    )
    return services.submit(actor=filer, row=row), reviewers


@pytest.fixture
def counted() -> Any:
    heard: list[int] = []
    lock = threading.Lock()

    def listener(sender: Any, record: FiledRecord, **kwargs: Any) -> None:
        with lock:
            heard.append(record.pk)

    record_counted.connect(listener)
    yield heard
    record_counted.disconnect(listener)


DECISIONS = ["filing.contract.approved", "filing.contract.returned"]


def decisions(row: FiledRecord) -> list[str]:
    events = AuditEvent.objects.filter(object_id=str(row.pk), action__in=DECISIONS)
    return list(events.values_list("action", flat=True))


def one_won(results: dict[str, Any]) -> tuple[str, ServiceError]:
    won = [n for n, v in results.items() if isinstance(v, FiledRecord)]
    lost = [v for v in results.values() if not isinstance(v, FiledRecord)]
    assert len(won) == 1 and len(lost) == 1, results
    refusal = lost[0]
    assert isinstance(refusal, ServiceError), repr(refusal)
    assert isinstance(refusal, ConflictError) or refusal.code == "illegal_transition", refusal
    if isinstance(refusal, ConflictError):
        assert refusal.code == "conflict" and "someone else" in refusal.message_en
    return won[0], refusal


def test_two_approvals_at_once_one_succeeds(submitted: Any, counted: list[int]) -> None:
    row, (first, second) = submitted
    version = row.lock_version

    def approve(reviewer: Any) -> Callable[[], Any]:
        def work() -> Any:
            current = Contract.objects.get(pk=row.pk)  # each reads the record first
            return review.approve_record(actor=reviewer, row=current, expected_version=version)

        return work

    results = run_together({"a": approve(first), "b": approve(second)})
    one_won(results)
    row.refresh_from_db()
    assert row.status == RecordStatus.APPROVED and row.lock_version == version + 1
    assert decisions(row) == ["filing.contract.approved"]
    assert counted == [row.pk]  # counted once
    assert Contract.objects.counting().count() == 1
    assert verify_chain().ok


def test_an_approval_and_a_return_at_once_one_decides(submitted: Any, counted: list[int]) -> None:
    row, (approver, returner) = submitted
    version = row.lock_version
    results = run_together(
        {
            "approve": lambda: review.approve_record(
                actor=approver, row=Contract.objects.get(pk=row.pk), expected_version=version
            ),
            "return": lambda: review.return_record(
                actor=returner,
                row=Contract.objects.get(pk=row.pk),
                reason="金额有误",
                expected_version=version,
            ),
        }
    )
    winner, _refusal = one_won(results)
    row.refresh_from_db()
    assert row.lock_version == version + 1
    if winner == "approve":
        assert row.status == RecordStatus.APPROVED and row.return_reason == ""
        assert decisions(row) == ["filing.contract.approved"]
        assert counted == [row.pk]
        assert not Message.objects.exists()
    else:
        assert row.status == RecordStatus.RETURNED and row.return_reason == "金额有误"
        assert decisions(row) == ["filing.contract.returned"]
        assert counted == []
        assert Message.objects.filter(kind="return").count() == 1
    assert verify_chain().ok


def test_without_a_version_the_second_finds_the_record_decided(
    submitted: Any, counted: list[int]
) -> None:
    """A caller that sends no version still gets no double effect: the row lock makes the
    second decision see the first, and it is refused as an illegal transition."""
    row, (first, second) = submitted
    results = run_together(
        {
            "a": lambda: review.approve_record(actor=first, row=Contract.objects.get(pk=row.pk)),
            "b": lambda: review.approve_record(actor=second, row=Contract.objects.get(pk=row.pk)),
        }
    )
    _winner, refusal = one_won(results)
    assert refusal.code == "illegal_transition"
    assert decisions(row) == ["filing.contract.approved"]
    assert counted == [row.pk]


def test_a_withdrawal_racing_an_approval(submitted: Any, counted: list[int]) -> None:
    row, (reviewer, _other) = submitted
    filer = Contract.objects.get(pk=row.pk).created_by
    version = row.lock_version
    results = run_together(
        {
            "approve": lambda: review.approve_record(
                actor=reviewer, row=Contract.objects.get(pk=row.pk), expected_version=version
            ),
            "withdraw": lambda: services.withdraw(
                actor=filer, row=Contract.objects.get(pk=row.pk), expected_version=version
            ),
        }
    )
    winner, _refusal = one_won(results)
    row.refresh_from_db()
    assert row.status == (RecordStatus.APPROVED if winner == "approve" else RecordStatus.DRAFT)
    assert len(counted) == (1 if winner == "approve" else 0)
    assert verify_chain().ok
