"""Every asset a template asks for is served locally (air-gapped networks: no CDN)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
STATIC_TAG = re.compile(r"""{%\s*static\s+['"]([^'"]+)['"]\s*%}""")


def referenced_assets() -> list[str]:
    found = set()
    for template in TEMPLATES.rglob("*.html"):
        found.update(STATIC_TAG.findall(template.read_text(encoding="utf-8")))
    return sorted(found)


def test_templates_reference_assets() -> None:
    assert "vendor/bootstrap/css/bootstrap.min.css" in referenced_assets()


@pytest.mark.parametrize("asset", referenced_assets())
def test_every_referenced_asset_is_found(asset: str) -> None:
    assert finders.find(asset), f"{asset} is referenced by a template but not installed"


def test_no_template_loads_from_the_internet() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']https?://""", text), template
