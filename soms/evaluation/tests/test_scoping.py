"""Who sees which round, which city's form and which results — generated from one declaration.

Three rounds: a draft, an open one and a published one, each evaluating Suzhou, Wuhan, Dalian and
Changzhou. The expectations follow from the rules, not from the code: the ministry sees
everything (the administrator alone reviews); a city evaluator sees its own city's form in rounds
that have opened and nothing of another city's; everyone, signed in or not, sees what the
ministry has published and nothing else. Outside its scope a page answers 404 (a visitor not
signed in is sent to sign in).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.test import Client

from soms.accounts.choices import Role
from soms.evaluation import services
from soms.evaluation.models import IndicatorValue
from soms.evaluation.tests.conftest import World, build_round, publish
from soms.testing import make_user

pytestmark = pytest.mark.django_db
ROUNDS = ("draft", "open", "published")
EVERY_CITY = ("320500", "420100", "210200", "320400")


@dataclass(frozen=True)
class Actor:
    role: str | None
    division: str | None = None
    lists: frozenset[str] = frozenset()  # rounds on the index
    desk: frozenset[str] = frozenset()  # the round's page, its indicators
    forms: frozenset[tuple[str, str]] = frozenset()  # (round, city) forms it may open
    results: frozenset[str] = frozenset()  # ranking, report, XLSX
    reviews: bool = False


def every_form(*rounds: str) -> frozenset[tuple[str, str]]:
    return frozenset((r, c) for r in rounds for c in EVERY_CITY)


ALL = frozenset(ROUNDS)
PUBLISHED = frozenset({"published"})
ACTORS = {
    "ministry_admin": Actor(
        Role.MINISTRY_ADMIN,
        lists=ALL,
        desk=ALL,
        forms=every_form(*ROUNDS),
        results=ALL,
        reviews=True,
    ),
    "ministry_statistician": Actor(
        Role.MINISTRY_STATISTICIAN, lists=ALL, desk=ALL, forms=every_form(*ROUNDS), results=ALL
    ),
    "evaluator_suzhou": Actor(
        Role.CITY_EVALUATOR,
        "320500",
        lists=frozenset({"open", "published"}),
        forms=frozenset({("open", "320500"), ("published", "320500")}),
        results=PUBLISHED,
    ),
    "evaluator_wuhan": Actor(
        Role.CITY_EVALUATOR,
        "420100",
        lists=frozenset({"open", "published"}),
        forms=frozenset({("open", "420100"), ("published", "420100")}),
        results=PUBLISHED,
    ),
    # A city not evaluated in any round: published results only.
    "evaluator_hangzhou": Actor(Role.CITY_EVALUATOR, "330100", lists=PUBLISHED, results=PUBLISHED),
    "city_reviewer_suzhou": Actor(Role.CITY_REVIEWER, "320500", lists=PUBLISHED, results=PUBLISHED),
    "district_reviewer_gusu": Actor(
        Role.DISTRICT_REVIEWER, "320508", lists=PUBLISHED, results=PUBLISHED
    ),
    "anonymous": Actor(None, lists=PUBLISHED, results=PUBLISHED),
}


@dataclass
class Rounds:
    world: World
    pks: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def rounds(world: World) -> Rounds:
    draft = build_round(world.admin, name="草稿轮次")
    published = build_round(world.admin, name="已发布轮次", year=2024)
    services.open_round(world.admin, published)
    publish(World(world.admin, published, world.evaluators))
    out = Rounds(world)
    for key, r in (("draft", draft), ("open", world.round), ("published", published)):
        out.pks[key] = r.pk
        out.names[key] = r.name_zh
    return out


def client_for(name: str) -> Client:
    client = Client()
    spec = ACTORS[name]
    if spec.role is not None:
        client.force_login(make_user(spec.role, division=spec.division, username=name))
    return client


def test_the_declaration_covers_every_role() -> None:
    declared = {a.role for a in ACTORS.values() if a.role is not None}
    assert declared >= {Role.MINISTRY_ADMIN, Role.MINISTRY_STATISTICIAN, Role.CITY_EVALUATOR}


@pytest.mark.parametrize("name", list(ACTORS))
def test_pages_answer_as_declared(name: str, rounds: Rounds) -> None:
    spec = ACTORS[name]
    client = client_for(name)
    index = client.get("/evaluation/").content.decode()
    assert {k for k, n in rounds.names.items() if n in index} == spec.lists

    for key, pk in rounds.pks.items():
        base = f"/evaluation/rounds/{pk}"
        for page in ("/", "/indicators/"):
            status = client.get(base + page).status_code
            expected = 200 if key in spec.desk else (302 if spec.role is None else 404)
            assert status == expected, (key, page, status)
        for page in ("/ranking/", "/report/", "/report.xlsx"):
            status = client.get(base + page).status_code
            assert status == (200 if key in spec.results else 404), (key, page, status)
        status = client.get(base + "/review/").status_code
        allowed = spec.reviews
        assert status == (200 if allowed else (302 if spec.role is None else 404)), (key, status)
        for city in EVERY_CITY:
            status = client.get(f"{base}/cities/{city}/").status_code
            if (key, city) in spec.forms:
                assert status == 200, (key, city)
            else:
                assert status == (302 if spec.role is None else 404), (key, city, status)


@pytest.mark.parametrize("name", list(ACTORS))
def test_only_the_citys_own_evaluator_edits_its_form(name: str, rounds: Rounds) -> None:
    spec = ACTORS[name]
    client = client_for(name)
    world = rounds.world
    pk = rounds.pks["open"]
    leaf = world.indicator("2.1")
    for city in EVERY_CITY:
        response = client.post(
            f"/evaluation/rounds/{pk}/cities/{city}/",
            {"action": "save", f"own-value_{leaf.pk}": "77"},
        )
        saved = IndicatorValue.objects.filter(
            city=world.city(city), indicator=leaf, value=77
        ).exists()
        if spec.division == city and spec.role == Role.CITY_EVALUATOR:
            assert response.status_code == 302 and saved
        else:
            assert response.status_code in (302, 404) and not saved, (city, response.status_code)
            if spec.role is not None:
                assert response.status_code == 404


@pytest.mark.parametrize("name", list(ACTORS))
def test_only_the_administrator_approves(name: str, rounds: Rounds) -> None:
    world = rounds.world
    world.fill("420100", approve=False)
    response = client_for(name).post(
        f"/evaluation/rounds/{rounds.pks['open']}/cities/420100/approve/"
    )
    status = world.city("420100").submission.status
    if ACTORS[name].reviews:
        assert response.status_code == 302 and status == "approved"
    else:
        assert status == "submitted"
        assert response.status_code == (302 if ACTORS[name].role is None else 404)
