"""Corrections raced on real PostgreSQL connections (issue P7): filers starting a correction of
the same record at once, reviewers approving the same correction at once, corrections and new
records of one contract approved at once, an approval racing a withdrawal, and a burst of
approvals on eight threads. Whatever the interleaving, a record counts once, with the values of
its latest approved correction, and the figures equal both a recomputation done here from the
filed rows (plain SQL, not the engine) and the engine's own rebuild.

"Counted" is the product's definition (statistics-rules.md, ``soms.filing.models``): a record
row (``corrects IS NULL``) that is approved; a correction row never counts, and approving it
copies its values into the record. An execution counts when its contract counts too.

Like ``test_concurrency``, these tests commit (transaction=True) and need PostgreSQL row locks.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.audit.models import AuditEvent
from soms.audit.services import snapshot, verify_chain
from soms.core.errors import ConflictError, ServiceError
from soms.filing import services
from soms.filing.choices import RecordStatus
from soms.filing.models import Amendment, Contract, Execution, FiledRecord
from soms.filing.signals import record_counted
from soms.registry.models import Enterprise
from soms.review import services as review
from soms.review.tests.test_concurrency import one_won, run_together
from soms.statistics import maintenance
from soms.statistics.engine import Query, compute
from soms.statistics.models import Fact, Rollup
from soms.statistics.rollups import KEY_COLUMNS, SUM_COLUMNS
from soms.testing import make_enterprise, make_user

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]

NOW = dt.datetime(2025, 6, 16, 2, 0, tzinfo=dt.UTC)  # 16 June 2025, 10:00 in Shanghai
MAY, JUNE = dt.date(2025, 5, 1), dt.date(2025, 6, 1)
DISTRICT = "320508"
APPROVED = RecordStatus.APPROVED
# What a losing decision may be told: the record changed under it, or it is no longer awaiting.
LOSING_CODES = {"conflict", "illegal_transition"}


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """One fixed day (every thread sees it): May and June 2025 are inside the filing window."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)


# --- the scenario: what is filed, and what must count once every decision is taken -----------


@dataclass(frozen=True)
class Planned:
    """What a record must count once the decisions of a test are taken: its family, direction,
    the day that dates it and its amount (all in yuan)."""

    family: str
    direction: str
    day: dt.date
    amount: Decimal


Key = tuple[str, int]  # (kind, record pk)


def key(row: FiledRecord) -> Key:
    return (row.kind, row.pk)


Month = tuple[str, str, dt.date]  # (family, direction, month)


@dataclass
class Desk:
    """An enterprise's filer and its district's reviewer, filing and approving outside the
    races; ``plan`` is what must count, kept by hand from the scenario (never read back from
    the engine)."""

    enterprise: Enterprise
    filer: User
    reviewer: User
    plan: dict[Key, Planned]

    def contract(
        self,
        no: str,
        amount: str,
        signed_on: dt.date,
        *,
        direction: str = "inbound",
        country: str = "US",
        category: str = "ITO01",
        approve: bool = True,
    ) -> Contract:
        row = services.create_record(
            actor=self.filer,
            model=Contract,
            enterprise=self.enterprise,
            key={"contract_no": no},
            data={
                "direction": direction,
                "counterpart_name": f"Client of {no}",
                "counterpart_country": country,
                "category": category,
                "currency": "CNY",
                "amount": amount,
                "signed_on": signed_on,
            },
        )
        row = services.submit(actor=self.filer, row=row, comment="checked")
        if approve:
            row = review.approve_record(actor=self.reviewer, row=row)  # type: ignore[assignment]
            self.plan[("contract", row.pk)] = Planned(
                "contract", direction, signed_on, Decimal(amount)
            )
        return row

    def execution(
        self, contract: Contract, no: str, amount: str, executed_on: dt.date, approve: bool = True
    ) -> Execution:
        row = services.create_record(
            actor=self.filer,
            model=Execution,
            enterprise=self.enterprise,
            key={"contract": contract, "execution_no": no},
            data={"executed_on": executed_on, "currency": "CNY", "amount": amount},
        )
        row = services.submit(actor=self.filer, row=row, comment="checked")
        if approve:
            row = review.approve_record(actor=self.reviewer, row=row)  # type: ignore[assignment]
            self.plan[("execution", row.pk)] = Planned(
                "execution", contract.direction, executed_on, Decimal(amount)
            )
        return row

    def correction(self, record: FiledRecord, **changes: Any) -> FiledRecord:
        """A submitted correction of ``record`` with ``changes`` to the filer's input."""
        correction = services.start_correction(actor=self.filer, record=record)
        assert correction.corrects_id == record.pk and correction.pk != record.pk
        correction = services.update_record(
            actor=self.filer, row=correction, data={**filed_input(record), **changes}
        )
        return services.submit(actor=self.filer, row=correction, comment="checked")

    def expect(self, record: FiledRecord, **changes: Any) -> None:
        """The record must count with ``changes`` (``day``, ``amount``) once decided."""
        planned = self.plan[key(record)]
        day = changes.get("day", planned.day)
        amount = Decimal(changes.get("amount", planned.amount))
        self.plan[key(record)] = Planned(planned.family, planned.direction, day, amount)

    def expect_new(self, row: FiledRecord) -> None:
        """A new record awaiting review must count once decided."""
        if isinstance(row, Contract):
            self.plan[("contract", row.pk)] = Planned(
                "contract", row.direction, row.signed_on, row.amount
            )
        else:
            assert isinstance(row, Execution)
            self.plan[("execution", row.pk)] = Planned(
                "execution", row.contract.direction, row.executed_on, row.amount
            )


def filed_input(row: FiledRecord) -> dict[str, Any]:
    """The filer's input that gives a record's current values."""
    if isinstance(row, Contract):
        return {
            "direction": row.direction,
            "counterpart_name": row.counterpart_name,
            "counterpart_country": row.counterpart_country_id,
            "category": row.category.code,
            "currency": row.currency_id,
            "amount": str(row.amount),
            "signed_on": row.signed_on,
            "start_on": row.start_on,
            "end_on": row.end_on,
        }
    assert isinstance(row, Execution)
    return {
        "executed_on": row.executed_on,
        "currency": row.currency_id,
        "amount": str(row.amount),
        "receipt_no": row.receipt_no,
    }


@pytest.fixture
def plan() -> dict[Key, Planned]:
    return {}


@pytest.fixture
def desk(plan: dict[Key, Planned]) -> Desk:
    return new_desk(plan)


def new_desk(plan: dict[Key, Planned]) -> Desk:
    enterprise = make_enterprise(DISTRICT)
    return Desk(
        enterprise,
        make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise),
        make_user(Role.DISTRICT_REVIEWER, division=DISTRICT),
        plan,
    )


def reviewers(n: int) -> list[User]:
    return [make_user(Role.DISTRICT_REVIEWER, division=DISTRICT) for _ in range(n)]


@dataclass
class Heard:
    """Every ``record_counted`` signal sent, by record, from the moment of ``clear``."""

    records: list[Key] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self.lock:
            self.records.clear()

    def counts(self) -> Counter[Key]:
        with self.lock:
            return Counter(self.records)


@pytest.fixture
def heard() -> Iterator[Heard]:
    found = Heard()

    def listener(sender: Any, record: FiledRecord, **kwargs: Any) -> None:
        with found.lock:
            found.records.append((record.kind, record.pk))

    record_counted.connect(listener)
    yield found
    record_counted.disconnect(listener)


# --- the independent recomputation and the checks ----------------------------------------------


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def planned_totals(plan: dict[Key, Planned]) -> dict[Month, tuple[Decimal, int]]:
    """What the scenario says must count, summed by (family, direction, month)."""
    totals: dict[Month, tuple[Decimal, int]] = {}
    for planned in plan.values():
        cell = (planned.family, planned.direction, month_of(planned.day))
        amount, n = totals.get(cell, (Decimal(0), 0))
        totals[cell] = (amount + planned.amount, n + 1)
    return totals


def counted_rows() -> dict[Key, tuple[str, dt.date, Decimal, str, str]]:
    """The counted contracts and executions read from the filed rows by plain SQL (not through
    the engine nor the ORM's ``counting()``): approved record rows, an execution only under a
    counted contract. (kind, pk) → (direction, day, amount, category, counterpart country)."""
    contract, execution = Contract._meta.db_table, Execution._meta.db_table
    category = Contract._meta.get_field("category").related_model._meta.db_table  # type: ignore[union-attr]
    rows: dict[Key, tuple[str, dt.date, Decimal, str, str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.id, c.direction, c.signed_on, c.amount, c.currency_id, k.code,"  # noqa: S608
            f" c.counterpart_country_id FROM {contract} c JOIN {category} k ON k.id = c.category_id"
            " WHERE c.status = %s AND c.corrects_id IS NULL",
            [APPROVED],
        )
        for pk, direction, day, amount, currency, code, country in cursor.fetchall():
            assert currency == "CNY"  # every scenario files yuan: no rate is involved
            rows[("contract", pk)] = (direction, day, Decimal(amount), code, country)
        cursor.execute(
            f"SELECT x.id, c.direction, x.executed_on, x.amount, x.currency_id, k.code,"  # noqa: S608
            f" c.counterpart_country_id FROM {execution} x"
            f" JOIN {contract} c ON c.id = x.contract_id JOIN {category} k ON k.id = c.category_id"
            " WHERE x.status = %s AND x.corrects_id IS NULL"
            " AND c.status = %s AND c.corrects_id IS NULL",
            [APPROVED, APPROVED],
        )
        for pk, direction, day, amount, currency, code, country in cursor.fetchall():
            assert currency == "CNY"
            rows[("execution", pk)] = (direction, day, Decimal(amount), code, country)
    return rows


def recomputed() -> dict[Month, tuple[Decimal, int]]:
    """The sums of the counted amounts by (family, direction, month), from the filed rows."""
    totals: dict[Month, tuple[Decimal, int]] = {}
    for (kind, _pk), (direction, day, amount, _code, _country) in counted_rows().items():
        cell = (kind, direction, month_of(day))
        total, n = totals.get(cell, (Decimal(0), 0))
        totals[cell] = (total + amount, n + 1)
    return totals


def rollup_totals() -> dict[Month, tuple[Decimal, int]]:
    """What the engine's national rollup (grain T) holds, by (family, direction, month)."""
    cells = (
        Rollup.objects.filter(grain="T")
        .values("family", "direction", "month")
        .annotate(value=Sum("value_cny"), facts=Sum("facts"))
    )
    return {
        (c["family"], c["direction"], c["month"]): (Decimal(c["value"]), int(c["facts"]))
        for c in cells
        if c["facts"]
    }


def state() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The facts (without their ids) and every rollup cell, in a stable order."""
    fact_columns = [f.name for f in Fact._meta.concrete_fields if f.name != "id"]
    fact_columns = [("enterprise_id" if c == "enterprise" else c) for c in fact_columns]
    facts = list(Fact.objects.order_by("kind", "record_id").values_list(*fact_columns))
    cells = list(Rollup.objects.order_by(*KEY_COLUMNS).values_list(*KEY_COLUMNS, *SUM_COLUMNS))
    return facts, cells


def engine_figures(measure: str) -> dict[str, Decimal | None]:
    result = compute(Query(measure, MAY, JUNE, "CNY", ("month",)))
    return {row.keys["month"]: row.value for row in result.rows}


def expected_figures(totals: dict[Month, tuple[Decimal, int]]) -> dict[str, dict[str, Decimal]]:
    """The published figures by month, from a recomputation (rounded half-up once)."""
    cent = Decimal("0.01")
    figures: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for (family, direction, month), (amount, n) in totals.items():
        label = f"{month:%Y-%m}"
        prefix = "" if direction == "inbound" else "outbound_"
        figures[f"{prefix}{family}_value"][label] = amount.quantize(cent, ROUND_HALF_UP)
        if family == "contract" and direction == "inbound":
            figures["contract_count"][label] = Decimal(n)
    return figures


MEASURES = (
    "contract_value",
    "contract_count",
    "execution_value",
    "outbound_contract_value",
    "outbound_execution_value",
)


def check_counted_once() -> None:
    """For each natural key exactly one counted row, holding its latest approved correction's
    values; one fact per counted record and none for anything else."""
    for model in (Contract, Execution):
        counting = model.objects.counting()
        natural = Counter(
            (
                row.enterprise_id,
                *(getattr(row, model._meta.get_field(f).attname) for f in model.KEY_FIELDS),
            )
            for row in counting
        )
        assert all(n == 1 for n in natural.values()), natural
        for record in counting:
            latest = model.objects.filter(corrects=record, status=APPROVED).order_by("-pk").first()
            if latest is not None:
                assert record.values() == latest.values(), (record, latest)
    assert not Amendment.objects.exists()  # no scenario has amendments: contracts count whole
    rows = counted_rows()
    facts = list(Fact.objects.all())
    assert Counter((f.kind, f.record_id) for f in facts) == Counter(list(rows)), "facts ≠ counted"
    for fact in facts:
        direction, day, amount, code, country = rows[(fact.kind, fact.record_id)]
        assert (fact.direction, fact.day, fact.month) == (direction, day, month_of(day)), fact
        assert fact.value_cny == amount, (fact, amount)
        # An execution carries its contract's category and counterpart as they are now.
        assert (fact.category_code, fact.counterpart_country) == (code, country), fact
        assert fact.contracts == (1 if fact.kind == "contract" else 0), fact


def check_figures(plan: dict[Key, Planned]) -> None:
    """The figures after a race: what the scenario plans = a recomputation from the filed rows
    = the engine's rollups and published figures = the engine's rebuild."""
    check_counted_once()
    totals = recomputed()
    assert totals == planned_totals(plan), "the filed rows do not hold what the decisions made"
    assert rollup_totals() == totals, "the rollups drifted from the records"
    expected = expected_figures(totals)
    for measure in MEASURES:
        assert engine_figures(measure) == expected.get(measure, {}), measure
    incremental = state()
    maintenance.rebuild()
    assert state() == incremental, "the rebuild disagrees with the figures kept incrementally"


def losing(outcome: Any) -> ServiceError:
    """A decision that lost a race: a clean refusal, never a database error."""
    assert isinstance(outcome, ServiceError), repr(outcome)
    assert outcome.code in LOSING_CODES, outcome.as_dict()
    if isinstance(outcome, ConflictError):
        assert "someone else" in outcome.message_en
    return outcome


def approving(reviewer: User, row: FiledRecord, with_version: bool = True) -> Callable[[], Any]:
    """A reviewer who reads the row, then approves it (on the version read, if asked)."""
    model = type(row)

    def work() -> Any:
        current = model.objects.get(pk=row.pk)
        version = current.lock_version if with_version else None
        return review.approve_record(actor=reviewer, row=current, expected_version=version)

    return work


# --- 1. two filers start a correction of the same record ---------------------------------------


def test_filers_starting_a_correction_at_once_open_only_one(
    desk: Desk, plan: dict[Key, Planned], heard: Heard
) -> None:
    record = desk.contract("C-1", "100000.00", dt.date(2025, 5, 10))
    desk.contract("C-2", "40000.00", dt.date(2025, 6, 2))
    before = snapshot(Contract.objects.get(pk=record.pk))
    figures_before = state()
    heard.clear()
    filers = [
        desk.filer,
        *(make_user(Role.ENTERPRISE_FILER, enterprise=desk.enterprise) for _ in range(3)),
    ]

    def start(filer: User) -> Callable[[], Any]:
        return lambda: services.start_correction(
            actor=filer, record=Contract.objects.get(pk=record.pk)
        )

    results = run_together({f"filer-{n}": start(f) for n, f in enumerate(filers)})

    corrections = list(Contract.objects.filter(corrects=record))
    assert len(corrections) == 1, corrections  # exactly one correction, open
    correction = corrections[0]
    assert correction.status == RecordStatus.DRAFT
    assert correction.values() == Contract.objects.get(pk=record.pk).values()
    started = [r for r in results.values() if isinstance(r, FiledRecord)]
    assert started, results
    # Whoever was not first is given the open correction (to edit together) or refused
    # cleanly; nobody gets a second correction or a database error.
    assert {r.pk for r in started} == {correction.pk}
    for outcome in results.values():
        if not isinstance(outcome, FiledRecord):
            losing(outcome)
    events = AuditEvent.objects.filter(action="filing.contract.correction_started")
    assert list(events.values_list("object_id", "after")) == [
        (str(record.pk), {"correction": correction.pk})
    ]
    # The record is untouched and still counts, once, with its approved values.
    assert snapshot(Contract.objects.get(pk=record.pk)) == before
    assert state() == figures_before
    assert heard.counts() == Counter()  # a draft correction changes no figure
    check_figures(plan)
    assert verify_chain().ok


def test_a_correction_started_while_the_open_one_is_approved(
    desk: Desk, plan: dict[Key, Planned], heard: Heard
) -> None:
    """Starting a correction while a reviewer approves the open one: the filer gets that one
    (its approval then goes through) or a new draft after it; never two open corrections."""
    record = desk.contract("C-1", "100000.00", dt.date(2025, 5, 10))
    open_correction = desk.correction(record, amount="120000.00")
    desk.expect(record, amount="120000.00")
    (reviewer,) = reviewers(1)
    heard.clear()
    results = run_together(
        {
            "approve": approving(reviewer, open_correction),
            "start": lambda: services.start_correction(
                actor=desk.filer, record=Contract.objects.get(pk=record.pk)
            ),
        }
    )
    assert isinstance(results["approve"], FiledRecord), repr(results["approve"])
    started = results["start"]
    assert isinstance(started, Contract), repr(started)
    corrections = Contract.objects.filter(corrects=record)
    assert corrections.filter(status=APPROVED).get().pk == open_correction.pk
    still_open = list(corrections.exclude(status=APPROVED))
    if started.pk == open_correction.pk:
        assert still_open == []  # given the open one, which the reviewer then approved
    else:
        assert [c.pk for c in still_open] == [started.pk]  # a new draft of the new values
        assert still_open[0].amount == Decimal("120000.00")
    assert heard.counts() == Counter([key(record)])
    check_figures(plan)
    assert verify_chain().ok


# --- 2. two reviewers approve the same correction ----------------------------------------------


@pytest.mark.parametrize("with_version", [True, False], ids=["versioned", "unversioned"])
def test_two_approvals_of_one_correction_count_it_once(
    desk: Desk, plan: dict[Key, Planned], heard: Heard, with_version: bool
) -> None:
    record = desk.contract("C-1", "100000.00", dt.date(2025, 5, 10))
    desk.contract("C-0", "40000.00", dt.date(2025, 5, 5))
    desk.execution(record, "E-1", "20000.00", dt.date(2025, 6, 3))
    correction = desk.correction(
        record, amount="130000.00", signed_on=dt.date(2025, 6, 1), category="ITO05"
    )
    desk.expect(record, amount="130000.00", day=dt.date(2025, 6, 1))
    version = Contract.objects.get(pk=record.pk).lock_version
    first, second = reviewers(2)
    heard.clear()

    results = run_together(
        {
            "a": approving(first, correction, with_version),
            "b": approving(second, correction, with_version),
        }
    )

    winner, refusal = one_won(results)
    losing(refusal)
    if not with_version:
        assert refusal.code == "illegal_transition"
    assert results[winner].pk == record.pk
    record.refresh_from_db()
    assert record.amount == Decimal("130000.00") and record.signed_on == dt.date(2025, 6, 1)
    assert record.category.code == "ITO05" and record.period == JUNE
    assert record.lock_version == version + 1  # changed once
    assert Contract.objects.get(pk=correction.pk).status == APPROVED
    assert heard.counts() == Counter([key(record)])  # the statistics moved once
    events = AuditEvent.objects.filter(action="filing.contract.correction_approved")
    assert list(events.values_list("object_id", flat=True)) == [str(record.pk)]
    # The original values stopped counting once (May keeps only C-0), the corrected count once.
    assert Fact.objects.filter(kind="contract", record_id=record.pk).count() == 1
    assert recomputed()[("contract", "inbound", MAY)] == (Decimal("40000.00"), 1)
    assert recomputed()[("contract", "inbound", JUNE)] == (Decimal("130000.00"), 1)
    check_figures(plan)
    assert verify_chain().ok


# --- 3. corrections and a new record of one contract, one enterprise, one month ------------------


def test_corrections_and_a_new_execution_of_one_contract_at_once(
    desk: Desk, plan: dict[Key, Planned], heard: Heard
) -> None:
    contract = desk.contract("K-1", "1000000.00", dt.date(2025, 5, 10))
    other = desk.contract("K-2", "500000.00", dt.date(2025, 6, 1))
    e1 = desk.execution(contract, "E-1", "100000.00", dt.date(2025, 6, 2))
    e2 = desk.execution(contract, "E-2", "200000.00", dt.date(2025, 6, 3))
    desk.execution(contract, "E-0", "7000.00", dt.date(2025, 6, 4))  # left alone
    fix_e1 = desk.correction(e1, amount="150000.00")
    desk.expect(e1, amount="150000.00")
    fix_e2 = desk.correction(e2, amount="250000.00", executed_on=dt.date(2025, 5, 20))
    desk.expect(e2, amount="250000.00", day=dt.date(2025, 5, 20))
    fix_other = desk.correction(other, amount="450000.00", signed_on=dt.date(2025, 6, 5))
    desk.expect(other, amount="450000.00", day=dt.date(2025, 6, 5))
    e3 = desk.execution(contract, "E-3", "50000.00", dt.date(2025, 6, 5), approve=False)
    desk.expect_new(e3)
    a, b, c, d = reviewers(4)
    heard.clear()

    results = run_together(
        {
            "fix-e1": approving(a, fix_e1),
            "fix-e2": approving(b, fix_e2),
            "fix-k2": approving(c, fix_other),
            "new-e3": approving(d, e3),
        }
    )

    for name, outcome in results.items():
        assert isinstance(outcome, FiledRecord), f"{name}: {outcome!r}"
    assert heard.counts() == Counter(map(key, [e1, e2, other, e3]))
    # The figures the scenario gives, by hand: executions in June 150,000 + 7,000 + 50,000,
    # in May 250,000; contracts 1,000,000 in May, 450,000 in June.
    assert recomputed() == {
        ("contract", "inbound", MAY): (Decimal("1000000.00"), 1),
        ("contract", "inbound", JUNE): (Decimal("450000.00"), 1),
        ("execution", "inbound", MAY): (Decimal("250000.00"), 1),
        ("execution", "inbound", JUNE): (Decimal("207000.00"), 3),
    }
    check_figures(plan)
    assert verify_chain().ok


def test_a_contract_correction_racing_its_executions(
    desk: Desk, plan: dict[Key, Planned], heard: Heard
) -> None:
    """A correction of the contract rewrites the figures of all its executions (they carry its
    category and counterpart) while another reviewer approves a correction of one execution
    and a third a new execution of the same contract."""
    contract = desk.contract("K-1", "1000000.00", dt.date(2025, 5, 10))
    e1 = desk.execution(contract, "E-1", "100000.00", dt.date(2025, 6, 2))
    desk.execution(contract, "E-2", "30000.00", dt.date(2025, 5, 21))  # left alone
    fix_contract = desk.correction(
        contract, amount="1200000.00", category="ITO05", counterpart_country="JP"
    )
    desk.expect(contract, amount="1200000.00")
    fix_e1 = desk.correction(e1, amount="110000.00", executed_on=dt.date(2025, 5, 30))
    desk.expect(e1, amount="110000.00", day=dt.date(2025, 5, 30))
    e3 = desk.execution(contract, "E-3", "60000.00", dt.date(2025, 6, 6), approve=False)
    desk.expect_new(e3)
    a, b, c = reviewers(3)
    heard.clear()

    results = run_together(
        {
            "fix-contract": approving(a, fix_contract),
            "fix-e1": approving(b, fix_e1),
            "new-e3": approving(c, e3),
        }
    )

    for name, outcome in results.items():
        assert isinstance(outcome, FiledRecord), f"{name}: {outcome!r}"
    assert heard.counts() == Counter(map(key, [contract, e1, e3]))
    assert recomputed() == {
        ("contract", "inbound", MAY): (Decimal("1200000.00"), 1),
        ("execution", "inbound", MAY): (Decimal("140000.00"), 2),
        ("execution", "inbound", JUNE): (Decimal("60000.00"), 1),
    }
    # Every execution's fact carries the corrected category and counterpart (checked per
    # fact against the rows in check_figures).
    assert set(Fact.objects.values_list("category_code", "counterpart_country")) == {
        ("ITO05", "JP")
    }
    check_figures(plan)
    assert verify_chain().ok


# --- 4. an approval racing a withdrawal of the same correction ----------------------------------


def test_approvals_racing_withdrawals_of_corrections(
    plan: dict[Key, Planned], heard: Heard
) -> None:
    """Four corrections, each approved by a reviewer while its filer withdraws it, all at once:
    for each, exactly one of the two happens, and the record counts once, with the values of
    whichever won."""
    desks = [new_desk(plan) for _ in range(2)]
    cases = []
    for n in range(4):
        desk = desks[n % 2]
        record = desk.contract(f"W-{n}", f"{100000 + n}.00", dt.date(2025, 5, 10 + n))
        desk.execution(record, f"W-{n}-E", "1000.00", dt.date(2025, 6, 10))
        corrected = {"amount": f"{200000 + n}.00", "signed_on": dt.date(2025, 6, 1 + n)}
        correction = desk.correction(record, **corrected)
        cases.append((desk, record, correction, corrected))
    before = {
        record.pk: snapshot(Contract.objects.get(pk=record.pk)) for _d, record, _c, _x in cases
    }
    facts_before = {
        f.record_id: (f.month, f.value_cny) for f in Fact.objects.filter(kind="contract")
    }
    approvers = reviewers(4)
    heard.clear()

    def withdrawing(desk: Desk, correction: FiledRecord) -> Callable[[], Any]:
        def work() -> Any:
            current = Contract.objects.get(pk=correction.pk)
            return services.withdraw(
                actor=desk.filer, row=current, expected_version=current.lock_version
            )

        return work

    works: dict[str, Callable[[], Any]] = {}
    for n, (desk, _record, correction, _corrected) in enumerate(cases):
        works[f"approve-{n}"] = approving(approvers[n], correction)
        works[f"withdraw-{n}"] = withdrawing(desk, correction)
    results = run_together(works)

    approved_records: list[Key] = []
    for n, (desk, record, correction, corrected) in enumerate(cases):
        pair = {k: results[k] for k in (f"approve-{n}", f"withdraw-{n}")}
        winner, refusal = one_won(pair)
        losing(refusal)
        correction.refresh_from_db()
        current = Contract.objects.get(pk=record.pk)
        if winner.startswith("approve"):
            approved_records.append(key(record))
            desk.expect(record, amount=corrected["amount"], day=corrected["signed_on"])
            assert correction.status == APPROVED
            assert current.amount == Decimal(corrected["amount"])
            assert current.signed_on == corrected["signed_on"]
            assert current.lock_version == before[record.pk]["lock_version"] + 1
        else:
            assert correction.status == RecordStatus.DRAFT  # back with its filer, still open
            assert snapshot(current) == before[record.pk]  # the record untouched
            fact = Fact.objects.get(kind="contract", record_id=record.pk)
            assert (fact.month, fact.value_cny) == facts_before[record.pk]
    assert heard.counts() == Counter(approved_records)
    check_figures(plan)
    assert verify_chain().ok


# --- 5. a burst on eight threads -----------------------------------------------------------------


@dataclass
class Item:
    """One decision awaiting a reviewer: a correction, or a new record."""

    name: str
    row: FiledRecord
    record: Key  # the record that counts once it is approved


def burst_scenario(desk: Desk, tag: str) -> list[Item]:
    """An enterprise's approved contracts and executions, then corrections of most of them
    (amounts, a category, dates moved across months both ways) and new records, all awaiting
    review."""
    k1 = desk.contract(f"{tag}-K1", "2000000.00", dt.date(2025, 5, 5))
    k2 = desk.contract(f"{tag}-K2", "1500000.00", dt.date(2025, 6, 1), country="CN")
    k3 = desk.contract(f"{tag}-K3", "900000.00", dt.date(2025, 5, 8), direction="outbound")
    x1 = desk.execution(k1, f"{tag}-X1", "50000.11", dt.date(2025, 5, 20))
    x2 = desk.execution(k1, f"{tag}-X2", "60000.00", dt.date(2025, 6, 3))
    x3 = desk.execution(k2, f"{tag}-X3", "70000.00", dt.date(2025, 6, 2))
    x4 = desk.execution(k3, f"{tag}-X4", "30000.00", dt.date(2025, 5, 25))
    desk.execution(k2, f"{tag}-X0", "1234.56", dt.date(2025, 6, 4))  # never touched
    corrections: list[tuple[FiledRecord, dict[str, Any]]] = [
        (k1, {"amount": "2100000.00", "category": "ITO05"}),
        (k2, {"amount": "1400000.00", "signed_on": dt.date(2025, 5, 12)}),  # June → May
        (x1, {"amount": "55000.00", "executed_on": dt.date(2025, 6, 9)}),  # May → June
        (x2, {"amount": "61000.00", "executed_on": dt.date(2025, 5, 28)}),  # June → May
        (x3, {"amount": "72000.50"}),
        (x4, {"amount": "31000.00", "executed_on": dt.date(2025, 6, 8)}),  # May → June
    ]
    items = []
    for record, changes in corrections:
        correction = desk.correction(record, **changes)
        day = changes.get("signed_on", changes.get("executed_on"))
        desk.expect(record, amount=changes["amount"], **({"day": day} if day else {}))
        items.append(Item(f"{tag}-fix-{record}", correction, key(record)))
    new = [
        desk.execution(k1, f"{tag}-X5", "10000.01", dt.date(2025, 6, 10), approve=False),
        desk.execution(k2, f"{tag}-X6", "20000.00", dt.date(2025, 6, 11), approve=False),
        desk.execution(k3, f"{tag}-X7", "5000.00", dt.date(2025, 5, 30), approve=False),
        desk.contract(f"{tag}-K4", "800000.00", dt.date(2025, 6, 2), approve=False),
    ]
    for row in new:
        desk.expect_new(row)
        items.append(Item(f"{tag}-new-{row}", row, key(row)))
    return items


THREADS = 8


def test_a_burst_of_approvals_counts_every_record_once(
    plan: dict[Key, Planned], heard: Heard
) -> None:
    """Eight reviewers at once, each approving several items in its own order; every item is
    given to two of them, so each is also raced for. Every item is approved once, the records
    count once, and the figures equal the recomputation and the rebuild."""
    items = [
        *burst_scenario(new_desk(plan), "A"),
        *burst_scenario(new_desk(plan), "B"),
    ]
    assert len({i.record for i in items}) == len(items)  # one open decision per record
    staff = reviewers(THREADS)
    shares: dict[int, list[Item]] = {t: [] for t in range(THREADS)}
    for n, item in enumerate(items):
        shares[n % THREADS].append(item)
        shares[(n + 3) % THREADS].append(item)
    heard.clear()

    def reviewing(thread: int) -> Callable[[], Any]:
        share = list(shares[thread])
        random.Random(thread).shuffle(share)

        def work() -> list[tuple[str, Any]]:
            outcomes: list[tuple[str, Any]] = []
            for item in share:
                try:
                    outcome = approving(staff[thread], item.row, thread % 2 == 0)()
                except Exception as error:  # a refusal or a failure, judged below
                    outcome = error
                outcomes.append((item.name, outcome))
            return outcomes

        return work

    results = run_together({f"reviewer-{t}": reviewing(t) for t in range(THREADS)})

    by_item: dict[str, list[Any]] = defaultdict(list)
    for thread, outcomes in results.items():
        assert isinstance(outcomes, list), f"{thread}: {outcomes!r}"
        for name, outcome in outcomes:
            by_item[name].append(outcome)
    for item in items:
        outcomes = by_item[item.name]
        assert len(outcomes) == 2, (item.name, outcomes)
        won = [o for o in outcomes if isinstance(o, FiledRecord)]
        assert len(won) == 1, (item.name, outcomes)  # approved exactly once
        assert (won[0].kind, won[0].pk) == item.record
        losing(next(o for o in outcomes if not isinstance(o, FiledRecord)))
        assert type(item.row).objects.get(pk=item.row.pk).status == APPROVED
    assert heard.counts() == Counter(i.record for i in items)
    check_figures(plan)
    report = verify_chain()
    assert report.ok, report
