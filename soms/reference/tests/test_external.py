"""Published national figures as external series: every row of the shipped CSV becomes one
observation of the series of its scope, measure and unit, with its source; loading again
changes nothing. Expected values are read from the CSV here, independently of the loader."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from soms.reference.loaders import load_published_figures, published_period
from soms.reference.models import Dataset, ExternalObservation, ExternalSeries

pytestmark = pytest.mark.django_db

CSV = Path(settings.SOMS_REFERENCE_DIR) / "published-national-figures.csv"


def source_rows() -> list[dict[str, str]]:
    with CSV.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def snapshot() -> list[tuple[object, ...]]:
    return list(
        ExternalObservation.objects.order_by("pk").values_list(
            "pk",
            "series__code",
            "period",
            "period_start",
            "period_end",
            "value",
            "yoy_pct",
            "quality",
            "source",
        )
    )


def test_every_published_figure_is_loaded_once_with_its_source() -> None:
    rows = source_rows()
    load_published_figures()
    assert ExternalObservation.objects.count() == len(rows)
    series = {(r["scope"], r["measure"], r["unit"]) for r in rows}
    assert ExternalSeries.objects.count() == len(series)
    for row in rows:
        found = ExternalObservation.objects.get(
            series__scope=row["scope"],
            series__measure=row["measure"],
            series__unit=row["unit"],
            period=row["period"],
        )
        assert found.value == Decimal(row["value"])
        assert found.yoy_pct == (Decimal(row["yoy_pct"]) if row["yoy_pct"] else None)
        assert found.quality == row["quality"]
        assert found.source == row["source"]
    assert Dataset.objects.get(key="published-national-figures").record_count == len(rows)


def test_loading_twice_changes_nothing() -> None:
    load_published_figures()
    before = snapshot()
    series_before = list(ExternalSeries.objects.order_by("pk").values())
    load_published_figures()
    assert snapshot() == before
    assert list(ExternalSeries.objects.order_by("pk").values()) == series_before


def test_the_2013_execution_value_in_dollars() -> None:
    load_published_figures()
    figure = ExternalObservation.objects.get(
        series__code="published:all:execution_value:USD_100M", period="2013"
    )
    assert figure.value == Decimal("638.5")
    assert figure.yoy_pct == Decimal("37.1")
    assert (figure.period_start, figure.period_end) == (dt.date(2013, 1, 1), dt.date(2013, 12, 31))
    assert figure.source_url == "http://www.gzoutsourcing.cn/Article/20140120/2385.html"


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2013", dt.date(2013, 1, 1), dt.date(2013, 12, 31)),
        ("2013-12", dt.date(2013, 12, 1), dt.date(2013, 12, 31)),
        ("2013-01..2013-09", dt.date(2013, 1, 1), dt.date(2013, 9, 30)),
        ("2020-02..2020-02", dt.date(2020, 2, 1), dt.date(2020, 2, 29)),
    ],
)
def test_periods_as_releases_name_them(text: str, start: dt.date, end: dt.date) -> None:
    assert published_period(text) == (start, end)


def test_a_source_without_an_address_is_no_link() -> None:
    load_published_figures()
    named = ExternalObservation.objects.filter(source__startswith="webguide").first()
    assert named is not None and named.source_url == ""
