"""The province map: a tile grid unless the deployer names an approved boundary file
(``SOMS_PROVINCE_GEOJSON``), which is then served to the page and drawn instead of the tiles.
No real boundary data is used here: two made-up squares."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

SQUARES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"code": "31", "name": "square one"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
            },
        },
        {
            "type": "Feature",
            "properties": {"adcode": 320000},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[1, 0], [2, 0], [2, 1], [1, 1], [1, 0]]],
            },
        },
    ],
}


@pytest.fixture
def boundaries(tmp_path: Path) -> Path:
    path = tmp_path / "provinces.geojson"
    path.write_text(json.dumps(SQUARES), encoding="utf-8")
    return path


def test_the_deployers_file_is_served_and_drawn_instead_of_the_tiles(
    client: Client, boundaries: Path
) -> None:
    with override_settings(SOMS_PROVINCE_GEOJSON=str(boundaries)):
        response = client.get(reverse("statistics:province_geojson"))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/geo+json"
        assert json.loads(b"".join(response.streaming_content)) == SQUARES  # type: ignore[attr-defined]
        html = client.get(reverse("statistics:dashboard")).content.decode()
    assert 'data-testid="province-map"' in html
    assert f'data-geojson="{reverse("statistics:province_geojson")}"' in html
    assert 'data-testid="tilemap"' not in html
    assert 'data-testid="table-provinces"' in html  # the figures stay in the table


def test_without_the_setting_there_is_no_file_and_the_tiles_are_drawn(client: Client) -> None:
    with override_settings(SOMS_PROVINCE_GEOJSON=""):
        assert client.get(reverse("statistics:province_geojson")).status_code == 404
        html = client.get(reverse("statistics:dashboard")).content.decode()
    assert 'data-testid="tilemap"' in html
    assert 'data-testid="province-map"' not in html


def test_a_setting_naming_a_missing_file_stops_the_start() -> None:
    env = {**os.environ, "SOMS_PROVINCE_GEOJSON": "/nonexistent/provinces.geojson"}
    found = subprocess.run(
        [sys.executable, "-c", "import soms.settings"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode != 0
    assert "SOMS_PROVINCE_GEOJSON" in found.stderr
