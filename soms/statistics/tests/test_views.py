"""The statistics dashboard: scoped figures, disclosure control for the public, headline
numbers equal to an independent sum over the fixture."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from soms.accounts.choices import Role
from soms.filing import services
from soms.filing.models import Contract, Execution
from soms.reference.services import save_rates
from soms.review import services as review
from soms.statistics.tiles import TILES
from soms.statistics.views import months_back, share
from soms.testing import make_enterprise, make_user

pytestmark = pytest.mark.django_db

DISTRICT = "320508"  # 苏州市姑苏区
OTHER_DISTRICT = "310115"  # 上海市浦东新区
LONE_VALUE = Decimal("777777.77")  # the Shanghai enterprise's execution: alone in its province
LONE_TEXT = "777,777.77"


def _file(enterprise, reviewer, n: int, country: str, contract: str, executed: str):  # type: ignore[no-untyped-def]
    filer = make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
    today = timezone.localdate()
    row = services.create_record(
        actor=filer,
        model=Contract,
        enterprise=enterprise,
        key={"contract_no": f"C-{n}"},
        data={
            "direction": "inbound",
            "counterpart_name": "Client Ltd.",
            "counterpart_country": country,
            "category": "ITO01",
            "currency": "CNY",
            "amount": contract,
            "signed_on": today,
        },
    )
    services.submit(actor=filer, row=row)
    review.approve_record(actor=reviewer, row=row)
    execution = services.create_record(
        actor=filer,
        model=Execution,
        enterprise=enterprise,
        key={"contract": row, "execution_no": f"E-{n}"},
        data={"executed_on": today, "currency": "CNY", "amount": executed, "receipt_no": f"R{n}"},
    )
    services.submit(actor=filer, row=execution)
    review.approve_record(actor=reviewer, row=execution)


@pytest.fixture
def fixture():  # type: ignore[no-untyped-def]
    month = timezone.localdate().replace(day=1)
    save_rates(actor="test", rates=[(month, "USD", Decimal("7.1"))])
    district = make_user(Role.DISTRICT_REVIEWER, division=DISTRICT)
    other = make_user(Role.DISTRICT_REVIEWER, division=OTHER_DISTRICT)
    for n, (contract, executed) in enumerate(
        [("500000.00", "300000.00"), ("400000.00", "250000.00"), ("600000.00", "350000.00")]
    ):
        _file(make_enterprise(DISTRICT), district, n, "US", contract, executed)
    _file(make_enterprise(OTHER_DISTRICT), other, 9, "JP", "900000.00", str(LONE_VALUE))
    return month, district


def _page(client: Client, month, **params: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(reverse("statistics:dashboard"), {"month": f"{month:%Y-%m}", **params})
    assert response.status_code == 200
    return response.content.decode()


def _card(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}".*?(data-value="([^"]*)"|data-flag="C")', html, re.S)
    assert match, testid
    return match[2] if match[2] is not None else "C"


def _tile(html: str, code: str) -> str:
    match = re.search(rf'data-province="{code}">(.*?)</div>', html, re.S)
    assert match, code
    return match[1]


def _sums(month, **filters):  # type: ignore[no-untyped-def]
    executions = Execution.objects.counting().filter(executed_on__gte=month, **filters)
    contracts = Contract.objects.counting().filter(signed_on__gte=month, **filters)
    return (
        sum((c.amount for c in contracts), Decimal(0)),
        sum((e.amount for e in executions), Decimal(0)),
    )


def test_anonymous_gets_public_figures_with_confidential_cells(client: Client, fixture) -> None:  # type: ignore[no-untyped-def]
    month, _district = fixture
    html = _page(client, month)
    contracts, executions = _sums(month)
    # Four enterprises, none dominant: the national totals are published.
    assert _card(html, "card-month-execution") == str(executions)
    assert _card(html, "card-month-contract") == str(contracts)
    # Shanghai has one enterprise: its tile is confidential and its value is nowhere on the page.
    assert 'data-flag="C"' in _tile(html, "310000")
    assert LONE_TEXT not in html and str(LONE_VALUE) not in html
    assert "provisional" in html or "初步数据" in html
    assert 'id="dashboard-data"' in html


def test_district_reviewer_sees_exact_figures_of_the_district_only(client: Client, fixture) -> None:  # type: ignore[no-untyped-def]
    month, district = fixture
    client.force_login(district)
    html = _page(client, month)
    contracts, executions = _sums(month, enterprise__division_id=DISTRICT)
    assert executions == Decimal("900000.00")
    assert _card(html, "card-month-execution") == str(executions)
    assert _card(html, "card-ytd-execution") == str(executions)
    assert _card(html, "card-month-contract") == str(contracts)
    assert _card(html, "card-month-offshore_share") == "100.0"
    # The province tile shows the district's exact value; another district's value is absent.
    assert "900,000.00" in _tile(html, "320000")
    assert LONE_TEXT not in html
    assert 'data-flag="C"' not in html


def test_ministry_sees_every_exact_figure(client: Client, fixture) -> None:  # type: ignore[no-untyped-def]
    month, _district = fixture
    client.force_login(make_user(Role.MINISTRY_STATISTICIAN))
    html = _page(client, month)
    contracts, executions = _sums(month)
    assert _card(html, "card-month-execution") == str(executions)
    assert _card(html, "card-ytd-contract") == str(contracts)
    assert LONE_TEXT in _tile(html, "310000")
    assert 'data-flag="C"' not in html
    offshore = executions  # every counterpart is abroad
    assert _card(html, "card-month-offshore_share") == str(share(offshore, executions))


def test_dollars_use_the_month_rate(client: Client, fixture) -> None:  # type: ignore[no-untyped-def]
    month, _district = fixture
    client.force_login(make_user(Role.MINISTRY_STATISTICIAN))
    html = _page(client, month, currency="USD")
    _contracts, executions = _sums(month)
    expected = (executions / Decimal("7.1")).quantize(Decimal("0.01"))
    assert abs(Decimal(_card(html, "card-month-execution")) - expected) <= Decimal("0.02")


def test_a_month_without_dollar_rate_says_so(client: Client) -> None:
    client.force_login(make_user(Role.MINISTRY_STATISTICIAN))
    response = client.get(reverse("statistics:dashboard"), {"currency": "USD", "month": "2001-01"})
    assert response.status_code == 200


def test_default_month_is_the_previous_one(client: Client) -> None:
    html = client.get(reverse("statistics:dashboard")).content.decode()
    today = timezone.localdate().replace(day=1)
    assert f'value="{months_back(today, 1):%Y-%m}"' in html


def test_the_tile_grid_has_every_mainland_province_once() -> None:
    assert len(TILES) == 31
    assert len({t.code for t in TILES}) == 31
    assert len({(t.row, t.col) for t in TILES}) == 31
    assert months_back(timezone.localdate().replace(month=1, day=1), 1).month == 12


def test_the_navigation_links_to_the_dashboard(client: Client) -> None:
    html = client.get("/").content.decode()
    assert reverse("statistics:dashboard") in html
