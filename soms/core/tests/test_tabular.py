"""Reading exchange files and their values (exchange-format.md, "Files" and "Values")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from openpyxl import Workbook

from soms.core.tabular import (
    CellError,
    Column,
    FileError,
    decode,
    parse_date,
    parse_decimal,
    parse_month,
    parse_text,
    read_rows,
)

TEXT = "月份,币种\r\n2024-01,美元\r\n"
COLUMNS = [
    Column("month", "月份"),
    Column("currency", "币种"),
    Column("note", "备注", required=False),
]


# --- encodings ----------------------------------------------------------------------------------


def test_decode_utf8():
    assert decode(TEXT.encode("utf-8")) == TEXT


def test_decode_utf8_with_bom_drops_the_bom():
    assert decode(b"\xef\xbb\xbf" + TEXT.encode("utf-8")) == TEXT


def test_decode_gb18030_as_excel_saves_it():
    data = TEXT.encode("gb18030")
    assert data != TEXT.encode("utf-8")
    assert decode(data) == TEXT


@pytest.mark.parametrize("data", [TEXT.encode("utf-16"), b"month\r\n\xff\xff\r\n", b"\x80"])
def test_bytes_that_are_neither_utf8_nor_gb18030_are_refused(data):
    with pytest.raises(FileError, match="neither UTF-8 nor GB18030"):
        decode(data)


# --- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234.50", Decimal("1234.50")),
        ("1,234.50", Decimal("1234.50")),
        ("1,234,567", Decimal("1234567")),
        (" 7.1039 ", Decimal("7.1039")),
        ("-3", Decimal("-3")),
        ("１２３４．５", Decimal("1234.5")),  # full-width digits and point
        ("１，２３４", Decimal("1234")),  # full-width comma
        (1234, Decimal("1234")),
        (0.1, Decimal("0.1")),  # Excel's binary float, read as the decimal typed
        (7.1039, Decimal("7.1039")),
    ],
)
def test_parse_decimal_accepts_plain_numbers(value, expected):
    parsed = parse_decimal(value)
    assert isinstance(parsed, Decimal)
    assert parsed == expected


@pytest.mark.parametrize(
    "value", ["12万", "3.5亿", "1,23", "12,34.5", "1.234,5", "1e3", "", "abc", "7.1元", True]
)
def test_parse_decimal_refuses_units_and_ambiguous_forms(value):
    with pytest.raises(CellError):
        parse_decimal(value)


def test_a_unit_is_named_in_the_message():
    with pytest.raises(CellError) as refused:
        parse_decimal("12万")
    assert "12万" in str(refused.value)
    assert "plain number" in str(refused.value)


# --- dates and months ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2024-03-05",
        "2024/3/5",
        "2024/03/05",
        "2024年3月5日",
        "２０２４－０３－０５",
        dt.datetime(2024, 3, 5, 0, 0),
        dt.date(2024, 3, 5),
    ],
)
def test_parse_date(value):
    assert parse_date(value) == dt.date(2024, 3, 5)


@pytest.mark.parametrize(
    "value", ["2024-02-30", "2023/2/29", "2024-13-01", "05/03/2024", "20240305", "2024.3.5", ""]
)
def test_parse_date_refuses_impossible_and_ambiguous_dates(value):
    with pytest.raises(CellError):
        parse_date(value)


def test_parse_date_accepts_a_leap_day():
    assert parse_date("2024-02-29") == dt.date(2024, 2, 29)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-01", dt.date(2024, 1, 1)),
        ("2024-12", dt.date(2024, 12, 1)),
        (dt.datetime(2024, 7, 1), dt.date(2024, 7, 1)),
        (dt.date(2024, 7, 15), dt.date(2024, 7, 1)),
    ],
)
def test_parse_month(value, expected):
    assert parse_month(value) == expected


@pytest.mark.parametrize("value", ["2024-13", "2024-00", "2024-1", "202401", "24-01", ""])
def test_parse_month_refuses(value):
    with pytest.raises(CellError):
        parse_month(value)


# --- text ---------------------------------------------------------------------------------------


def test_text_is_trimmed():
    assert parse_text("  上海某某信息技术有限公司 ") == "上海某某信息技术有限公司"


def test_tabs_line_feeds_and_accents_are_ordinary_text():
    assert parse_text("Société Générale\n上海分行\t1号") == "Société Générale\n上海分行\t1号"


@pytest.mark.parametrize(
    "value", ["abc\x00def", "a\x07b", "line\x1bescape", "x\x7fy", "C1\x9bcontrol", "a\rb"]
)
def test_control_characters_are_refused(value):
    with pytest.raises(CellError, match="control characters"):
        parse_text(value)


# --- headers ------------------------------------------------------------------------------------


def _csv(tmp_path, text: str):
    path = tmp_path / "file.csv"
    path.write_bytes(text.encode("utf-8"))
    return path


def test_rows_are_keyed_by_column_name_whatever_the_header_language(tmp_path):
    path = _csv(tmp_path, "币种,MONTH,备注\r\nUSD,2024-01,\r\n\r\n,,\r\nEUR,2024-02,月均价\r\n")
    rows = list(read_rows(path, COLUMNS))
    assert [(r.number, r.values) for r in rows] == [
        (2, {"currency": "USD", "month": "2024-01", "note": ""}),
        # Blank lines are skipped but still counted, so row numbers match the file.
        (5, {"currency": "EUR", "month": "2024-02", "note": "月均价"}),
    ]


def test_unknown_columns_are_named(tmp_path):
    path = _csv(tmp_path, "month,currency,rate,来源\r\n2024-01,USD,7.1,x\r\n")
    with pytest.raises(FileError) as refused:
        list(read_rows(path, COLUMNS))
    assert "rate, 来源" in str(refused.value)


def test_a_column_given_twice_is_refused(tmp_path):
    path = _csv(tmp_path, "month,currency,月份\r\n2024-01,USD,2024-02\r\n")
    with pytest.raises(FileError) as refused:
        list(read_rows(path, COLUMNS))
    assert "twice: month" in str(refused.value)


def test_missing_required_columns_are_named(tmp_path):
    path = _csv(tmp_path, "备注\r\nx\r\n")
    with pytest.raises(FileError) as refused:
        list(read_rows(path, COLUMNS))
    assert "month, currency" in str(refused.value)


def test_an_empty_file_is_refused(tmp_path):
    with pytest.raises(FileError, match="empty"):
        list(read_rows(_csv(tmp_path, ""), COLUMNS))


def test_xlsx_first_sheet_with_typed_cells(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["月份", "币种"])
    sheet.append([dt.datetime(2024, 3, 1), "USD"])
    workbook.create_sheet("other").append(["ignored"])
    path = tmp_path / "file.xlsx"
    workbook.save(path)
    rows = list(read_rows(path, COLUMNS))
    assert len(rows) == 1
    assert rows[0].number == 2
    assert parse_month(rows[0].values["month"]) == dt.date(2024, 3, 1)
    assert rows[0].values["currency"] == "USD"


def test_a_value_under_no_header_is_refused(tmp_path):  # type: ignore[no-untyped-def]
    from soms.core.tabular import Column, FileError, read_rows

    path = tmp_path / "rates.csv"
    path.write_text("month,currency,cny_per_unit,\n2026-10,USD,7.1,\n2026-11,USD,7.2,oops\n")
    columns = [Column("month", "月份"), Column("currency", "币种"), Column("cny_per_unit", "汇率")]
    rows = read_rows(path, columns)
    assert next(rows).values["currency"] == "USD"  # an empty unnamed column is harmless
    with pytest.raises(FileError) as refused:
        next(rows)
    assert "Row 3" in refused.value.text and "column D" in refused.value.text
