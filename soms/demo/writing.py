"""Writing the planned demo through the service functions, so that its audit trail is real.

Every registration, approval, return, certificate and profile change goes through
:mod:`soms.registry.services` with the actor who would do it (the enterprise's administrator,
the district's reviewer), exactly as the web pages and the API call them; the demo is then also
a test that the services accept a realistic workload.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import BasePasswordHasher, get_hashers, make_password
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.audit.services import record, snapshot
from soms.core.context import acting_from
from soms.demo.logins import (
    DEMO_PASSWORD,
    DISTRICT_REVIEWER_PREFIX,
    ENTERPRISE_ADMIN,
    ENTERPRISE_FILER,
    OFFICIALS,
)
from soms.demo.planning import (
    DEFAULT_COUNT,
    DEFAULT_SEED,
    FLAGSHIP_USCC,
    DemoState,
    PlannedEnterprise,
    plan,
)
from soms.demo.rates import write_rates
from soms.reference.models import Division
from soms.registry import services
from soms.registry.models import Enterprise

# The audit channel of everything the demo writes, so that demo events can be told apart.
CHANNEL = "demo"
ACTOR = "demo"


@dataclass
class BuildReport:
    """What a build wrote (or, with ``created`` false, that the demo was already there)."""

    created: bool
    seed: int
    enterprises: int = 0
    states: dict[str, int] = field(default_factory=dict)
    certifications: int = 0
    users: int = 0
    rates: int = 0


def demo_exists() -> bool:
    """The demo's ministry administrator is its first account: if it exists, so does the demo
    (the build is one transaction, so there is no half-built demo)."""
    return User.objects.filter(username=OFFICIALS[0].username).exists()


# --- one password hash for every demo account -----------------------------------------------------

_PRECOMPUTED: dict[str, str] = {}


class PrecomputedHasher(BasePasswordHasher):
    """Hands out a hash computed once, for the demo password only.

    Argon2 takes about a tenth of a second per hash by design, which for the demo's four
    hundred accounts would be most of a minute. They all have the published demo password, so
    one real hash (with one salt) is computed and stored for all of them. The stored value is
    an ordinary hash of the configured hasher and verifies as usual; any other password is
    hashed normally.
    """

    algorithm = "soms-demo-precomputed"

    def salt(self) -> str:
        return ""

    def encode(self, password: str, salt: str) -> str:
        encoded = _PRECOMPUTED.get(password)
        if encoded is not None:
            return encoded
        configured = get_hashers()[1]
        return configured.encode(password, configured.salt())

    def verify(self, password: str, encoded: str) -> bool:
        # Never stored under its own name: what it encodes carries the configured hasher's.
        return False


@contextmanager
def one_hash_for(password: str) -> Iterator[None]:
    """While active, every account given ``password`` gets one precomputed hash. It swaps the
    hasher setting, which suits a command or a test, not a threaded web server."""
    _PRECOMPUTED[password] = make_password(password)
    try:
        with override_settings(
            PASSWORD_HASHERS=[f"{__name__}.PrecomputedHasher", *settings.PASSWORD_HASHERS]
        ):
            yield
    finally:
        del _PRECOMPUTED[password]


# --- officials ------------------------------------------------------------------------------------


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


def _reviewers(enterprises: list[PlannedEnterprise]) -> dict[str, User]:
    """The fixed officials, and a reviewer for every other district with demo enterprises."""
    reviewers: dict[str, User] = {}
    for official in OFFICIALS:
        user = create_official(
            username=official.username,
            role=official.role,
            division=official.division,
            display_name=official.display_name,
            superuser=official.role == Role.MINISTRY_ADMIN,
        )
        if official.role == Role.DISTRICT_REVIEWER and official.division:
            reviewers[official.division] = user
    codes = sorted({e.division for e in enterprises} - set(reviewers))
    district_names = dict(Division.objects.filter(code__in=codes).values_list("code", "name_zh"))
    for code in codes:
        reviewers[code] = create_official(
            username=f"{DISTRICT_REVIEWER_PREFIX}{code}",
            role=Role.DISTRICT_REVIEWER,
            division=code,
            display_name=f"{district_names[code]}商务主管部门审核员",
        )
    return reviewers


# --- enterprises ----------------------------------------------------------------------------------


def _write_enterprise(planned: PlannedEnterprise, reviewer: User) -> Enterprise:
    enterprise = services.register_enterprise(
        uscc=planned.uscc,
        profile=planned.profile(),
        account=services.AccountData(
            planned.username,
            DEMO_PASSWORD,
            display_name=planned.contact_name,
            email=planned.contact_email,
        ),
    )
    admin = User.objects.get(username=planned.username)
    for certification in planned.certifications:
        services.add_certification(actor=admin, enterprise=enterprise, data=certification.data())
    if planned.state == DemoState.SUBMITTED:
        return enterprise
    if planned.state == DemoState.RETURNED:
        return services.return_registration(
            actor=reviewer, enterprise=enterprise, reason=planned.return_reason
        )
    enterprise = services.approve_registration(
        actor=reviewer, enterprise=enterprise, registered_on=planned.registered_on
    )
    if planned.state == DemoState.CHANGE_PENDING:
        services.propose_change(actor=admin, enterprise=enterprise, profile=dict(planned.change))
    elif planned.state == DemoState.DEREGISTERED and planned.deregistered_on:
        enterprise = services.deregister(
            actor=reviewer,
            enterprise=enterprise,
            on=planned.deregistered_on,
            reason=planned.deregistration_reason,
        )
    return enterprise


def build(
    *, seed: int = DEFAULT_SEED, count: int = DEFAULT_COUNT, today: dt.date | None = None
) -> BuildReport:
    """Build the demo in one transaction, unless it exists already."""
    if demo_exists():
        return BuildReport(created=False, seed=seed)
    today = today or timezone.localdate()
    enterprises = plan(seed, count, today)
    with transaction.atomic(), acting_from(None, CHANNEL), one_hash_for(DEMO_PASSWORD):
        users_before = User.objects.count()
        reviewers = _reviewers(enterprises)
        for planned in enterprises:
            _write_enterprise(planned, reviewers[planned.division])
        flagship = Enterprise.objects.get(uscc=FLAGSHIP_USCC)
        services.add_enterprise_user(
            actor=User.objects.get(username=ENTERPRISE_ADMIN),
            enterprise=flagship,
            account=services.AccountData(
                ENTERPRISE_FILER,
                DEMO_PASSWORD,
                display_name="周晓东",
                email="filing@yunqi-digital.com.cn",
            ),
        )
        rates = write_rates(seed, today)
        return BuildReport(
            created=True,
            seed=seed,
            enterprises=len(enterprises),
            states=dict(Counter(str(e.state) for e in enterprises)),
            certifications=sum(len(e.certifications) for e in enterprises),
            users=User.objects.count() - users_before,
            rates=rates,
        )
