"""A round's evaluation report as an Excel workbook and as a PDF (WeasyPrint, the Noto CJK font
installed at set-up), in the active language.

The workbook has the ranking (national and region-group ranks, score, bonus, the points of
each first-level indicator, missing values flagged), each city's profile against the average
city, and the indicator tree; the ministry's copy adds every city's values. The public report
(a published round) shows scores and points, not the values: a city's computed values are
exact figures from enterprises' records, not disclosure-controlled aggregates.
"""

from __future__ import annotations

import hashlib
import io
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from soms.core.tabular import CONTROL, neutralise
from soms.evaluation.results import Results

SCORE_FORMAT = "0.00"
VALUE_FORMAT = "#,##0.####"
SHEET_NAME_LIMIT = 31


def _text(value: Any) -> str:
    return neutralise(CONTROL.sub("", str(value)))


def _number(value: Decimal | None) -> float | None:
    # Scores are shown to two decimals; a float cell keeps Excel's arithmetic on them plain.
    return None if value is None else float(value)


def heading(results: Results) -> str:
    r = results.round
    status = _("published") if r.is_published else _("not published: provisional results")
    return _("%(name)s · year %(year)s · %(status)s") % {
        "name": r.name,
        "year": r.year,
        "status": status,
    }


def workbook(results: Results, *, with_values: bool) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    wb = Workbook()
    ws = wb.active
    ws.title = _("Ranking")[:SHEET_NAME_LIMIT]
    ws.cell(
        row=1, column=1, value=_text(_("Comprehensive evaluation of the demonstration cities"))
    ).font = Font(bold=True, size=14)
    ws.cell(row=2, column=1, value=_text(heading(results)))
    header = [
        _("Rank"),
        _("Rank in region group"),
        _("City"),
        _("Code"),
        _("Kind"),
        _("Region group"),
        _("Score"),
        _("Bonus"),
        *[f"{i.code} {i.name} ({i.weight.normalize():f})" for i in results.first_level],
        _("Values missing"),
    ]
    for column, text in enumerate(header, start=1):
        cell = ws.cell(row=4, column=column, value=_text(text))
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    row = 5
    for line in results.lines:
        s = line.score
        cells: list[Any] = [
            s.rank,
            s.group_rank,
            _text(line.city.division.name),
            line.city.division_id,
            _text(line.city.get_kind_display()),
            _text(line.city.get_region_group_display()),
            _number(s.shown),
            _number(s.bonus.quantize(Decimal("0.01"))),
            *[_number(s.points[i.code].quantize(Decimal("0.01"))) for i in results.first_level],
            _text(", ".join(s.missing)),
        ]
        for column, value in enumerate(cells, start=1):
            cell = ws.cell(row=row, column=column, value=value)
            if isinstance(value, float):
                cell.number_format = SCORE_FORMAT
        row += 1
    ws.cell(row=row, column=3, value=_text(_("Mean of the cities"))).font = bold
    average = ws.cell(
        row=row, column=7, value=_number(results.scores.average_total.quantize(Decimal("0.01")))
    )
    average.number_format = SCORE_FORMAT
    average.font = bold
    for n, indicator in enumerate(results.first_level):
        cell = ws.cell(
            row=row,
            column=9 + n,
            value=_number(results.scores.averages[indicator.code].quantize(Decimal("0.01"))),
        )
        cell.number_format = SCORE_FORMAT
        cell.font = bold
    ws.freeze_panes = "D5"
    for column in range(1, len(header) + 1):
        ws.column_dimensions[get_column_letter(column)].width = 14
    ws.column_dimensions["C"].width = 18

    profiles = wb.create_sheet(_("Profiles")[:SHEET_NAME_LIMIT])
    titles = [
        _("City"),
        _("Code"),
        _("Indicator"),
        _("Weight"),
        _("Points"),
        _("Mean of the cities"),
        _("Against the average city (%)"),
    ]
    for column, text in enumerate(titles, start=1):
        profiles.cell(row=1, column=column, value=_text(text)).font = bold
    row = 2
    for line in results.lines:
        for p in results.profile(line):
            cells = [
                _text(line.city.division.name),
                line.city.division_id,
                _text(f"{p.indicator.code} {p.indicator.name}"),
                _number(p.indicator.weight),
                _number(p.points.quantize(Decimal("0.01"))),
                _number(p.mean.quantize(Decimal("0.01"))),
                _number(p.ratio),
            ]
            for column, value in enumerate(cells, start=1):
                cell = profiles.cell(row=row, column=column, value=value)
                if isinstance(value, float):
                    cell.number_format = SCORE_FORMAT
            row += 1
    profiles.column_dimensions["C"].width = 36

    tree = wb.create_sheet(_("Indicators")[:SHEET_NAME_LIMIT])
    titles = [
        _("Code"),
        _("Indicator"),
        _("Level"),
        _("Weight"),
        pgettext("indicator", "Direction"),
        _("Source"),
        _("Formula or unit"),
    ]
    for column, text in enumerate(titles, start=1):
        tree.cell(row=1, column=column, value=_text(text)).font = bold
    for row, i in enumerate(results.indicators, start=2):
        is_leaf = i in results.leaves
        cells = [
            _text(i.code),
            _text(("  " * (i.level - 1)) + i.name + (f" ({_('bonus')})" if i.is_bonus else "")),
            i.level,
            _number(i.weight),
            _text(i.get_direction_display()) if is_leaf else "",
            _text(i.get_source_display()) if is_leaf else "",
            _text(i.formula or i.unit) if is_leaf else "",
        ]
        for column, value in enumerate(cells, start=1):
            tree.cell(row=row, column=column, value=value)
    tree.column_dimensions["B"].width = 40

    if with_values:
        values = wb.create_sheet(_("Values")[:SHEET_NAME_LIMIT])
        values.cell(row=1, column=1, value=_text(_("City"))).font = bold
        values.cell(row=1, column=2, value=_text(_("Code"))).font = bold
        for column, leaf in enumerate(results.leaves, start=3):
            values.cell(row=1, column=column, value=_text(f"{leaf.code} {leaf.name}")).font = bold
        for row, line in enumerate(results.lines, start=2):
            values.cell(row=row, column=1, value=_text(line.city.division.name))
            values.cell(row=row, column=2, value=line.city.division_id)
            for column, leaf in enumerate(results.leaves, start=3):
                value = results.values.get((line.city.division_id, leaf.code))
                cell = values.cell(row=row, column=column, value=_number(value))
                cell.number_format = VALUE_FORMAT
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def report_context(results: Results, *, with_values: bool) -> dict[str, Any]:
    return {
        "results": results,
        "round": results.round,
        "heading": heading(results),
        "profiles": [(line, results.profile(line)) for line in results.lines],
        "with_values": with_values,
    }


def report_pdf(results: Results) -> bytes:
    """The printed report: the ranking and every city's profile (scores, not values).

    Kept under MEDIA_ROOT by the digest of its HTML: the same page prints to the same PDF, so a
    published round's report is drawn once however often it is downloaded, and any change of a
    score, a name or a language gives a new one."""
    from weasyprint import HTML

    html = render_to_string(
        "evaluation/report_print.html", report_context(results, with_values=False)
    )
    digest = hashlib.sha256(html.encode()).hexdigest()
    path = Path(settings.MEDIA_ROOT) / "evaluation" / f"report-{digest}.pdf"
    if path.exists():
        return path.read_bytes()
    pdf: bytes = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    partial.write_bytes(pdf)
    partial.replace(path)
    return pdf
