"""The release's standard statistical tables as an Excel workbook, laid out as the commerce
departments' officials read them: one worksheet per table of :data:`TABLES` ("表1 全国"), each
with its title, period ("2026年1—3月"), the release's heading and whether the figures are
provisional; a two-row header naming every series with its unit over a value column and a
year-on-year growth column ("同比±%"); one row per line, the total last in bold; the notes
under the table, and a last sheet of notes ("说明").

Figures are numbers, never text: money in the table's unit (100 million yuan or US dollars, half
up to two decimals, :meth:`Series.shown`), counts as counted, growth in per cent to one decimal.
A cell hidden by disclosure control shows "C" and nothing of its value; its growth is empty.
Every text follows the active language (Simplified Chinese by default, or English).
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from soms.core.tabular import CONTROL, neutralise
from soms.dissemination.tables import TABLES, Cell, Figures, Line, Series, Sheet, Table, sheets
from soms.statistics.labels import disclosure_rule

MONEY_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
GROWTH_FORMAT = "0.0"
SUPPRESSED = "C"

# The layout of a table's sheet (1-based rows and columns).
TITLE_ROW, PERIOD_ROW, HEADING_ROW = 1, 2, 3
HEADER_ROW = 4  # the series with their units; the row below: value and growth
FIRST_LINE_ROW = HEADER_ROW + 2
NAME_COLUMN, CODE_COLUMN, FIRST_SERIES_COLUMN = 1, 2, 3
SHEET_NAME_LIMIT = 31  # Excel's limit
SHEET_NAME_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})

# Short names of the tables, for the sheets' tabs.
SHEET_NAMES = {
    "national": pgettext_lazy("workbook sheet", "National"),
    "province": pgettext_lazy("workbook sheet", "Provinces"),
    "region": pgettext_lazy("workbook sheet", "Regions"),
    "category_l1": pgettext_lazy("workbook sheet", "Types"),
    "category": pgettext_lazy("workbook sheet", "Categories"),
    "market_group": pgettext_lazy("workbook sheet", "Market groups"),
    "market_country": pgettext_lazy("workbook sheet", "Markets"),
    "demonstration": pgettext_lazy("workbook sheet", "Demonstration"),
    "demonstration_city": pgettext_lazy("workbook sheet", "Demonstration cities"),
    "enterprises": pgettext_lazy("workbook sheet", "Enterprises"),
}

# The heading of the names' column, by the table's dimension.
STUB_HEADINGS = {
    "month": pgettext_lazy("workbook column", "Month"),
    "province": pgettext_lazy("workbook column", "Province"),
    "nbs_region": pgettext_lazy("workbook column", "Region"),
    "category_l1": pgettext_lazy("workbook column", "Type of service"),
    "category": pgettext_lazy("workbook column", "Category of service"),
    "counterpart_group": pgettext_lazy("workbook column", "Group of countries"),
    "counterpart_country": pgettext_lazy("workbook column", "Country or territory"),
    "demonstration_city": pgettext_lazy("workbook column", "Cities"),
    "city": pgettext_lazy("workbook column", "City"),
}

# January to the month: "1—3月" in Chinese, as the ministry writes its periods.
SPANS = (
    pgettext_lazy("year to date", "January"),
    pgettext_lazy("year to date", "January–February"),
    pgettext_lazy("year to date", "January–March"),
    pgettext_lazy("year to date", "January–April"),
    pgettext_lazy("year to date", "January–May"),
    pgettext_lazy("year to date", "January–June"),
    pgettext_lazy("year to date", "January–July"),
    pgettext_lazy("year to date", "January–August"),
    pgettext_lazy("year to date", "January–September"),
    pgettext_lazy("year to date", "January–October"),
    pgettext_lazy("year to date", "January–November"),
    pgettext_lazy("year to date", "January–December"),
)


def period(month: dt.date) -> str:
    """The year to date of ``month``: "2026年1—3月", "January–March 2026"."""
    return pgettext("year to date", "%(months)s %(year)s") % {
        "months": SPANS[month.month - 1],
        "year": month.year,
    }


def sheet_name(number: int, table: Table) -> str:
    name = pgettext("workbook sheet", "T%(number)s %(name)s") % {
        "number": number,
        "name": SHEET_NAMES.get(table.code, table.code),
    }
    return name.translate(SHEET_NAME_FORBIDDEN).strip()[:SHEET_NAME_LIMIT].strip()


def notes(figures: Figures) -> list[str]:
    """What a reader needs to read the tables right: under every table and on the notes sheet."""
    out = [
        _(
            "Year to date: the figures cover January to the month of the release (%(period)s); "
            "in the table by month, each month's row is that month alone and the total row the "
            "year to date."
        )
        % {"period": period(figures.month)},
        _(
            "Offshore: services provided to clients outside the Chinese mainland (Hong Kong, "
            "Macao and Taiwan included); the other figures cover clients at home and abroad."
        ),
        _(
            "C: confidential. A figure with fewer than %(count)s enterprises, or with one "
            "enterprise above %(share)s of it, is not published; further cells and totals are "
            "hidden so that no confidential figure can be worked out by subtracting published "
            "figures from a published total."
        )
        % disclosure_rule(),
        _(
            "Units and rounding: money in 100 million yuan or 100 million US dollars, rounded "
            "half up to two decimals from the exact figures (US dollar figures convert each "
            "record at the exchange rate of its month); enterprises and persons as counted. "
            "Totals are computed from the records, so the rounded rows need not add up to them."
        ),
        _(
            "Year on year %: growth over the same period a year earlier, rounded half up to one "
            "decimal; empty where there is no figure for a year earlier or it is confidential."
        ),
    ]
    if figures.provisional:
        out.append(_("Provisional: not every month is signed off at the national level yet."))
    return out


def workbook(
    figures: Figures,
    *,
    heading: str,
    note: str = "",
    tables: Sequence[Table] = TABLES,
    covers: str | None = None,
) -> bytes:
    """The release's tables as an XLSX file (see the module's description); ``heading`` names
    the release on every sheet, ``note`` is added to the notes sheet. ``tables`` and ``covers``
    (the period the figures cover, the year to date by default) serve other datasets, such as
    the monthly time series."""
    from openpyxl import Workbook

    book = Workbook()
    default = book.active
    if default is not None:
        book.remove(default)
    book.properties.title = _text(heading)
    book.properties.creator = "SOMS"
    texts = _Texts(figures, heading)
    if covers is not None:
        texts.period = covers
    used: set[str] = set()
    contents = []
    for sheet in sheets(figures, tables):
        number = TABLES.index(sheet.table) + 1
        name = _unique(sheet_name(number, sheet.table), used)
        _write_table(book.create_sheet(name), sheet, number, texts)
        contents.append((name, _title(number, sheet.table)))
    _write_notes(
        book.create_sheet(_unique(pgettext("workbook sheet", "Notes"), used)), texts, contents, note
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class _Texts:
    """The texts every sheet repeats, in the active language."""

    def __init__(self, figures: Figures, heading: str) -> None:
        self.period = period(figures.month)
        heading = heading.strip()
        if figures.provisional:
            heading = (
                pgettext("workbook", "%(heading)s (provisional)") % {"heading": heading}
                if heading
                else pgettext("workbook", "Provisional")
            )
        self.heading = heading
        self.notes = notes(figures)


def _title(number: int, table: Table) -> str:
    return pgettext("workbook", "Table %(number)s. %(title)s") % {
        "number": number,
        "title": table.title,
    }


def _write_table(ws: Any, sheet: Sheet, number: int, texts: _Texts) -> None:
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    series = sheet.series
    last_column = FIRST_SERIES_COLUMN + 2 * len(series) - 1
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    centred = Alignment(horizontal="center", vertical="center", wrap_text=True)

    for row, text, font in (
        (TITLE_ROW, _title(number, sheet.table), Font(bold=True, size=14)),
        (PERIOD_ROW, texts.period, Font(size=11)),
        (HEADING_ROW, texts.heading, Font(size=11)),
    ):
        cell = ws.cell(row=row, column=1, value=_text(text) or None)
        cell.font = font
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_column)
    ws.row_dimensions[TITLE_ROW].height = 24

    below = HEADER_ROW + 1
    stub = str(STUB_HEADINGS.get(sheet.table.dimension, sheet.table.dimension))
    for column, label in ((NAME_COLUMN, stub), (CODE_COLUMN, pgettext("workbook column", "Code"))):
        ws.cell(row=HEADER_ROW, column=column, value=_text(label))
        ws.merge_cells(start_row=HEADER_ROW, start_column=column, end_row=below, end_column=column)
    for index, s in enumerate(series):
        column = FIRST_SERIES_COLUMN + 2 * index
        ws.cell(row=HEADER_ROW, column=column, value=_text(_header(s)))
        ws.merge_cells(
            start_row=HEADER_ROW, start_column=column, end_row=HEADER_ROW, end_column=column + 1
        )
        ws.cell(row=below, column=column, value=pgettext("workbook column", "Value"))
        ws.cell(row=below, column=column + 1, value=pgettext("workbook column", "Year on year %"))
    for row in (HEADER_ROW, below):
        for column in range(1, last_column + 1):
            cell = ws.cell(row=row, column=column)
            cell.font = Font(bold=True)
            cell.alignment = centred
            cell.border = box
    ws.row_dimensions[HEADER_ROW].height = 45

    lines = [*sheet.lines, sheet.total]
    for offset, line in enumerate(lines):
        row = FIRST_LINE_ROW + offset
        total = line is sheet.total
        ws.cell(row=row, column=NAME_COLUMN, value=_text(_line_name(sheet, line)))
        ws.cell(row=row, column=CODE_COLUMN, value=_text(line.key) or None)
        for index, (s, found) in enumerate(zip(series, line.cells, strict=True)):
            column = FIRST_SERIES_COLUMN + 2 * index
            _write_cell(ws, row, column, s, found)
        for column in range(1, last_column + 1):
            cell = ws.cell(row=row, column=column)
            cell.border = box
            if total:
                cell.font = Font(bold=True)
    last_row = FIRST_LINE_ROW + len(lines) - 1

    row = last_row + 2
    ws.cell(row=row, column=1, value=_text(pgettext("workbook", "Notes:"))).font = Font(bold=True)
    for text in texts.notes:
        row += 1
        ws.cell(row=row, column=1, value=_text(text))

    ws.freeze_panes = ws.cell(row=FIRST_LINE_ROW, column=FIRST_SERIES_COLUMN).coordinate
    names = [_line_name(sheet, line) for line in lines]
    ws.column_dimensions[get_column_letter(NAME_COLUMN)].width = _width(
        [*names, stub], least=12, most=40
    )
    ws.column_dimensions[get_column_letter(CODE_COLUMN)].width = _width(
        [line.key for line in lines], least=8, most=16
    )
    for index in range(len(series)):
        column = FIRST_SERIES_COLUMN + 2 * index
        ws.column_dimensions[get_column_letter(column)].width = 14
        ws.column_dimensions[get_column_letter(column + 1)].width = 10
    ws.print_title_rows = f"{HEADER_ROW}:{below}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _write_cell(ws: Any, row: int, column: int, series: Series, found: Cell | None) -> None:
    from openpyxl.styles import Alignment

    value_cell = ws.cell(row=row, column=column)
    growth_cell = ws.cell(row=row, column=column + 1)
    if found is None:
        return
    if found.flag == SUPPRESSED:
        # Disclosure control: the letter alone, never the value or its growth.
        value_cell.value = SUPPRESSED
        value_cell.alignment = Alignment(horizontal="right")
        return
    if found.value is not None:
        if series.money:
            value_cell.value = series.shown(found.value)
            value_cell.number_format = MONEY_FORMAT
        else:
            value_cell.value = _count(found.value)
            value_cell.number_format = COUNT_FORMAT
    if found.yoy_pct is not None:
        growth_cell.value = found.yoy_pct
        growth_cell.number_format = GROWTH_FORMAT


def _count(value: Decimal) -> int | Decimal:
    """A count as a whole number (frozen figures carry two decimal places)."""
    return int(value) if value == value.to_integral_value() else value


def _header(series: Series) -> str:
    return pgettext("workbook column", "%(label)s (%(unit)s)") % {
        "label": series.label,
        "unit": series.unit,
    }


def _line_name(sheet: Sheet, line: Line) -> str:
    if line.key and sheet.table.dimension == "month":
        try:
            return date_format(dt.date.fromisoformat(f"{line.key}-01"), "YEAR_MONTH_FORMAT")
        except ValueError:
            return line.key
    return capfirst(line.name) or line.key


def _write_notes(ws: Any, texts: _Texts, contents: list[tuple[str, str]], note: str) -> None:
    from openpyxl.styles import Font

    bold = Font(bold=True)
    rows: list[tuple[str, Any]] = [
        (pgettext("workbook sheet", "Notes"), Font(bold=True, size=14)),
        (texts.heading, None),
        (texts.period, None),
        ("", None),
        (pgettext("workbook", "Tables"), bold),
        *((f"{name}: {title}", None) for name, title in contents),
        ("", None),
        (pgettext("workbook", "Definitions"), bold),
        *((text, None) for text in texts.notes),
    ]
    lines = [text for text in note.splitlines() if text.strip()]
    if lines:
        rows += [("", None), (pgettext("workbook", "Note"), bold), *((t, None) for t in lines)]
    for row, (text, font) in enumerate(rows, start=1):
        if not text:
            continue
        cell = ws.cell(row=row, column=1, value=_text(text))
        if font is not None:
            cell.font = font
    ws.column_dimensions["A"].width = 120


def _text(value: Any) -> str:
    """Text as a spreadsheet shows it, never runs it: no control characters, and what would be
    a formula neutralised."""
    return neutralise(CONTROL.sub("", str(value)))


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 2
    while candidate.casefold() in used:
        suffix = f" ({n})"
        candidate = name[: SHEET_NAME_LIMIT - len(suffix)] + suffix
        n += 1
    used.add(candidate.casefold())
    return candidate


def _width(texts: list[str], least: int, most: int) -> float:
    """A column's width for its longest text (a CJK character takes two places)."""
    widest = max(
        (sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in t) for t in texts),
        default=0,
    )
    return float(min(max(widest + 2, least), most))
