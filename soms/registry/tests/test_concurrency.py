"""Two reviewers acting on the same registration at the same moment, on two real database
connections: exactly one decision is taken and recorded; the other is told that someone else
changed it. Needs PostgreSQL (row locks); SQLite serialises writers wholesale.

These tests commit (transaction=True), and the flush that follows them empties every table,
the reference data included: the module fixture loads it back afterwards.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, transaction

from soms.accounts.choices import Role
from soms.audit.models import AuditEvent
from soms.audit.services import verify_chain
from soms.core.errors import ConflictError, ServiceError
from soms.reference.loaders import load_all, load_divisions
from soms.reference.models import Division
from soms.registry import services
from soms.registry.choices import RegistrationStatus
from soms.registry.models import Enterprise
from soms.testing import make_enterprise, make_user

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]

NEEDED_DIVISIONS = ("310115", "310104")


@pytest.fixture(scope="module", autouse=True)
def _reference_data_restored(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """All reference data again once these tests are done (set up before, so torn down after,
    the flush that follows the last of them)."""
    yield
    with django_db_blocker.unblock():
        load_all()


@pytest.fixture(autouse=True)
def _divisions(transactional_db: Any) -> None:
    """The divisions, which the flush after the previous test removed."""
    if Division.objects.filter(code__in=NEEDED_DIVISIONS).count() < len(NEEDED_DIVISIONS):
        load_divisions()


def in_thread(work: Callable[[], Any], results: dict[str, Any], name: str) -> threading.Thread:
    """Run ``work`` on its own thread, hence its own database connection, closed at the end."""

    def run() -> None:
        try:
            results[name] = work()
        except ServiceError as error:
            results[name] = error
        finally:
            results[f"{name}_at"] = time.monotonic()
            connection.close()

    return threading.Thread(target=run, name=name)


@pytest.fixture
def submitted() -> Enterprise:
    return make_enterprise("310115", status=RegistrationStatus.SUBMITTED)


def decisions(enterprise: Enterprise, action: str) -> int:
    return AuditEvent.objects.filter(action=action, object_id=str(enterprise.pk)).count()


def test_two_approvals_at_once_one_succeeds(submitted):
    reviewers = [make_user(Role.DISTRICT_REVIEWER, division="310115") for _ in range(2)]
    version = submitted.lock_version
    start = threading.Barrier(2)
    results: dict[str, Any] = {}

    def approve(reviewer):  # type: ignore[no-untyped-def]
        def work() -> Enterprise:
            enterprise = Enterprise.objects.get(pk=submitted.pk)  # each reads it first
            start.wait()
            return services.approve_registration(
                actor=reviewer, enterprise=enterprise, expected_version=version
            )

        return work

    threads = [in_thread(approve(r), results, f"t{i}") for i, r in enumerate(reviewers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    outcomes = [results["t0"], results["t1"]]
    succeeded = [o for o in outcomes if isinstance(o, Enterprise)]
    refused = [o for o in outcomes if isinstance(o, ServiceError)]
    assert len(succeeded) == 1, outcomes
    assert len(refused) == 1, outcomes
    assert isinstance(refused[0], ConflictError) or refused[0].code == "illegal_transition"
    submitted.refresh_from_db()
    assert submitted.status == RegistrationStatus.APPROVED
    assert submitted.lock_version == version + 1
    assert decisions(submitted, "registry.enterprise.approved") == 1
    assert verify_chain().ok


def test_an_approval_and_a_return_overlapping_the_second_waits_and_is_refused(submitted):
    """The approval holds the row until it commits; the return, started meanwhile, waits for
    it and then finds a newer version instead of overwriting the decision."""
    approver = make_user(Role.DISTRICT_REVIEWER, division="310115")
    returner = make_user(Role.DISTRICT_REVIEWER, division="310115")
    version = submitted.lock_version
    approved_inside = threading.Event()
    results: dict[str, Any] = {}

    def approve() -> Enterprise:
        with transaction.atomic():
            enterprise = services.approve_registration(
                actor=approver, enterprise=submitted, expected_version=version
            )
            approved_inside.set()
            time.sleep(0.5)  # still uncommitted: the return below must wait for the row
            # Taken just before the commit: the row lock is released only after this moment.
            results["committing_at"] = time.monotonic()
        return enterprise

    def give_back() -> Enterprise:
        approved_inside.wait(timeout=10)
        enterprise = Enterprise.objects.get(pk=submitted.pk)
        assert enterprise.status == RegistrationStatus.SUBMITTED  # the approval is not visible
        return services.return_registration(
            actor=returner, enterprise=enterprise, reason="资料不全", expected_version=version
        )

    threads = [in_thread(approve, results, "approve"), in_thread(give_back, results, "return")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert isinstance(results["approve"], Enterprise)
    assert isinstance(results["return"], ConflictError), results["return"]
    assert results["return_at"] >= results["committing_at"]  # it waited for the lock
    submitted.refresh_from_db()
    assert submitted.status == RegistrationStatus.APPROVED
    assert submitted.return_reason == ""
    assert decisions(submitted, "registry.enterprise.approved") == 1
    assert decisions(submitted, "registry.enterprise.returned") == 0


def test_concurrent_decisions_on_different_enterprises_keep_the_audit_chain_linear():
    pairs = [
        (
            make_enterprise(code, status=RegistrationStatus.SUBMITTED),
            make_user(Role.DISTRICT_REVIEWER, division=code),
        )
        for code in NEEDED_DIVISIONS
    ]
    start = threading.Barrier(len(pairs))
    results: dict[str, Any] = {}

    def approve(enterprise, reviewer):  # type: ignore[no-untyped-def]
        def work() -> Enterprise:
            start.wait()
            return services.approve_registration(actor=reviewer, enterprise=enterprise)

        return work

    threads = [in_thread(approve(e, r), results, f"t{i}") for i, (e, r) in enumerate(pairs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(isinstance(results[f"t{i}"], Enterprise) for i in range(len(pairs))), results
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))
    report = verify_chain()
    assert report.ok, report.problem
