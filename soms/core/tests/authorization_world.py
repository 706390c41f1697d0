"""The world the authorization matrix asks about, built once per test module through the
services: enterprises inside and outside the actors' jurisdictions with their records,
certifications, profile changes, import jobs and messages; releases published, embargoed and in
draft; policy targets published and not; evaluation rounds published, open and in draft.

Every object of an enterprise carries the enterprise's *marker* (``QXALPHA`` …) in a text field,
so a page that shows anything of an enterprise shows its marker (or its USCC): a response that
contains the marker of an enterprise outside the caller's view is a leak, whatever the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from soms.accounts.models import User
from soms.core.tests.authorization import ACTORS, ENTERPRISES
from soms.dissemination import services as dissemination
from soms.dissemination.models import Release
from soms.evaluation import services as evaluation
from soms.evaluation.choices import DecisionKind
from soms.evaluation.models import EvaluationRound
from soms.evaluation.tests.conftest import CITIES, EXTERNAL, OWN, build_round
from soms.exchange.models import ImportJob
from soms.filing import services as filing
from soms.filing.models import Contract, Execution, FiledRecord, WorkforceReport
from soms.policy import services as policy
from soms.policy.choices import SeriesUnit
from soms.policy.models import ExternalSeries, Target
from soms.reference import services as reference
from soms.reference.models import CatalogueVersion
from soms.registry import services as registry
from soms.registry.choices import RegistrationStatus
from soms.registry.models import Certification, Enterprise, ProfileChange
from soms.review import services as review
from soms.review.models import Message
from soms.statistics.tests.desk import HISTORY, contract_data, rates
from soms.testing import make_enterprise, make_user

# A minimal valid XLSX is not needed: the error report is served as stored bytes.
REPORT_BYTES = b"PK\x03\x04 an error report"


def previous_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def months_before(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 - count
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass
class Firm:
    """An enterprise of the world and what it has filed."""

    key: str
    enterprise: Enterprise
    admin: User
    filer: User | None = None
    contract: Contract | None = None  # approved
    execution: Execution | None = None  # approved
    workforce: WorkforceReport | None = None  # approved
    draft: Contract | None = None
    submitted: Contract | None = None
    certification: Certification | None = None
    change: ProfileChange | None = None  # a profile change awaiting the district

    @property
    def uscc(self) -> str:
        return self.enterprise.uscc


@dataclass
class World:
    month: dt.date  # the month the live records are dated in (the previous month)
    users: dict[str, User]  # by actor name
    firms: dict[str, Firm]
    pending: dict[str, Enterprise]  # registrations awaiting review, by key
    sessions: dict[str, str] = field(default_factory=dict)  # actor name: session key
    releases: dict[str, Release] = field(default_factory=dict)
    targets: dict[str, Target] = field(default_factory=dict)
    series: ExternalSeries | None = None
    rounds: dict[str, EvaluationRound] = field(default_factory=dict)
    jobs: dict[str, ImportJob] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    draft_catalogue: CatalogueVersion | None = None
    group: Group | None = None
    media: Path = Path()

    def usccs(self, keys: frozenset[str] | set[str]) -> set[str]:
        every = {**{k: f.enterprise for k, f in self.firms.items()}, **self.pending}
        return {every[k].uscc for k in keys}

    def enterprise(self, key: str) -> Enterprise:
        return self.firms[key].enterprise if key in self.firms else self.pending[key]


def _name(key: str) -> dict[str, str]:
    marker = ENTERPRISES[key].marker
    return {
        "name": f"{marker}外包科技有限公司",
        "name_en": f"{marker} Outsourcing Ltd.",
        "contact_name": f"{marker}联系人",
    }


def _file(actor: User, model: Any, firm: Enterprise, key: dict[str, Any], data: dict[str, Any]):  # type: ignore[no-untyped-def]
    return filing.create_record(
        actor=actor, model=model, enterprise=firm, key=key, data=data, context=HISTORY
    )


def _approved(row: FiledRecord, reviewer: User) -> Any:
    filer = User.objects.filter(enterprise_id=row.enterprise_id).order_by("pk").first()
    assert filer is not None
    submitted = filing.submit(actor=filer, row=row, comment="checked", context=HISTORY)
    return review.approve_record(actor=reviewer, row=submitted, context=HISTORY)


def build(media_root: Path) -> World:
    today = timezone.localdate()
    month = previous_month(today)
    day = month.replace(day=5)
    rates({(months_before(month, n), "USD"): Decimal("7.1") for n in range(0, 26)})

    users: dict[str, User] = {}
    firms: dict[str, Firm] = {}
    pending: dict[str, Enterprise] = {}
    for key, place in ENTERPRISES.items():
        if not place.registered:
            pending[key] = make_enterprise(
                place.district, status=RegistrationStatus.SUBMITTED, **_name(key)
            )
            continue
        enterprise = make_enterprise(place.district, **_name(key))
        admin = None
        for name, spec in ACTORS.items():
            if spec.enterprise == key:
                users[name] = make_user(spec.role, enterprise=enterprise, username=name)
                if spec.role == "enterprise_admin":
                    admin = users[name]
        if admin is None:
            admin = make_user("enterprise_admin", enterprise=enterprise, username=f"admin-{key}")
        firms[key] = Firm(key, enterprise, admin)
    for name, spec in ACTORS.items():
        if spec.role is None or spec.enterprise:
            continue
        users[name] = make_user(
            spec.role,
            division=spec.division,
            username=name,
            is_staff=spec.staff,
            is_superuser=spec.staff,
        )
    # Every firm has a filer (the one the enterprise administrator manages on its page).
    for key, firm in firms.items():
        firm.filer = User.objects.filter(
            enterprise=firm.enterprise, role="enterprise_filer"
        ).first() or make_user(
            "enterprise_filer", enterprise=firm.enterprise, username=f"filer-{key}"
        )

    reviewers = {
        spec.division: users[name]
        for name, spec in ACTORS.items()
        if spec.role == "district_reviewer"
    }

    def reviewer_of(enterprise: Enterprise) -> User:
        if enterprise.division_id not in reviewers:
            reviewers[enterprise.division_id] = make_user(
                "district_reviewer", division=enterprise.division_id
            )
        return reviewers[enterprise.division_id]

    for key, firm in firms.items():
        marker = ENTERPRISES[key].marker
        enterprise, admin = firm.enterprise, firm.admin
        district = reviewer_of(enterprise)
        firm.contract = _approved(
            _file(
                admin,
                Contract,
                enterprise,
                {"contract_no": f"{marker}-C1"},
                contract_data(
                    counterpart_name=f"{marker} Client Inc.",
                    amount=Decimal("1000000.00"),
                    signed_on=day,
                ),
            ),
            district,
        )
        firm.execution = _approved(
            _file(
                admin,
                Execution,
                enterprise,
                {"contract": firm.contract, "execution_no": f"{marker}-E1"},
                {
                    "executed_on": day,
                    "currency": "CNY",
                    "amount": "250000.00",
                    "receipt_no": f"{marker}-R1",
                },
            ),
            district,
        )
        firm.workforce = _approved(
            _file(
                admin,
                WorkforceReport,
                enterprise,
                {"month": month},
                {"employees": 120, "employees_college": 80, "new_hires": 6, "new_hires_college": 4},
            ),
            district,
        )
        if ENTERPRISES[key].scenery:
            continue
        firm.draft = _file(
            admin,
            Contract,
            enterprise,
            {"contract_no": f"{marker}-D1"},
            contract_data(counterpart_name=f"{marker} Draft Client", signed_on=day),
        )
        firm.submitted = filing.submit(
            actor=admin,
            row=_file(
                admin,
                Contract,
                enterprise,
                {"contract_no": f"{marker}-S1"},
                contract_data(counterpart_name=f"{marker} Pending Client", signed_on=day),
            ),
            comment="checked",
            context=HISTORY,
        )
        firm.certification = registry.add_certification(
            actor=admin,
            enterprise=enterprise,
            data={
                "kind": "ISO27001",
                "level": None,
                "certificate_no": f"{marker}-ISO",
                "issuer": f"{marker} Certifier",
                "valid_from": dt.date(2024, 1, 1),
                "valid_to": today + dt.timedelta(days=30),
            },
            scan=SimpleUploadedFile("scan.jpg", f"\xff\xd8 scan of {marker}".encode()),
        )
        firm.change = registry.propose_change(
            actor=admin, enterprise=enterprise, profile={"contact_name": f"{marker}新联系人"}
        )
        review.grant_extension(
            actor=district,
            period=month,
            until=today + dt.timedelta(days=10),
            reason=f"{marker} extension",
            enterprise=enterprise,
        )

    world = World(month, users, firms, pending)
    _exchange(world, media_root)
    _messages(world)
    _policy(world)
    _evaluation(world)
    _reference(world)
    # Releases last: a draft's figures must not change between preparing and publishing it.
    _releases(world)
    world.group = Group.objects.create(name="matrix")
    for name, user in users.items():
        client = Client()
        client.force_login(user)
        world.sessions[name] = client.session.session_key or ""
    return world


def _exchange(world: World, media_root: Path) -> None:
    owners = {"A": world.users["enterprise_admin"], "B": world.users["district_reviewer_away"]}
    for variant, owner in owners.items():
        report = f"imports/report-{variant}.xlsx"
        (media_root / "imports").mkdir(parents=True, exist_ok=True)
        (media_root / report).write_bytes(REPORT_BYTES)
        world.jobs[variant] = ImportJob.objects.create(
            kind="contracts",
            file_name=f"upload-{variant}.csv",
            path=f"imports/upload-{variant}.csv",
            sha256="0" * 64,
            options={},
            created_by=owner,
            rows_total=1,
            report=report,
        )


def _messages(world: World) -> None:
    recipients = {"A": world.users["enterprise_admin"], "B": world.users["district_reviewer_away"]}
    for variant, recipient in recipients.items():
        world.messages[variant] = Message.objects.create(
            recipient=recipient, kind="reminder", subject=f"message {variant}", body="…"
        )


def _policy(world: World) -> None:
    admin = world.users["ministry_admin"]
    world.series = policy.save_series(
        admin,
        {
            "code": "qx-series",
            "name_zh": "跨国公司数",
            "unit": SeriesUnit.COUNT,
            "source": "商务部",
        },
        [],
    )
    document = {"document_title": "商务部关于实施服务外包“千百十工程”的通知", "deadline": 2010}
    published = policy.save_target(
        admin,
        {
            **document,
            "code": "T-2006-QXPUB",
            "title_zh": "10个基地城市",
            "indicator": "designated_cities",
            "target_value": Decimal(10),
            "baseline_year": 2005,
        },
    )
    world.targets["published"] = policy.set_published(admin, published, True)
    world.targets["unpublished"] = policy.save_target(
        admin,
        {
            **document,
            "code": "T-2006-QXHID",
            "title_zh": "100家跨国公司",
            "indicator": "external",
            "series": world.series,
            "target_value": Decimal(100),
        },
    )


def _evaluation(world: World) -> None:
    admin = world.users["ministry_admin"]
    evaluators = {
        spec.division: world.users[name]
        for name, spec in ACTORS.items()
        if spec.role == "city_evaluator"
    }
    for code in CITIES:
        if code not in evaluators:
            evaluators[code] = make_user("city_evaluator", division=code)

    def fill(evaluation_round: EvaluationRound, code: str, *, approve: bool) -> None:
        from soms.evaluation.models import EvaluatedCity, Indicator

        city = EvaluatedCity.objects.get(evaluation_round=evaluation_round, division_id=code)

        def indicator(number: str) -> int:
            return Indicator.objects.get(evaluation_round=evaluation_round, code=number).pk

        evaluation.save_values(
            evaluators[code], city, {indicator(k): v for k, v in OWN[code].items()}
        )
        evaluation.submit(evaluators[code], city)
        evaluation.save_external_values(admin, city, {indicator("5.1"): EXTERNAL[code]})
        if approve:
            evaluation.approve(admin, city)

    published = build_round(admin, "QX已发布评价", 2024)
    evaluation.open_round(admin, published)
    for code in CITIES:
        fill(published, code, approve=True)
    evaluation.close_round(admin, published)
    evaluation.publish_round(admin, published)
    # The open round: Suzhou's form awaits review, Wuhan's is a draft.
    opened = build_round(admin, "QX进行中评价", 2025)
    evaluation.open_round(admin, opened)
    fill(opened, "320500", approve=False)
    world.rounds = {
        "published": published,
        "open": opened,
        "draft": build_round(admin, "QX草稿评价", 2026),
    }
    # A warning addressed to each city: officials' business, not the public's.
    for code in ("320500", "420100"):
        evaluation.record_decision(
            admin,
            division=code,
            kind=DecisionKind.WARNING,
            decided_on=dt.date(2025, 6, 1),
            document=f"QXWARN-{code}",
            reason="整改",
        )


def _reference(world: World) -> None:
    world.draft_catalogue = reference.draft_catalogue_version(
        actor=world.users["ministry_statistician"],
        predecessor=CatalogueVersion.objects.get(code="v1"),
        code="qx2",
        effective_from=dt.date(2030, 1, 1),
    )


def _releases(world: World) -> None:
    statistician = world.users["ministry_statistician"]
    months = {
        "published": world.month,
        "embargoed": months_before(world.month, 1),
        "draft": months_before(world.month, 2),
    }
    for variant, month in months.items():
        release = dissemination.prepare_release(statistician, month)
        if variant == "published":
            release = dissemination.publish_release(statistician, release)
        elif variant == "embargoed":
            release = dissemination.publish_release(
                statistician, release, timezone.now() + dt.timedelta(days=30)
            )
        world.releases[variant] = release
