"""The bulletin's charts, rendered on the server as SVG by ECharts (the library the pages use in
the browser), so the PDF and the HTML bulletin carry the same pictures without JavaScript.

ECharts runs under Node (``node/render.js``) from the ``node_modules`` that set-up installs
(settings.NODE_MODULES); nothing is downloaded. A suppressed figure (flag C) is not drawn.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from soms.dissemination.tables import Figures, Line, sheets

RENDERER = settings.BASE_DIR / "soms" / "dissemination" / "node" / "render.js"
FONT = "Noto Sans CJK SC, Noto Sans CJK, sans-serif"
WIDTH, HEIGHT = 640, 300
BLUE = "#0d6efd"


class ChartError(RuntimeError):
    """Node or ECharts is missing, or the renderer failed: the set-up is incomplete."""


def _bar(title: str, unit: str, labels: list[str], values: list[float | None]) -> dict[str, Any]:
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "textStyle": {"fontFamily": FONT},
        "grid": {"left": 60, "right": 20, "top": 50, "bottom": 60},
        "xAxis": {"type": "category", "data": labels, "axisLabel": {"interval": 0, "rotate": 0}},
        "yAxis": {"type": "value", "name": unit},
        "series": [
            {
                "type": "bar",
                "data": values,
                "itemStyle": {"color": BLUE},
                "label": {"show": True, "position": "top", "formatter": "{c}"},
            }
        ],
    }


def _hundred_millions(value: Any) -> float | None:
    return None if value is None else round(float(value) / 100_000_000, 2)


def _values(lines: list[Line], index: int) -> list[float | None]:
    """One series of a table's lines in 100 millions; a suppressed cell is not drawn."""
    cells = [line.cells[index] for line in lines]
    return [_hundred_millions(cell.value) if cell is not None else None for cell in cells]


def chart_options(figures: Figures) -> list[dict[str, Any]]:
    """The bulletin's charts in the active language: execution by month, offshore execution by
    type of service, offshore execution by main market."""
    tables = {sheet.table.code: sheet for sheet in sheets(figures)}
    options = []

    national = tables["national"]
    index = [s.code for s in national.series].index("execution_value_cny")
    options.append(
        _bar(
            _("Execution value by month"),
            _("100 million yuan"),
            [line.key[5:] for line in national.lines],
            _values(national.lines, index),
        )
    )

    kinds = tables["category_l1"]
    index = [s.code for s in kinds.series].index("offshore_execution_value_usd")
    options.append(
        _bar(
            _("Offshore execution by type of service"),
            _("100 million US dollars"),
            [line.key for line in kinds.lines],
            _values(kinds.lines, index),
        )
    )

    labels, values = [], []
    for table, key in (
        ("market_country", "US"),
        ("market_country", "HK"),
        ("market_group", "EU27"),
        ("market_group", "RCEP"),
        ("market_group", "BRI"),
    ):
        sheet = tables[table]
        index = [s.code for s in sheet.series].index("offshore_execution_value_usd")
        for line in sheet.lines:
            if line.key == key:
                labels.append(line.name)
                cell = line.cells[index]
                values.append(_hundred_millions(cell.value if cell else None))
    options.append(
        _bar(_("Offshore execution by main market"), _("100 million US dollars"), labels, values)
    )
    return options


def drawable(option: dict[str, Any]) -> bool:
    """A chart with at least one visible value (all confidential: nothing to draw)."""
    return any(v is not None for v in option["series"][0]["data"])


def render_svg(options: list[dict[str, Any]]) -> list[str]:
    node = shutil.which("node")
    if node is None:
        raise ChartError(
            "Node.js is needed to render charts (it is installed with `make install`)."
        )
    try:
        done = subprocess.run(  # noqa: S603 - a fixed script of ours, options as data on stdin
            [node, str(RENDERER)],
            input=json.dumps({"width": WIDTH, "height": HEIGHT, "options": options}),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={"SOMS_NODE_MODULES": str(settings.NODE_MODULES), "PATH": ""},
        )
    except subprocess.TimeoutExpired as exc:
        raise ChartError("The chart renderer did not answer within a minute.") from exc
    if done.returncode != 0:
        raise ChartError(f"The chart renderer failed: {done.stderr.strip()[-500:]}")
    svgs: list[str] = json.loads(done.stdout)
    return svgs


def bulletin_charts(figures: Figures) -> list[str]:
    return render_svg([o for o in chart_options(figures) if drawable(o)])
