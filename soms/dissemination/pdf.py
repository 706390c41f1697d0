"""The bulletin as a PDF (WeasyPrint, with the Noto CJK font installed at set-up) and the context
its HTML page shares with it.

A published release's PDF is written once per language and kept under MEDIA_ROOT (its figures
and text are frozen); a draft's is made afresh for the statistician's preview.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from soms.dissemination.bulletin import MONTHS
from soms.dissemination.charts import bulletin_charts
from soms.dissemination.models import Release
from soms.dissemination.services import release_figures
from soms.dissemination.tables import BY_CODE, Figures, sheets

LANGUAGES = {"zh": "zh-hans", "en": "en"}
BULLETIN_TABLES = ("national", "category_l1", "market_group", "region", "enterprises")


def period_text(release: Release) -> str:
    """ "2026年1—3月" / "January–March 2026": the year to date a release covers, written as
    each language writes it."""
    month = release.period
    if not (translation.get_language() or "").startswith("en"):
        return (
            f"{month.year}年{month.month}月"
            if month.month == 1
            else f"{month.year}年1—{month.month}月"
        )
    if month.month == 1:
        return f"January {month.year}"
    return f"January–{MONTHS[month.month - 1]} {month.year}"


def bulletin_context(release: Release, figures: Figures | None = None) -> dict[str, Any]:
    """What the bulletin shows, in the active language."""
    figures = figures or release_figures(release)
    english = (translation.get_language() or "").startswith("en")
    text = release.bulletin_en if english else release.bulletin_zh
    return {
        "release": release,
        "period_text": period_text(release),
        "paragraphs": [p for p in text.splitlines() if p.strip()],
        "charts": bulletin_charts(figures),
        "sheets": sheets(figures, [BY_CODE[code] for code in BULLETIN_TABLES]),
        "provisional": figures.provisional,
    }


def _cached(release: Release, language: str) -> Path | None:
    if not release.is_published or release.frozen_at is None:
        return None
    stamp = int(release.frozen_at.timestamp())
    return (
        Path(settings.MEDIA_ROOT) / "releases" / f"bulletin-{release.label}-{language}-{stamp}.pdf"
    )


def bulletin_pdf(release: Release, language: str) -> bytes:
    from weasyprint import HTML

    path = _cached(release, language)
    if path is not None and path.exists():
        return path.read_bytes()
    with translation.override(LANGUAGES[language]):
        html = render_to_string(
            "dissemination/bulletin_print.html", {**bulletin_context(release), "language": language}
        )
    pdf: bytes = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(pdf)
        partial.replace(path)  # whole or not at all, for a reader arriving meanwhile
    return pdf
