"""Exports in the import formats: export → import into an empty database → export gives the same
bytes; formula-like text is neutralised in CSV and XLSX."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.exchange.imports import (
    AmendmentImporter,
    ContractImporter,
    ExecutionImporter,
    WorkforceImporter,
)
from soms.exchange.tests.test_record_imports import CONTRACT_HEADER, TODAY, write_csv
from soms.filing.models import Amendment, Contract, Execution, WorkforceReport
from soms.reference.services import save_rates
from soms.registry.models import Enterprise
from soms.testing import make_enterprise, make_user

pytestmark = pytest.mark.django_db

EXECUTION_HEADER = (
    "uscc",
    "contract_no",
    "execution_no",
    "executed_on",
    "currency",
    "amount",
    "receipt_no",
)
WORKFORCE_HEADER = (
    "uscc",
    "month",
    "employees",
    "employees_college",
    "new_hires",
    "new_hires_college",
)
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def filed(tmp_path: Path) -> tuple[Enterprise, Any]:
    save_rates(
        actor="test",
        rates=[
            (dt.date(2026, m, 1), c, Decimal(v))
            for m in (9, 10)
            for c, v in (("USD", "7.1"), ("EUR", "7.85"))
        ],
    )
    firms = [make_enterprise("320508"), make_enterprise("310115")]
    filers = [make_user(Role.ENTERPRISE_ADMIN, enterprise=f) for f in firms]
    for firm, filer in zip(firms, filers, strict=True):
        contracts = [
            (firm.uscc, "C-2", "outbound", FORMULA, "DE", "BPO01", "EUR", "1234.50", "2026-09-30"),
            (
                firm.uscc,
                "C-1",
                "inbound",
                "Acme, Inc.",
                "美国",
                "ITO01",
                "USD",
                "1000",
                "2026/10/5",
            ),
        ]
        ContractImporter(today=TODAY).run(
            write_csv(tmp_path / f"c{firm.pk}.csv", CONTRACT_HEADER, contracts), actor=filer
        )
        amendments = [(firm.uscc, "C-1", "A-1", "2026-10-20", "1200", "+20% scope")]
        AmendmentImporter(today=TODAY).run(
            write_csv(
                tmp_path / f"a{firm.pk}.csv",
                ("uscc", "contract_no", "amendment_no", "effective_on", "new_amount", "reason"),
                amendments,
            ),
            actor=filer,
        )
        executions = [
            (firm.uscc, "C-1", "E-1", "2026-10-09", "USD", "300.25", "-R001"),
            (firm.uscc, "C-1", "E-2", "2026-10-19", "USD", "100", ""),
        ]
        ExecutionImporter(today=TODAY).run(
            write_csv(
                tmp_path / f"e{firm.pk}.csv",
                (
                    "uscc",
                    "contract_no",
                    "execution_no",
                    "executed_on",
                    "currency",
                    "amount",
                    "receipt_no",
                ),
                executions,
            ),
            actor=filer,
        )
        workforce = [(firm.uscc, "2026-10", "120", "80", "5", "4")]
        WorkforceImporter(today=TODAY).run(
            write_csv(
                tmp_path / f"w{firm.pk}.csv",
                (
                    "uscc",
                    "month",
                    "employees",
                    "employees_college",
                    "new_hires",
                    "new_hires_college",
                ),
                workforce,
            ),
            actor=filer,
        )
    return firms[0], filers[0]


def export(kind: str, path: Path, *args: str) -> bytes:
    call_command("export", kind, str(path), *args, stdout=io.StringIO())
    return path.read_bytes()


KINDS = ("contracts", "amendments", "executions", "workforce")
IMPORTERS = {
    "contracts": ContractImporter,
    "amendments": AmendmentImporter,
    "executions": ExecutionImporter,
    "workforce": WorkforceImporter,
}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_import_export_gives_the_same_file(
    tmp_path: Path, filed: tuple[Enterprise, Any], fmt: str
) -> None:
    first = {kind: export(kind, tmp_path / f"{kind}-1.{fmt}") for kind in KINDS}
    assert Contract.objects.count() == 4 and Execution.objects.count() == 4
    # An empty database of records (the enterprises stay: their file is not this one).
    for model in (Execution, Amendment, Contract, WorkforceReport):
        model.objects.all().delete()
    for kind in KINDS:
        for firm in Enterprise.objects.all():
            filer = User.objects.get(enterprise=firm)
            result = IMPORTERS[kind](today=TODAY).run(
                tmp_path / f"{kind}-1.{fmt}", actor=filer, partial=True
            )
            assert all(e.column == "uscc" for e in result.errors)  # the other firm's rows
    second = {kind: export(kind, tmp_path / f"{kind}-2.{fmt}") for kind in KINDS}
    if fmt == "csv":
        assert second == first
    else:  # an XLSX file carries its creation time: compare the cells
        for kind in KINDS:
            assert cells(tmp_path / f"{kind}-2.xlsx") == cells(tmp_path / f"{kind}-1.xlsx")
    text = first["contracts"].decode("utf-8-sig") if fmt == "csv" else ""
    if fmt == "csv":
        assert text.splitlines()[0] == ",".join((*CONTRACT_HEADER, "start_on", "end_on"))
        assert '"\'=HYPERLINK(""http://evil.example"",""click"")"' in text
    assert Contract.objects.get(contract_no="C-2", enterprise=filed[0]).counterpart_name == FORMULA


def cells(path: Path) -> list[list[Any]]:
    book = load_workbook(path)
    return [[c.value for c in row] for row in book.active.iter_rows()]


def test_xlsx_cells_are_text_never_formulas(tmp_path: Path, filed: tuple[Enterprise, Any]) -> None:
    path = tmp_path / "contracts.xlsx"
    export("contracts", path)
    book = load_workbook(path)
    found = [c for row in book.active.iter_rows() for c in row if "HYPERLINK" in str(c.value)]
    assert found and all(c.data_type == "s" and c.value.startswith("'=") for c in found)
    executions = tmp_path / "executions.xlsx"
    export("executions", executions)
    values = [c.value for row in load_workbook(executions).active.iter_rows() for c in row]
    assert "'-R001" in values and "300.25" in values


def test_filters_and_scope(tmp_path: Path, filed: tuple[Enterprise, Any]) -> None:
    firm, filer = filed
    data = export("contracts", tmp_path / "mine.csv", "--user", filer.username)
    lines = data.decode("utf-8-sig").splitlines()
    assert len(lines) == 3 and all(firm.uscc in line for line in lines[1:])
    data = export("executions", tmp_path / "x.csv", "--where", "month=2026-10")
    assert len(data.decode("utf-8-sig").splitlines()) == 5
    with pytest.raises(Exception, match="colour"):
        export("contracts", tmp_path / "bad.csv", "--where", "colour=red")


def test_rates_round_trip(tmp_path: Path, filed: tuple[Enterprise, Any]) -> None:
    first = export("rates", tmp_path / "r1.csv")
    assert "2026-10,USD,7.1\r\n" in first.decode("utf-8-sig")
    admin = make_user(Role.MINISTRY_ADMIN)
    call_command(
        "import", "rates", str(tmp_path / "r1.csv"), "--user", admin.username, stdout=io.StringIO()
    )
    assert export("rates", tmp_path / "r2.csv") == first
