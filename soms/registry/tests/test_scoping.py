"""Who sees and acts on which enterprise, by page, by API and by queryset — generated from one
declaration (after NetBox's ``ViewTestCases``).

The declaration says, for every kind of user, which of five enterprises in five districts lie in
their jurisdiction. The expectations follow from geography alone (Pudong and Xuhui are districts of
the municipality Shanghai; Gusu of Suzhou and Gulou of Nanjing are in Jiangsu; Jiyuan is a county
administered directly by Henan and so its own city), not from the code under test.

Outside its scope an enterprise answers 404, never 403, so its existence does not leak.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from soms.accounts.choices import Role
from soms.registry.choices import RegistrationStatus
from soms.registry.models import Enterprise
from soms.testing import make_enterprise, make_user

pytestmark = pytest.mark.django_db

# The enterprises, by the county-level division where each is registered.
DISTRICTS = {
    "pudong": "310115",  # 上海市浦东新区 (city unit: the municipality 310000)
    "xuhui": "310104",  # 上海市徐汇区
    "gusu": "320508",  # 江苏省苏州市姑苏区 (city 320500)
    "gulou_nanjing": "320106",  # 江苏省南京市鼓楼区 (city 320100)
    "jiyuan": "419001",  # 河南省济源市, 省直辖县级行政区划: its own city
}
EVERY = frozenset(DISTRICTS)


@dataclass(frozen=True)
class Actor:
    role: str | None  # None: an anonymous visitor
    division: str | None = None
    enterprise: str | None = None  # the key of the enterprise an enterprise user belongs to
    sees: frozenset[str] = frozenset()
    reviews: frozenset[str] = frozenset()  # approves and returns registrations
    changes: frozenset[str] = frozenset()  # edits the profile, certifications
    manages_users: frozenset[str] = frozenset()
    deregisters: frozenset[str] = frozenset()


def actor(role: str | None, **kwargs: object) -> Actor:
    return Actor(role, **{k: frozenset(v) if isinstance(v, set) else v for k, v in kwargs.items()})  # type: ignore[arg-type]


ACTORS: dict[str, Actor] = {
    "district_reviewer_pudong": actor(
        Role.DISTRICT_REVIEWER,
        division="310115",
        sees={"pudong"},
        reviews={"pudong"},
        deregisters={"pudong"},
    ),
    "district_reviewer_gusu": actor(
        Role.DISTRICT_REVIEWER,
        division="320508",
        sees={"gusu"},
        reviews={"gusu"},
        deregisters={"gusu"},
    ),
    "city_reviewer_shanghai": actor(
        Role.CITY_REVIEWER, division="310000", sees={"pudong", "xuhui"}
    ),
    "city_reviewer_suzhou": actor(Role.CITY_REVIEWER, division="320500", sees={"gusu"}),
    "city_reviewer_jiyuan": actor(Role.CITY_REVIEWER, division="419001", sees={"jiyuan"}),
    "province_reviewer_jiangsu": actor(
        Role.PROVINCE_REVIEWER, division="320000", sees={"gusu", "gulou_nanjing"}
    ),
    "ministry_statistician": actor(Role.MINISTRY_STATISTICIAN, sees=set(EVERY)),
    "ministry_admin": actor(Role.MINISTRY_ADMIN, sees=set(EVERY), deregisters=set(EVERY)),
    "city_evaluator_suzhou": actor(Role.CITY_EVALUATOR, division="320500"),
    "enterprise_admin_gusu": actor(
        Role.ENTERPRISE_ADMIN,
        enterprise="gusu",
        sees={"gusu"},
        changes={"gusu"},
        manages_users={"gusu"},
    ),
    "enterprise_filer_gusu": actor(
        Role.ENTERPRISE_FILER, enterprise="gusu", sees={"gusu"}, changes={"gusu"}
    ),
    "anonymous": actor(None),
}

ACTOR_NAMES = list(ACTORS)
PAIRS = [(a, e) for a in ACTOR_NAMES for e in DISTRICTS]


@pytest.fixture
def world() -> dict[str, Enterprise]:
    """One enterprise awaiting review in each district."""
    return {
        key: make_enterprise(code, status=RegistrationStatus.SUBMITTED)
        for key, code in DISTRICTS.items()
    }


def user_for(name: str, world: dict[str, Enterprise]):  # type: ignore[no-untyped-def]
    spec = ACTORS[name]
    if spec.role is None:
        return None
    return make_user(
        spec.role,
        division=spec.division,
        enterprise=world[spec.enterprise] if spec.enterprise else None,
        username=name,
    )


def client_for(name: str, world: dict[str, Enterprise]) -> Client:
    client = Client()
    user = user_for(name, world)
    if user is not None:
        client.force_login(user)
    return client


def usccs(world: dict[str, Enterprise], keys: frozenset[str]) -> set[str]:
    return {world[k].uscc for k in keys}


def listed_usccs(response) -> set[str]:  # type: ignore[no-untyped-def]
    """The codes in the rows of a page's table (the menu may link to the user's own)."""
    return set(re.findall(r"<td><code>([0-9A-Z]{18})</code></td>", response.content.decode()))


# --- the declaration itself -----------------------------------------------------------------------


def test_the_declaration_covers_every_role():
    declared = {a.role for a in ACTORS.values() if a.role is not None}
    assert declared == set(Role.values)


# --- seeing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "key"), PAIRS)
def test_detail_page(world, name, key):
    enterprise = world[key]
    response = client_for(name, world).get(f"/registry/enterprises/{enterprise.uscc}/")
    if ACTORS[name].role is None:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    elif key in ACTORS[name].sees:
        assert response.status_code == 200
        assert enterprise.name in response.content.decode()
    else:
        assert response.status_code == 404


@pytest.mark.parametrize(("name", "key"), PAIRS)
def test_api_detail(world, name, key):
    enterprise = world[key]
    response = client_for(name, world).get(f"/api/v1/enterprises/{enterprise.uscc}")
    if ACTORS[name].role is None:
        assert response.status_code == 401
    elif key in ACTORS[name].sees:
        assert response.status_code == 200
        assert response.json()["uscc"] == enterprise.uscc
        assert response.json()["division_code"] == DISTRICTS[key]
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("name", ACTOR_NAMES)
def test_list_page_shows_exactly_the_enterprises_in_scope(world, name):
    response = client_for(name, world).get("/registry/enterprises/")
    if ACTORS[name].role is None:
        assert response.status_code == 302
        return
    assert response.status_code == 200
    assert listed_usccs(response) == usccs(world, ACTORS[name].sees)


@pytest.mark.parametrize("name", ACTOR_NAMES)
def test_api_list_shows_exactly_the_enterprises_in_scope(world, name):
    response = client_for(name, world).get("/api/v1/enterprises/")
    if ACTORS[name].role is None:
        assert response.status_code == 401
        return
    assert response.status_code == 200
    body = response.json()
    listed = [item["uscc"] for item in body["items"]]
    assert len(listed) == len(set(listed))
    assert set(listed) == usccs(world, ACTORS[name].sees)
    assert body["count"] == len(ACTORS[name].sees)


@pytest.mark.parametrize("name", ACTOR_NAMES)
def test_restrict_view(world, name):
    user = user_for(name, world) or AnonymousUser()
    restricted = Enterprise.objects.restrict(user, "view")
    assert set(restricted.values_list("uscc", flat=True)) == usccs(world, ACTORS[name].sees)


@pytest.mark.parametrize(
    "action", ["view", "review", "change", "manage_users", "deregister", "unheard_of"]
)
@pytest.mark.parametrize("name", ACTOR_NAMES)
def test_restrict_every_action(world, name, action):
    user = user_for(name, world) or AnonymousUser()
    expected = {
        "view": ACTORS[name].sees,
        "review": ACTORS[name].reviews,
        "change": ACTORS[name].changes,
        "manage_users": ACTORS[name].manages_users,
        "deregister": ACTORS[name].deregisters,
        "unheard_of": frozenset(),
    }[action]
    restricted = Enterprise.objects.restrict(user, action)
    assert set(restricted.values_list("uscc", flat=True)) == usccs(world, expected)


def test_an_inactive_official_sees_nothing(world):
    user = make_user(Role.MINISTRY_STATISTICIAN, is_active=False)
    assert not Enterprise.objects.restrict(user, "view").exists()


# --- reviewing --------------------------------------------------------------------------------

DECISIONS = {
    "approve": RegistrationStatus.APPROVED,
    "return": RegistrationStatus.RETURNED,
}


def expected_answers(name: str, allowed: frozenset[str], inside: int, outside: int, anonymous: int):  # type: ignore[no-untyped-def]
    if ACTORS[name].role is None:
        return dict.fromkeys(DISTRICTS, anonymous)
    return {key: inside if key in allowed else outside for key in DISTRICTS}


@pytest.mark.parametrize("decision", list(DECISIONS))
@pytest.mark.parametrize("name", ACTOR_NAMES)
def test_review_by_page(world, name, decision):
    client = client_for(name, world)
    answers, statuses = {}, {}
    for key, enterprise in world.items():
        response = client.post(
            f"/registry/enterprises/{enterprise.uscc}/{decision}/",
            {"version": enterprise.lock_version, "reason": "营业执照复印件不清晰"},
        )
        answers[key] = response.status_code
        if response.status_code == 302:
            assert response["Location"] in (
                f"/registry/enterprises/{enterprise.uscc}/",
                f"/accounts/login/?next=/registry/enterprises/{enterprise.uscc}/{decision}/",
            )
        enterprise.refresh_from_db()
        statuses[key] = enterprise.status
    reviews = ACTORS[name].reviews
    assert answers == expected_answers(name, reviews, inside=302, outside=404, anonymous=302)
    assert statuses == {
        key: DECISIONS[decision] if key in reviews else RegistrationStatus.SUBMITTED
        for key in DISTRICTS
    }


@pytest.mark.parametrize("decision", list(DECISIONS))
@pytest.mark.parametrize("name", ACTOR_NAMES)
def test_review_by_api(world, name, decision):
    client = client_for(name, world)
    answers, statuses = {}, {}
    for key, enterprise in world.items():
        response = client.post(
            f"/api/v1/enterprises/{enterprise.uscc}/{decision}",
            {"version": enterprise.lock_version, "reason": "营业执照复印件不清晰"},
            content_type="application/json",
        )
        answers[key] = response.status_code
        if response.status_code == 200:
            assert response.json()["status"] == DECISIONS[decision]
        enterprise.refresh_from_db()
        statuses[key] = enterprise.status
    reviews = ACTORS[name].reviews
    assert answers == expected_answers(name, reviews, inside=200, outside=404, anonymous=401)
    assert statuses == {
        key: DECISIONS[decision] if key in reviews else RegistrationStatus.SUBMITTED
        for key in DISTRICTS
    }


@pytest.mark.parametrize("name", ACTOR_NAMES)
def test_review_queue_lists_only_the_districts_registrations(world, name):
    response = client_for(name, world).get("/registry/review/")
    if ACTORS[name].role is None:
        assert response.status_code == 302
        return
    if ACTORS[name].role in {Role.ENTERPRISE_ADMIN, Role.ENTERPRISE_FILER, Role.CITY_EVALUATOR}:
        assert response.status_code == 404  # registrations are reviewed by departments
        return
    assert response.status_code == 200
    assert listed_usccs(response) == usccs(world, ACTORS[name].reviews)


# --- changing, managing users, deregistering ---------------------------------------------------


PAGES = {
    "users/add/": "manages_users",
    "edit/": "changes",
    "deregister/": "deregisters",
    "certifications/add/": "changes",
}


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("name", ACTOR_NAMES)
def test_action_pages(world, name, page):
    """The forms to manage users, change the profile or certifications, deregister."""
    client = client_for(name, world)
    answers = {
        key: client.get(f"/registry/enterprises/{enterprise.uscc}/{page}").status_code
        for key, enterprise in world.items()
    }
    allowed = getattr(ACTORS[name], PAGES[page])
    assert answers == expected_answers(name, allowed, inside=200, outside=404, anonymous=302)
