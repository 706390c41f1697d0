"""The demo's government accounts: the fixed officials of :data:`~soms.demo.logins.OFFICIALS`,
and a reviewer for every other district, city and province that has demo enterprises, so that
each level can review and sign a month off as the real hierarchy would.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.audit.services import record, snapshot
from soms.demo.logins import (
    CITY_REVIEWER_PREFIX,
    DEMO_PASSWORD,
    DISTRICT_REVIEWER_PREFIX,
    OFFICIALS,
    PROVINCE_REVIEWER_PREFIX,
)
from soms.reference.models import Division
from soms.review.choices import Level
from soms.review.hierarchy import Unit

# The audit channel of everything the demo writes, so that demo events can be told apart.
CHANNEL = "demo"
ACTOR = "demo"
# The ministry account that signs the nation's months off.
NATION_SIGNER = "ministry-stat"


@transaction.atomic
def create_official(
    *, username: str, role: Role, division: str | None, display_name: str, superuser: bool = False
) -> User:
    """A government account with its audit event (accounts have no service function for
    officials yet; this does what it will do)."""
    user = User.objects.create_user(
        username,
        password=DEMO_PASSWORD,
        role=role,
        division_id=division,
        display_name=display_name,
        is_staff=superuser,
        is_superuser=superuser,
    )
    record("accounts.user.created", actor=ACTOR, obj=user, after=snapshot(user))
    return user


def create_officials(divisions: Iterable[str]) -> None:
    """The fixed officials, and a reviewer for every other district in ``divisions``."""
    for official in OFFICIALS:
        create_official(
            username=official.username,
            role=official.role,
            division=official.division,
            display_name=official.display_name,
            superuser=official.role == Role.MINISTRY_ADMIN,
        )
    ensure_reviewers(divisions)


def _missing(role: Role, codes: set[str]) -> list[str]:
    covered = set(User.objects.filter(role=role, division_id__in=codes).values_list("division_id"))
    return sorted(code for code in codes if (code,) not in covered)


def ensure_reviewers(divisions: Iterable[str]) -> int:
    """A reviewer for each district in ``divisions``, for its city and for its province, where
    the demo has none yet (``district-<code>``, ``city-<code>``, ``province-<code>``).
    Returns the number of accounts created."""
    rows = Division.objects.filter(code__in=set(divisions)).values_list(
        "code", "city_code", "province_code"
    )
    districts = {code for code, _city, _province in rows}
    cities = {city for _code, city, _province in rows}
    provinces = {province for _code, _city, province in rows}
    # A municipality is a city and a province under one code: the titles tell them apart.
    wanted = (
        (Role.DISTRICT_REVIEWER, DISTRICT_REVIEWER_PREFIX, districts, "审核员"),
        (Role.CITY_REVIEWER, CITY_REVIEWER_PREFIX, cities, "审核员（市级）"),
        (Role.PROVINCE_REVIEWER, PROVINCE_REVIEWER_PREFIX, provinces, "审核员（省级）"),
    )
    created = 0
    for role, prefix, codes, title in wanted:
        missing = _missing(role, codes)
        names = dict(Division.objects.filter(code__in=missing).values_list("code", "name_zh"))
        for code in missing:
            create_official(
                username=f"{prefix}{code}",
                role=role,
                division=code,
                display_name=f"{names[code]}商务主管部门{title}",
            )
            created += 1
    return created


def signers() -> dict[Unit, User]:
    """The account that signs each unit off: the first reviewer of each district, city and
    province (the fixed officials were created first), and the ministry statistician."""
    levels = {
        Role.DISTRICT_REVIEWER: Level.COUNTY,
        Role.CITY_REVIEWER: Level.CITY,
        Role.PROVINCE_REVIEWER: Level.PROVINCE,
    }
    result: dict[Unit, User] = {}
    for user in User.objects.filter(role__in=list(levels), is_active=True).order_by("-pk"):
        result[Unit(levels[Role(user.role)], user.division_id)] = user
    result[Unit(Level.NATION, None)] = User.objects.get(username=NATION_SIGNER)
    return result
