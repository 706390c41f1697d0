"""Exports in the exchange formats, so that export → import reproduces the data: the same
columns as the import files, values in their canonical form (ISO dates, plain decimals, codes),
rows in natural-key order. Text that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-`` or ``@``) is written with a leading apostrophe, which the importer takes off again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from soms.accounts.models import User
from soms.core.errors import ServiceError
from soms.core.tabular import neutralise
from soms.exchange.imports import (
    AmendmentImporter,
    ContractImporter,
    EnterpriseImporter,
    ExecutionImporter,
    RowImporter,
    WorkforceImporter,
)
from soms.filing.models import Amendment, Contract, Execution, WorkforceReport
from soms.reference.imports import RATE_COLUMNS
from soms.reference.models import ExchangeRate
from soms.registry.choices import RegistrationStatus
from soms.registry.models import Enterprise


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(str(value))


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _rate(value: Decimal) -> str:
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class Export:
    columns: list[str]
    rows: Callable[[User | None, dict[str, str]], Iterable[list[str]]]


def _records(model: Any, actor: User | None, where: dict[str, str]) -> QuerySet[Any]:
    rows = model.objects.records()
    if actor is not None:
        rows = rows.filter(pk__in=model.objects.restrict(actor, "view").values("pk"))
    for field, value in where.items():
        if field == "uscc":
            rows = rows.filter(enterprise__uscc=value)
        elif field == "status":
            rows = rows.filter(status=value)
        elif field == "month":
            try:
                year, month = (int(p) for p in value.split("-"))
                rows = rows.filter(period=dt.date(year, month, 1))
            except ValueError:
                raise _bad_filter(field, value) from None
        else:
            raise _bad_filter(field, value)
    return rows.select_related("enterprise")


def _bad_filter(field: str, value: str) -> ServiceError:
    return ServiceError(
        _("“%(field)s=%(value)s” is not a filter of this export (uscc, status, month=YYYY-MM)."),
        code="invalid_filter",
        field="where",
        params={"field": field, "value": value},
    )


def _names(importer: type[RowImporter]) -> list[str]:
    return [c.name for c in importer.file_columns()]


def _contracts(actor: User | None, where: dict[str, str]) -> Iterator[list[str]]:
    rows = _records(Contract, actor, where).select_related("category")
    for c in rows.order_by("enterprise__uscc", "contract_no").iterator(chunk_size=2000):
        yield [
            c.enterprise.uscc,
            _text(c.contract_no),
            c.direction,
            _text(c.counterpart_name),
            c.counterpart_country_id,
            c.category.code,
            c.currency_id,
            _amount(c.amount),
            c.signed_on.isoformat(),
            _text(c.start_on),
            _text(c.end_on),
        ]


def _amendments(actor: User | None, where: dict[str, str]) -> Iterator[list[str]]:
    rows = _records(Amendment, actor, where).select_related("contract")
    order = ("enterprise__uscc", "contract__contract_no", "amendment_no")
    for a in rows.order_by(*order).iterator(chunk_size=2000):
        yield [
            a.enterprise.uscc,
            _text(a.contract.contract_no),
            _text(a.amendment_no),
            a.effective_on.isoformat(),
            _amount(a.new_amount),
            _text(a.reason),
        ]


def _executions(actor: User | None, where: dict[str, str]) -> Iterator[list[str]]:
    rows = _records(Execution, actor, where).select_related("contract")
    order = ("enterprise__uscc", "contract__contract_no", "execution_no")
    for x in rows.order_by(*order).iterator(chunk_size=2000):
        yield [
            x.enterprise.uscc,
            _text(x.contract.contract_no),
            _text(x.execution_no),
            x.executed_on.isoformat(),
            x.currency_id,
            _amount(x.amount),
            _text(x.receipt_no),
        ]


def _workforce(actor: User | None, where: dict[str, str]) -> Iterator[list[str]]:
    rows = _records(WorkforceReport, actor, where)
    for w in rows.order_by("enterprise__uscc", "month").iterator(chunk_size=2000):
        yield [
            w.enterprise.uscc,
            f"{w.month:%Y-%m}",
            *(str(getattr(w, f)) for f in WorkforceReport.VALUE_FIELDS),
        ]


def _enterprises(actor: User | None, where: dict[str, str]) -> Iterator[list[str]]:
    rows = Enterprise.objects.filter(status=RegistrationStatus.APPROVED)
    if actor is not None:
        rows = rows.filter(pk__in=Enterprise.objects.restrict(actor, "view").values("pk"))
    for field, value in where.items():
        if field != "uscc":
            raise _bad_filter(field, value)
        rows = rows.filter(uscc=value)
    for e in rows.order_by("uscc").iterator(chunk_size=2000):
        yield [
            e.uscc,
            _text(e.name),
            _text(e.name_en),
            e.division_id,
            e.ownership,
            e.size,
            _text(e.established_on),
        ]


def _rates(actor: User | None, where: dict[str, str]) -> Iterator[list[str]]:
    if where:
        field, value = next(iter(where.items()))
        raise _bad_filter(field, value)
    for r in ExchangeRate.objects.order_by("month", "currency_id").iterator(chunk_size=2000):
        yield [f"{r.month:%Y-%m}", r.currency_id, _rate(r.cny_per_unit)]


EXPORTS = {
    "enterprises": Export(_names(EnterpriseImporter), _enterprises),
    "contracts": Export(_names(ContractImporter), _contracts),
    "amendments": Export(_names(AmendmentImporter), _amendments),
    "executions": Export(_names(ExecutionImporter), _executions),
    "workforce": Export(_names(WorkforceImporter), _workforce),
    "rates": Export([c.name for c in RATE_COLUMNS], _rates),
}


def write(
    kind: str, target: Path | io.BytesIO, *, actor: User | None, where: dict[str, str], fmt: str
) -> int:
    """Write the export; returns the number of rows."""
    export = EXPORTS[kind]
    rows = export.rows(actor, where)
    if fmt == "xlsx":
        return _write_xlsx(target, export.columns, rows)
    return _write_csv(target, export.columns, rows)


def _write_csv(target: Path | io.BytesIO, columns: list[str], rows: Iterable[list[str]]) -> int:
    # UTF-8 with a byte-order mark, which Excel on Chinese Windows needs to read it as UTF-8.
    handle: Any = (
        target.open("w", encoding="utf-8-sig", newline="")
        if isinstance(target, Path)
        else io.TextIOWrapper(target, encoding="utf-8-sig", newline="", write_through=True)
    )
    count = 0
    try:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(row)
            count += 1
    finally:
        if isinstance(target, Path):
            handle.close()
        else:
            handle.detach()
    return count


def _write_xlsx(target: Path | io.BytesIO, columns: list[str], rows: Iterable[list[str]]) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(columns)
    count = 0
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # text as text: never a formula, never a guessed number
            cells.append(cell)
        sheet.append(cells)
        count += 1
    book.save(target)
    return count
