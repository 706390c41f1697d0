"""Validation rules, declared once and applied alike to forms, the API and imports.

A rule looks at one record row (a record or a correction) and says what is wrong with it.
Errors block saving and submission; warnings let a record be submitted only with a comment, and
reviewers see both. Other apps add rules with :func:`rule` (the review app adds the locked-month
rule), so the data keeps flowing one way.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from soms.core.errors import bilingual, in_language
from soms.filing import calendar
from soms.filing.choices import RecordStatus, Severity
from soms.filing.models import (
    RECORD_MODELS,
    Amendment,
    AnnualReport,
    Contract,
    Execution,
    FiledRecord,
    TrainingRecord,
    WorkforceReport,
)
from soms.reference.models import CatalogueVersion
from soms.reference.money import MissingRate, to_cny


@dataclass
class Context:
    """What a rule may need beyond the record: the day of filing, and whether this is a
    history import (exempt from deadlines and the late-filing window)."""

    today: dt.date = dc_field(default_factory=timezone.localdate)
    history: bool = False
    # The moment of a submission or decision when it is not now (migrating or replaying the
    # past: history imports, the demo); on-time status is computed from it.
    now: dt.datetime | None = None
    # A bulk import's unit of work: lookups remembered while the database does not change
    # under them (``remember``), and the records accepted but not yet written, which the rules
    # count as the database would once they are. None: every check looks everything up.
    memo: dict[Any, Any] | None = None
    pending: dict[tuple[type[FiledRecord], int], list[FiledRecord]] = dc_field(default_factory=dict)

    def keep(self, row: FiledRecord) -> None:
        """Count ``row``, accepted but not yet written, as the database will."""
        owner = getattr(row, "contract_id", None) or row.enterprise_id
        self.pending.setdefault((type(row), owner), []).append(row)

    def kept(self, model: type[FiledRecord], owner: int) -> list[FiledRecord]:
        """The rows kept of a kind, by their contract (amendments, executions) or else by
        their enterprise."""
        return self.pending.get((model, owner), [])


def remember(context: Context | None, key: Any, compute: Callable[[], Any]) -> Any:
    """``compute()``, remembered under ``key`` in the context's memo when it keeps one."""
    if context is None or context.memo is None:
        return compute()
    if key not in context.memo:
        context.memo[key] = compute()
    return context.memo[key]


@dataclass(frozen=True)
class Violation:
    code: str
    severity: str
    field: str | None
    message: str | Promise
    params: dict[str, Any] = dc_field(default_factory=dict)

    @property
    def text(self) -> str:
        return bilingual(self.message, self.params)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "field": self.field,
            "message": self.text,
            "message_zh": in_language(self.message, "zh-hans", self.params),
            "message_en": in_language(self.message, "en", self.params),
        }


class Listing:
    """Violations joined in whichever language is active when a message is rendered, so each
    half of a bilingual message lists them in its own language."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations

    def __str__(self) -> str:
        return "; ".join(
            str(v.message) % v.params if v.params else str(v.message) for v in self.violations
        )


Check = Callable[[FiledRecord, Context], Iterable[Violation]]


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    kinds: tuple[type[FiledRecord], ...]
    check: Check


RULES: list[Rule] = []


def rule(code: str, severity: str, *kinds: type[FiledRecord]) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        RULES.append(Rule(code, severity, kinds, check))
        return check

    return register


def check(
    record: FiledRecord, context: Context | None = None, severity: str | None = None
) -> list[Violation]:
    context = context or Context()
    found: list[Violation] = []
    for r in RULES:
        if isinstance(record, r.kinds) and (severity is None or r.severity == severity):
            found.extend(r.check(record, context))
    return found


def _error(code: str, field: str | None, message: str | Promise, /, **params: Any) -> Violation:
    return Violation(code, Severity.ERROR, field, message, params)


def _warning(code: str, field: str | None, message: str | Promise, /, **params: Any) -> Violation:
    return Violation(code, Severity.WARNING, field, message, params)


# --- errors -------------------------------------------------------------------------------------


@rule("filing_window", Severity.ERROR, *RECORD_MODELS.values())
def filing_window(record: FiledRecord, context: Context) -> Iterator[Violation]:
    day = record.dated_on()
    if day is None or context.history:
        return
    field = record.date_input()
    if isinstance(record, AnnualReport):
        # The annual form is filed once its year has ended, not on its last day.
        if record.year >= context.today.year:
            yield _error(
                "year_not_ended",
                field,
                _(
                    "The annual information form for %(year)s is filed once the year has "
                    "ended, from 1 January %(next)s."
                ),
                year=record.year,
                next=record.year + 1,
            )
            return
    elif day > context.today:
        yield _error(
            "future_date",
            field,
            _("The date %(date)s is in the future."),
            date=day.isoformat(),
        )
        return
    enterprise = record.enterprise
    admitted = remember(
        context,
        (
            "admitted",
            calendar.month_of(day),
            day in calendar.filing_window(context.today),
            enterprise.pk,
        ),
        lambda: calendar.admitted(day, context.today, enterprise.pk, enterprise.division_id),
    )
    if not admitted:
        window = calendar.filing_window(context.today)
        yield _error(
            "outside_window",
            field,
            _(
                "Records dated %(date)s can no longer be filed: the filing window runs from "
                "%(start)s to %(end)s (records of the previous year are accepted until 31 March)."
            ),
            date=day.isoformat(),
            start=window.start.isoformat(),
            end=window.end.isoformat(),
        )


@rule("currency_rate", Severity.ERROR, Contract, Execution)
def currency_rate(record: FiledRecord, context: Context) -> Iterator[Violation]:
    currency = getattr(record, "currency_id", None)
    day = record.dated_on()
    if not currency or day is None:
        return
    try:
        remember(
            context,
            ("rate", currency, calendar.month_of(day)),
            lambda: to_cny(Decimal(1), currency, day),
        )
    except MissingRate:
        yield _error(
            "no_rate",
            "currency",
            _(
                "There is no exchange rate for %(currency)s in %(month)s: the ministry "
                "publishes it before records in this currency can be filed."
            ),
            currency=currency,
            month=f"{day:%Y-%m}",
        )


@rule("category_leaf", Severity.ERROR, Contract)
def category_leaf(record: FiledRecord, context: Context) -> Iterator[Violation]:
    assert isinstance(record, Contract)
    category = record.category
    version = remember(
        context,
        ("catalogue", record.signed_on),
        lambda: CatalogueVersion.in_force_on(record.signed_on),
    )
    is_leaf = remember(context, ("is_leaf", category.pk), lambda: not category.children.exists())
    if version is None or category.version_id != version.pk or not is_leaf:
        yield _error(
            "category_not_leaf",
            "category",
            _(
                "%(code)s is not a category of the catalogue in force on %(date)s (version "
                "%(version)s): choose one of its most detailed categories."
            ),
            code=category.code,
            date=record.signed_on.isoformat(),
            version=version.code if version else "—",
        )


@rule("contract_dates", Severity.ERROR, Contract)
def contract_dates(record: FiledRecord, context: Context) -> Iterator[Violation]:
    assert isinstance(record, Contract)
    if record.start_on and record.end_on and record.end_on < record.start_on:
        yield _error("end_before_start", "end_on", _("A contract cannot end before it starts."))


def contract_value(contract: Contract, on: dt.date | None = None) -> Decimal:
    """The contract's amount after its approved amendments (in force ``on`` a date)."""
    amendments = Amendment.objects.counting().filter(contract=contract)
    if on is not None:
        amendments = amendments.filter(effective_on__lte=on)
    latest = (
        amendments.order_by("-effective_on", "-pk").values_list("new_amount", flat=True).first()
    )
    return latest if latest is not None else contract.amount


@rule("execution_contract", Severity.ERROR, Execution)
def execution_within_contract(record: FiledRecord, context: Context) -> Iterator[Violation]:
    assert isinstance(record, Execution)
    contract = record.contract
    if contract.enterprise_id != record.enterprise_id:
        yield _error(
            "contract_of_other", "contract", _("The contract belongs to another enterprise.")
        )
        return
    if record.executed_on < contract.signed_on:
        yield _error(
            "before_signing",
            "executed_on",
            _("The execution is dated %(date)s, before the contract was signed (%(signed)s)."),
            date=record.executed_on.isoformat(),
            signed=contract.signed_on.isoformat(),
        )
    grace = dt.timedelta(days=getattr(settings, "SOMS_EXECUTION_GRACE_DAYS", 90))
    if contract.end_on and record.executed_on > contract.end_on + grace:
        yield _error(
            "after_end",
            "executed_on",
            _(
                "The execution is dated %(date)s, more than %(days)d days after the "
                "contract ended (%(end)s)."
            ),
            date=record.executed_on.isoformat(),
            days=grace.days,
            end=contract.end_on.isoformat(),
        )
    # Cumulative executions (approved or awaiting review, this one included) may not exceed
    # the contract's value with its amendments; compared in yuan when currencies differ.
    counted = (RecordStatus.SUBMITTED, RecordStatus.APPROVED)
    stored = remember(
        context,
        ("executions", contract.pk),
        lambda: list(Execution.objects.records().filter(contract=contract, status__in=counted)),
    )
    others = [e for e in stored if e.pk != record.record.pk] + [
        e for e in context.kept(Execution, contract.pk) if e.status in counted
    ]
    try:
        if all(e.currency_id == contract.currency_id for e in [*others, record]):
            total = sum((e.amount for e in others), Decimal(0)) + record.amount
            limit = remember(context, ("value", contract.pk), lambda: contract_value(contract))
        else:
            total = sum(
                (to_cny(e.amount, e.currency_id, e.executed_on) for e in [*others, record]),
                Decimal(0),
            )
            limit = to_cny(contract_value(contract), contract.currency_id, contract.signed_on)
    except MissingRate:
        return  # the currency rule names the missing rate
    if total > limit:
        yield _error(
            "above_contract",
            "amount",
            _(
                "Executions would total %(total)s, more than the contract's value of "
                "%(limit)s with its amendments."
            ),
            total=f"{total:,.2f}",
            limit=f"{limit:,.2f}",
        )


@rule("amendment_contract", Severity.ERROR, Amendment)
def amendment_contract(record: FiledRecord, context: Context) -> Iterator[Violation]:
    assert isinstance(record, Amendment)
    if record.contract.enterprise_id != record.enterprise_id:
        yield _error(
            "contract_of_other", "contract", _("The contract belongs to another enterprise.")
        )
    elif record.effective_on < record.contract.signed_on:
        yield _error(
            "before_signing",
            "effective_on",
            _(
                "The amendment takes effect on %(date)s, before the contract was signed "
                "(%(signed)s)."
            ),
            date=record.effective_on.isoformat(),
            signed=record.contract.signed_on.isoformat(),
        )


@rule("college_within_total", Severity.ERROR, WorkforceReport, AnnualReport)
def college_within_total(record: FiledRecord, context: Context) -> Iterator[Violation]:
    if isinstance(record, AnnualReport):
        if record.employees_college_year_end > record.employees_year_end:
            yield _error(
                "college_above_total",
                "employees_college_year_end",
                _(
                    "Employees with college education at the year end (%(part)d) cannot exceed "
                    "employees at the year end (%(total)d)."
                ),
                part=record.employees_college_year_end,
                total=record.employees_year_end,
            )
        return
    assert isinstance(record, WorkforceReport)
    if record.employees_college > record.employees:
        yield _error(
            "college_above_total",
            "employees_college",
            _("Employees with college education (%(part)d) cannot exceed employees (%(total)d)."),
            part=record.employees_college,
            total=record.employees,
        )
    if record.new_hires_college > record.new_hires:
        yield _error(
            "college_above_total",
            "new_hires_college",
            _("New hires with college education (%(part)d) cannot exceed new hires (%(total)d)."),
            part=record.new_hires_college,
            total=record.new_hires,
        )


@rule("revenue_within_total", Severity.ERROR, AnnualReport)
def revenue_within_total(record: FiledRecord, context: Context) -> Iterator[Violation]:
    """The parts of the annual revenue within their wholes: outsourcing revenue within total
    revenue, offshore within outsourcing, advanced-technology services within total."""
    assert isinstance(record, AnnualReport)
    if record.revenue_outsourcing > record.revenue_total:
        yield _error(
            "revenue_above_total",
            "revenue_outsourcing",
            _(
                "Service-outsourcing revenue (%(part)s) cannot exceed total operating revenue "
                "(%(total)s)."
            ),
            part=f"{record.revenue_outsourcing:,.2f}",
            total=f"{record.revenue_total:,.2f}",
        )
    if record.revenue_offshore > record.revenue_outsourcing:
        yield _error(
            "revenue_above_total",
            "revenue_offshore",
            _(
                "Offshore service-outsourcing revenue (%(part)s) cannot exceed service-outsourcing "
                "revenue (%(total)s)."
            ),
            part=f"{record.revenue_offshore:,.2f}",
            total=f"{record.revenue_outsourcing:,.2f}",
        )
    if record.revenue_tase_scope > record.revenue_total:
        yield _error(
            "revenue_above_total",
            "revenue_tase_scope",
            _(
                "Revenue from advanced-technology services (%(part)s) cannot exceed total "
                "operating revenue (%(total)s)."
            ),
            part=f"{record.revenue_tase_scope:,.2f}",
            total=f"{record.revenue_total:,.2f}",
        )


@rule("training_hours", Severity.ERROR, TrainingRecord)
def training_hours(record: FiledRecord, context: Context) -> Iterator[Violation]:
    assert isinstance(record, TrainingRecord)
    if record.hours <= 0:
        yield _error(
            "invalid_hours",
            "hours",
            _("The hours must be greater than zero, with at most one decimal."),
        )


# --- warnings -----------------------------------------------------------------------------------


def _history(record: FiledRecord, context: Context) -> list[Decimal]:
    """The enterprise's latest counted amounts of the record's kind, the record left out."""
    model = type(record)
    latest = remember(
        context,
        ("history", model, record.enterprise_id),
        lambda: list(
            model.objects.counting()
            .filter(enterprise_id=record.enterprise_id)
            .order_by("-pk")
            .values_list("pk", "amount")[:201]
        ),
    )
    return [Decimal(a) for pk, a in latest if pk != record.record.pk][:200]


@rule("amount_outlier", Severity.WARNING, Contract, Execution)
def amount_outlier(record: FiledRecord, context: Context) -> Iterator[Violation]:
    """Modified z-score (Iglewicz and Hoaglin): 0.6745 (x − median) / MAD above 3.5."""
    amounts = _history(record, context)
    if len(amounts) < 8:
        return
    median = statistics.median(amounts)
    mad = statistics.median(abs(a - median) for a in amounts)
    if mad == 0:
        return
    score = Decimal("0.6745") * (record.amount - median) / mad  # type: ignore[attr-defined]
    if abs(score) > Decimal("3.5"):
        yield _warning(
            "amount_outlier",
            "amount",
            _(
                "The amount is far outside this enterprise's own history (modified "
                "z-score %(score)s; median %(median)s)."
            ),
            score=f"{score:.1f}",
            median=f"{median:,.2f}",
        )


@rule("similar_contract", Severity.WARNING, Contract)
def similar_contract(record: FiledRecord, context: Context) -> Iterator[Violation]:
    assert isinstance(record, Contract)
    twin = (
        Contract.objects.records()
        .exclude(enterprise_id=record.enterprise_id)
        .exclude(status=RecordStatus.DRAFT)
        .filter(
            counterpart_name=record.counterpart_name,
            amount=record.amount,
            signed_on=record.signed_on,
        )
        .select_related("enterprise")
        .first()
    )
    if twin is not None:
        yield _warning(
            "similar_contract",
            "counterpart_name",
            _(
                "Another enterprise (%(uscc)s) filed a contract with the same "
                "counterpart, amount and date."
            ),
            uscc=twin.enterprise.uscc,
        )


ROUND_UNIT = Decimal(10000)


@rule("round_series", Severity.WARNING, Contract, Execution)
def round_series(record: FiledRecord, context: Context) -> Iterator[Violation]:
    """Nearly every amount a multiple of 10,000: a series estimated rather than recorded."""
    amount: Decimal = record.amount  # type: ignore[attr-defined]
    if amount % ROUND_UNIT:
        return
    recent = _history(record, context)[:10]
    if len(recent) >= 5 and sum(1 for a in recent if a % ROUND_UNIT == 0) >= len(recent) - 1:
        yield _warning(
            "round_series",
            "amount",
            _(
                "This amount and nearly all of this enterprise's recent amounts are "
                "round multiples of 10,000: check they are the amounts actually "
                "contracted or received."
            ),
        )
