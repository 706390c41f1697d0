"""A corpus of malformed files, each refused with a clear message and nothing written: a zip
bomb dressed as XLSX, a truncated XLSX, an XLSX without sheets, binary junk, a 100 MB CSV of one
endless cell, text in neither UTF-8 nor GB18030, NUL bytes, and formulas (taken as text, never
run). The memory an import may take is measured by ``make bench``; here the files are refused
before they are read whole (the zip bomb by its declared size, the endless cell by the field
limit)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import Workbook

from soms.core.tabular import FileError
from soms.exchange.imports import ExecutionImporter
from soms.filing.models import Execution

pytestmark = pytest.mark.django_db
HEADER = "uscc,contract_no,execution_no,executed_on,currency,amount\n"


def _xlsx_bytes() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.strip().split(","))
    sheet.append(["91320500MA1X0000X0", "C-1", "E-1", dt.date(2026, 10, 3), "USD", 100])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _zip_bomb(path: Path) -> None:
    """A valid workbook whose sheet expands to 600 MB of blanks (about 1 MB compressed)."""
    with (
        zipfile.ZipFile(io.BytesIO(_xlsx_bytes())) as good,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for item in good.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                with bomb.open(item.filename, "w", force_zip64=True) as sheet:
                    block = b" " * (1 << 20)
                    for _n in range(600):
                        sheet.write(block)
            else:
                bomb.writestr(item, good.read(item.filename))


def _endless_cell(path: Path) -> None:
    with path.open("wb") as handle:
        handle.write(HEADER.encode())
        block = b"9" * (1 << 20)
        for _n in range(100):  # 100 MB in one cell, no line end
            handle.write(block)


CORPUS = {
    "zip bomb": (_zip_bomb, "expands"),
    "truncated xlsx": (lambda p: p.write_bytes(_xlsx_bytes()[:1500]), "XLSX"),
    "zip without a workbook": (lambda p: _write_zip(p, {"hello.txt": b"hi"}), "XLSX"),
    "binary junk": (lambda p: p.write_bytes(bytes(range(256)) * 64), "UTF-8"),
    "100 MB in one cell": (_endless_cell, "too long"),
    "neither UTF-8 nor GB18030": (
        lambda p: p.write_bytes(HEADER.encode() + b"\x81\x30\xff\xfe,\x80\x80\n"),
        "UTF-8",
    ),
    "NUL bytes": (lambda p: p.write_bytes(HEADER.encode() + b"a\x00b,c\n"), "NUL"),
    "empty": (lambda p: p.write_bytes(b""), "empty"),
}


def _write_zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


@pytest.mark.parametrize("kind", list(CORPUS))
def test_a_malformed_file_is_refused_clearly(tmp_path: Path, filer: Any, kind: str) -> None:
    make, words = CORPUS[kind]
    path = tmp_path / "file"
    make(path)
    with pytest.raises(FileError) as refused:
        ExecutionImporter().run(path, actor=filer)
    message = str(refused.value)
    assert words in message, message
    assert any("\u4e00" <= c <= "\u9fff" for c in message)  # in Chinese and in English
    assert not Execution.objects.exists()


def test_formulas_are_text_never_run(tmp_path: Path, filer: Any, contract: Any) -> None:
    """A cell that looks like a formula is a value like any other: refused where a number is
    due, kept as text where text is due; nothing is evaluated."""
    path = tmp_path / "formulas.csv"
    uscc = contract.enterprise.uscc
    path.write_text(
        HEADER
        + f'{uscc},C-1,"=HYPERLINK(""http://x"")",2026-10-03,USD,100\n'
        + f"{uscc},C-1,E-2,2026-10-03,USD,=1+1\n",
        encoding="utf-8",
    )
    result = ExecutionImporter().run(path, actor=filer, partial=True)
    assert [(e.row, e.column) for e in result.errors] == [(3, "amount")]
    stored = Execution.objects.get()
    assert stored.execution_no == '=HYPERLINK("http://x")' and stored.amount == Decimal("100.00")


@pytest.fixture
def filer(db: Any) -> Any:
    from soms.accounts.choices import Role
    from soms.testing import make_enterprise, make_user

    firm = make_enterprise("320508")
    return make_user(Role.ENTERPRISE_ADMIN, enterprise=firm)


@pytest.fixture
def contract(filer: Any) -> Any:
    from soms.filing.models import Contract
    from soms.reference.models import CatalogueItem, ExchangeRate

    ExchangeRate.objects.create(
        month=dt.date(2026, 10, 1), currency_id="USD", cny_per_unit=Decimal("7.1")
    )
    return Contract.objects.create(
        enterprise=filer.enterprise,
        status="approved",
        period=dt.date(2026, 10, 1),
        contract_no="C-1",
        direction="inbound",
        counterpart_name="Acme",
        counterpart_country_id="US",
        category=CatalogueItem.objects.get(code="ITO01"),
        currency_id="USD",
        amount=Decimal("1000000.00"),
        signed_on=dt.date(2026, 10, 1),
        created_by=filer,
        submitted_at=timezone.now(),
        decided_at=timezone.now(),
        decided_by=filer,
    )
