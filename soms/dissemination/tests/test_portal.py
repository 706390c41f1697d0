"""The open-data portal and the release desk over HTTP: embargo in pages, API and downloads;
disclosure control in every public output; the desk for statisticians only; the feed, the
metadata pages and the time series."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from soms.accounts.choices import Role
from soms.dissemination import services
from soms.dissemination.models import Release
from soms.dissemination.tests.conftest import History
from soms.testing import make_user

pytestmark = pytest.mark.django_db

PUBLIC_URLS = (
    "/open-data/{m}/",
    "/open-data/{m}/bulletin/",
    "/open-data/{m}/tables.xlsx",
    "/open-data/{m}/figures.csv",
    "/open-data/{m}/sdmx.csv",
    "/open-data/{m}/revisions/",
    "/api/v1/releases/{m}",
    "/api/v1/releases/{m}/sdmx",
)


def publish(history: History, when: dt.datetime | None = None) -> Release:
    release = services.prepare_release(history.statistician, history.month)
    return services.publish_release(history.statistician, release, when)


def _rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_before_its_publication_time_a_release_is_invisible_to_the_public(
    client: Client, history: History
) -> None:
    release = publish(history, timezone.now() + dt.timedelta(hours=3))
    label = release.label
    for url in PUBLIC_URLS:
        assert client.get(url.format(m=label)).status_code == 404, url
    assert client.get(f"/open-data/{label}/bulletin.pdf").status_code == 404
    assert label not in client.get("/open-data/").content.decode()
    assert client.get("/api/v1/releases/").json() == []
    assert label not in client.get("/open-data/feed/").content.decode()
    # The calendar announces the time, not the figures.
    about = client.get("/open-data/about/").content.decode()
    assert label in about and f"/open-data/{label}/" not in about
    # A district reviewer is not the ministry: still embargoed.
    client.force_login(make_user(Role.DISTRICT_REVIEWER, division="320508"))
    assert client.get(f"/open-data/{label}/").status_code == 404
    # The ministry's statisticians see it, marked as embargoed.
    client.force_login(history.statistician)
    page = client.get(f"/open-data/{label}/")
    assert page.status_code == 200 and 'data-testid="embargoed"' in page.content.decode()

    # At the publication time everyone sees it.
    Release.objects.filter(pk=release.pk).update(publish_at=timezone.now())
    anonymous = Client()
    for url in PUBLIC_URLS:
        assert anonymous.get(url.format(m=label)).status_code == 200, url
    assert anonymous.get("/api/v1/releases/").json()[0]["month"] == label
    assert f"/open-data/{label}/" in anonymous.get("/open-data/feed/").content.decode()


def test_public_outputs_carry_the_frozen_figures_with_disclosure_control(
    client: Client, history: History
) -> None:
    release = publish(history)
    figures = services.frozen_figures(release)
    lone = [e for e in history.executions if e.enterprise_id == history.lone.pk]
    secret = {f"{e.amount:.2f}" for e in lone} | {f"{e.amount * 7:.2f}" for e in lone}

    rows = _rows(client.get(f"/open-data/{release.label}/figures.csv").content)
    by_key = {(r["table"], r["series"], r["key"]): r for r in rows}
    assert len(by_key) == len(figures.cells)
    for key, cell in figures.cells.items():
        row = by_key[key]
        assert row["flag"] == cell.flag
        assert row["value"] == ("" if cell.value is None else str(cell.value))
    shanghai = by_key["province", "execution_value_cny", "310000"]
    assert shanghai["flag"] == "C" and shanghai["value"] == ""
    api = client.get(f"/api/v1/releases/{release.label}").json()
    assert {(r["table"], r["series"], r["key"]): r["value"] for r in api["figures"]} == {
        k: (None if r["value"] == "" else r["value"]) for k, r in by_key.items()
    }
    page = client.get(f"/open-data/{release.label}/").content.decode()
    bulletin = client.get(f"/open-data/{release.label}/bulletin/").content.decode()
    for text in secret:
        assert text not in page and text not in bulletin
        assert all(text not in (r["value"], r["value_prev"]) for r in rows)
    assert 'data-flag="C"' in page


def test_the_revisions_page_shows_published_current_and_difference(
    client: Client, history: History
) -> None:
    release = publish(history)
    history.execute(history.contracts[1], "E-late", dt.date(2026, 2, 20), "1000000.00", "USD")
    page = client.get(f"/open-data/{release.label}/revisions/").content.decode()
    # 7,000,000 yuan more: +0.07 (100 million yuan) on the national execution total.
    assert "+0.07" in page
    assert 'data-testid="revision-national"' in page


def test_the_release_desk_is_for_statisticians(client: Client, history: History) -> None:
    others = [
        make_user(Role.MINISTRY_ADMIN),
        make_user(Role.PROVINCE_REVIEWER, division="320000"),
        history.desk.filers[history.firms[0].pk],
    ]
    for user in others:
        client.force_login(user)
        assert client.get("/releases/").status_code == 404
        assert client.post("/releases/", {"month": "2026-03"}).status_code == 404
    client.logout()
    assert client.get("/releases/").status_code == 302  # to the sign-in page

    client.force_login(history.statistician)
    response = client.post("/releases/", {"month": "2026-03"})
    assert response.status_code == 302 and response["Location"] == "/releases/2026-03/"
    desk = client.get("/releases/2026-03/").content.decode()
    assert 'data-testid="bulletin-form"' in desk and 'data-testid="sheet-province"' in desk
    client.post("/releases/2026-03/edit/", {"bulletin_zh": "中文稿", "bulletin_en": "Draft"})
    assert Release.objects.get().bulletin_zh == "中文稿"
    client.post("/releases/2026-03/publish/", {"publish_at": ""})
    release = Release.objects.get()
    assert release.is_published and release.is_public


def test_a_month_that_is_not_a_month_is_refused_on_the_desk(
    client: Client, history: History
) -> None:
    client.force_login(history.statistician)
    response = client.post("/releases/", {"month": "2026-13"})
    assert response.status_code == 200
    assert "2026-13" in response.content.decode()
    assert not Release.objects.exists()


def test_officials_download_current_exact_tables_of_their_jurisdiction(
    client: Client, history: History
) -> None:
    from openpyxl import load_workbook

    assert client.get("/releases/current.xlsx?month=2026-03").status_code == 302
    client.force_login(history.desk.filers[history.firms[0].pk])
    assert client.get("/releases/current.xlsx?month=2026-03").status_code == 404
    client.force_login(make_user(Role.MINISTRY_STATISTICIAN))
    response = client.get("/releases/current.xlsx?month=2026-03")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    cells = [c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert "C" not in cells  # exact figures for the ministry: nothing is hidden
    lone = sum(
        (e.amount for e in history.executions if e.enterprise_id == history.lone.pk),
        Decimal(0),
    )
    assert lone > 0


def test_the_portal_lists_datasets_metadata_and_the_series(
    client: Client, history: History
) -> None:
    release = publish(history)
    index = client.get("/open-data/").content.decode()
    assert f'data-testid="dataset-{release.label}"' in index
    about = client.get("/open-data/about/").content.decode()
    for anchor in ("definitions", "rules", "revisions", "calendar", "contact"):
        assert f'id="{anchor}"' in about
    series = client.get("/open-data/series.csv")
    assert series.status_code == 200
    rows = _rows(series.content)
    months = {r["key"] for r in rows if r["series"] == "execution_value_cny"}
    assert {"2025-03", "2026-03"} <= months  # every execution is dated in March
    march = next(r for r in rows if r["series"] == "execution_value_cny" and r["key"] == "2026-03")
    figures = services.frozen_figures(release)
    cell = figures.get("national", "execution_value_cny", "2026-03")
    assert cell is not None
    assert march["value"] == ("" if cell.value is None else str(cell.value))
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get("/open-data/series.xlsx").content))
    assert len(book.worksheets) == 2  # the national table and the notes
    assert client.get("/open-data/series.sdmx").status_code == 200
    assert client.get("/open-data/series.pdf").status_code == 404
    feed = client.get("/open-data/feed/")
    assert feed.status_code == 200 and b"<feed" in feed.content
