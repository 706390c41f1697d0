"""The evaluation report read back as its readers read it: the XLSX with openpyxl (ranks,
scores and points as numbers; the values sheet in the ministry's copy only) and the PDF with
poppler's pdftotext (every city with its score, a CJK font embedded)."""

from __future__ import annotations

import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from openpyxl import load_workbook

from soms.evaluation.results import Results
from soms.evaluation.tests.conftest import CITIES, World, publish

pytestmark = pytest.mark.django_db
ARTEFACTS = Path(settings.BASE_DIR) / "var" / "artefacts"
NAMES = {"320500": "苏州市", "420100": "武汉市", "210200": "大连市", "320400": "常州市"}


def test_the_xlsx_reads_back_with_the_ranking_and_profiles(world: World) -> None:
    publish(world)
    results = Results(world.round)
    response = Client().get(f"/evaluation/rounds/{world.round.pk}/report.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    # Ranking, profiles, indicators; no values for the public.
    assert len(book.worksheets) == 3
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(min_row=5, max_row=4 + len(CITIES), values_only=True))
    for row, line in zip(rows, results.lines, strict=True):
        rank, group_rank, _name, code, _kind, _group, total, bonus, *points, missing = row
        assert (rank, group_rank, code) == (
            line.score.rank,
            line.score.group_rank,
            line.city.division_id,
        )
        assert Decimal(str(total)) == line.score.shown
        assert Decimal(str(bonus)) == line.score.bonus.quantize(Decimal("0.01"))
        assert [Decimal(str(p)) for p in points] == [
            v.quantize(Decimal("0.01")) for v in line.columns
        ]
        assert missing is None  # no value missing
    assert sheet.cell(row=4, column=9).value == "1 产业发展 (40)"
    profiles = list(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert len(profiles) == len(CITIES) * len(results.first_level)
    first = results.lines[0]
    industry = next(
        p for p in profiles if p[1] == first.city.division_id and str(p[2]).startswith("1 ")
    )
    assert Decimal(str(industry[6])) == (first.columns[0] / 40 * 100).quantize(Decimal("0.01"))

    ministry = Client()
    ministry.force_login(world.admin)
    content = ministry.get(f"/evaluation/rounds/{world.round.pk}/report.xlsx").content
    values = load_workbook(io.BytesIO(content)).worksheets[3]
    header = [c.value for c in values[1]]
    column = header.index(f"4.1 {world.indicator('4.1').name_zh}") + 1
    suzhou = next(r for r in range(2, 2 + len(CITIES)) if values.cell(r, 2).value == "320500")
    assert values.cell(suzhou, column).value == 180


def test_formula_like_names_are_written_as_text(world: World) -> None:
    indicator = world.indicator("1")
    indicator.name_zh = "=HYPERLINK(1)"
    indicator.save()
    publish(world)
    content = Client().get(f"/evaluation/rounds/{world.round.pk}/report.xlsx").content
    cell = load_workbook(io.BytesIO(content)).worksheets[2]["B2"]
    assert cell.data_type == "s" and cell.value == "'=HYPERLINK(1)"


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_the_pdf_reads_back_with_every_city_and_its_score(world: World, tmp_path: Path) -> None:
    publish(world)
    results = Results(world.round)
    response = Client().get(f"/evaluation/rounds/{world.round.pk}/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(  # noqa: S603
        ["pdftotext", "-layout", str(pdf), "-"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    compact = "".join(text.split())
    assert "2025年度测试评价" in compact
    for line in results.lines:
        assert NAMES[line.city.division_id] in compact
        assert f"{line.score.rank}.{NAMES[line.city.division_id]}·{line.score.shown}" in compact
    fonts = subprocess.run(  # noqa: S603
        ["pdffonts", str(pdf)],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "CJK" in fonts
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(pdf, ARTEFACTS / "evaluation-report.pdf")
    # Drawn once: the same report is read back from MEDIA_ROOT, byte for byte.
    kept = list((Path(settings.MEDIA_ROOT) / "evaluation").glob("report-*.pdf"))
    assert len(kept) == 1 and kept[0].read_bytes() == response.content
    again = Client().get(f"/evaluation/rounds/{world.round.pk}/report.pdf")
    assert again.content == response.content
    # In English the page differs, and so does its PDF.
    english = Client(headers={"accept-language": "en"})
    assert english.get(f"/evaluation/rounds/{world.round.pk}/report.pdf").status_code == 200
    assert len(list((Path(settings.MEDIA_ROOT) / "evaluation").glob("report-*.pdf"))) == 2
