"""Large record files: new records are checked a chunk at a time and written together, and that
must change nothing a filer or an auditor sees: every rule still applies (counting the rows of
the file before it), each record gets its own audit events, and a bad row anywhere refuses the
file unless ``partial``."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from soms.accounts.choices import Role
from soms.audit.models import AuditEvent
from soms.audit.services import snapshot, verify_chain
from soms.exchange.imports import CHUNK, ExecutionImporter
from soms.filing.models import Contract, Execution
from soms.reference.models import CatalogueItem
from soms.reference.services import save_rates
from soms.registry.models import Enterprise
from soms.testing import make_enterprise, make_user

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)
MONTH = dt.date(2026, 10, 1)
HEADER = ("uscc", "contract_no", "execution_no", "executed_on", "currency", "amount")


@pytest.fixture(autouse=True)
def _rates() -> None:
    save_rates(actor="test", rates=[(MONTH, "USD", Decimal("7.1"))])


@pytest.fixture
def firm() -> Enterprise:
    return make_enterprise("320508")


@pytest.fixture
def filer(firm: Enterprise) -> Any:
    return make_user(Role.ENTERPRISE_ADMIN, enterprise=firm)


def approved_contracts(firm: Enterprise, filer: Any, count: int, amount: str) -> None:
    now = timezone.now()
    Contract.objects.bulk_create(
        Contract(
            enterprise=firm,
            status="approved",
            period=MONTH,
            contract_no=f"C-{n}",
            direction="inbound",
            counterpart_name="Acme",
            counterpart_country_id="US",
            category=CatalogueItem.objects.get(code="ITO01"),
            currency_id="USD",
            amount=Decimal(amount),
            signed_on=MONTH,
            created_by=filer,
            submitted_at=now,
            decided_at=now,
            decided_by=filer,
        )
        for n in range(count)
    )


def write(path: Path, rows: list[tuple[Any, ...]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def test_a_10000_row_file_with_one_bad_row_is_refused_whole_unless_partial(
    tmp_path: Path, firm: Enterprise, filer: Any
) -> None:
    approved_contracts(firm, filer, 100, "1000000")
    rows = [
        (firm.uscc, f"C-{n % 100}", f"E-{n}", f"2026-10-{1 + n % 28:02d}", "USD", f"{100 + n}.50")
        for n in range(10_000)
    ]
    rows[6_500] = (*rows[6_500][:5], "3.5亿")  # file row 6,502: a unit is never guessed
    path = write(tmp_path / "executions.csv", rows)
    events = AuditEvent.objects.count()

    refused = ExecutionImporter(today=TODAY).run(path, actor=filer)
    assert not refused.written and refused.created == 0
    assert [(e.row, e.column, e.value) for e in refused.errors] == [(6_502, "amount", "3.5亿")]
    assert "亿" in refused.errors[0].message
    assert Execution.objects.count() == 0 and AuditEvent.objects.count() == events

    accepted = ExecutionImporter(today=TODAY).run(path, actor=filer, partial=True)
    assert accepted.written and (accepted.rows, accepted.created) == (10_000, 9_999)
    assert Execution.objects.count() == 9_999
    assert not Execution.objects.filter(execution_no="E-6500").exists()
    # Each value as written in the file, on the contract the row names.
    stored = {
        e.execution_no: (e.contract.contract_no, e.executed_on, e.amount)
        for e in Execution.objects.select_related("contract")
    }
    for n in (0, 999, 1_000, 6_499, 6_501, 9_999):  # either side of chunk and bad-row edges
        assert stored[f"E-{n}"] == (
            f"C-{n % 100}",
            dt.date(2026, 10, 1 + n % 28),
            Decimal(f"{100 + n}.50"),
        )
    # One created event per record, chained like any other.
    created = AuditEvent.objects.filter(action="filing.execution.created")
    assert created.count() == 9_999
    assert verify_chain().ok


def test_the_rules_count_the_rows_before_in_the_same_file(
    tmp_path: Path, firm: Enterprise, filer: Any
) -> None:
    """Submitted executions may not exceed their contract: the row that crosses the contract's
    value is refused even though the rows before it are not yet written, in any chunk."""
    approved_contracts(firm, filer, 1, "1000")
    rows = [(firm.uscc, "C-0", f"E-{n}", "2026-10-05", "USD", "1") for n in range(CHUNK + 5)]
    # 1 + 1 + 1 + 990 + 7 fill the contract within the first chunk, before anything is written;
    # every later row is over, in the first chunk and in the second.
    rows[3] = (*rows[3][:5], "990")
    rows[4] = (*rows[4][:5], "7")
    rows[CHUNK + 2] = (*rows[CHUNK + 2][:5], "998")
    result = ExecutionImporter(today=TODAY, submit=True).run(
        write(tmp_path / "e.csv", rows), actor=filer, partial=True
    )
    refused = {(e.row, e.column) for e in result.errors}
    total, expected = Decimal(0), set()
    for number, row in enumerate(rows, start=2):
        if total + Decimal(row[5]) > 1000:
            expected.add((number, "amount"))
        else:
            total += Decimal(row[5])
    assert refused == expected and len(expected) > 1
    assert Execution.objects.filter(status="submitted").count() == len(rows) - len(expected)
    assert sum(Execution.objects.values_list("amount", flat=True)) == total


def test_a_key_twice_in_a_file_edits_the_draft_the_first_row_made(
    tmp_path: Path, firm: Enterprise, filer: Any
) -> None:
    approved_contracts(firm, filer, 1, "1000000")
    rows = [
        (firm.uscc, "C-0", "E-1", "2026-10-05", "USD", "100"),
        (firm.uscc, "C-0", "E-2", "2026-10-05", "USD", "200"),
        (firm.uscc, "C-0", "E-1", "2026-10-06", "USD", "150"),
        (firm.uscc, "C-0", "E-3", "2026-10-05", "USD", "300"),
    ]
    result = ExecutionImporter(today=TODAY).run(write(tmp_path / "e.csv", rows), actor=filer)
    assert result.errors == []
    assert (result.created, result.updated) == (3, 1)
    values = dict(Execution.objects.values_list("execution_no", "amount"))
    assert values == {"E-1": Decimal("150"), "E-2": Decimal("200"), "E-3": Decimal("300")}
    first = Execution.objects.get(execution_no="E-1")
    actions = list(
        AuditEvent.objects.for_object(first).order_by("sequence").values_list("action", flat=True)
    )
    assert actions == ["filing.execution.created", "filing.execution.edited"]


def test_submitted_records_carry_the_events_the_services_write(
    tmp_path: Path, firm: Enterprise, filer: Any
) -> None:
    approved_contracts(firm, filer, 1, "1000000")
    rows = [(firm.uscc, "C-0", f"E-{n}", "2026-10-05", "USD", "100") for n in range(3)]
    ExecutionImporter(today=TODAY, submit=True).run(write(tmp_path / "e.csv", rows), actor=filer)
    for execution in Execution.objects.all():
        created, submitted = AuditEvent.objects.for_object(execution).order_by("sequence")
        assert (created.action, submitted.action) == (
            "filing.execution.created",
            "filing.execution.submitted",
        )
        assert created.after["status"] == "draft" and created.after["id"] == execution.pk
        assert submitted.before == created.after
        assert submitted.after == snapshot(execution)
        assert submitted.actor_id == filer.pk
    assert verify_chain().ok


def test_a_file_of_bad_rows_keeps_its_first_errors_and_counts_the_rest(
    tmp_path: Path, firm: Enterprise, filer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory stays bounded however many rows are wrong: the first errors are listed (10,000 in
    production, 5 here), all are counted, and nothing is written."""
    from soms.core import imports

    monkeypatch.setattr(imports, "ERRORS_KEPT", 5)
    path = tmp_path / "bad.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for n in range(12):
            out.writerow([firm.uscc, "NO-SUCH-CONTRACT", f"E-{n}", "2026-10-05", "USD", "100"])
    result = ExecutionImporter().run(path, actor=filer)
    assert result.error_count == 12
    assert [e.row for e in result.errors] == [2, 3, 4, 5, 6]
    assert not result.written and not Execution.objects.exists()
