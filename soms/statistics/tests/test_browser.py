"""In Debian's chromium: the statistics dashboard with its charts and province map, for the
public and for the ministry (screenshots kept as test artefacts)."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from soms.accounts.choices import Role
from soms.core.browser import browser_page, chromium_path
from soms.filing import rules, services
from soms.filing.models import Contract, Execution
from soms.reference.services import save_rates
from soms.review import services as review
from soms.testing import PASSWORD, make_enterprise, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed"),
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.fixture(autouse=True)
def _allow_orm_beside_playwright() -> None:
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def _approved_year(month: dt.date) -> None:
    save_rates(actor="test", rates=[(month, "USD", Decimal("7.1"))])
    context = rules.Context(today=timezone.localdate(), history=True)
    for n, district in enumerate(["320508", "320506", "320505", "310115", "330106"]):
        enterprise = make_enterprise(district)
        filer = make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
        reviewer = make_user(Role.DISTRICT_REVIEWER, division=district)
        contract = services.create_record(
            actor=filer,
            model=Contract,
            enterprise=enterprise,
            key={"contract_no": f"C{n}"},
            data={
                "direction": "inbound",
                "counterpart_name": "Client",
                "category": "ITO01",
                "counterpart_country": ["US", "JP", "HK", "CN", "DE"][n],
                "currency": "USD",
                "amount": f"{(n + 1) * 100000}",
                "signed_on": month,
            },
            context=context,
        )
        services.submit(actor=filer, row=contract, context=context)
        review.approve_record(actor=reviewer, row=contract, context=context)
        execution = services.create_record(
            actor=filer,
            model=Execution,
            enterprise=enterprise,
            key={"contract": contract, "execution_no": "E1"},
            data={"executed_on": month, "currency": "USD", "amount": f"{(n + 1) * 50000}"},
            context=context,
        )
        services.submit(actor=filer, row=execution, context=context, comment="first payment")
        review.approve_record(actor=reviewer, row=execution, context=context)


def test_dashboard_and_map_for_the_public_and_the_ministry(live_server) -> None:  # type: ignore[no-untyped-def]
    month = timezone.localdate().replace(day=1)
    _approved_year(month)
    make_user(Role.MINISTRY_STATISTICIAN, username="b-stat")
    ARTIFACTS.mkdir(exist_ok=True)
    url = f"{live_server.url}/statistics/?month={month:%Y-%m}"
    with browser_page(width=1280, height=1800) as page:
        page.goto(url)
        page.wait_for_selector("#chart-trend svg")
        public = page.content()
        assert 'data-flag="C"' in public  # Shanghai and Zhejiang have one enterprise each
        page.screenshot(path=str(ARTIFACTS / "statistics-public.png"), full_page=True)

        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "b-stat")
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_selector("[data-testid=whoami]")
        page.goto(url)
        page.wait_for_selector("#chart-trend svg")
        assert 'data-flag="C"' not in page.content()  # the ministry sees exact figures
        page.screenshot(path=str(ARTIFACTS / "statistics-ministry.png"), full_page=True)


def test_public_page_and_public_pivot_for_an_official(live_server) -> None:  # type: ignore[no-untyped-def]
    month = timezone.localdate().replace(day=1)
    _approved_year(month)
    make_user(Role.MINISTRY_STATISTICIAN, username="p-stat")
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page(width=1280, height=1800) as page:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "p-stat")
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_selector("[data-testid=whoami]")
        assert page.get_attribute("[data-testid=nav-public-statistics]", "href") == (
            "/statistics/public/"
        )
        page.goto(f"{live_server.url}/statistics/public/?month={month:%Y-%m}")
        page.wait_for_selector("#chart-trend svg")
        page.wait_for_selector("#chart-history svg")
        assert page.is_visible("[data-testid=disclosure-explained]")
        assert 'data-flag="C"' in page.content()  # public figures, though signed in
        page.screenshot(path=str(ARTIFACTS / "statistics-public-page.png"), full_page=True)

        page.click("[data-testid=public-pivot]")
        page.wait_for_selector("[data-testid=pivot-table]")
        assert 'data-flag="C"' in page.content()
        page.screenshot(path=str(ARTIFACTS / "statistics-pivot.png"), full_page=True)
        with page.expect_download() as download:
            page.click("[data-testid=pivot-xlsx]")
        assert download.value.suggested_filename.endswith("-public.xlsx")


def test_the_province_map_from_a_deployers_geojson(live_server, tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    import json

    square = [[[110, 30], [120, 30], [120, 40], [110, 40], [110, 30]]]
    path = tmp_path / "squares.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "32"},
                        "geometry": {"type": "Polygon", "coordinates": square},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    settings.SOMS_PROVINCE_GEOJSON = str(path)
    month = timezone.localdate().replace(day=1)
    _approved_year(month)
    with browser_page(width=1280, height=1400) as page:
        page.goto(f"{live_server.url}/statistics/?month={month:%Y-%m}")
        page.wait_for_selector("#chart-province-map svg path")
        assert page.get_attribute("#chart-province-map", "data-ready") == "true"
        assert not page.query_selector("[data-testid=tilemap]")
