"""The long history on the dashboard: the published national figures with their sources, beside
the system's own annual figures in 100 million US dollars (a plain sum over the records filed
here, converted with the month's rate); national figures only for national callers."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.test import Client
from django.urls import reverse

from soms.accounts.choices import Role
from soms.statistics.tests.desk import Desk, rates
from soms.testing import make_user

pytestmark = pytest.mark.django_db

SOURCE_2013 = "http://www.gzoutsourcing.cn/Article/20140120/2385.html"
SIGNED, EXECUTED = dt.date(2025, 2, 10), dt.date(2025, 3, 12)
RATES = {SIGNED.replace(day=1): Decimal("7.2"), EXECUTED.replace(day=1): Decimal("7.1")}
# (district, contract amount, execution amount) in yuan, one enterprise each.
FIRMS = [
    ("320508", Decimal("3000000000.00"), Decimal("2000000000.00")),
    ("320508", Decimal("3100000000.00"), Decimal("2100000000.00")),
    ("320506", Decimal("3200000000.00"), Decimal("2200000000.00")),
    ("310115", Decimal("3300000000.00"), Decimal("2300000000.00")),
]
HUNDRED_MILLION = Decimal(100_000_000)


@pytest.fixture
def filed() -> Desk:
    rates({(month, "USD"): rate for month, rate in RATES.items()})
    desk = Desk()
    for n, (district, contract_amount, executed) in enumerate(FIRMS):
        firm = desk.enterprise(district)
        contract = desk.approve(
            desk.contract(firm, f"H-{n}", amount=contract_amount, signed_on=SIGNED)
        )
        desk.approve(desk.execution(contract, f"X-{n}", EXECUTED, "CNY", executed))
    # A year with yuan records and no dollar rate: its dollar figures cannot be computed.
    old = desk.enterprise("320508")
    desk.approve(desk.contract(old, "OLD-1", signed_on=dt.date(2023, 5, 6)))
    return desk


def in_100m_dollars(amounts: list[tuple[Decimal, Decimal]]) -> str:
    """Each amount converted with its month's rate, summed, rounded to cents, then shown in
    100 million dollars half-up to 2 decimals (statistics-rules.md, "Money and currency")."""
    dollars = sum((amount / rate for amount, rate in amounts), Decimal(0))
    cents = dollars.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{(cents / HUNDRED_MILLION).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"


def system_row(html: str, year: int) -> list[str]:
    table = re.search(r'data-testid="table-history-system".*?</table>', html, re.S)
    assert table, "no table of the system's annual figures"
    row = re.search(rf'<tr data-year="{year}">(.*?)</tr>', table[0], re.S)
    assert row, year
    return [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.S)
    ]


def chart(html: str) -> dict:  # type: ignore[type-arg]
    found = re.search(
        r'<script id="dashboard-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert found
    return json.loads(found[1])["history"]  # type: ignore[no-any-return]


def test_the_public_sees_the_published_figures_with_their_sources(
    client: Client, filed: Desk
) -> None:
    html = client.get(reverse("statistics:dashboard")).content.decode()
    assert 'data-testid="long-history"' in html
    row = re.search(
        r'<tr data-year="2013" data-measure="execution_value" data-unit="USD_100M">(.*?)</tr>',
        html,
        re.S,
    )
    assert row, "the published 2013 execution value is not listed"
    assert ">638.5<" in row[1]
    assert f'href="{SOURCE_2013}"' in row[1]
    assert ">M<" in row[1]  # its quality flag
    history = chart(html)
    published = [s for s in history["series"] if s["kind"] == "published"]
    assert len(published) == 2
    year = history["years"].index("2013")
    assert {Decimal(s["values"][year]) for s in published} == {Decimal("638.5"), Decimal("954.9")}


def test_the_system_figures_are_in_100_million_dollars(client: Client, filed: Desk) -> None:
    client.force_login(make_user(Role.MINISTRY_STATISTICIAN))
    html = client.get(reverse("statistics:dashboard")).content.decode()
    execution = in_100m_dollars([(e, RATES[EXECUTED.replace(day=1)]) for _d, _c, e in FIRMS])
    contract = in_100m_dollars([(c, RATES[SIGNED.replace(day=1)]) for _d, c, _e in FIRMS])
    assert system_row(html, 2025) == [execution, contract]
    # 2023 has records but no dollar rate: said so, and the rest of the history is there.
    assert "2023-05" in html
    assert "638.5" in html
    own = [s for s in chart(html)["series"] if s["kind"] == "system"]
    assert [s["values"][chart(html)["years"].index("2025")] for s in own] == [
        execution.replace(",", ""),
        contract.replace(",", ""),
    ]


def test_a_province_official_sees_own_figures_without_the_national_series(
    client: Client, filed: Desk
) -> None:
    client.force_login(make_user(Role.PROVINCE_REVIEWER, division="320000"))
    html = client.get(reverse("statistics:dashboard")).content.decode()
    jiangsu = [f for f in FIRMS if f[0].startswith("32")]
    execution = in_100m_dollars([(e, RATES[EXECUTED.replace(day=1)]) for _d, _c, e in jiangsu])
    contract = in_100m_dollars([(c, RATES[SIGNED.replace(day=1)]) for _d, c, _e in jiangsu])
    assert system_row(html, 2025) == [execution, contract]
    assert 'data-testid="table-history-published"' not in html
    assert SOURCE_2013 not in html
    assert all(s["kind"] == "system" for s in chart(html)["series"])
