"""Filing the planned activity (:mod:`soms.demo.activity`) through the services, month by month.

Every record goes through :mod:`soms.filing.services` as its enterprise's user, and every decision
through :mod:`soms.review.services` as the district's reviewer, with a
:class:`~soms.filing.rules.Context` dated when it happened, so that deadlines, the late-filing
window and lateness are those of the time. Each month older than the last two is then signed off
by every district, city and province and the nation, as each level's reviewer.

The services stamp some moments with the present (a record's creation, a return, a sign-off, an
extension, a reopening) and give no way to pass the historical one; :meth:`Replay.backdate` sets
these timestamps afterwards to the moments of the plan. Only timestamps are written that way.
The audit events keep the moment they were really written.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Max
from django.utils import timezone

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.audit.models import AuditEvent
from soms.demo.activity import (
    CONTRACT_SHARE,
    KINDS,
    Filer,
    FilingPlan,
    PlannedFiling,
    plan_filings,
)
from soms.demo.calibration import calibration
from soms.demo.officials import CHANNEL, ensure_reviewers, signers
from soms.demo.planning import (
    CITIES,
    FLAGSHIP_USCC,
    SHOWCASE_DISTRICTS,
    PlannedEnterprise,
    random_stream,
)
from soms.filing import rules, services
from soms.filing.choices import RecordStatus
from soms.filing.models import RECORD_MODELS, Contract, Execution, FiledRecord, WorkforceReport
from soms.reference.models import CatalogueItem, CatalogueVersion, Division
from soms.registry.choices import RegistrationStatus
from soms.registry.models import Enterprise
from soms.review import completeness, hierarchy
from soms.review import services as review
from soms.review.choices import Level
from soms.review.hierarchy import Unit
from soms.review.models import Message, SignOff

CENT = Decimal("0.01")

# A filer explains the warnings the rules raise before submitting (the service keeps the
# comment only when there are warnings).
WARNING_COMMENTS = {
    "amount_outlier": "本合同为年度框架协议，金额较高，已与合同文本及银行回单核对一致。",
    "round_series": "合同按整数报价签订，金额已与合同文本核对一致。",
    "similar_contract": "与同一客户分别签订的独立合同，对方、金额及日期相同属实。",
}
GENERIC_COMMENT = "已核对合同文本及银行回单，数据无误。"


@dataclass
class FilingsReport:
    """What the replay filed."""

    months: int = 0
    records: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    late: int = 0
    returned: int = 0
    corrections: Counter[str] = field(default_factory=Counter)
    extensions: int = 0
    sign_offs: int = 0
    reviewers: int = 0
    reminders: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.records.values())

    def summary(self) -> str:
        kinds = ", ".join(f"{sum(self.records[k].values())} {k}" for k in KINDS)
        statuses: Counter[str] = Counter()
        for counts in self.records.values():
            statuses.update(counts)
        states = ", ".join(f"{s} {n}" for s, n in sorted(statuses.items()))
        return (
            f"{self.total} records over {self.months} months ({kinds}; {states}), "
            f"{self.late} late, {self.returned} returned, "
            f"{self.corrections['pending']} corrections pending, {self.extensions} extensions, "
            f"{self.sign_offs} sign-offs"
        )


def filings_exist() -> bool:
    """Whether the demo has filed already (its filing events carry the demo's channel)."""
    return AuditEvent.objects.filter(channel=CHANNEL, action__startswith="filing.").exists()


def _context(moment: dt.datetime) -> rules.Context:
    return rules.Context(today=timezone.localdate(moment), history=False, now=moment)


def _comment(row: FiledRecord) -> str:
    codes = [w.get("code") for w in row.warnings or []]
    texts = [WARNING_COMMENTS[c] for c in dict.fromkeys(codes) if c in WARNING_COMMENTS]
    return "".join(texts) or GENERIC_COMMENT


def catalogue_leaves(on: dt.date) -> dict[str, list[str]]:
    """The most detailed categories of the catalogue in force on ``on``, by group."""
    version = CatalogueVersion.in_force_on(on)
    if version is None:
        raise ValueError("No catalogue is in force: load the reference data first.")
    items = CatalogueItem.objects.filter(version=version, children__isnull=True)
    leaves: dict[str, list[str]] = defaultdict(list)
    for code in items.order_by("code").values_list("code", flat=True):
        leaves[code[:3]].append(code)
    return dict(leaves)


def filers(
    seed: int, planned: Iterable[PlannedEnterprise], contract_share: float = CONTRACT_SHARE
) -> list[Filer]:
    """The registered demo enterprises, with the headcount their plan gave them."""
    employees = {p.uscc: p.employees for p in planned}
    city_names = {c.code: c.name_zh for c in CITIES}
    result = []
    enterprises = Enterprise.objects.filter(status=RegistrationStatus.APPROVED)
    for e in enterprises.select_related("division").order_by("uscc"):
        if e.registered_on is None:
            continue
        flagship = e.uscc == FLAGSHIP_USCC
        showcase = e.division_id in SHOWCASE_DISTRICTS
        draw = random_stream(seed, f"contracts:{e.uscc}").random()
        city = e.division.city_code
        result.append(
            Filer(
                uscc=e.uscc,
                name_en=e.name_en,
                division=e.division_id,
                city=city,
                city_zh=city_names.get(city, e.division.name_zh),
                employees=employees.get(e.uscc) or 50,
                registered_on=e.registered_on,
                flagship=flagship,
                showcase=showcase,
                files_contracts=flagship or showcase or draw < contract_share,
            )
        )
    return result


class Replay:
    """Files a :class:`~soms.demo.activity.FilingPlan` through the services."""

    def __init__(self, plan: FilingPlan, now: dt.datetime) -> None:
        self.plan = plan
        self.now = now
        self.report = FilingsReport(months=len(plan.periods))
        usccs = {f.uscc for f in plan.filings}
        self.enterprises = {
            e.uscc: e for e in Enterprise.objects.filter(uscc__in=usccs).select_related("division")
        }
        self.admins: dict[int, User] = {}
        self.filers: dict[int, User] = {}
        for user in User.objects.filter(
            enterprise__uscc__in=usccs,
            role__in=[Role.ENTERPRISE_ADMIN, Role.ENTERPRISE_FILER],
            is_active=True,
        ).order_by("pk"):
            assert user.enterprise_id is not None
            users = self.admins if user.role == Role.ENTERPRISE_ADMIN else self.filers
            users.setdefault(user.enterprise_id, user)
        self.signers = signers()
        self.contracts: dict[tuple[str, str], Contract] = {}
        # Per contract: its value with approved amendments, and the executions that count
        # against it (awaiting review or approved), as the execution rule sees them.
        self.value: dict[tuple[str, str], Decimal] = {}
        self.counted: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        self.stamps: dict[type[models.Model], dict[int, dict[str, dt.datetime]]] = defaultdict(
            lambda: defaultdict(dict)
        )
        # The latest moment of each district's month, for the moment it was signed off.
        self.busy: dict[tuple[str, dt.date], dt.datetime] = {}

    # --- helpers ----------------------------------------------------------------------------

    def stamp(self, obj: models.Model, **moments: dt.datetime) -> None:
        assert obj.pk is not None
        self.stamps[type(obj)][obj.pk].update(moments)

    def _filer(self, enterprise: Enterprise, kind: str) -> User:
        """Who files: the flagship's filer does the routine work, its administrator the
        contracts; elsewhere the administrator does everything."""
        if kind in ("execution", "workforce") and enterprise.pk in self.filers:
            return self.filers[enterprise.pk]
        return self.admins[enterprise.pk]

    def _reviewer(self, enterprise: Enterprise) -> User:
        return self.signers[Unit(Level.COUNTY, enterprise.division_id)]

    def _busy(self, division: str, period: dt.date, moment: dt.datetime) -> None:
        key = (division, period)
        self.busy[key] = max(self.busy.get(key, moment), moment)

    def _last_message(self) -> int:
        return Message.objects.aggregate(m=Max("pk"))["m"] or 0

    # --- the run ----------------------------------------------------------------------------

    def run(self) -> FilingsReport:
        by_period: dict[dt.date, list[PlannedFiling]] = defaultdict(list)
        for filing in self.plan.filings:
            by_period[filing.period].append(filing)
        extensions = defaultdict(list)
        for x in self.plan.extensions:
            extensions[x.period].append(x)
        for period in self.plan.periods:
            for x in sorted(extensions[period], key=lambda x: x.granted):
                self._extend(x)
            filings = sorted(by_period[period], key=lambda f: (KINDS.index(f.kind), f.life.created))
            for filing in filings:
                self.file(filing)
            if period < self.plan.open_from:
                self.sign(period)
        self.sign_ready_districts(self.plan.open_from)
        self.remind(self.plan.open_from)
        self.backdate()
        return self.report

    def _extend(self, x: Any) -> None:
        division = enterprise = None
        if x.uscc:
            enterprise = self.enterprises.get(x.uscc)
            if enterprise is None:
                return
            code = enterprise.division_id
        else:
            division = Division.objects.get(code=x.division)
            code = division.code
        actor = self.signers.get(Unit(Level.COUNTY, code))
        if actor is None:
            return
        extension = review.grant_extension(
            actor=actor,
            period=x.period,
            until=x.until,
            reason=x.reason,
            enterprise=enterprise,
            division=division,
        )
        self.stamp(extension, granted_at=x.granted)
        self.report.extensions += 1

    # --- one record ---------------------------------------------------------------------------

    def _amounts(self, filing: PlannedFiling, key: tuple[str, str]) -> dict[str, Any] | None:
        """The record's values, fixed values and corrected values, with execution amounts cut
        to what the contract still allows; ``None`` to leave the record out."""
        data = dict(filing.data)
        fixed = dict(filing.fixed) if filing.fixed is not None else None
        life = filing.life
        corrected = dict(life.correction.data) if life.correction else None
        if filing.kind == "execution":
            planned = (fixed or data)["amount"]
            room = self.value[key] - self.counted[key]
            amount = min(planned, room).quantize(CENT)
            if amount < max(planned / 20, Decimal(1)):
                return None
            if amount != planned:
                if fixed is not None:
                    fixed["amount"] = amount
                    if data["amount"] != planned:
                        data["amount"] = (amount * Decimal("0.9")).quantize(CENT)
                    else:
                        data["amount"] = amount
                else:
                    data["amount"] = amount
                if corrected is not None:
                    fee = planned - corrected["amount"]
                    corrected["amount"] = max(Decimal(1), amount - fee)
        elif filing.kind == "amendment":
            planned = (fixed or data)["new_amount"]
            floor = self.counted[key]
            if planned <= floor:
                amount = (floor * Decimal("1.02")).quantize(Decimal(1)) + Decimal("1.00")
                if fixed is not None:
                    fixed["new_amount"] = amount
                    data["new_amount"] = (amount * Decimal("1.1")).quantize(CENT)
                else:
                    data["new_amount"] = amount
        return {"data": data, "fixed": fixed, "corrected": corrected}

    def file(self, filing: PlannedFiling) -> None:
        enterprise = self.enterprises[filing.uscc]
        model = RECORD_MODELS[filing.kind]
        actor = self._filer(enterprise, filing.kind)
        reviewer = self._reviewer(enterprise)
        key = dict(filing.key)
        contract_key = (filing.uscc, str(key.get("contract_no", "")))
        if filing.kind in ("amendment", "execution"):
            del key["contract_no"]
            contract = self.contracts.get(contract_key)
            if contract is None:
                self.report.skipped += 1
                return
            key["contract"] = contract
        values = self._amounts(filing, contract_key)
        if values is None:
            self.report.skipped += 1
            return
        life = filing.life
        row: FiledRecord = services.create_record(
            actor=actor,
            model=model,
            enterprise=enterprise,
            key=key,
            data=values["data"],
            context=_context(life.created),
        )
        self.stamp(row, created_at=life.created)
        if life.submitted is not None:
            row = services.submit(
                actor=actor, row=row, comment=_comment(row), context=_context(life.submitted)
            )
            if life.returned is not None:
                row = self._return(row, reviewer, life.returned, life.return_reason)
                if life.resubmitted is None:
                    self.stamp(row, decided_at=life.returned)
                else:
                    context = _context(life.resubmitted)
                    row = services.update_record(
                        actor=actor, row=row, data=values["fixed"], context=context
                    )
                    row = services.submit(
                        actor=actor, row=row, comment=_comment(row), context=context
                    )
            if life.approved is not None:
                row = review.approve_record(
                    actor=reviewer, row=row, context=_context(life.approved)
                )
            if life.correction is not None and values["corrected"] is not None:
                self._correct(row, actor, reviewer, life.correction, values["corrected"])
        self._count(filing, row, contract_key)
        self._busy(enterprise.division_id, filing.period, life.last)

    def _return(
        self, row: FiledRecord, reviewer: User, moment: dt.datetime, reason: str
    ) -> FiledRecord:
        before = self._last_message()
        row = review.return_record(actor=reviewer, row=row, reason=reason)
        historic = row.period < self.plan.open_from
        for message in Message.objects.filter(pk__gt=before).only("pk"):
            self.stamp(message, created_at=moment)
            if historic:
                self.stamp(message, read_at=moment + dt.timedelta(hours=3))
        self.report.returned += 1
        return row

    def _correct(
        self,
        record: FiledRecord,
        actor: User,
        reviewer: User,
        correction: Any,
        data: dict[str, Any],
    ) -> None:
        row = services.start_correction(actor=actor, record=record)
        self.stamp(row, created_at=correction.started)
        row = services.update_record(
            actor=actor, row=row, data=data, context=_context(correction.started)
        )
        if correction.submitted is None:
            self.report.corrections["draft"] += 1
            return
        row = services.submit(
            actor=actor, row=row, comment=_comment(row), context=_context(correction.submitted)
        )
        if correction.approved is None:
            self.report.corrections["pending"] += 1
            return
        review.approve_record(actor=reviewer, row=row, context=_context(correction.approved))
        self.report.corrections["approved"] += 1

    def _count(self, filing: PlannedFiling, row: FiledRecord, key: tuple[str, str]) -> None:
        record = row.record
        if filing.kind == "contract":
            assert isinstance(record, Contract)
            self.contracts[key] = record
            self.value[key] = record.amount
        elif filing.kind == "amendment" and record.status == RecordStatus.APPROVED:
            self.value[key] = record.new_amount  # type: ignore[attr-defined]
        elif filing.kind == "execution" and record.status in (
            RecordStatus.SUBMITTED,
            RecordStatus.APPROVED,
        ):
            # An approved correction has put its amount into the record.
            record.refresh_from_db(fields=["amount"])
            self.counted[key] += record.amount  # type: ignore[attr-defined]
        self.report.records[filing.kind][record.status] += 1
        self.report.late += int(record.is_late)

    # --- sign-off -----------------------------------------------------------------------------

    def _sign(self, unit: Unit, period: dt.date, moment: dt.datetime) -> SignOff | None:
        actor = self.signers.get(unit)
        if actor is None:
            return None
        sign_off = review.sign_off(actor=actor, period=period)
        self.stamp(sign_off, signed_at=min(moment, self.now))
        self.report.sign_offs += 1
        return sign_off

    def sign(self, period: dt.date) -> None:
        """Sign a month off bottom-up: every district, then its city, its province, the
        nation; a level whose signer is missing (or refused) leaves the levels above open."""
        start = _at(period, 1, 12)
        nation_done = True
        nation_at = start
        for province in hierarchy.children(period, Unit(Level.NATION, None)):
            province_done, province_at = True, start
            for city in hierarchy.children(period, province):
                city_done, city_at = True, start
                for district in hierarchy.children(period, city):
                    busy = self.busy.get((district.code or "", period), start)
                    moment = max(start, _next_day(busy, 10))
                    if self._sign(district, period, moment) is None:
                        city_done = False
                    city_at = max(city_at, moment)
                city_at = _next_day(city_at, 15)
                if not city_done or self._sign(city, period, city_at) is None:
                    province_done = False
                    continue
                reopen = self.plan.reopen
                if reopen and reopen.period == period and city.code == self._city_of(reopen):
                    city_at = self._reopen(period, city, city_at)
                province_at = max(province_at, city_at)
            province_at = _next_day(province_at, 11)
            if not province_done or self._sign(province, period, province_at) is None:
                nation_done = False
                continue
            nation_at = max(nation_at, province_at)
        if nation_done:
            self._sign(Unit(Level.NATION, None), period, _next_day(nation_at, 16))

    def _city_of(self, reopen: Any) -> str:
        enterprise = self.enterprises[reopen.uscc]
        return enterprise.division.city_code

    def _reopen(self, period: dt.date, city: Unit, signed: dt.datetime) -> dt.datetime:
        """The city reopens a district's month, the enterprise corrects a record, and the
        district and the city sign it off again."""
        reopen = self.plan.reopen
        assert reopen is not None
        enterprise = self.enterprises[reopen.uscc]
        target: FiledRecord | None = (
            Execution.objects.counting()
            .filter(enterprise=enterprise, period=period)
            .exclude(receipt_no="")
            .order_by("pk")
            .first()
        )
        if isinstance(target, Execution):
            serial = (int(target.receipt_no[-4:]) + 1) % 10000
            values: dict[str, Any] = {
                "executed_on": target.executed_on,
                "currency": target.currency_id,
                "amount": target.amount,
                "receipt_no": f"{target.receipt_no[:-4]}{serial:04d}",
            }
        else:
            target = (
                WorkforceReport.objects.counting()
                .filter(enterprise=enterprise, month=period)
                .first()
            )
            if not isinstance(target, WorkforceReport):
                return signed
            values = {f: getattr(target, f) for f in target.VALUE_FIELDS}
            values["employees_college"] = max(0, target.employees_college - 1)
        district = Unit(Level.COUNTY, enterprise.division_id)
        at = _next_day(signed, 10)
        for sign_off in review.reopen(
            actor=self.signers[city], period=period, unit=district, reason=reopen.reason
        ):
            self.stamp(sign_off, reopened_at=at)
        filer = self._filer(enterprise, target.kind)
        correction = services.start_correction(actor=filer, record=target)
        fixed_at = at + dt.timedelta(hours=2)
        self.stamp(correction, created_at=fixed_at)
        correction = services.update_record(
            actor=filer, row=correction, data=values, context=_context(fixed_at)
        )
        correction = services.submit(
            actor=filer, row=correction, comment=GENERIC_COMMENT, context=_context(fixed_at)
        )
        approved = _next_day(fixed_at, 10)
        review.approve_record(
            actor=self._reviewer(enterprise), row=correction, context=_context(approved)
        )
        self.report.corrections["approved"] += 1
        self._sign(district, period, approved + dt.timedelta(hours=3))
        again = _next_day(approved, 15)
        self._sign(city, period, again)
        return again

    def sign_ready_districts(self, period: dt.date) -> None:
        """Last month: districts (not the showcase ones) where every record is approved and
        every enterprise has reported sign off; the levels above wait."""
        open_districts = set(SHOWCASE_DISTRICTS)
        reported: set[str] = set()
        for filing in self.plan.filings:
            if filing.period != period:
                continue
            district = self.enterprises[filing.uscc].division_id
            life = filing.life
            pending = life.correction is not None and life.correction.approved is None
            if life.status != "approved" or pending:
                open_districts.add(district)
            if filing.kind == "workforce":
                reported.add(filing.uscc)
        expected = hierarchy.month_end(period)
        for e in Enterprise.objects.registered_on(expected).select_related("division"):
            if e.uscc not in reported:
                open_districts.add(e.division_id)
        for district in sorted({e.division_id for e in self.enterprises.values()}):
            unit = Unit(Level.COUNTY, district)
            if district in open_districts or review.queue_for(period, unit):
                continue
            busy = self.busy.get((district, period), _at(period, 1, 12))
            self._sign(unit, period, _next_day(busy, 10))

    def remind(self, period: dt.date) -> None:
        """The showcase districts' reviewers remind the enterprises that have not reported
        last month, once it is overdue."""
        if timezone.localdate(self.now) <= hierarchy.month_end(period) + dt.timedelta(days=5):
            return
        for district in SHOWCASE_DISTRICTS:
            actor = self.signers.get(Unit(Level.COUNTY, district))
            if actor is not None:
                self.report.reminders += completeness.send_reminders(
                    actor=actor, period=period, unit=Unit(Level.COUNTY, district)
                )

    # --- timestamps -----------------------------------------------------------------------------

    def backdate(self) -> None:
        """Set the moments the services stamped with the present to those of the plan."""
        for model, rows in self.stamps.items():
            by_fields: dict[tuple[str, ...], list[models.Model]] = defaultdict(list)
            for pk, moments in rows.items():
                obj = model(pk=pk, **moments)
                by_fields[tuple(sorted(moments))].append(obj)
            for fields, objs in by_fields.items():
                model._default_manager.bulk_update(objs, list(fields), batch_size=400)


def _at(period: dt.date, day: int, hour: int) -> dt.datetime:
    """``hour`` o'clock on ``day`` of the month after ``period``."""
    month = (period.replace(day=28) + dt.timedelta(days=4)).replace(day=day)
    return timezone.make_aware(dt.datetime.combine(month, dt.time(hour)))


def _next_day(moment: dt.datetime, hour: int) -> dt.datetime:
    day = timezone.localtime(moment).date() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def build_filings(
    *,
    seed: int,
    planned: list[PlannedEnterprise],
    months: int,
    now: dt.datetime | None = None,
    contract_share: float = CONTRACT_SHARE,
) -> FilingsReport:
    """File ``months`` months of activity for the registered demo enterprises (call it inside
    the build's transaction, with the demo's channel set)."""
    now = now or timezone.now()
    report_reviewers = ensure_reviewers(
        Enterprise.objects.values_list("division_id", flat=True).distinct()
    )
    people = filers(seed, planned, contract_share)
    first = timezone.localdate(now).replace(day=1)
    plan = plan_filings(
        seed=seed,
        filers=people,
        cal=calibration(),
        leaves=catalogue_leaves(first),
        months=months,
        now=now,
    )
    report = Replay(plan, now).run()
    report.reviewers = report_reviewers
    return report
