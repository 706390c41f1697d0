"""``soms import rates FILE`` (exchange-format.md: the rates file, Values, Import behaviour)."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook, load_workbook

from soms.accounts.choices import Role
from soms.audit.models import AuditEvent
from soms.reference.models import ExchangeRate
from soms.testing import make_user

pytestmark = pytest.mark.django_db

ROWS = [("2024-01", "USD", "7.1039"), ("2024-01", "EUR", "7.7653"), ("2024-02", "USD", "7.1058")]
EXPECTED = {
    (dt.date(2024, 1, 1), "USD"): Decimal("7.1039"),
    (dt.date(2024, 1, 1), "EUR"): Decimal("7.7653"),
    (dt.date(2024, 2, 1), "USD"): Decimal("7.1058"),
}


def csv_text(rows, header=("month", "currency", "cny_per_unit")) -> str:
    return "\r\n".join(",".join(r) for r in [header, *rows]) + "\r\n"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def run(path: Path, *options: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import", "rates", str(path), *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_refused(path: Path, *options: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import", "rates", str(path), *options, stdout=out, stderr=err)
    return str(refused.value), err.getvalue()


def stored() -> dict[tuple[dt.date, str], Decimal]:
    return {(r.month, r.currency_id): r.cny_per_unit for r in ExchangeRate.objects.all()}


# --- encodings and formats ----------------------------------------------------------------------


def test_csv_utf8(tmp_path):
    out, _err = run(write(tmp_path, "rates.csv", csv_text(ROWS).encode()))
    assert stored() == EXPECTED
    assert "3 created" in out


def test_csv_utf8_with_bom(tmp_path):
    run(write(tmp_path, "rates.csv", b"\xef\xbb\xbf" + csv_text(ROWS).encode()))
    assert stored() == EXPECTED


def test_csv_gb18030_with_chinese_headers(tmp_path):
    data = csv_text(ROWS, header=("月份", "币种", "人民币汇率")).encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # so the file really is read as GB18030
    run(write(tmp_path, "汇率.csv", data))
    assert stored() == EXPECTED


def test_xlsx_with_an_excel_date_cell_and_float_rates(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["币种", "月份", "人民币汇率"])  # column order is free
    sheet.append(["USD", dt.datetime(2024, 1, 1), 7.1039])
    sheet.append(["EUR", dt.datetime(2024, 1, 1), 7.7653])
    sheet.append(["USD", dt.datetime(2024, 2, 1), 7.1058])
    for row in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
        row[0].number_format = "yyyy-mm"
    path = tmp_path / "rates.xlsx"
    workbook.save(path)
    # A real Excel date cell: a serial day number (2024-01-01 is 45292) with a date format.
    sheet_xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert re.search(r'<c r="B2"[^>]*><v>45292</v></c>', sheet_xml)
    check = load_workbook(path).active
    assert check["B2"].is_date
    assert isinstance(check["C2"].value, float)

    run(path)
    assert stored() == EXPECTED


# --- idempotency and updates --------------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing(tmp_path):
    path = write(tmp_path, "rates.csv", csv_text(ROWS).encode())
    run(path)
    rates = {r.pk: (r.cny_per_unit, r.updated_at) for r in ExchangeRate.objects.all()}
    events = AuditEvent.objects.count()
    out, _err = run(path)
    assert "0 created, 0 updated, 3 unchanged" in out
    assert {r.pk: (r.cny_per_unit, r.updated_at) for r in ExchangeRate.objects.all()} == rates
    assert AuditEvent.objects.count() == events


def test_a_changed_rate_is_updated_and_its_history_audited(tmp_path):
    run(write(tmp_path, "rates.csv", csv_text(ROWS).encode()))
    revised = [("2024-01", "USD", "7.1100"), *ROWS[1:]]
    out, _err = run(write(tmp_path, "revised.csv", csv_text(revised).encode()))
    assert "0 created, 1 updated, 2 unchanged" in out
    assert stored()[(dt.date(2024, 1, 1), "USD")] == Decimal("7.11")
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event.action == "reference.rate.saved"
    assert Decimal(event.before["cny_per_unit"]) == Decimal("7.1039")
    assert Decimal(event.after["cny_per_unit"]) == Decimal("7.11")
    assert "revised.csv" in event.reason


# --- errors -------------------------------------------------------------------------------------


def test_one_bad_row_writes_nothing_and_is_named(tmp_path):
    rows = [ROWS[0], ("2024-01", "EUR", "seven"), ROWS[2]]
    message, err = run_refused(write(tmp_path, "rates.csv", csv_text(rows).encode()))
    assert "nothing was written" in message
    assert ExchangeRate.objects.count() == 0
    assert not AuditEvent.objects.exists()
    # The header is row 1, so the second data row is row 3.
    assert "row 3, cny_per_unit “seven”" in err


def test_partial_writes_the_valid_rows(tmp_path):
    rows = [ROWS[0], ("2024-13", "EUR", "7.7653"), ROWS[2]]
    out, err = run(write(tmp_path, "rates.csv", csv_text(rows).encode()), "--partial")
    assert stored() == {k: v for k, v in EXPECTED.items() if k[1] == "USD"}
    assert "row 3, month “2024-13”" in err
    assert "2 created" in out


def test_dry_run_writes_nothing(tmp_path):
    out, _err = run(write(tmp_path, "rates.csv", csv_text(ROWS).encode()), "--dry-run")
    assert ExchangeRate.objects.count() == 0
    assert not AuditEvent.objects.exists()
    assert "nothing written (dry run)" in out


def test_an_unknown_column_is_named(tmp_path):
    data = csv_text(
        [(*r, "x") for r in ROWS], header=("month", "currency", "cny_per_unit", "source_bank")
    ).encode()
    message, _err = run_refused(write(tmp_path, "rates.csv", data))
    assert "source_bank" in message
    assert ExchangeRate.objects.count() == 0


def test_a_missing_column_is_named(tmp_path):
    data = csv_text([r[:2] for r in ROWS], header=("month", "currency")).encode()
    message, _err = run_refused(write(tmp_path, "rates.csv", data))
    assert "cny_per_unit" in message


def test_a_number_with_a_unit_is_refused(tmp_path):
    rows = [("2024-01", "JPY", "12万")]
    message, err = run_refused(write(tmp_path, "rates.csv", csv_text(rows).encode()))
    assert "nothing was written" in message
    assert "row 2, cny_per_unit “12万”" in err
    assert ExchangeRate.objects.count() == 0


def test_a_rate_with_eight_decimal_places_is_kept_exactly(tmp_path):
    rows = [("2024-01", "JPY", "0.04823457"), ("2024-01", "USD", "7.103900000000")]
    path = write(tmp_path, "rates.csv", csv_text(rows).encode())
    run(path)
    assert stored() == {
        (dt.date(2024, 1, 1), "JPY"): Decimal("0.04823457"),
        (dt.date(2024, 1, 1), "USD"): Decimal("7.1039"),
    }
    out, _err = run(path)
    assert "0 created, 0 updated, 2 unchanged" in out


@pytest.mark.parametrize("value", ["0.0482345678", "1234567890123"])
def test_a_rate_the_table_cannot_hold_exactly_is_refused_not_rounded(tmp_path, value):
    rows = [("2024-01", "JPY", value)]
    _message, err = run_refused(write(tmp_path, "rates.csv", csv_text(rows).encode()))
    assert f"row 2, cny_per_unit “{value}”" in err
    assert "at most 8 decimal places" in err
    assert ExchangeRate.objects.count() == 0


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (("2024-01", "XYZ", "1.5"), "currency"),
        (("2024-01", "USD", "0"), "cny_per_unit"),
        (("2024-01", "USD", "-7.1"), "cny_per_unit"),
        (("January 2024", "USD", "7.1"), "month"),
    ],
)
def test_invalid_values_are_named(tmp_path, row, column):
    _message, err = run_refused(write(tmp_path, "rates.csv", csv_text([row]).encode()))
    assert f"row 2, {column}" in err
    assert ExchangeRate.objects.count() == 0


def test_the_same_month_and_currency_twice_in_a_file_is_refused(tmp_path):
    rows = [ROWS[0], ("2024-01", "USD", "7.2")]
    _message, err = run_refused(write(tmp_path, "rates.csv", csv_text(rows).encode()))
    assert "row 3, currency" in err
    assert ExchangeRate.objects.count() == 0


# --- audit and actors ---------------------------------------------------------------------------


def test_each_created_rate_is_audited(tmp_path):
    run(write(tmp_path, "rates.csv", csv_text(ROWS).encode()))
    events = AuditEvent.objects.filter(action="reference.rate.saved")
    assert events.count() == 3
    by_object = {e.object_id: e for e in events}
    for rate in ExchangeRate.objects.all():
        event = by_object[str(rate.pk)]
        assert event.before is None
        assert Decimal(event.after["cny_per_unit"]) == rate.cny_per_unit
        assert event.channel == "cli"
        assert event.actor_id is None
        assert event.actor_name == "command line"


def test_imported_as_a_named_statistician(tmp_path):
    statistician = make_user(Role.MINISTRY_STATISTICIAN)
    run(write(tmp_path, "rates.csv", csv_text(ROWS).encode()), "--user", statistician.username)
    assert stored() == EXPECTED
    assert set(AuditEvent.objects.values_list("actor_id", flat=True)) == {statistician.pk}


def test_a_district_reviewer_may_not_import_rates(tmp_path):
    reviewer = make_user(Role.DISTRICT_REVIEWER, division="310115")
    message, _err = run_refused(
        write(tmp_path, "rates.csv", csv_text(ROWS).encode()), "--user", reviewer.username
    )
    assert "administrators and statisticians" in message
    assert ExchangeRate.objects.count() == 0
