"""The release's Excel tables: every cell of every table equals the release's frozen figure
(money converted to 100 millions here, with Decimal, half up to two decimals), a confidential
cell shows "C" and its exact value appears nowhere in the file, the headers carry the units,
the panes are frozen, and the workbook reads in English as in Chinese. An official's workbook of
current exact figures shows Shanghai's lone enterprise as it is.

Fixture: see conftest (March 2026; Shanghai and Hubei each have one enterprise, so their
provinces are confidential in a release).
"""

from __future__ import annotations

import io
import re
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.utils import translation
from openpyxl import load_workbook

from soms.dissemination.services import frozen_figures, prepare_release, publish_release
from soms.dissemination.tables import TABLES, Figures, Table, compute_figures
from soms.dissemination.tests.conftest import USD_RATE, History
from soms.dissemination.workbook import workbook

pytestmark = pytest.mark.django_db

HEADING = "2026年3月全国服务外包统计"
FIRST_ROW = 6  # below the title, period, heading and the two header rows
SHANGHAI = "310000"
MONEY = {(t.code, s.code): s.money for t in TABLES for s in t.series}
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def hundred_millions(value: Decimal) -> Decimal:
    return (value / Decimal(100_000_000)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def number(value: Any) -> Decimal:
    assert isinstance(value, int | float) and not isinstance(value, bool), value
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


@pytest.fixture
def published(history: History) -> Figures:
    release = prepare_release(history.statistician, history.month)
    release = publish_release(history.statistician, release)
    return frozen_figures(release)


def read(content: bytes) -> Any:
    return load_workbook(io.BytesIO(content))


def body(ws: Any) -> dict[str, int]:
    """The table's rows by code (the total's is ""), in order."""
    rows = {}
    row = FIRST_ROW
    while ws.cell(row=row, column=1).value:
        code = ws.cell(row=row, column=2).value or ""
        assert code not in rows, code
        rows[code] = row
        row += 1
    return rows


def check_table(ws: Any, table: Table, figures: Figures) -> tuple[set[tuple[int, int]], int]:
    """Every cell of the table against the figures; the positions checked and how many were
    confidential."""
    rows = body(ws)
    keys = sorted({k for t, _s, k in figures.cells if t == table.code and k})
    assert list(rows)[-1] == "" and set(rows) == {*keys, ""}, table.code
    assert ws.cell(row=rows[""], column=1).font.b
    if keys:
        assert not ws.cell(row=rows[keys[0]], column=1).font.b
    if table.order == "key":
        assert list(rows)[:-1] == keys
    checked, confidential = set(), 0
    for index, series in enumerate(table.series):
        column = 3 + 2 * index
        for key, row in rows.items():
            cell = figures.get(table.code, series.code, key)
            value = ws.cell(row=row, column=column)
            growth = ws.cell(row=row, column=column + 1)
            checked |= {(row, column), (row, column + 1)}
            if cell is None or (cell.value is None and cell.flag != "C"):
                assert value.value is None and growth.value is None, (table.code, key)
            elif cell.flag == "C":
                confidential += 1
                assert value.value == "C" and value.alignment.horizontal == "right"
                assert growth.value is None, (table.code, series.code, key)
            elif MONEY[table.code, series.code]:
                assert number(value.value) == hundred_millions(cell.value), (table.code, key)
                assert value.number_format == "#,##0.00"
            else:
                assert number(value.value) == cell.value, (table.code, key)
                assert value.number_format == "#,##0"
            if cell is not None and cell.flag != "C":
                if cell.yoy_pct is None:
                    assert growth.value is None
                else:
                    assert number(growth.value) == cell.yoy_pct
                    assert growth.number_format == "0.0"
    if table.order == "value":
        firsts = [ws.cell(row=row, column=3).value for key, row in rows.items() if key]
        ranked = [v for v in firsts if v not in ("C", None)]
        assert ranked == sorted(ranked, reverse=True)
        assert firsts[: len(ranked)] == ranked  # confidential and empty rows after the figures
    return checked, confidential


def test_every_cell_of_every_table_is_the_release_figure(published: Figures) -> None:
    with translation.override("zh-hans"):
        book = read(workbook(published, heading=HEADING))
        titles = [str(table.title) for table in TABLES]
    assert len(book.worksheets) == len(TABLES) + 1
    confidential = numbers = 0
    for ws, table, title in zip(book.worksheets, TABLES, titles, strict=False):
        checked, hidden = check_table(ws, table, published)
        confidential += hidden
        assert title in ws["A1"].value
        assert ws["A3"].value.startswith(HEADING)
        assert ws.freeze_panes == "C6"
        # Figures are numbers wherever they are, and only where the table's cells are.
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, int | float):
                    numbers += 1
                    assert (cell.row, cell.column) in checked, (ws.title, cell.coordinate)
                assert cell.data_type != "f"
    assert confidential > 20 and numbers > 50
    province = book.worksheets[1]
    assert province.cell(row=body(province)[SHANGHAI], column=1).value == "上海市"
    assert province.cell(row=body(province)[""], column=1).value == "合计"


def test_a_confidential_figure_appears_nowhere_in_the_workbook(
    history: History, published: Figures
) -> None:
    exact = compute_figures(history.month, public=False)
    content = workbook(published, heading=HEADING, note="Embargo until 09:30.")
    book = read(content)
    shown: set[Decimal] = set()
    texts: list[str] = []
    for ws in book.worksheets:
        assert ws.sheet_state == "visible"
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, int | float):
                    shown.add(number(cell.value))
                elif cell.value is not None:
                    texts.append(str(cell.value))
    assert not book.defined_names
    archive = zipfile.ZipFile(io.BytesIO(content))
    xml = "".join(archive.read(n).decode() for n in archive.namelist() if n.endswith(".xml"))

    def in_unit(table: str, series: str, value: Decimal) -> Decimal:
        return hundred_millions(value) if MONEY[table, series] else value

    published_values = {
        in_unit(t, s, c.value) for (t, s, _k), c in published.cells.items() if c.value is not None
    } | {c.yoy_pct for c in published.cells.values() if c.yoy_pct is not None}
    secrets = 0
    for (table, series, key), cell in published.cells.items():
        if cell.flag != "C":
            continue
        truth = exact.get(table, series, key)
        assert truth is not None and truth.value is not None
        assert cell.value is None and cell.yoy_pct is None
        # No trace of the exact figure (unrounded, in yuan or dollars) anywhere in the file.
        raw = f"{truth.value:f}".split(".")[0]
        if len(raw) >= 6:
            assert raw not in xml, (table, series, key)
        value = in_unit(table, series, truth.value)
        if value in published_values:
            continue  # a rounded figure equal to a published one by chance
        secrets += 1
        assert value not in shown, (table, series, key, value)
        # Nor written as text: amounts (with their decimals) and counts of three digits or more
        # (smaller ones are in the tables' numbers, "Table 10").
        if MONEY[table, series] or value >= 100:
            figure = re.compile(rf"(?<![\d.]){re.escape(str(value))}(?![\d])")
            assert not any(figure.search(text) for text in texts), (table, series, key, value)
    assert secrets >= 10
    # Shanghai's contracts (its one enterprise): 5.88 hundred million yuan, never shown.
    assert published.get("province", "contract_value_cny", SHANGHAI).flag == "C"
    assert Decimal("5.88") not in shown
    assert "Embargo until 09:30." in texts


def test_headers_carry_the_units_and_the_panes_are_frozen(published: Figures) -> None:
    with translation.override("en"):
        book = read(workbook(published, heading="March 2026"))
        labels = {s.code: str(s.label) for t in TABLES for s in t.series}
    units = {
        "contract_value_cny": "100 million yuan",
        "execution_value_cny": "100 million yuan",
        "offshore_execution_value_cny": "100 million yuan",
        "contract_value_usd": "100 million US dollars",
        "execution_value_usd": "100 million US dollars",
        "offshore_contract_value_usd": "100 million US dollars",
        "offshore_execution_value_usd": "100 million US dollars",
        "enterprises_registered": "enterprises",
        "enterprises_active": "enterprises",
        "employees": "persons",
        "employees_college": "persons",
        "new_hires": "persons",
        "new_hires_college": "persons",
    }
    for ws, table in zip(book.worksheets, TABLES, strict=False):
        assert ws.freeze_panes == "C6"
        assert ws.max_column == 2 + 2 * len(table.series)
        assert ws["B4"].value == "Code"
        for index, series in enumerate(table.series):
            column = 3 + 2 * index
            header = ws.cell(row=4, column=column).value
            assert header == f"{labels[series.code]} ({units[series.code]})", header
            merged = f"{ws.cell(row=4, column=column).coordinate}:"
            merged += ws.cell(row=4, column=column + 1).coordinate
            assert merged in {str(r) for r in ws.merged_cells.ranges}
            assert ws.cell(row=5, column=column).value == "Value"
            assert ws.cell(row=5, column=column + 1).value == "Year on year %"
            assert ws.column_dimensions[ws.cell(row=4, column=column).column_letter].width >= 12
        assert ws.column_dimensions["A"].width >= 12
    with translation.override("zh-hans"):
        book = read(workbook(published, heading=HEADING))
    national = book.worksheets[0]
    assert "亿元" in national["C4"].value and "亿美元" in national["G4"].value
    assert "人" in book.worksheets[-2]["G4"].value


def test_the_workbook_reads_in_english(published: Figures) -> None:
    with translation.override("en"):
        book = read(workbook(published, heading="Service outsourcing, March 2026", note="Revised."))
    assert book.sheetnames == [
        "T1 National",
        "T2 Provinces",
        "T3 Regions",
        "T4 Types",
        "T5 Categories",
        "T6 Market groups",
        "T7 Markets",
        "T8 Demonstration",
        "T9 Demonstration cities",
        "T10 Enterprises",
        "Notes",
    ]
    national = book.worksheets[0]
    assert national["A1"].value == "Table 1. National, by month"
    assert national["A2"].value == "January–March 2026"
    assert national["A3"].value == "Service outsourcing, March 2026 (provisional)"
    assert [national.cell(row=r, column=1).value for r in body(national).values()] == [
        "January 2026",
        "February 2026",
        "March 2026",
        "Total",
    ]
    province = book.worksheets[1]
    assert province.cell(row=body(province)[SHANGHAI], column=1).value == "Shanghai"
    # Not a word of Chinese left, on any sheet.
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert not CJK.search(cell.value), (ws.title, cell.coordinate, cell.value)
    notes = [c.value for c in book["Notes"]["A"] if c.value]
    assert notes[0] == "Notes"
    assert any(n.startswith("C: confidential.") for n in notes)
    assert any(n.startswith("Offshore:") for n in notes)
    assert any(n.startswith("Provisional:") for n in notes)
    assert notes[-1] == "Revised."
    under = [national.cell(row=r, column=1).value for r in range(10, national.max_row + 1)]
    assert "Notes:" in under and any(str(n).startswith("Units and rounding:") for n in under)


def test_the_sheet_names_are_short_and_unique(published: Figures) -> None:
    for language in ("zh-hans", "en"):
        with translation.override(language):
            names = read(workbook(published, heading=HEADING)).sheetnames
        assert len(set(names)) == len(names) == len(TABLES) + 1
        assert all(len(name) <= 31 for name in names)


def test_text_is_never_a_formula(published: Figures) -> None:
    book = read(workbook(published, heading='=HYPERLINK("http://x")', note="+1\n@SUM(A1)"))
    national = book.worksheets[0]
    assert national["A3"].value.startswith("'=HYPERLINK")
    notes = [c.value for c in book.worksheets[-1]["A"] if c.value]
    assert "'+1" in notes and "'@SUM(A1)" in notes
    for ws in book.worksheets:
        for row in ws.iter_rows():
            assert all(cell.data_type != "f" for cell in row)


def test_an_officials_workbook_of_current_exact_figures(history: History) -> None:
    figures = compute_figures(history.month, public=False)
    with translation.override("zh-hans"):
        book = read(workbook(figures, heading=HEADING))
    for ws, table in zip(book.worksheets, TABLES, strict=False):
        _checked, confidential = check_table(ws, table, figures)
        assert confidential == 0
    # Shanghai's one enterprise signed one dollar contract in 2026, counted in yuan.
    contracts = [
        c for c in history.contracts if c.enterprise == history.lone and c.signed_on.year == 2026
    ]
    assert len(contracts) == 1 and contracts[0].currency_id == "USD"
    expected = hundred_millions(contracts[0].amount * USD_RATE)
    assert expected == Decimal("5.88")
    province = book.worksheets[1]
    assert number(province.cell(row=body(province)[SHANGHAI], column=3).value) == expected
