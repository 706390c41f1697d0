"""Importing the record files (contracts, amendments, executions, workforce) as exchange-format.md
describes them, through the filing services."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from soms.accounts.choices import Role
from soms.audit.models import AuditEvent
from soms.core.errors import NotPermitted
from soms.exchange.imports import ContractImporter, ExecutionImporter, WorkforceImporter
from soms.filing.models import Contract, Execution, WorkforceReport
from soms.reference.services import save_rates
from soms.registry.models import Enterprise
from soms.statistics.engine import Query, compute
from soms.testing import make_enterprise, make_user

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)
CONTRACT_HEADER = (
    "uscc",
    "contract_no",
    "direction",
    "counterpart_name",
    "counterpart_country",
    "category_code",
    "currency",
    "amount",
    "signed_on",
)
ALIASES = {
    "uscc": "统一社会信用代码",
    "contract_no": "合同编号",
    "direction": "合同方向",
    "counterpart_name": "对方名称",
    "counterpart_country": "对方国家或地区",
    "category_code": "业务类别",
    "currency": "币种",
    "amount": "合同金额",
    "signed_on": "签约日期",
}


def write_csv(path: Path, header: tuple[str, ...], rows: list[tuple[Any, ...]], **kw: Any) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(kw.get("encoding", "utf-8")))
    return path


@pytest.fixture(autouse=True)
def _rates() -> None:
    months = (dt.date(2026, 9, 1), dt.date(2026, 10, 1))
    save_rates(actor="test", rates=[(m, "USD", Decimal("7.1")) for m in months])


@pytest.fixture
def firm() -> Enterprise:
    return make_enterprise("320508")


@pytest.fixture
def filer(firm: Enterprise) -> Any:
    return make_user(Role.ENTERPRISE_ADMIN, enterprise=firm)


def contract_rows(firm: Enterprise, count: int = 3) -> list[tuple[Any, ...]]:
    return [
        (
            firm.uscc,
            f"C-{n}",
            "inbound",
            "Acme Inc.",
            "US",
            "ITO01",
            "USD",
            "1,000.00",
            "2026-10-05",
        )
        for n in range(1, count + 1)
    ]


def run(importer: Any, path: Path, actor: Any, **kw: Any) -> Any:
    return importer.run(path, actor=actor, **kw)


def test_contracts_enter_as_drafts_and_a_second_import_changes_nothing(
    tmp_path: Path, firm: Enterprise, filer: Any
) -> None:
    header = tuple(ALIASES[c] for c in CONTRACT_HEADER)  # Chinese headers
    path = write_csv(tmp_path / "contracts.csv", header, contract_rows(firm), encoding="gb18030")
    result = run(ContractImporter(today=TODAY), path, filer)
    assert result.errors == []
    assert (result.rows, result.created, result.written) == (3, 3, True)
    contracts = Contract.objects.filter(enterprise=firm).order_by("contract_no")
    assert [(c.contract_no, c.status, c.amount) for c in contracts] == [
        (f"C-{n}", "draft", Decimal("1000.00")) for n in (1, 2, 3)
    ]
    events = AuditEvent.objects.count()
    again = run(ContractImporter(today=TODAY), path, filer)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert AuditEvent.objects.count() == events
    assert Contract.objects.count() == 3


def test_a_changed_draft_is_edited_and_submit_submits(
    tmp_path: Path, firm: Enterprise, filer: Any
) -> None:
    path = write_csv(tmp_path / "c.csv", CONTRACT_HEADER, contract_rows(firm, 1))
    run(ContractImporter(today=TODAY), path, filer)
    rows = [(*contract_rows(firm, 1)[0][:7], "2000", "2026-10-05")]
    path = write_csv(tmp_path / "c2.csv", CONTRACT_HEADER, rows)
    result = run(ContractImporter(today=TODAY, submit=True), path, filer)
    assert result.updated == 1
    contract = Contract.objects.get()
    assert (contract.amount, contract.status) == (Decimal("2000.00"), "submitted")


def test_one_bad_row_refuses_the_file_unless_partial(
    tmp_path: Path, firm: Enterprise, filer: Any
) -> None:
    rows = contract_rows(firm, 4)
    rows[2] = (*rows[2][:7], "12万", rows[2][8])  # a number with a unit: never guessed
    rows[3] = (*rows[3][:5], "ZZZ99", *rows[3][6:])  # not a leaf of the catalogue
    path = write_csv(tmp_path / "c.csv", CONTRACT_HEADER, rows)
    result = run(ContractImporter(today=TODAY), path, filer)
    assert not result.written and Contract.objects.count() == 0
    assert [(e.row, e.column, e.value) for e in result.errors] == [
        (4, "amount", "12万"),
        (5, "category_code", "ZZZ99"),
    ]
    assert "万" in result.errors[0].message and " / " in result.errors[0].message
    partial = run(ContractImporter(today=TODAY), path, filer, partial=True)
    assert partial.written and partial.created == 2
    assert sorted(Contract.objects.values_list("contract_no", flat=True)) == ["C-1", "C-2"]


def test_a_dry_run_checks_every_rule_and_writes_nothing(
    tmp_path: Path, firm: Enterprise, filer: Any
) -> None:
    rows = contract_rows(firm, 2)
    rows.append(rows[0])  # the same key twice in one file
    path = write_csv(tmp_path / "c.csv", CONTRACT_HEADER, rows)
    events = AuditEvent.objects.count()
    result = run(ContractImporter(today=TODAY), path, filer, dry_run=True)
    assert not result.written and Contract.objects.count() == 0
    assert AuditEvent.objects.count() == events
    # The repeated row equals the first, so it is unchanged, not an error.
    assert result.errors == []


def test_an_enterprise_files_only_for_itself(tmp_path: Path, firm: Enterprise, filer: Any) -> None:
    other = make_enterprise("310115")
    path = write_csv(tmp_path / "c.csv", CONTRACT_HEADER, contract_rows(other, 1))
    result = run(ContractImporter(today=TODAY), path, filer)
    assert [(e.row, e.column) for e in result.errors] == [(2, "uscc")]
    assert Contract.objects.count() == 0


def test_executions_name_their_contract(tmp_path: Path, firm: Enterprise, filer: Any) -> None:
    run(
        ContractImporter(today=TODAY),
        write_csv(tmp_path / "c.csv", CONTRACT_HEADER, contract_rows(firm, 1)),
        filer,
    )
    header = ("uscc", "contract_no", "execution_no", "executed_on", "currency", "amount")
    rows = [
        (firm.uscc, "C-1", "E-1", "2026/10/9", "USD", "１００.５０"),  # full-width digits
        (firm.uscc, "C-9", "E-1", "2026年10月9日", "USD", "100"),
    ]
    result = run(ExecutionImporter(today=TODAY), write_csv(tmp_path / "e.csv", header, rows), filer)
    assert [(e.row, e.column, e.value) for e in result.errors] == [(3, "contract_no", "C-9")]
    result = run(
        ExecutionImporter(today=TODAY),
        write_csv(tmp_path / "e.csv", header, rows[:1]),
        filer,
    )
    execution = Execution.objects.get()
    assert (execution.amount, execution.executed_on) == (Decimal("100.50"), dt.date(2026, 10, 9))


def test_workforce_from_xlsx_with_date_cells(tmp_path: Path, firm: Enterprise, filer: Any) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(
        [
            "统一社会信用代码",
            "月份",
            "从业人员",
            "大学及以上学历",
            "新增从业人员",
            "新增大学及以上学历",
        ]
    )
    sheet.append([firm.uscc, dt.datetime(2026, 10, 1), 120, 80, 5, 4])
    sheet.append([firm.uscc, "2026-09", 110, 120, 5, 4])  # more graduates than staff
    path = tmp_path / "w.xlsx"
    book.save(path)
    result = run(WorkforceImporter(today=TODAY), path, filer, partial=True)
    assert result.created == 1
    assert [(e.row, e.column) for e in result.errors] == [(3, "employees_college")]
    assert WorkforceReport.objects.get().month == dt.date(2026, 10, 1)


def test_history_as_approved_is_the_ministry_administrators_and_counts(
    tmp_path: Path, firm: Enterprise, filer: Any
) -> None:
    save_rates(actor="test", rates=[(dt.date(2019, 3, 1), "USD", Decimal("6.7"))])
    rows = [(*contract_rows(firm, 1)[0][:7], "1000", "2019-03-05")]  # long past any window
    path = write_csv(tmp_path / "history.csv", CONTRACT_HEADER, rows)
    with pytest.raises(NotPermitted):
        run(ContractImporter(today=TODAY, as_approved=True), path, filer)
    admin = make_user(Role.MINISTRY_ADMIN)
    result = run(ContractImporter(today=TODAY, as_approved=True), path, admin)
    assert result.created == 1 and result.errors == []
    assert Contract.objects.get().status == "approved"
    figures = compute(Query("contract_value", dt.date(2019, 1, 1), dt.date(2019, 12, 1))).rows
    assert figures[0].value == Decimal("6700.00")
    event = AuditEvent.objects.get(action="import.contracts.as_approved")
    assert event.after["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    # Without the history exemption the same file is refused by the filing window.
    Contract.objects.all().delete()
    result = run(ContractImporter(today=TODAY, submit=True), path, filer)
    assert result.errors and result.errors[0].column == "signed_on"


def test_a_changed_approved_record_becomes_a_correction_for_review(
    tmp_path: Path, firm: Enterprise, filer: Any
) -> None:
    admin = make_user(Role.MINISTRY_ADMIN)
    path = write_csv(tmp_path / "c.csv", CONTRACT_HEADER, contract_rows(firm, 1))
    run(ContractImporter(today=TODAY, as_approved=True), path, admin)
    rows = [(*contract_rows(firm, 1)[0][:7], "1500", "2026-10-05")]
    result = run(
        ContractImporter(today=TODAY), write_csv(tmp_path / "c2.csv", CONTRACT_HEADER, rows), filer
    )
    assert result.updated == 1
    record = Contract.objects.get(corrects__isnull=True)
    correction = Contract.objects.get(corrects=record)
    assert (record.amount, record.status) == (Decimal("1000.00"), "approved")
    assert (correction.amount, correction.status) == (Decimal("1500.00"), "submitted")


def test_the_command_line(tmp_path: Path, firm: Enterprise, filer: Any) -> None:
    path = write_csv(tmp_path / "c.csv", CONTRACT_HEADER, contract_rows(firm, 2))
    out = io.StringIO()
    call_command("import", "contracts", str(path), "--user", filer.username, "--submit", stdout=out)
    assert "2 created" in out.getvalue()
    assert set(Contract.objects.values_list("status", flat=True)) == {"submitted"}
    with pytest.raises(CommandError, match="--submit does not apply to rates"):
        call_command("import", "rates", str(path), "--submit")
    with pytest.raises(CommandError, match="--user"):
        call_command("import", "contracts", str(path))


def test_the_command_line_shows_its_progress(tmp_path: Path, firm: Enterprise, filer: Any) -> None:
    path = write_csv(tmp_path / "c.csv", CONTRACT_HEADER, contract_rows(firm, 200))
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "contracts", str(path), "--user", filer.username, stdout=out, stderr=err)
    assert "\r100 rows read" in err.getvalue() and "\r200 rows read" in err.getvalue()
    assert out.getvalue().startswith("200 rows: 200 created")
