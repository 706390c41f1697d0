"""The review pages as officials drive them: the month's sign-off up the hierarchy, reopening,
completeness with its drill-down and reminders, extensions, the inbox, and the deadline notices.

The fixture is one month (the previous one) in Jiangsu and Shanghai:

- 姑苏区 320508: one report on time and approved, one late and awaiting review, one missing; one
  enterprise deregistered before the month's end, one registered after it, one whose
  registration is still under review (none of these three is expected).
- 虎丘区 320505: one report on time and approved, one missing.
- 玄武区 320102 (南京): one missing. 浦东新区 310115 (上海): one on time, awaiting review.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.template import Context as TemplateContext
from django.template import Template
from django.test import Client, RequestFactory
from django.utils import timezone
from django.utils.translation import gettext, override

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.audit.models import AuditEvent
from soms.filing import services as filing
from soms.filing.calendar import due_date
from soms.filing.choices import RecordStatus
from soms.filing.models import Extension, WorkforceReport
from soms.filing.rules import Context
from soms.registry.choices import RegistrationStatus
from soms.registry.models import Enterprise
from soms.review import services as review
from soms.review.choices import Level, SignOffStatus
from soms.review.models import Message, SignOff
from soms.review.views import previous_month
from soms.testing import make_enterprise, make_user

pytestmark = pytest.mark.django_db

WORKFORCE = {"employees": 120, "employees_college": 80, "new_hires": 5, "new_hires_college": 4}


@dataclass
class World:
    period: dt.date
    # uscc → (district, outcome): "on_time", "late", "missing" or "not_expected"
    outcomes: dict[str, tuple[str, str]] = field(default_factory=dict)
    enterprises: dict[str, Enterprise] = field(default_factory=dict)
    filers: dict[str, User] = field(default_factory=dict)
    reports: dict[str, WorkforceReport] = field(default_factory=dict)
    officials: dict[str, User] = field(default_factory=dict)

    @property
    def month(self) -> str:
        return f"{self.period:%Y-%m}"

    def enterprise(self, name: str) -> Enterprise:
        return self.enterprises[name]


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def world() -> World:
    period = previous_month()
    w = World(period)
    w.officials = {
        "gusu": make_user(Role.DISTRICT_REVIEWER, division="320508", username="gusu"),
        "huqiu": make_user(Role.DISTRICT_REVIEWER, division="320505", username="huqiu"),
        "xuanwu": make_user(Role.DISTRICT_REVIEWER, division="320102", username="xuanwu"),
        "suzhou": make_user(Role.CITY_REVIEWER, division="320500", username="suzhou"),
        "nanjing": make_user(Role.CITY_REVIEWER, division="320100", username="nanjing"),
        "jiangsu": make_user(Role.PROVINCE_REVIEWER, division="320000", username="jiangsu"),
        "ministry": make_user(Role.MINISTRY_STATISTICIAN, username="ministry"),
    }
    month_end = (period + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    plan = [
        ("gusu-on-time", "320508", "on_time", {}),
        ("gusu-late", "320508", "late", {}),
        ("gusu-missing", "320508", "missing", {}),
        (
            "gusu-gone",
            "320508",
            "not_expected",
            {"deregistered_on": period + dt.timedelta(days=3)},
        ),
        ("gusu-new", "320508", "not_expected", {"registered_on": month_end + dt.timedelta(1)}),
        ("gusu-pending", "320508", "not_expected", {"status": RegistrationStatus.SUBMITTED}),
        ("huqiu-on-time", "320505", "on_time", {}),
        ("huqiu-missing", "320505", "missing", {}),
        ("xuanwu-missing", "320102", "missing", {}),
        ("pudong-on-time", "310115", "on_time", {}),
    ]
    for name, district, outcome, extra in plan:
        enterprise = make_enterprise(district, contact_email=f"{name}@example.com", **extra)
        w.enterprises[name] = enterprise
        w.outcomes[enterprise.uscc] = (district, outcome)
        if enterprise.status == RegistrationStatus.APPROVED:
            w.filers[name] = make_user(
                Role.ENTERPRISE_ADMIN,
                enterprise=enterprise,
                username=f"{name}-admin",
                email=f"{name}-admin@example.com",
            )
        if outcome in ("on_time", "late"):
            filer = w.filers[name]
            report = filing.create_record(
                actor=filer,
                model=WorkforceReport,
                enterprise=enterprise,
                key={"month": period},
                data=WORKFORCE,
            )
            # On time on the month's last day; late the day after the due date.
            day = month_end if outcome == "on_time" else due_date(period) + dt.timedelta(1)
            w.reports[name] = filing.submit(
                actor=filer, row=report, context=Context(today=day, now=_at(day))
            )
    for name in ("gusu-on-time", "huqiu-on-time"):
        reviewer = w.officials[name.split("-")[0]]
        review.approve_record(actor=reviewer, row=w.reports[name])
    return w


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def alerts(page: str) -> str:
    return " ".join(re.findall(r'<div class="alert[^"]*" role="alert">(.*?)</div>', page, re.S))


def unit_states(page: str) -> dict[str, str]:
    """data-unit → data-state of the rows below the user's unit."""
    table = page.split('data-testid="units-below"', 1)[1] if "units-below" in page else ""
    return dict(re.findall(r'<tr data-unit="([^"]+)" data-state="([^"]+)"', table))


def own_state(page: str) -> str:
    match = re.search(r'data-testid="own-unit" data-unit="[^"]*" data-state="([^"]+)"', page)
    assert match
    return match.group(1)


def signoff_url(w: World) -> str:
    return f"/review/signoff/?month={w.month}"


# --- the sign-off dashboard ---------------------------------------------------------------------


def test_a_district_sees_its_own_queue_and_nothing_below(world: World) -> None:
    page = html(client_for(world.officials["gusu"]).get(signoff_url(world)))
    assert "姑苏区" in page
    assert own_state(page) == "waiting"
    assert re.search(r'data-testid="own-queue">1<', page)
    assert "units-below" not in page
    assert 'data-testid="sign-off"' in page


def test_the_city_sees_its_districts_with_their_states(world: World) -> None:
    page = html(client_for(world.officials["suzhou"]).get(signoff_url(world)))
    assert "苏州市" in page
    assert own_state(page) == "waiting"
    # Only the districts with expected reporters take part.
    assert unit_states(page) == {"county:320505": "ready", "county:320508": "waiting"}
    assert "虎丘区" in page and "姑苏区" in page


def test_the_province_and_the_ministry_see_the_level_below(world: World) -> None:
    page = html(client_for(world.officials["jiangsu"]).get(signoff_url(world)))
    assert unit_states(page) == {"city:320100": "waiting", "city:320500": "waiting"}
    assert "南京市" in page and "苏州市" in page
    page = html(client_for(world.officials["ministry"]).get(signoff_url(world)))
    assert unit_states(page) == {"province:310000": "waiting", "province:320000": "waiting"}
    assert "全国" in page and "江苏省" in page and "上海市" in page
    assert own_state(page) == "waiting"


def test_the_month_defaults_to_the_previous_one_and_navigates(world: World) -> None:
    page = html(client_for(world.officials["suzhou"]).get("/review/signoff/"))
    assert f'value="{world.month}"' in page
    previous = (world.period - dt.timedelta(days=1)).replace(day=1)
    assert f"month={previous:%Y-%m}" in page
    # An earlier month: nobody has filed, the districts are ready (empty queues).
    page = html(
        client_for(world.officials["suzhou"]).get(f"/review/signoff/?month={previous:%Y-%m}")
    )
    assert unit_states(page) == {"county:320505": "ready", "county:320508": "ready"}


def test_a_district_signs_off_only_when_its_queue_is_empty(world: World) -> None:
    client = client_for(world.officials["gusu"])
    response = client.post("/review/signoff/sign/", {"month": world.month}, follow=True)
    message = alerts(html(response))
    assert "still await review" in message and "待审核" in message
    assert not SignOff.objects.exists()

    review.approve_record(actor=world.officials["gusu"], row=world.reports["gusu-late"])
    page = html(client.post("/review/signoff/sign/", {"month": world.month}, follow=True))
    assert "alert-success" in page
    sign = SignOff.objects.get(level=Level.COUNTY, division_id="320508", period=world.period)
    assert sign.status == SignOffStatus.SIGNED and sign.signed_by == world.officials["gusu"]
    assert own_state(page) == "signed"
    assert 'data-testid="sign-off"' not in page
    assert AuditEvent.objects.filter(action="review.period.signed_off").count() == 1


def test_the_city_signs_off_only_after_every_district(world: World) -> None:
    city = client_for(world.officials["suzhou"])
    message = alerts(html(city.post("/review/signoff/sign/", {"month": world.month}, follow=True)))
    assert "姑苏区" in message and "have not signed it off" in message
    assert not SignOff.objects.filter(level=Level.CITY).exists()

    review.approve_record(actor=world.officials["gusu"], row=world.reports["gusu-late"])
    review.sign_off(actor=world.officials["gusu"], period=world.period)
    review.sign_off(actor=world.officials["huqiu"], period=world.period)
    page = html(city.get(signoff_url(world)))
    assert own_state(page) == "ready"
    assert unit_states(page) == {"county:320505": "signed", "county:320508": "signed"}
    assert "gusu" in page  # who signed the district off

    page = html(city.post("/review/signoff/sign/", {"month": world.month}, follow=True))
    assert own_state(page) == "signed"
    assert SignOff.objects.get(level=Level.CITY, division_id="320500").status == "signed"


def _sign_districts(w: World) -> None:
    review.approve_record(actor=w.officials["gusu"], row=w.reports["gusu-late"])
    review.sign_off(actor=w.officials["gusu"], period=w.period)
    review.sign_off(actor=w.officials["huqiu"], period=w.period)


def test_the_city_reopens_a_district_with_a_reason(world: World) -> None:
    _sign_districts(world)
    city = client_for(world.officials["suzhou"])
    reopen = {"month": world.month, "level": "county", "code": "320508"}
    page = html(city.post("/review/signoff/reopen/", {**reopen, "reason": "  "}, follow=True))
    assert "Say why the month is reopened" in alerts(page)
    assert SignOff.objects.get(division_id="320508").status == SignOffStatus.SIGNED

    page = html(
        city.post("/review/signoff/reopen/", {**reopen, "reason": "就业人数有误"}, follow=True)
    )
    assert "alert-success" in page
    sign = SignOff.objects.get(division_id="320508")
    assert sign.status == SignOffStatus.REOPENED
    assert sign.reopen_reason == "就业人数有误" and sign.reopened_by == world.officials["suzhou"]
    event = AuditEvent.objects.get(action="review.period.reopened")
    assert event.reason == "就业人数有误"
    assert unit_states(page)["county:320508"] == "reopened"
    assert "就业人数有误" in page


def test_a_district_may_not_reopen(world: World) -> None:
    _sign_districts(world)
    district = client_for(world.officials["gusu"])
    data = {"month": world.month, "level": "county", "code": "320508", "reason": "fix"}
    page = html(district.post("/review/signoff/reopen/", data, follow=True))
    assert "Only a higher level" in alerts(page) and "上级" in alerts(page)
    assert SignOff.objects.get(division_id="320508").status == SignOffStatus.SIGNED
    # Another district's unit is not even there for it.
    other = {**data, "code": "320505"}
    assert district.post("/review/signoff/reopen/", other).status_code == 404
    assert SignOff.objects.get(division_id="320505").status == SignOffStatus.SIGNED


def test_a_reopen_outside_the_jurisdiction_is_404(world: World) -> None:
    nanjing = client_for(world.officials["nanjing"])
    data = {"month": world.month, "level": "county", "code": "320508", "reason": "x"}
    assert nanjing.post("/review/signoff/reopen/", data).status_code == 404
    data = {**data, "level": "nation", "code": ""}
    assert nanjing.post("/review/signoff/reopen/", data).status_code == 404
    data = {**data, "level": "county", "code": "999999"}
    assert nanjing.post("/review/signoff/reopen/", data).status_code == 404


def test_sign_and_reopen_are_post_only(world: World) -> None:
    client = client_for(world.officials["suzhou"])
    assert client.get("/review/signoff/sign/").status_code == 405
    assert client.get("/review/signoff/reopen/").status_code == 405
    # A state change names its month; it is never guessed.
    assert client.post("/review/signoff/sign/", {"month": "last"}).status_code == 400
    assert not SignOff.objects.exists()


# --- completeness -------------------------------------------------------------------------------


def independent_counts(w: World, districts: set[str]) -> dict[str, Any]:
    outcomes = [o for d, o in w.outcomes.values() if d in districts and o != "not_expected"]
    expected = len(outcomes)
    filed = sum(o in ("on_time", "late") for o in outcomes)
    return {
        "expected": expected,
        "filed": filed,
        "on_time": outcomes.count("on_time"),
        "late": outcomes.count("late"),
        "missing": outcomes.count("missing"),
        "filed_pct": f"{100 * filed / expected:.1f}" if expected else "—",
    }


def table_rows(page: str) -> dict[str, dict[str, str]]:
    """data-unit → column → shown value (links stripped)."""
    rows: dict[str, dict[str, str]] = {}
    for unit, body in re.findall(r'<tr data-unit="([^"]+)">(.*?)</tr>', page, re.S):
        cells = re.findall(r'<td class="num" data-col="(\w+)">(.*?)</td>', body, re.S)
        rows[unit] = {col: re.sub(r"<[^>]+>", "", value).strip() for col, value in cells}
    return rows


def test_completeness_numbers_equal_an_independent_count(world: World) -> None:
    page = html(
        client_for(world.officials["suzhou"]).get(f"/review/completeness/?month={world.month}")
    )
    rows = table_rows(page)
    assert set(rows) == {"county:320505", "county:320508", "total"}
    expected_rows = {
        "county:320505": independent_counts(world, {"320505"}),
        "county:320508": independent_counts(world, {"320508"}),
        "total": independent_counts(world, {"320505", "320508"}),
    }
    for unit, counts in expected_rows.items():
        assert rows[unit] == {k: str(v) for k, v in counts.items()}, unit
    assert rows["total"]["missing"] == "2" and rows["total"]["filed_pct"] == "60.0"

    chart = json.loads(
        re.search(
            r'<script id="completeness-data" type="application/json">(.*?)</script>', page
        ).group(1)
    )
    assert chart["labels"] == ["虎丘区", "姑苏区"]
    series = {s["key"]: s["data"] for s in chart["series"]}
    assert series == {"on_time": [1, 1], "late": [0, 1], "missing": [1, 1]}
    assert chart["links"][1].endswith("level=county&code=320508")
    assert "vendor/echarts/echarts.min.js" in page and "soms/completeness.js" in page


def test_completeness_drills_down_to_a_district(world: World) -> None:
    ministry = client_for(world.officials["ministry"])
    rows = table_rows(html(ministry.get(f"/review/completeness/?month={world.month}")))
    assert rows["province:320000"] == {
        k: str(v) for k, v in independent_counts(world, {"320508", "320505", "320102"}).items()
    }
    assert rows["total"]["expected"] == str(
        independent_counts(world, {"320508", "320505", "320102", "310115"})["expected"]
    )
    page = html(
        ministry.get(f"/review/completeness/?month={world.month}&level=province&code=320000")
    )
    assert set(table_rows(page)) == {"city:320100", "city:320500", "total"}
    page = html(ministry.get(f"/review/completeness/?month={world.month}&level=county&code=320508"))
    rows = table_rows(page)
    assert set(rows) == {"total"}
    assert rows["total"]["missing"] == "1"
    assert "江苏省" in page and "苏州市" in page  # the breadcrumbs


def test_completeness_outside_the_jurisdiction_is_404(world: World) -> None:
    city = client_for(world.officials["suzhou"])
    for query in (
        "level=county&code=320102",
        "level=province&code=320000",
        "level=nation",
        "level=county&code=320500",  # a city is not a district
        "level=galaxy&code=1",
    ):
        assert city.get(f"/review/completeness/?{query}").status_code == 404, query
        assert city.get(f"/review/completeness/missing/?{query}").status_code == 404, query


def missing_usccs(page: str) -> set[str]:
    return set(re.findall(r'<tr data-uscc="(\w+)">', page))


def test_the_missing_list_names_exactly_the_missing_enterprises(world: World) -> None:
    city = client_for(world.officials["suzhou"])
    page = html(city.get(f"/review/completeness/missing/?month={world.month}"))
    missing = {u for u, (d, o) in world.outcomes.items() if o == "missing" and d[:4] == "3205"}
    assert missing_usccs(page) == missing
    assert "gusu-missing@example.com" in page  # the contacts
    page = html(
        city.get(f"/review/completeness/missing/?month={world.month}&level=county&code=320508")
    )
    assert missing_usccs(page) == {world.enterprise("gusu-missing").uscc}
    ministry = client_for(world.officials["ministry"])
    page = html(ministry.get(f"/review/completeness/missing/?month={world.month}"))
    assert missing_usccs(page) == {u for u, (_, o) in world.outcomes.items() if o == "missing"}


def test_reminders_reach_the_users_of_the_missing_enterprises(world: World) -> None:
    gusu_missing = world.enterprise("gusu-missing")
    make_user(Role.ENTERPRISE_FILER, enterprise=gusu_missing, username="gusu-filer")  # no e-mail
    make_user(
        Role.ENTERPRISE_FILER,
        enterprise=gusu_missing,
        username="gusu-former",
        email="former@example.com",
        is_active=False,
    )
    city = client_for(world.officials["suzhou"])
    page = html(city.get(f"/review/completeness/missing/?month={world.month}"))
    assert 'data-testid="send-reminders"' in page
    data = {"month": world.month, "level": "city", "code": "320500"}
    page = html(city.post("/review/completeness/remind/", data, follow=True))
    with override("zh-hans"):
        sent = gettext("Reminders sent: %(count)d, to the users of %(enterprises)d enterprises.")
    assert sent % {"count": 3, "enterprises": 2} in alerts(page)
    reminders = Message.objects.filter(kind="reminder")
    assert set(reminders.values_list("recipient__username", flat=True)) == {
        "gusu-missing-admin",
        "gusu-filer",
        "huqiu-missing-admin",
    }
    assert all(world.month in m.subject for m in reminders)
    assert sorted(m.to[0] for m in mail.outbox) == [
        "gusu-missing-admin@example.com",
        "huqiu-missing-admin@example.com",
    ]
    assert AuditEvent.objects.filter(action="review.reminder.sent").count() == 2


def test_reminders_outside_the_jurisdiction_are_404(world: World) -> None:
    district = client_for(world.officials["gusu"])
    data = {"month": world.month, "level": "county", "code": "320505"}
    assert district.post("/review/completeness/remind/", data).status_code == 404
    assert not Message.objects.exists()


# --- extensions ---------------------------------------------------------------------------------


def test_a_district_grants_extensions_in_its_jurisdiction(world: World) -> None:
    client = client_for(world.officials["gusu"])
    until = due_date(world.period) + dt.timedelta(days=10)
    base = {"month": world.month, "until": until.isoformat(), "reason": "系统故障"}
    enterprise = world.enterprise("gusu-missing")
    page = html(
        client.post("/review/extensions/", {**base, "uscc": enterprise.uscc.lower()}, follow=True)
    )
    assert "alert-success" in page and enterprise.name in page
    extension = Extension.objects.get(enterprise=enterprise)
    assert extension.period == world.period and extension.until == until
    assert extension.granted_by == world.officials["gusu"] and extension.reason == "系统故障"
    html(client.post("/review/extensions/", {**base, "division": "320508"}, follow=True))
    assert Extension.objects.filter(division_id="320508").exists()
    assert AuditEvent.objects.filter(action="review.extension.granted").count() == 2


def test_extensions_are_refused_outside_the_jurisdiction(world: World) -> None:
    client = client_for(world.officials["gusu"])
    until = due_date(world.period) + dt.timedelta(days=10)
    base = {"month": world.month, "until": until.isoformat(), "reason": "系统故障"}
    page = html(client.post("/review/extensions/", {**base, "division": "320505"}))
    assert "You may not grant an extension to this district" in page
    page = html(
        client.post("/review/extensions/", {**base, "uscc": world.enterprise("huqiu-missing").uscc})
    )
    assert "No enterprise with this USCC in your jurisdiction" in page
    page = html(client.post("/review/extensions/", {**base, "division": "320500"}))
    assert "You may not grant an extension to this district" in page  # a city, not a district
    page = html(client.post("/review/extensions/", {**base, "division": "320508", "uscc": "X"}))
    assert "either an enterprise" in page
    page = html(client.post("/review/extensions/", {**base, "division": "320508", "reason": ""}))
    assert 'data-field-error="reason"' in page
    page = html(client.post("/review/extensions/", {**base, "division": "320508", "month": "3/26"}))
    assert "YYYY-MM" in page
    assert not Extension.objects.exists()


def test_the_extension_list_is_scoped(world: World) -> None:
    period, until = world.period, due_date(world.period) + dt.timedelta(days=5)
    ministry = world.officials["ministry"]
    review.grant_extension(
        actor=ministry,
        period=period,
        until=until,
        reason="苏州",
        enterprise=world.enterprise("gusu-missing"),
    )
    from soms.reference.models import Division

    review.grant_extension(
        actor=ministry,
        period=period,
        until=until,
        reason="南京",
        division=Division.objects.get(code="320102"),
    )
    page = html(client_for(world.officials["suzhou"]).get("/review/extensions/"))
    assert "苏州" in page and "南京</td>" not in page
    page = html(client_for(world.officials["nanjing"]).get("/review/extensions/"))
    assert "南京</td>" in page and world.enterprise("gusu-missing").name not in page
    page = html(client_for(ministry).get("/review/extensions/"))
    assert "南京</td>" in page and world.enterprise("gusu-missing").name in page


# --- the inbox ----------------------------------------------------------------------------------


def test_the_inbox_shows_the_users_own_messages_unread_first(world: World) -> None:
    me, other = world.filers["gusu-missing"], world.filers["huqiu-missing"]
    old = Message.objects.create(
        recipient=me,
        kind="return",
        subject="旧消息 old",
        body="b",
        created_at=timezone.now() - dt.timedelta(days=2),
        read_at=timezone.now(),
    )
    new = Message.objects.create(recipient=me, kind="reminder", subject="新消息 new", body="b")
    earlier = Message.objects.create(
        recipient=me,
        kind="deadline",
        subject="截止 deadline",
        body="b",
        created_at=timezone.now() - dt.timedelta(days=3),
    )
    theirs = Message.objects.create(
        recipient=other, kind="reminder", subject="别人的 theirs", body="b"
    )
    client = client_for(me)
    page = html(client.get("/review/inbox/"))
    assert "别人的" not in page
    order = [int(pk) for pk in re.findall(r'data-message="(\d+)"', page)]
    assert order == [new.pk, earlier.pk, old.pk]
    assert re.search(r'data-testid="unread">2<', page)

    assert client.post(f"/review/inbox/{new.pk}/read/").status_code == 302
    new.refresh_from_db()
    assert new.read_at is not None
    assert client.post(f"/review/inbox/{theirs.pk}/read/").status_code == 404
    client.post("/review/inbox/read/")
    assert not Message.objects.filter(recipient=me, read_at__isnull=True).exists()
    assert Message.objects.get(pk=theirs.pk).read_at is None


def test_the_unread_count_tag(world: World) -> None:
    me = world.filers["gusu-missing"]
    Message.objects.create(recipient=me, kind="reminder", subject="s", body="b")
    Message.objects.create(
        recipient=me, kind="reminder", subject="s", body="b", read_at=timezone.now()
    )
    template = Template("{% load review_tags %}{% unread_count as n %}[{{ n }}]")
    request = RequestFactory().get("/")
    request.user = me
    assert template.render(TemplateContext({"request": request})) == "[1]"
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    assert template.render(TemplateContext({"request": request})) == "[0]"


# --- who may see the pages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/review/signoff/",
        "/review/completeness/",
        "/review/completeness/missing/",
        "/review/extensions/",
    ],
)
def test_pages_are_404_for_users_without_a_unit(world: World, url: str) -> None:
    evaluator = make_user(Role.CITY_EVALUATOR, division="320500")
    for user in (world.filers["gusu-missing"], evaluator):
        assert client_for(user).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # anonymous: to the sign-in page
    assert client_for(world.officials["gusu"]).get(url).status_code == 200


def test_posts_are_404_for_users_without_a_unit(world: World) -> None:
    client = client_for(world.filers["gusu-missing"])
    assert client.post("/review/signoff/sign/", {"month": world.month}).status_code == 404
    data = {"month": world.month, "level": "county", "code": "320508", "reason": "x"}
    assert client.post("/review/signoff/reopen/", data).status_code == 404
    assert client.post("/review/completeness/remind/", data).status_code == 404
    assert client.post("/review/extensions/", data).status_code == 404
    assert client.get("/review/inbox/").status_code == 200  # enterprises get messages


# --- deadline notices ---------------------------------------------------------------------------


def test_the_command_sends_deadline_notices(world: World) -> None:
    until = due_date(world.period) + dt.timedelta(days=20)
    review.grant_extension(
        actor=world.officials["gusu"],
        period=world.period,
        until=until,
        reason="停电",
        enterprise=world.enterprise("gusu-missing"),
    )
    out = StringIO()
    call_command("send_deadline_notices", month=world.month, stdout=out)
    missing = {n for n, e in world.enterprises.items() if world.outcomes[e.uscc][1] == "missing"}
    notices = Message.objects.filter(kind="deadline")
    assert set(notices.values_list("recipient__username", flat=True)) == {
        f"{name}-admin" for name in missing
    }
    assert out.getvalue().startswith(f"{len(missing)} deadline notices sent for {world.month}")
    assert len(mail.outbox) == len(missing)
    gusu = notices.get(recipient__enterprise=world.enterprise("gusu-missing"))
    assert until.isoformat() in gusu.subject
    huqiu = notices.get(recipient__enterprise=world.enterprise("huqiu-missing"))
    assert due_date(world.period).isoformat() in huqiu.body


def test_the_command_defaults_to_the_previous_month_and_checks_its_argument(world: World) -> None:
    out = StringIO()
    call_command("send_deadline_notices", stdout=out)
    assert f"for {world.month}" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("send_deadline_notices", month="2026-13")


def test_filed_reports_count_whatever_their_review_state(world: World) -> None:
    # A returned report is filed (the enterprise did its part); the completeness page agrees.
    review.return_record(actor=world.officials["gusu"], row=world.reports["gusu-late"], reason="x")
    assert (
        WorkforceReport.objects.get(pk=world.reports["gusu-late"].pk).status
        == RecordStatus.RETURNED
    )
    page = html(
        client_for(world.officials["gusu"]).get(f"/review/completeness/?month={world.month}")
    )
    assert table_rows(page)["total"] == {
        k: str(v) for k, v in independent_counts(world, {"320508"}).items()
    }
    # The return reached the enterprise's inbox.
    page = html(client_for(world.filers["gusu-late"]).get("/review/inbox/"))
    assert 'data-kind="return"' in page
