"""Writing the planned demo through the service functions, so that its audit trail is real.

Every registration, approval, return, certificate and profile change goes through
:mod:`soms.registry.services` with the actor who would do it (the enterprise's administrator,
the district's reviewer), exactly as the web pages and the API call them; the demo is then also
a test that the services accept a realistic workload. The enterprises' filings and their review
follow, through the filing and review services (:mod:`soms.demo.replay`).
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
from soms.core.context import acting_from
from soms.demo.activity import CONTRACT_SHARE, DEFAULT_MONTHS
from soms.demo.evaluation import build_demo_evaluation
from soms.demo.logins import DEMO_PASSWORD, ENTERPRISE_ADMIN, ENTERPRISE_FILER, OFFICIALS
from soms.demo.officials import ACTOR, CHANNEL, create_official, create_officials
from soms.demo.planning import (
    DEFAULT_COUNT,
    DEFAULT_SEED,
    FLAGSHIP_USCC,
    DemoState,
    PlannedEnterprise,
    plan,
)
from soms.demo.policy import configure_demo_targets
from soms.demo.rates import write_rates
from soms.demo.releases import publish_demo_releases
from soms.demo.replay import FilingsReport, build_filings, filings_exist
from soms.registry import services
from soms.registry.models import Enterprise

__all__ = ["ACTOR", "CHANNEL", "BuildReport", "build", "create_official", "demo_exists"]


@dataclass
class BuildReport:
    """What a build wrote: ``created`` when it registered the enterprises (false when the
    demo was already there); ``filings`` when it filed their activity."""

    created: bool
    seed: int
    enterprises: int = 0
    states: dict[str, int] = field(default_factory=dict)
    certifications: int = 0
    users: int = 0
    rates: int = 0
    filings: FilingsReport | None = None
    releases: int = 0
    targets: int = 0
    evaluated: int = 0

    @property
    def changed(self) -> bool:
        return self.created or self.filings is not None


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


@contextmanager
def quietly() -> Iterator[None]:
    """No e-mail leaves the demo (its addresses are invented; the in-app messages are kept),
    and no query is logged (a build runs a few hundred thousand)."""
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend", DEBUG=False
    ):
        yield


def needs_build(months: int = DEFAULT_MONTHS) -> bool:
    """Whether ``build`` has anything to do: no demo yet, or one without its filings."""
    return not demo_exists() or (months > 0 and not filings_exist())


def _moment(today: dt.date | None) -> dt.datetime:
    """The present of the build: now, or the end of the working day of ``today``."""
    now = timezone.now()
    if today is None or today == timezone.localdate(now):
        return now
    return timezone.make_aware(dt.datetime.combine(today, dt.time(18)))


def build(
    *,
    seed: int = DEFAULT_SEED,
    count: int = DEFAULT_COUNT,
    today: dt.date | None = None,
    months: int = DEFAULT_MONTHS,
    contract_share: float = CONTRACT_SHARE,
) -> BuildReport:
    """Build the demo in one transaction: the enterprises and officials unless they exist,
    then ``months`` months of filings unless the demo has filed already (``months=0``: none).
    A second build changes nothing."""
    if not needs_build(months):
        return BuildReport(created=False, seed=seed)
    now = _moment(today)
    today = timezone.localdate(now)
    enterprises = plan(seed, count, today)
    report = BuildReport(created=False, seed=seed)
    with transaction.atomic(), acting_from(None, CHANNEL), one_hash_for(DEMO_PASSWORD), quietly():
        users_before = User.objects.count()
        if not demo_exists():
            _write_enterprises(enterprises)
            report.created = True
            report.enterprises = len(enterprises)
            report.states = dict(Counter(str(e.state) for e in enterprises))
            report.certifications = sum(len(e.certifications) for e in enterprises)
        # Every month filed needs its rates; months already there are kept.
        report.rates = write_rates(seed, today)
        if months > 0 and not filings_exist():
            report.filings = build_filings(
                seed=seed,
                planned=enterprises,
                months=months,
                now=now,
                contract_share=contract_share,
            )
            report.releases = publish_demo_releases(now, months)
        report.targets = configure_demo_targets(now)
        report.evaluated = build_demo_evaluation(now)
        report.users = User.objects.count() - users_before
    return report


def _write_enterprises(enterprises: list[PlannedEnterprise]) -> None:
    create_officials({e.division for e in enterprises})
    reviewers = {
        u.division_id: u
        for u in User.objects.filter(role=Role.DISTRICT_REVIEWER).order_by("-pk")
        if u.division_id
    }
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
