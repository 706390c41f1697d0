"""Random filing histories for the property tests: enterprises in several provinces and cities,
contracts in four currencies over two years with amendments (up and down) and executions,
records returned and never approved, returned and approved again, left awaiting review, and
corrections approved, returned or left open after approval; workforce reports; enterprises
registered late, deregistered or never registered; a demonstration city designated inside the
range and a dated group membership.

``play`` files a scenario through the services and returns the ``spec.World`` of what counts,
built from the plan and the decisions (not read back from the database)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from soms.filing.models import Contract, FiledRecord, WorkforceReport
from soms.reference.choices import DesignationKind
from soms.reference.models import CityDesignation, CountryGroupMembership
from soms.registry.choices import Ownership, RegistrationStatus
from soms.registry.models import Enterprise
from soms.statistics.tests import spec
from soms.statistics.tests.desk import Desk, contract_data, rates, values_of

FIRST, LAST = dt.date(2024, 1, 1), dt.date(2025, 12, 28)
MONTHS = spec.months(FIRST, dt.date(2025, 12, 1))
# Shanghai (a municipality), Suzhou, Changzhou (designated by the scenario), Wuhan, Xiantao
# (a county-level city under the province: its own city), Chongqing, Chengdu.
DIVISIONS = ("310115", "310101", "320508", "320402", "420106", "429004", "500101", "510104")
NEW_DEMONSTRATION_CITY = "320400"
COUNTRIES = ("CN", "US", "DE", "SG", "HK", "MO", "TW")
CURRENCIES = ("CNY", "USD", "EUR", "HKD")
CATEGORIES = ("ITO01", "ITO05", "BPO02", "BPO99", "KPO03")
RATE_RANGES = {"USD": (68000, 73000), "EUR": (75000, 80000), "HKD": (8700, 9300)}  # 1/10000
FATES = ("approved", "approved", "approved", "reapproved", "returned", "pending")
COUNTING = ("approved", "reapproved")
CENT = Decimal("0.01")


@dataclass
class Child:
    offset: int  # days after the signing
    per_mille: int  # amendment: new amount; execution: amount; of the contract's amount
    fate: str
    currency: str | None = None  # executions: None for the contract's currency
    correction: tuple[str, int, int] | None = None  # (decision, per mille, days later)


@dataclass
class ContractPlan:
    firm: int
    direction: str
    country: str
    category: str
    currency: str
    cents: int
    signed_on: dt.date
    fate: str
    amendments: list[Child] = field(default_factory=list)
    executions: list[Child] = field(default_factory=list)
    # (decision, amount per mille, days earlier, country, category)
    correction: tuple[str, int, int, str, str] | None = None


@dataclass
class StaffPlan:
    firm: int
    month: dt.date
    counts: tuple[int, int, int, int]
    fate: str
    correction: tuple[str, int] | None = None  # (decision, employees)


@dataclass
class Scenario:
    rates: dict[tuple[dt.date, str], Decimal]
    designated_on: dt.date
    bri: tuple[dt.date, dt.date | None]
    firms: list[tuple[str, str]]  # (division, ownership)
    registry: list[tuple[str, str, dt.date]]  # (division, late|gone|pending, day)
    contracts: list[ContractPlan]
    staff: list[StaffPlan]


# Each example files through the services (a second or so); shrinking a failure would take
# minutes, so a failure is reported as generated. No example database is written.
SETTINGS = settings(
    max_examples=10,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

decisions = st.sampled_from(("approve", "approve", "return", "pending"))
days = st.dates(FIRST, LAST)


@st.composite
def children(draw: st.DrawFn, amendment: bool) -> Child:
    return Child(
        offset=draw(st.integers(1 if amendment else 0, 300)),
        per_mille=draw(st.integers(600, 1600) if amendment else st.integers(10, 200)),
        fate=draw(st.sampled_from(FATES)),
        currency=None if amendment else draw(st.sampled_from((None, None, *CURRENCIES))),
        correction=draw(
            st.none()
            | st.tuples(
                decisions,
                st.integers(600, 1600) if amendment else st.integers(500, 1000),
                st.just(0) if amendment else st.integers(0, 20),
            )
        ),
    )


@st.composite
def contract_plans(draw: st.DrawFn, firms: int) -> ContractPlan:
    fate = draw(st.sampled_from(FATES))
    counted = fate in COUNTING
    return ContractPlan(
        firm=draw(st.integers(0, firms - 1)),
        direction=draw(st.sampled_from(("inbound", "inbound", "outbound"))),
        country=draw(st.sampled_from(COUNTRIES)),
        category=draw(st.sampled_from(CATEGORIES)),
        currency=draw(st.sampled_from(CURRENCIES)),
        cents=draw(st.integers(1_000_00, 5_000_000_00)),
        signed_on=draw(days),
        fate=fate,
        amendments=draw(st.lists(children(True), max_size=2)) if counted else [],
        executions=draw(st.lists(children(False), max_size=2)) if counted else [],
        correction=draw(
            st.none()
            | st.tuples(
                decisions,
                st.integers(800, 1500),
                st.integers(0, 60),
                st.sampled_from(COUNTRIES),
                st.sampled_from(CATEGORIES),
            )
        )
        if counted
        else None,
    )


@st.composite
def staff_plans(draw: st.DrawFn, firms: int) -> StaffPlan:
    employees = draw(st.integers(0, 500))
    hires = draw(st.integers(0, 60))
    return StaffPlan(
        firm=draw(st.integers(0, firms - 1)),
        month=draw(st.sampled_from(MONTHS)),
        counts=(
            employees,
            draw(st.integers(0, employees)),
            hires,
            draw(st.integers(0, hires)),
        ),
        fate=draw(st.sampled_from(FATES)),
        correction=draw(st.none() | st.tuples(decisions, st.integers(0, 500))),
    )


@st.composite
def scenarios(draw: st.DrawFn, max_contracts: int = 8) -> Scenario:
    table: dict[tuple[dt.date, str], Decimal] = {}
    for currency, (low, high) in RATE_RANGES.items():
        for month in MONTHS:
            table[(month, currency)] = Decimal(draw(st.integers(low, high))) / 10000
    firms = draw(
        st.lists(
            st.tuples(st.sampled_from(DIVISIONS), st.sampled_from(Ownership.values)),
            min_size=3,
            max_size=5,
        )
    )
    bri_from = draw(days)
    return Scenario(
        rates=table,
        designated_on=draw(st.sampled_from(MONTHS[1:])),
        bri=(bri_from, draw(st.none() | st.dates(bri_from, LAST))),
        firms=firms,
        registry=draw(
            st.lists(
                st.tuples(
                    st.sampled_from(DIVISIONS), st.sampled_from(("late", "gone", "pending")), days
                ),
                max_size=3,
            )
        ),
        contracts=draw(st.lists(contract_plans(len(firms)), min_size=2, max_size=max_contracts)),
        staff=draw(
            st.lists(staff_plans(len(firms)), max_size=6, unique_by=lambda s: (s.firm, s.month))
        ),
    )


# --- playing a scenario -------------------------------------------------------------------------


def _cents(value: Decimal) -> Decimal:
    return max(value.quantize(CENT, rounding=ROUND_DOWN), CENT)


def _first(amount: Decimal, fate: str) -> Decimal:
    """The amount first filed: a record approved after a return was filed with another."""
    return amount + CENT if fate == "reapproved" else amount


def _decide(desk: Desk, row: FiledRecord, fate: str, data: dict[str, Any]) -> bool:
    """Apply a fate to a submitted row; whether it counts afterwards."""
    if fate == "approved":
        desk.approve(row)
    elif fate == "returned":
        desk.give_back(row)
    elif fate == "reapproved":
        desk.approve(desk.refile(desk.give_back(row), data))
    return fate in COUNTING


@dataclass
class Filed:
    """A contract as filed, with its children (the plan, the row, what the rules count)."""

    plan: ContractPlan
    row: Contract
    deal: spec.Deal
    children: list[tuple[Child, FiledRecord, spec.Exec | spec.Amend]]


def _reference(scenario: Scenario, world: spec.World) -> None:
    rates(scenario.rates)
    CityDesignation.objects.create(
        division_id=NEW_DEMONSTRATION_CITY,
        kind=DesignationKind.DEMONSTRATION,
        designated_on=scenario.designated_on,
    )
    world.designations[NEW_DEMONSTRATION_CITY] = scenario.designated_on
    CountryGroupMembership.objects.create(
        group_id="BRI", country_id="SG", valid_from=scenario.bri[0], valid_to=scenario.bri[1]
    )
    world.memberships.append(("BRI", "SG", *scenario.bri))


def _enterprises(desk: Desk, scenario: Scenario, world: spec.World) -> list[Enterprise]:
    firms = []
    for division, ownership in scenario.firms:
        enterprise = desk.enterprise(division, ownership=ownership)
        firms.append(enterprise)
        world.firms[enterprise.pk] = spec.Firm(enterprise.pk, division, ownership)
    for division, kind, day in scenario.registry:
        if kind == "late":
            enterprise = desk.enterprise(division, registered_on=day)
        elif kind == "gone":
            enterprise = desk.enterprise(
                division,
                status=RegistrationStatus.DEREGISTERED,
                registered_on=dt.date(2020, 1, 1),
                deregistered_on=day,
            )
        else:
            enterprise = desk.enterprise(division, status=RegistrationStatus.SUBMITTED)
        world.firms[enterprise.pk] = spec.Firm(
            enterprise.pk,
            division,
            enterprise.ownership,
            enterprise.registered_on,
            enterprise.deregistered_on,
        )
    return firms


def _contract(
    desk: Desk,
    n: int,
    plan: ContractPlan,
    enterprise: Enterprise,
    low: dict[str, Decimal],
    high: dict[str, Decimal],
) -> Filed:
    amount = Decimal(plan.cents) / 100
    data = contract_data(
        direction=plan.direction,
        counterpart_country=plan.country,
        category=plan.category,
        currency=plan.currency,
        amount=amount,
        signed_on=plan.signed_on,
    )
    first = data | {"amount": str(_first(amount, plan.fate))}
    contract = desk.file(Contract, enterprise, {"contract_no": f"C-{n}"}, first)
    _decide(desk, contract, plan.fate, data)
    deal = spec.Deal(
        firm=enterprise.pk,
        direction=plan.direction,
        country=plan.country,
        category=plan.category,
        currency=plan.currency,
        amount=amount,
        signed_on=plan.signed_on,
        counts=plan.fate in COUNTING,
    )
    filed = Filed(plan, contract, deal, [])
    for m, child in enumerate(plan.executions):
        # Within the contract's value whatever the rates: at most 20% each, in yuan.
        currency = child.currency or plan.currency
        value = _cents(amount * child.per_mille / 1000 * low[plan.currency] / high[currency])
        executed = min(plan.signed_on + dt.timedelta(days=child.offset), LAST)
        execution = desk.execution(
            contract, f"E-{m}", executed, currency, _first(value, child.fate)
        )
        counted = _decide(desk, execution, child.fate, values_of(execution) | {"amount": value})
        done = spec.Exec(executed, currency, value, counted)
        deal.executions.append(done)
        filed.children.append((child, execution, done))
    used: set[dt.date] = set()
    for m, child in enumerate(plan.amendments):
        effective = min(plan.signed_on + dt.timedelta(days=child.offset), LAST)
        if effective in used:
            continue  # one amendment a day: the order of amendments is their dates
        used.add(effective)
        new_amount = _cents(amount * child.per_mille / 1000)
        amendment = desk.amendment(contract, f"A-{m}", effective, _first(new_amount, child.fate))
        data = values_of(amendment) | {"new_amount": new_amount}
        agreed = spec.Amend(effective, new_amount, _decide(desk, amendment, child.fate, data))
        deal.amendments.append(agreed)
        filed.children.append((child, amendment, agreed))
    return filed


def _corrections(desk: Desk, filed: Filed) -> None:
    """Corrections of the approved records, after everything was filed."""
    plan, deal = filed.plan, filed.deal
    if plan.correction and deal.counts:
        decision, per_mille, earlier, country, category = plan.correction
        amount = _cents(deal.amount * per_mille / 1000)
        signed_on = max(plan.signed_on - dt.timedelta(days=earlier), FIRST)
        record = Contract.objects.get(pk=filed.row.pk)
        data = values_of(record) | {
            "amount": str(amount),
            "signed_on": signed_on,
            "counterpart_country": country,
            "category": category,
        }
        desk.correct(record, data, decision)
        if decision == "approve":
            deal.amount, deal.signed_on = amount, signed_on
            deal.country, deal.category = country, category
    for child, row, final in filed.children:
        if not child.correction or not final.counts:
            continue
        decision, per_mille, later = child.correction
        current = type(row).objects.get(pk=row.pk)
        if isinstance(final, spec.Amend):
            new_amount = _cents(Decimal(plan.cents) / 100 * per_mille / 1000)
            desk.correct(current, values_of(current) | {"new_amount": str(new_amount)}, decision)
            if decision == "approve":
                final.new_amount = new_amount
        else:
            amount = _cents(final.amount * per_mille / 1000)
            executed = min(final.executed_on + dt.timedelta(days=later), LAST)
            data = values_of(current) | {"amount": str(amount), "executed_on": executed}
            desk.correct(current, data, decision)
            if decision == "approve":
                final.amount, final.executed_on = amount, executed


def _workforce(desk: Desk, plan: StaffPlan, enterprise: Enterprise) -> spec.Staff:
    employees, college, hires, hires_college = plan.counts
    data = {
        "employees": employees,
        "employees_college": college,
        "new_hires": hires,
        "new_hires_college": hires_college,
    }
    first = data | {"new_hires": hires + 1} if plan.fate == "reapproved" else data
    row = desk.workforce(enterprise, plan.month, **first)
    counted = _decide(desk, row, plan.fate, data)
    report = spec.Staff(enterprise.pk, plan.month, *plan.counts, counts=counted)
    if plan.correction and counted:
        decision, new = plan.correction
        changed = data | {"employees": new, "employees_college": min(college, new)}
        desk.correct(WorkforceReport.objects.get(pk=row.pk), changed, decision)
        if decision == "approve":
            report.employees, report.employees_college = new, min(college, new)
    return report


def play(desk: Desk, scenario: Scenario) -> spec.World:
    world = spec.World(rates=dict(scenario.rates))
    _reference(scenario, world)
    firms = _enterprises(desk, scenario, world)
    low = {c: min(v for (_m, k), v in scenario.rates.items() if k == c) for c in RATE_RANGES}
    high = {c: max(v for (_m, k), v in scenario.rates.items() if k == c) for c in RATE_RANGES}
    low["CNY"] = high["CNY"] = Decimal(1)
    filed = [
        _contract(desk, n, plan, firms[plan.firm], low, high)
        for n, plan in enumerate(scenario.contracts)
    ]
    world.deals.extend(f.deal for f in filed)
    for contract in filed:
        _corrections(desk, contract)
    world.staff.extend(_workforce(desk, plan, firms[plan.firm]) for plan in scenario.staff)
    return world
