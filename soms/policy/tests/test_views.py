"""The policy pages: who sees and does what (one declaration for every view and role), and
what the pages show — status, chart data and the table under it, the missing-data message."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.policy import services
from soms.policy.choices import SeriesUnit
from soms.policy.models import ExternalSeries, ExternalValue, Target
from soms.policy.services import Figure
from soms.testing import make_enterprise, make_user

pytestmark = pytest.mark.django_db

DOCUMENT = {"document_title": "商务部关于实施服务外包“千百十工程”的通知", "deadline": 2010}


@pytest.fixture
def admin(db: Any) -> User:
    return make_user(Role.MINISTRY_ADMIN)


@pytest.fixture
def setup(admin: User) -> dict[str, Any]:
    series = services.save_series(
        admin,
        {"code": "mnc", "name_zh": "跨国公司数", "unit": SeriesUnit.COUNT, "source": "商务部"},
        [],
    )
    base = services.save_target(
        admin,
        {
            **DOCUMENT,
            "code": "T-2006-BASE",
            "title_zh": "10个基地城市",
            "title_en": "10 base cities",
            "indicator": "designated_cities",
            "target_value": Decimal(10),
            "baseline_year": 2005,
        },
    )
    services.set_published(admin, base, True)
    hidden = services.save_target(
        admin,
        {
            **DOCUMENT,
            "code": "T-2006-MNC",
            "title_zh": "100家跨国公司",
            "indicator": "external",
            "series": series,
            "target_value": Decimal(100),
        },
    )
    return {"base": base, "hidden": hidden, "series": series}


# Every role, inside and outside the jurisdictions that could matter (targets are national).
ROLES: dict[str, Callable[[], User | None]] = {
    "anonymous": lambda: None,
    "enterprise": lambda: make_user(Role.ENTERPRISE_ADMIN, enterprise=make_enterprise()),
    "district": lambda: make_user(Role.DISTRICT_REVIEWER, division="310115"),
    "city": lambda: make_user(Role.CITY_REVIEWER, division="320500"),
    "province": lambda: make_user(Role.PROVINCE_REVIEWER, division="320000"),
    "evaluator": lambda: make_user(Role.CITY_EVALUATOR, division="320500"),
    "statistician": lambda: make_user(Role.MINISTRY_STATISTICIAN),
    "admin": lambda: make_user(Role.MINISTRY_ADMIN),
}
EVERYONE = dict.fromkeys(ROLES, 200)
MINISTRY = {**dict.fromkeys(ROLES, 404), "anonymous": 302, "statistician": 200, "admin": 200}
ADMIN_ONLY = {**dict.fromkeys(ROLES, 404), "anonymous": 302, "admin": 200}
SEEN_BY_MINISTRY = {**dict.fromkeys(ROLES, 404), "statistician": 200, "admin": 200}
GOOD_CSV = "year,value\n2009,40\n2010,80\n"

# (view, method, path, data, expected status by role)
VIEWS: list[tuple[str, str, str, dict[str, Any], dict[str, int]]] = [
    ("overview", "get", "/policy/", {}, EVERYONE),
    ("published target", "get", "/policy/targets/T-2006-BASE/", {}, EVERYONE),
    ("unpublished target", "get", "/policy/targets/T-2006-MNC/", {}, SEEN_BY_MINISTRY),
    ("new target", "get", "/policy/targets/new/", {}, ADMIN_ONLY),
    ("edit", "get", "/policy/targets/T-2006-BASE/edit/", {}, ADMIN_ONLY),
    (
        "publish",
        "post",
        "/policy/targets/T-2006-MNC/publish/",
        {"published": "on"},
        {**ADMIN_ONLY, "admin": 302},
    ),
    ("series", "get", "/policy/series/", {}, MINISTRY),
    ("series detail", "get", "/policy/series/mnc/", {}, MINISTRY),
    (
        "upload",
        "post",
        "/policy/series/",
        {"code": "mnc", "name_zh": "跨国公司数", "unit": "count", "source": "商务部"},
        {**ADMIN_ONLY, "statistician": 404, "admin": 302},
    ),
]


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize(
    ("view", "method", "path", "data", "expected"), VIEWS, ids=[v[0] for v in VIEWS]
)
def test_permissions(
    setup: dict[str, Any],
    role: str,
    view: str,
    method: str,
    path: str,
    data: dict[str, Any],
    expected: dict[str, int],
) -> None:
    client = Client()
    user = ROLES[role]()
    if user is not None:
        client.force_login(user)
    if view == "upload":
        data = {**data, "file": SimpleUploadedFile("s.csv", GOOD_CSV.encode(), "text/csv")}
    response = getattr(client, method)(path, data)
    assert response.status_code == expected[role]
    if response.status_code == 302 and role == "anonymous":
        assert "/accounts/login" in response["Location"] or "login" in response["Location"]
    # What a refused change would have changed is unchanged.
    if view == "publish":
        assert Target.objects.get(code="T-2006-MNC").published is (role == "admin")
    if view == "upload":
        assert ExternalValue.objects.filter(series__code="mnc").count() == (
            2 if role == "admin" else 0
        )


@pytest.mark.parametrize("role", ["anonymous", "enterprise", "province", "statistician", "admin"])
def test_the_overview_lists_what_the_role_may_see(setup: dict[str, Any], role: str) -> None:
    client = Client()
    user = ROLES[role]()
    if user is not None:
        client.force_login(user)
    html = client.get("/policy/").content.decode()
    assert 'data-target="T-2006-BASE"' in html
    ministry = role in ("statistician", "admin")
    assert ('data-target="T-2006-MNC"' in html) is ministry
    assert ('data-testid="unpublished"' in html) is ministry


def test_the_target_page_shows_the_chart_data_and_the_same_figures_in_a_table(
    setup: dict[str, Any],
) -> None:
    response = Client().get("/policy/targets/T-2006-BASE/")
    html = response.content.decode()
    assert 'data-status="achieved"' in html
    charts = json.loads(
        re.search(
            r'<script id="policy-charts" type="application/json">(.*?)</script>', html, re.S
        ).group(1)
    )
    main = charts["main"]
    reference = next(s for s in main["series"] if s["kind"] == "reference")
    target_line = next(s for s in main["series"] if s["kind"] == "target")
    assert target_line["values"][0] == "10"
    # Every figure of the chart is in the table, year by year.
    for year, value in zip(main["years"], reference["values"], strict=True):
        if value is not None:
            assert f'data-year="{year}" data-value="{value}"' in html
    assert "policy/targets.js" in html


def test_a_target_without_data_says_so_and_shows_no_zero(
    setup: dict[str, Any], admin: User
) -> None:
    client = Client()
    client.force_login(admin)
    html = client.get("/policy/targets/T-2006-MNC/").content.decode()
    assert 'data-status="no_data"' in html
    assert 'data-testid="no-data-message"' in html
    assert 'data-testid="missing"' in html
    assert "data-value=" not in html  # no figure at all, and certainly no 0
    assert 'id="chart-main"' not in html
    overview = client.get("/policy/").content.decode()
    row = overview[overview.index('data-target="T-2006-MNC"') :]
    row = row[: row.index("</tr>")]
    assert 'data-testid="no-data"' in row and ">0<" not in row


def test_publishing_from_the_page(setup: dict[str, Any], admin: User) -> None:
    client = Client()
    client.force_login(admin)
    response = client.post("/policy/targets/T-2006-MNC/publish/", {"published": "on"})
    assert response.status_code == 302
    assert Client().get("/policy/targets/T-2006-MNC/").status_code == 200
    client.post("/policy/targets/T-2006-MNC/publish/", {})
    assert Client().get("/policy/targets/T-2006-MNC/").status_code == 404


def test_editing_a_target_through_the_form(setup: dict[str, Any], admin: User) -> None:
    client = Client()
    client.force_login(admin)
    form = client.get("/policy/targets/T-2006-BASE/edit/").context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    response = client.post("/policy/targets/T-2006-BASE/edit/", {**data, "target_value": "12"})
    assert response.status_code == 302
    assert Target.objects.get(code="T-2006-BASE").target_value == 12
    # A rule of the service shows on the form; nothing changes.
    response = client.post(
        "/policy/targets/T-2006-BASE/edit/", {**data, "target_value": "12", "direction": "rise"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Target.objects.get(code="T-2006-BASE").direction == ""


def test_an_upload_with_bad_rows_lists_them_and_writes_nothing(admin: User) -> None:
    client = Client()
    client.force_login(admin)
    data = {"code": "exports", "name_zh": "服务出口", "unit": "CNY_100M", "source": "商务部"}
    bad = SimpleUploadedFile("s.csv", b"year,value\n2023,1\n2024,x\n", "text/csv")
    response = client.post("/policy/series/", {**data, "file": bad})
    assert response.status_code == 200
    assert response.context["bad_rows"] and "3" in response.context["bad_rows"][0]
    assert 'data-testid="bad-rows"' in response.content.decode()
    assert not ExternalSeries.objects.exists()
    good = SimpleUploadedFile("s.csv", b"year,value\n2023,1\n2024,2\n", "text/csv")
    response = client.post("/policy/series/", {**data, "file": good})
    assert response.status_code == 302
    assert ExternalSeries.objects.get().values.count() == 2


def test_the_series_list_reads_a_fixed_number_of_queries(admin: User) -> None:
    client = Client()
    client.force_login(admin)

    def add(code: str) -> None:
        services.save_series(
            admin,
            {"code": code, "name_zh": code, "unit": SeriesUnit.COUNT, "source": "测试"},
            [Figure("2024", 2024, None, Decimal(1)), Figure("2025", 2025, None, Decimal(2))],
        )

    add("a")
    with CaptureQueriesContext(connection) as one:
        assert client.get("/policy/series/").status_code == 200
    add("b")
    add("c")
    with CaptureQueriesContext(connection) as three:
        assert client.get("/policy/series/").status_code == 200
    assert len(three) == len(one)
