"""``soms stats`` (exchange-format.md, "Command line"): one row per combination of the --by
dimensions with value, value_prev, yoy_pct and flag; the ministry's full view by default,
--user for what that user may see, --public as an anonymous visitor sees it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from soms.accounts.choices import Role
from soms.statistics.models import Fact, Rollup
from soms.statistics.tests.desk import Desk, rates
from soms.testing import make_user

pytestmark = pytest.mark.django_db

USD = {
    dt.date(2024, 3, 1): Decimal("6.9"),
    dt.date(2025, 3, 1): Decimal("7.1"),
    dt.date(2025, 4, 1): Decimal("7.2"),
    dt.date(2025, 5, 1): Decimal("7.0"),
}


@pytest.fixture
def filed() -> Desk:
    """Suzhou Gusu (320508): three enterprises, ITO, US clients, both years. Changzhou
    Tianning (320402): three enterprises, BPO, Chinese clients. Shanghai Pudong (310115): one
    enterprise, KPO, a Hong Kong client. All in yuan."""
    rates({(m, "USD"): v for m, v in USD.items()})
    desk = Desk()
    for amount in ("1000", "2000", "3000"):
        firm = desk.enterprise("320508")
        desk.approve(desk.contract(firm, "C-25", amount=amount, signed_on=dt.date(2025, 3, 10)))
        desk.approve(desk.contract(firm, "C-24", amount="1000", signed_on=dt.date(2024, 3, 10)))
    for amount in ("100", "200", "300"):
        firm = desk.enterprise("320402")
        desk.approve(
            desk.contract(
                firm,
                "C-25",
                amount=amount,
                category="BPO02",
                counterpart_country="CN",
                signed_on=dt.date(2025, 4, 1),
            )
        )
    firm = desk.enterprise("310115")
    desk.approve(
        desk.contract(
            firm,
            "C-25",
            amount="50000",
            category="KPO03",
            counterpart_country="HK",
            signed_on=dt.date(2025, 5, 5),
        )
    )
    return desk


def stats(*args: str) -> str:
    out = io.StringIO()
    call_command("stats", *args, stdout=out)
    return out.getvalue()


def table(*args: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(stats(*args))))


YEAR = ("--measure", "contract_value", "--from", "2025-01", "--to", "2025-12")


def test_csv_columns_are_the_dimensions_then_value_value_prev_yoy_pct_flag(filed: Desk) -> None:
    text = stats(*YEAR, "--by", "province,category_l1")
    assert text.splitlines()[0] == "province,category_l1,value,value_prev,yoy_pct,flag"
    assert list(csv.reader(io.StringIO(text)))[1:] == [
        ["310000", "KPO", "50000.00", "", "", ""],
        ["320000", "BPO", "600.00", "", "", ""],
        ["320000", "ITO", "6000.00", "3000.00", "100.0", ""],
    ]
    assert stats(*YEAR).splitlines() == [
        "value,value_prev,yoy_pct,flag",
        "56600.00,3000.00,1786.7,",
    ]


def test_filters_and_flow(filed: Desk) -> None:
    assert table(*YEAR, "--by", "flow") == [
        {
            "flow": "offshore",
            "value": "56000.00",
            "value_prev": "3000.00",
            "yoy_pct": "1766.7",
            "flag": "",
        },
        {"flow": "onshore", "value": "600.00", "value_prev": "", "yoy_pct": "", "flag": ""},
    ]
    offshore = table(*YEAR, "--flow", "offshore", "--by", "counterpart_group")
    assert [(r["counterpart_group"], r["value"]) for r in offshore] == [("HMT", "50000.00")]
    where = table(*YEAR, "--where", "province=320000", "--where", "flow=onshore", "--by", "city")
    assert [(r["city"], r["value"]) for r in where] == [("320400", "600.00")]
    count = table("--measure", "contract_count", "--from", "2025-03", "--to", "2025-03")
    assert count == [{"value": "3", "value_prev": "3", "yoy_pct": "0.0", "flag": ""}]


def test_dollars_convert_each_contract_at_its_months_rate(filed: Desk) -> None:
    rows = table(*YEAR, "--currency", "USD", "--by", "province")

    def usd(*parts: tuple[str, dt.date]) -> Decimal:
        total = sum((Decimal(a) / USD[m] for a, m in parts), Decimal(0))
        return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    march, april, may = (dt.date(2025, m, 1) for m in (3, 4, 5))
    jiangsu = usd(("6000", march), ("600", april))
    jiangsu_before = usd(("3000", dt.date(2024, 3, 1)))
    growth = ((jiangsu - jiangsu_before) / jiangsu_before * 100).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    assert rows == [
        {
            "province": "310000",
            "value": str(usd(("50000", may))),
            "value_prev": "",
            "yoy_pct": "",
            "flag": "",
        },
        {
            "province": "320000",
            "value": str(jiangsu),
            "value_prev": str(jiangsu_before),
            "yoy_pct": str(growth),
            "flag": "",
        },
    ]
    assert str(jiangsu) == "928.40"


def test_json_rows_carry_the_names_of_the_dimension_values(filed: Desk) -> None:
    with translation.override("en"):
        document = json.loads(stats(*YEAR, "--by", "province,category_l1", "--format", "json"))
    assert {k: document[k] for k in ("measure", "currency", "from", "to", "provisional")} == {
        "measure": "contract_value",
        "currency": "CNY",
        "from": "2025-01",
        "to": "2025-12",
        "provisional": True,
    }
    assert document["rows"][2] == {
        "province": "320000",
        "province_name": "Jiangsu",
        "category_l1": "ITO",
        "category_l1_name": "Information technology outsourcing",
        "value": "6000.00",
        "value_prev": "3000.00",
        "yoy_pct": "100.0",
        "flag": None,
    }
    with translation.override("zh-hans"):
        document = json.loads(stats(*YEAR, "--by", "flow", "--format", "json"))
    assert [r["flow"] for r in document["rows"]] == ["offshore", "onshore"]
    assert all(r["flow_name"] != r["flow"] for r in document["rows"])


def test_public_applies_disclosure_control(filed: Desk) -> None:
    # Shanghai has one enterprise: hidden, with no value.
    rows = table(*YEAR, "--public", "--by", "province")
    assert rows[0] == {
        "province": "310000",
        "value": "",
        "value_prev": "",
        "yoy_pct": "",
        "flag": "C",
    }
    assert rows[1]["flag"] == "C" or rows[1]["value"] == "6600.00"
    # Within Jiangsu, three enterprises in each category, none above 85%: published; last
    # year's ITO had three too.
    rows = table(*YEAR, "--public", "--where", "province=320000", "--by", "category_l1")
    assert rows == [
        {"category_l1": "BPO", "value": "600.00", "value_prev": "", "yoy_pct": "", "flag": ""},
        {
            "category_l1": "ITO",
            "value": "6000.00",
            "value_prev": "3000.00",
            "yoy_pct": "100.0",
            "flag": "",
        },
    ]
    # The ministry's view is exact.
    assert table(*YEAR, "--by", "district")[0] == {
        "district": "310115",
        "value": "50000.00",
        "value_prev": "",
        "yoy_pct": "",
        "flag": "",
    }


def test_user_sees_exactly_their_jurisdiction(filed: Desk) -> None:
    gusu = make_user(Role.DISTRICT_REVIEWER, division="320508", username="gusu")
    for by in ("district", "province", "category"):
        rows = table(*YEAR, "--user", gusu.username, "--by", by)
        assert [r["value"] for r in rows] == ["6000.00"], by
        assert rows[0]["value_prev"] == "3000.00" and rows[0]["flag"] == ""
    # Asking for another district gives nothing.
    assert table(*YEAR, "--user", "gusu", "--where", "district=320402") == []
    # One enterprise, but the district's own official sees its exact figure.
    make_user(Role.DISTRICT_REVIEWER, division="310115", username="pudong")
    assert table(*YEAR, "--user", "pudong")[0]["value"] == "50000.00"
    make_user(Role.CITY_REVIEWER, division="320400", username="changzhou")
    assert table(*YEAR, "--user", "changzhou", "--by", "city") == [
        {"city": "320400", "value": "600.00", "value_prev": "", "yoy_pct": "", "flag": ""}
    ]
    with pytest.raises(CommandError):
        stats(*YEAR, "--user", "nobody")


BILINGUAL = re.compile(r"[\u4e00-\u9fff].* / .*[A-Za-z]")


@pytest.mark.parametrize(
    ("args", "english"),
    [
        (("--measure", "turnover", "--from", "2025-01", "--to", "2025-12"), "is not a measure"),
        ((*YEAR, "--by", "province,colour"), "is not a dimension"),
        ((*YEAR, "--where", "colour=red"), "is not a dimension"),
        ((*YEAR, "--currency", "EUR"), "CNY or USD"),
        (("--measure", "contract_value", "--from", "2025-13", "--to", "2025-12"), "is not a month"),
        (
            ("--measure", "employees", "--from", "2025-01", "--to", "2025-12", "--by", "flow"),
            "cannot be broken down",
        ),
    ],
)
def test_refusals_are_bilingual(filed: Desk, args: tuple[str, ...], english: str) -> None:
    with pytest.raises(CommandError) as refused:
        stats(*args)
    message = str(refused.value)
    assert english in message
    assert BILINGUAL.search(message), message


def test_rebuild_recomputes_the_facts(filed: Desk) -> None:
    Rollup.objects.all().delete()
    Fact.objects.all().delete()
    assert stats(*YEAR) == "value,value_prev,yoy_pct,flag\n"
    assert stats("--rebuild").strip() == "10 facts rebuilt from the records"
    assert stats(*YEAR).splitlines()[1] == "56600.00,3000.00,1786.7,"
