"""Users: the jurisdiction each role gives, the binding of a role to a division or an enterprise
(kept by the database), one administrator per enterprise, and API tokens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connections, transaction
from django.test import Client
from django.utils import timezone

from soms.__main__ import main as soms_command
from soms.accounts.choices import Jurisdiction, Role
from soms.accounts.models import ApiToken, User
from soms.registry.models import Certification, Enterprise
from soms.testing import make_enterprise, make_user

pytestmark = pytest.mark.django_db


# --- jurisdiction ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "division", "with_enterprise", "jurisdiction"),
    [
        (Role.ENTERPRISE_ADMIN, None, True, "enterprise"),
        (Role.ENTERPRISE_FILER, None, True, "enterprise"),
        (Role.ENTERPRISE_FILER, None, False, "none"),  # not (or no longer) bound to one
        (Role.DISTRICT_REVIEWER, "310115", False, "county"),
        (Role.CITY_REVIEWER, "320500", False, "city"),
        (Role.CITY_REVIEWER, "310000", False, "city"),
        (Role.CITY_REVIEWER, "419001", False, "city"),
        (Role.PROVINCE_REVIEWER, "320000", False, "province"),
        (Role.MINISTRY_STATISTICIAN, None, False, "nation"),
        (Role.MINISTRY_ADMIN, None, False, "nation"),
        (Role.CITY_EVALUATOR, "320500", False, "none"),  # sees no enterprise data
    ],
)
def test_the_jurisdiction_of_every_role(role, division, with_enterprise, jurisdiction):
    enterprise = make_enterprise("320508") if with_enterprise else None
    user = make_user(role, division=division, enterprise=enterprise)
    assert user.jurisdiction == Jurisdiction(jurisdiction)
    assert user.is_ministry == (jurisdiction == "nation")
    assert user.is_enterprise_user == role.startswith("enterprise_")


@pytest.fixture
def enterprises() -> dict[str, Enterprise]:
    return {
        code: make_enterprise(code) for code in ("310115", "310104", "320508", "320106", "419001")
    }


@pytest.mark.parametrize(
    ("role", "division", "codes"),
    [
        (Role.DISTRICT_REVIEWER, "310115", {"310115"}),
        (Role.CITY_REVIEWER, "310000", {"310115", "310104"}),  # a municipality is one city
        (Role.CITY_REVIEWER, "320500", {"320508"}),
        (Role.CITY_REVIEWER, "419001", {"419001"}),  # a county administered by the province
        (Role.PROVINCE_REVIEWER, "320000", {"320508", "320106"}),
        (Role.PROVINCE_REVIEWER, "410000", {"419001"}),
        (Role.MINISTRY_ADMIN, None, {"310115", "310104", "320508", "320106", "419001"}),
    ],
)
def test_division_scope(enterprises, role, division, codes):
    user = make_user(role, division=division)
    scope = user.division_scope("division")
    assert scope is not None
    assert set(Enterprise.objects.filter(scope).values_list("division_id", flat=True)) == codes
    # The same scope through a longer path, for rows that hang off an enterprise.
    for enterprise in enterprises.values():
        Certification.objects.create(
            enterprise=enterprise,
            kind="ISO27001",
            certificate_no=f"ISMS-{enterprise.division_id}",
            issuer="CQC",
            valid_from=dt.date(2024, 1, 1),
            valid_to=dt.date(2027, 1, 1),
        )
    through = Certification.objects.filter(user.division_scope("enterprise__division"))
    assert set(through.values_list("enterprise__division_id", flat=True)) == codes


@pytest.mark.parametrize(
    ("role", "division", "with_enterprise"),
    [
        (Role.CITY_EVALUATOR, "320500", False),
        (Role.ENTERPRISE_ADMIN, None, True),
        (Role.ENTERPRISE_FILER, None, False),
    ],
)
def test_no_division_scope_without_a_jurisdiction_over_divisions(role, division, with_enterprise):
    enterprise = make_enterprise("320508") if with_enterprise else None
    assert (
        make_user(role, division=division, enterprise=enterprise).division_scope("division") is None
    )


# --- role binding, kept by the database ------------------------------------------------------


def refused_by_database(**fields: object) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="bound-wrongly", **fields)
    assert not User.objects.filter(username="bound-wrongly").exists()


@pytest.mark.parametrize(
    "role",
    [Role.DISTRICT_REVIEWER, Role.CITY_REVIEWER, Role.PROVINCE_REVIEWER, Role.CITY_EVALUATOR],
)
def test_an_official_without_a_division_is_refused(role):
    refused_by_database(role=role)


@pytest.mark.parametrize("role", [Role.ENTERPRISE_ADMIN, Role.ENTERPRISE_FILER])
def test_an_enterprise_user_with_a_division_is_refused(role):
    refused_by_database(role=role, enterprise=make_enterprise("310115"), division_id="310115")


@pytest.mark.parametrize("role", [Role.MINISTRY_ADMIN, Role.MINISTRY_STATISTICIAN])
def test_a_ministry_user_bound_to_a_division_or_an_enterprise_is_refused(role):
    refused_by_database(role=role, division_id="310000")
    refused_by_database(role=role, enterprise=make_enterprise("310115"))


def test_an_official_bound_to_an_enterprise_is_refused():
    refused_by_database(
        role=Role.DISTRICT_REVIEWER, division_id="310115", enterprise=make_enterprise("310115")
    )


def test_an_unknown_role_is_refused():
    refused_by_database(role="superhero")


def test_a_valid_binding_is_accepted():
    User.objects.create(username="ok", role=Role.DISTRICT_REVIEWER, division_id="310115")
    User.objects.create(username="ok2", role=Role.MINISTRY_ADMIN)
    assert User.objects.filter(username__in=["ok", "ok2"]).count() == 2


def test_one_active_administrator_per_enterprise():
    enterprise = make_enterprise("310115")
    make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
    # An inactive former administrator does not count; nor does another enterprise's.
    make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise, is_active=False)
    make_user(Role.ENTERPRISE_ADMIN, enterprise=make_enterprise("310115"))
    make_user(Role.ENTERPRISE_FILER, enterprise=enterprise)
    assert enterprise.administrator is not None
    assert User.objects.filter(enterprise=enterprise, role=Role.ENTERPRISE_ADMIN).count() == 2


def test_reactivating_a_second_administrator_is_refused():
    enterprise = make_enterprise("310115")
    make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
    former = make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise, is_active=False)
    former.is_active = True
    with pytest.raises(IntegrityError), transaction.atomic():
        former.save()


# --- API tokens ------------------------------------------------------------------------------


def test_create_api_token_prints_a_token_that_authenticates(capsys, monkeypatch):
    user = make_user(Role.MINISTRY_STATISTICIAN, username="tongji")
    enterprise = make_enterprise("310115")
    # The command line closes every connection when the command ends; keep the test's own.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    soms_command(["create_api_token", "tongji", "月报工具"])
    key = capsys.readouterr().out.strip()
    assert key
    token = ApiToken.objects.get(user=user)
    assert token.name == "月报工具"
    assert token.key_hash == ApiToken.hash(key)
    assert key.startswith(token.prefix)
    response = Client().get("/api/v1/enterprises/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert [item["uscc"] for item in response.json()["items"]] == [enterprise.uscc]


def test_create_api_token_refuses_an_unknown_or_inactive_user():
    make_user(Role.MINISTRY_STATISTICIAN, username="gone", is_active=False)
    for username in ("nobody", "gone"):
        with pytest.raises(CommandError):
            call_command("create_api_token", username, "x")
    assert not ApiToken.objects.exists()


def test_token_validity():
    user = make_user(Role.MINISTRY_STATISTICIAN)
    token, _key = ApiToken.issue(user, "t")
    assert token.is_valid
    token.expires_at = timezone.now() + dt.timedelta(days=1)
    assert token.is_valid
    token.expires_at = timezone.now() - dt.timedelta(seconds=1)
    assert not token.is_valid
    token.expires_at = None
    user.is_active = False
    assert not token.is_valid


def test_two_tokens_are_different():
    user = make_user(Role.MINISTRY_STATISTICIAN)
    assert ApiToken.issue(user, "a")[1] != ApiToken.issue(user, "b")[1]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "division", "fits"),
    [
        (Role.DISTRICT_REVIEWER, "310115", True),
        (Role.DISTRICT_REVIEWER, "441900", True),  # Dongguan: a city without districts
        (Role.DISTRICT_REVIEWER, "320500", False),
        (Role.CITY_REVIEWER, "320500", True),
        (Role.CITY_REVIEWER, "310000", True),  # a municipality is its own city
        (Role.CITY_REVIEWER, "419001", True),  # administered by the province: its own city
        (Role.CITY_REVIEWER, "320000", False),
        (Role.CITY_REVIEWER, "320508", False),
        (Role.PROVINCE_REVIEWER, "320000", True),
        (Role.PROVINCE_REVIEWER, "320500", False),
    ],
)
def test_an_official_is_bound_to_a_division_of_the_roles_level(
    role: str, division: str, fits: bool
) -> None:
    from django.core.exceptions import ValidationError

    user = User(username="x", role=role, division_id=division)
    if fits:
        user.clean()
    else:
        with pytest.raises(ValidationError) as caught:
            user.clean()
        assert division in str(caught.value)
