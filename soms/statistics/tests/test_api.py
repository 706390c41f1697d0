"""``GET /api/v1/stats/`` (exchange-format.md, "Statistics API"): the parameters of
``soms stats``, the documented JSON shape, money as strings with 2 decimals, disclosure control
for anonymous callers, each official's own jurisdiction, and provisional figures until the
nation has signed every month off."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from soms.accounts.choices import Role
from soms.review.choices import Level, SignOffStatus
from soms.review.models import SignOff
from soms.statistics.tests.desk import Desk, rates
from soms.testing import make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/stats/"
QUERY = "measure=execution_value&from=2025-01&to=2025-07&by=province,category_l1"
MONEY = re.compile(r"^-?\d+\.\d{2}$")
ROW_KEYS = {
    "province",
    "province_name",
    "category_l1",
    "category_l1_name",
    "value",
    "value_prev",
    "yoy_pct",
    "flag",
}


@pytest.fixture
def filed() -> Desk:
    """Jiangsu: three enterprises of Suzhou Gusu execute ITO contracts for US clients in
    dollars (one of them also last year), one of Changzhou a BPO contract for a Chinese client.
    Shanghai: two enterprises execute KPO contracts for Hong Kong clients in HKD."""
    months = [dt.date(y, m, 1) for y in (2024, 2025) for m in range(1, 13)]
    rates(
        {(m, "USD"): Decimal("6.9") if m.year == 2024 else Decimal("7") for m in months}
        | {(m, "HKD"): Decimal("0.9") for m in months}
    )
    desk = Desk()

    def execute(division: str, amounts: list[str], **contract: Any) -> None:
        day = contract.pop("day")
        for amount in amounts:
            firm = desk.enterprise(division)
            deal = desk.approve(
                desk.contract(
                    firm, "C-1", amount="1000000", signed_on=dt.date(2024, 1, 15), **contract
                )
            )
            desk.approve(desk.execution(deal, "E-1", day, contract["currency"], Decimal(amount)))

    execute("320508", ["1000", "1500", "2000"], currency="USD", day=dt.date(2025, 3, 3))
    execute(
        "320402",
        ["5000"],
        currency="CNY",
        category="BPO02",
        counterpart_country="CN",
        day=dt.date(2025, 4, 4),
    )
    execute(
        "310115",
        ["10000", "2000"],
        currency="HKD",
        category="KPO03",
        counterpart_country="HK",
        day=dt.date(2025, 5, 5),
    )
    execute("320508", ["1000"], currency="USD", day=dt.date(2024, 3, 3))
    return desk


def get(client: Client, query: str = QUERY, **extra: Any) -> dict[str, Any]:
    response = client.get(f"{URL}?{query}", **extra)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_documented_shape_with_money_as_strings(filed: Desk) -> None:
    admin = make_user(Role.MINISTRY_STATISTICIAN)
    client = Client()
    client.force_login(admin)
    document = get(client, QUERY + "&where=flow:offshore")
    assert list(document) == ["measure", "currency", "from", "to", "provisional", "rows"]
    assert document["measure"] == "execution_value"
    assert (document["currency"], document["from"], document["to"]) == ("CNY", "2025-01", "2025-07")
    assert document["provisional"] is True
    for row in document["rows"]:
        assert set(row) == ROW_KEYS
        assert MONEY.match(row["value"]), row
    assert [
        {k: r[k] for k in ROW_KEYS - {"province_name", "category_l1_name"}}
        for r in document["rows"]
    ] == [
        {
            "province": "310000",
            "category_l1": "KPO",
            "value": "10800.00",
            "value_prev": None,
            "yoy_pct": None,
            "flag": None,
        },
        # 4500 USD at 7 yuan; last year 1000 USD at 6.9.
        {
            "province": "320000",
            "category_l1": "ITO",
            "value": "31500.00",
            "value_prev": "6900.00",
            "yoy_pct": "356.5",
            "flag": None,
        },
    ]
    # Every parameter: dollars, flow, repeated filters.
    document = get(
        client,
        "measure=execution_value&currency=USD&from=2025-01&to=2025-07&by=counterpart_country"
        "&flow=offshore&where=province:320000&where=province:310000",
    )
    assert [(r["counterpart_country"], r["value"]) for r in document["rows"]] == [
        ("HK", "1542.86"),  # 10800 yuan / 7
        ("US", "4500.00"),
    ]
    onshore = get(client, QUERY + "&flow=onshore")
    assert [(r["province"], r["category_l1"], r["value"]) for r in onshore["rows"]] == [
        ("320000", "BPO", "5000.00")
    ]


def test_anonymous_callers_get_disclosure_controlled_figures(filed: Desk) -> None:
    document = get(Client(), QUERY + "&where=flow:offshore")
    rows = {(r["province"], r["category_l1"]): r for r in document["rows"]}
    # Two enterprises in Shanghai: confidential.
    assert {k: rows[("310000", "KPO")][k] for k in ("value", "value_prev", "yoy_pct", "flag")} == {
        "value": None,
        "value_prev": None,
        "yoy_pct": None,
        "flag": "C",
    }
    # Three in Jiangsu, none above 85%: published; last year's one enterprise is not.
    jiangsu = rows[("320000", "ITO")]
    assert (jiangsu["value"], jiangsu["value_prev"], jiangsu["yoy_pct"], jiangsu["flag"]) == (
        "31500.00",
        None,
        None,
        None,
    )
    total = get(Client(), "measure=execution_value&from=2025-01&to=2025-07")["rows"]
    assert total[0]["flag"] is None and total[0]["value"] == "47300.00"


def test_a_province_reviewer_gets_their_province_only(filed: Desk) -> None:
    client = Client()
    client.force_login(make_user(Role.PROVINCE_REVIEWER, division="320000"))
    document = get(client)
    assert [(r["province"], r["category_l1"], r["value"]) for r in document["rows"]] == [
        ("320000", "BPO", "5000.00"),
        ("320000", "ITO", "31500.00"),
    ]
    assert document["rows"][1]["value_prev"] == "6900.00"  # exact: one enterprise, their own
    assert get(client, QUERY + "&where=province:310000")["rows"] == []
    by_district = get(client, "measure=execution_value&from=2025-01&to=2025-07&by=district")
    assert [(r["district"], r["value"]) for r in by_district["rows"]] == [
        ("320402", "5000.00"),
        ("320508", "31500.00"),
    ]
    shanghai = Client()
    shanghai.force_login(make_user(Role.PROVINCE_REVIEWER, division="310000"))
    assert [(r["province"], r["value"], r["flag"]) for r in get(shanghai)["rows"]] == [
        ("310000", "10800.00", None)
    ]


def test_figures_are_provisional_until_the_nation_signed_every_month(filed: Desk) -> None:
    ministry = make_user(Role.MINISTRY_ADMIN)
    months = [dt.date(2025, m, 1) for m in range(1, 8)]
    for month in months[:-1]:
        SignOff.objects.create(
            period=month, level=Level.NATION, status=SignOffStatus.SIGNED, signed_by=ministry
        )
    assert get(Client())["provisional"] is True
    # A province's sign-off is not the nation's.
    SignOff.objects.create(
        period=months[-1],
        level=Level.PROVINCE,
        division_id="320000",
        status=SignOffStatus.SIGNED,
        signed_by=ministry,
    )
    assert get(Client())["provisional"] is True
    last = SignOff.objects.create(
        period=months[-1], level=Level.NATION, status=SignOffStatus.REOPENED, signed_by=ministry
    )
    assert get(Client())["provisional"] is True  # reopened is not signed
    SignOff.objects.filter(pk=last.pk).update(status=SignOffStatus.SIGNED)
    assert get(Client())["provisional"] is False
    assert get(Client(), "measure=execution_value&from=2025-01&to=2025-08")["provisional"] is True


def test_refusals_name_the_parameter_in_both_languages(filed: Desk) -> None:
    response = Client().get(f"{URL}?measure=turnover&from=2025-01&to=2025-07")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unknown_measure" and body["field"] == "measure"
    assert "turnover" in body["message_en"] and body["message_zh"] != body["message_en"]
    response = Client().get(f"{URL}?{QUERY}&where=flow")
    assert response.status_code == 400 and response.json()["code"] == "invalid_filter"


def test_the_openapi_document_lists_the_statistics_endpoint() -> None:
    document = Client().get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/stats/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"measure", "currency", "from", "to", "by", "flow", "where"} <= names
    assert "start" not in names
    where = next(p for p in operation["parameters"] if p["name"] == "where")
    assert where["schema"].get("type") == "array"
