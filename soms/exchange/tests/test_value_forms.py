"""Each refused value form of exchange-format.md, in a real file, gets its documented message on
its row and column; the accepted forms (a BOM, GB18030, full-width digits, Excel date cells)
go in."""

from __future__ import annotations

import codecs
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from soms.accounts.choices import Role
from soms.exchange.imports import ContractImporter, ExecutionImporter
from soms.exchange.tests.test_record_imports import CONTRACT_HEADER, TODAY, write_csv
from soms.filing.models import Execution
from soms.reference.services import save_rates
from soms.registry.models import Enterprise
from soms.testing import make_enterprise, make_user

pytestmark = pytest.mark.django_db

HEADER = ("uscc", "contract_no", "execution_no", "executed_on", "currency", "amount")


@pytest.fixture
def ready(tmp_path: Path) -> tuple[Enterprise, Any]:
    save_rates(actor="test", rates=[(dt.date(2026, 10, 1), "USD", Decimal("7.1"))])
    firm = make_enterprise("320508")
    filer = make_user(Role.ENTERPRISE_ADMIN, enterprise=firm)
    row = (firm.uscc, "C-1", "inbound", "Acme", "US", "ITO01", "USD", "100000", "2026-10-01")
    ContractImporter(today=TODAY).run(
        write_csv(tmp_path / "c.csv", CONTRACT_HEADER, [row]), actor=filer
    )
    return firm, filer


REFUSED = [
    # (column, value, words of the documented message)
    ("amount", "12万", "has a unit"),
    ("amount", "3.5亿", "has a unit"),
    ("amount", "1,00.5", "not a plain decimal"),
    ("amount", "1.000,50", "not a plain decimal"),
    ("amount", "about 100", "not a plain decimal"),
    ("amount", "-5", "greater than zero"),
    ("amount", "10.123", "at most two decimals"),
    ("executed_on", "10/9/2026", "is not a date"),
    ("executed_on", "2026-13-01", "is not a date"),
    ("executed_on", "", "is required"),
    ("currency", "RMB", "ISO 4217"),
    ("execution_no", "E\x07", "control characters"),
]


@pytest.mark.parametrize(("column", "value", "words"), REFUSED)
def test_a_refused_value_gets_its_message(
    tmp_path: Path, ready: tuple[Enterprise, Any], column: str, value: str, words: str
) -> None:
    firm, filer = ready
    good = {"uscc": firm.uscc, "contract_no": "C-1", "execution_no": "E-1",
            "executed_on": "2026-10-09", "currency": "USD", "amount": "100.00"}  # fmt: skip
    bad = {**good, "execution_no": "E-2", column: value}
    path = write_csv(tmp_path / "e.csv", HEADER, [tuple(good.values()), tuple(bad.values())])
    result = ExecutionImporter(today=TODAY).run(path, actor=filer)
    assert not result.written and Execution.objects.count() == 0
    assert [(e.row, e.column, e.value) for e in result.errors] == [(3, column, value)]
    message = result.errors[0].message
    assert words in message and " / " in message  # Chinese / English


def test_a_bom_gb18030_full_width_and_excel_dates_go_in(
    tmp_path: Path, ready: tuple[Enterprise, Any]
) -> None:
    firm, filer = ready
    rows = [(firm.uscc, "C-1", "E-1", "2026-10-09", "USD", "１，２００．５０")]
    utf8 = tmp_path / "bom.csv"
    write_csv(utf8, HEADER, rows)
    utf8.write_bytes(codecs.BOM_UTF8 + utf8.read_bytes())
    gb = write_csv(
        tmp_path / "gb.csv",
        ("统一社会信用代码", "合同编号", "执行编号", "执行日期", "币种", "执行金额"),
        [(firm.uscc, "C-1", "E-2", "2026年10月10日", "USD", "300")],
        encoding="gb18030",
    )
    book = Workbook()
    book.active.append(list(HEADER))
    book.active.append([firm.uscc, "C-1", "E-3", dt.datetime(2026, 10, 11), "USD", 99.5])
    xlsx = tmp_path / "dates.xlsx"
    book.save(xlsx)
    for path in (utf8, gb, xlsx):
        result = ExecutionImporter(today=TODAY).run(path, actor=filer)
        assert result.errors == [] and result.created == 1, path.name
    assert sorted(Execution.objects.values_list("execution_no", "executed_on", "amount")) == [
        ("E-1", dt.date(2026, 10, 9), Decimal("1200.50")),
        ("E-2", dt.date(2026, 10, 10), Decimal("300.00")),
        ("E-3", dt.date(2026, 10, 11), Decimal("99.50")),
    ]
