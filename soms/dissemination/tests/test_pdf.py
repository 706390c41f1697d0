"""The bulletin's PDF read back with poppler: its text holds the headline figures, a CJK font is
embedded, its pages convert to PNG (the first page is kept as an artefact in var/artefacts)."""

from __future__ import annotations

import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from soms.dissemination import services
from soms.dissemination.tests.conftest import History

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not (shutil.which("pdftotext") and shutil.which("node")),
        reason="needs poppler-utils and node (make browser, make install)",
    ),
]
ARTEFACTS = Path(settings.BASE_DIR) / "var" / "artefacts"


def _100m(value: Decimal | None) -> str:
    assert value is not None
    return f"{(value / 10**8).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"


def _poppler(*args: str) -> str:
    done = subprocess.run(args, capture_output=True, text=True, check=True)  # noqa: S603
    return done.stdout


def test_the_bulletin_pdf_reads_back_with_its_figures_and_a_cjk_font(
    client: Client, history: History, tmp_path: Path
) -> None:
    release = services.prepare_release(history.statistician, history.month)
    release = services.publish_release(history.statistician, release)
    figures = services.frozen_figures(release)
    contract = figures.get("national", "contract_value_cny")
    offshore = figures.get("national", "offshore_execution_value_usd")
    assert contract is not None and offshore is not None

    for language in ("zh", "en"):
        response = client.get(f"/open-data/{release.label}/bulletin.pdf?lang={language}")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        pdf = tmp_path / f"bulletin-{language}.pdf"
        pdf.write_bytes(response.content)

        text = _poppler("pdftotext", "-layout", str(pdf), "-")
        compact = "".join(text.split())
        assert _100m(contract.value) in compact and _100m(offshore.value) in compact
        if language == "zh":
            assert f"合同额{_100m(contract.value)}亿元" in compact
            assert "2026年1—3月" in compact
        else:
            assert "FromJanuarytoMarch2026" in compact

        fonts = _poppler("pdffonts", str(pdf))
        assert "CJK" in fonts, fonts

        _poppler("pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / f"page-{language}"))
        pages = sorted(tmp_path.glob(f"page-{language}*.png"))
        assert pages and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pages)
        if language == "zh":
            ARTEFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(pages[0], ARTEFACTS / "bulletin-page-1.png")

    # Frozen: the second request is the same document.
    again = client.get(f"/open-data/{release.label}/bulletin.pdf?lang=zh").content
    assert again == (tmp_path / "bulletin-zh.pdf").read_bytes()


def test_the_bulletin_page_draws_its_charts_on_the_server(client: Client, history: History) -> None:
    release = services.prepare_release(history.statistician, history.month)
    services.publish_release(history.statistician, release)
    page = client.get(f"/open-data/{release.label}/bulletin/").content.decode()
    # By month and by main market; every type of service is confidential (one or two firms
    # each), so that chart is left out rather than drawn empty.
    assert page.count('data-testid="chart"') == 2
    assert page.count("<svg") >= 2
    assert "Offshore execution by main market" in page or "主要市场" in page
