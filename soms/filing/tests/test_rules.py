"""Each validation rule failing and passing, and bad input everywhere: a bilingual message that
names the field and the rule, and nothing half-written."""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from django.utils.translation import override

from soms.accounts.choices import Role
from soms.audit.models import AuditEvent
from soms.audit.services import snapshot
from soms.core.errors import ServiceError
from soms.filing import rules, services
from soms.filing.choices import RecordStatus, Severity
from soms.filing.models import Amendment, Contract, Execution, FiledRecord, WorkforceReport
from soms.filing.rules import Context
from soms.reference.choices import CatalogueStatus
from soms.reference.models import CatalogueItem, CatalogueVersion, Country, ExchangeRate
from soms.reference.services import save_rates
from soms.review import services as review
from soms.testing import make_enterprise, make_user

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 16)
CTX = Context(today=TODAY)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    moment = dt.datetime(2025, 6, 16, 2, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.fixture
def p() -> dict[str, Any]:
    save_rates(
        actor="test",
        rates=[
            (dt.date(2025, 5, 1), "USD", Decimal("7.1")),
            (dt.date(2025, 6, 1), "USD", Decimal("7.0")),
        ],
    )
    enterprise = make_enterprise("320508")
    other = make_enterprise("320505")
    return {
        "enterprise": enterprise,
        "filer": make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise),
        "reviewer": make_user(Role.DISTRICT_REVIEWER, division="320508"),
        "other": other,
        "other_filer": make_user(Role.ENTERPRISE_ADMIN, enterprise=other),
    }


def contract_data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "direction": "inbound",
        "counterpart_name": "Acme Inc.",
        "counterpart_country": "US",
        "category": "ITO01",
        "currency": "CNY",
        "amount": "100000.00",
        "signed_on": dt.date(2025, 5, 1),
    }
    data.update(over)
    return data


def create(p: dict[str, Any], model: type[FiledRecord], key: dict[str, Any], data: Any) -> Any:
    return services.create_record(
        actor=p["filer"], model=model, enterprise=p["enterprise"], key=key, data=data, context=CTX
    )


def contract(p: dict[str, Any], no: str = "C-1", approve: bool = False, **over: Any) -> Contract:
    row = create(p, Contract, {"contract_no": no}, contract_data(**over))
    if approve:
        services.submit(actor=p["filer"], row=row, context=CTX, comment="checked")
        row = review.approve_record(actor=p["reviewer"], row=row, context=CTX)
    return row  # type: ignore[no-any-return]


def execution(p: dict[str, Any], of: Contract, no: str, amount: str, **over: Any) -> Execution:
    data = {"executed_on": dt.date(2025, 5, 20), "currency": "CNY", "amount": amount, **over}
    return create(p, Execution, {"contract": of, "execution_no": no}, data)  # type: ignore[no-any-return]


def refused(call: Any) -> ServiceError:
    """The refusal of ``call``; checks that it speaks both languages and wrote nothing."""
    counts = [m.objects.count() for m in (Contract, Execution, Amendment, WorkforceReport)]
    events = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as caught:
        call()
    error = caught.value
    assert error.message_zh != error.message_en, error.text
    assert error.text == f"{error.message_zh} / {error.message_en}"
    assert [m.objects.count() for m in (Contract, Execution, Amendment, WorkforceReport)] == counts
    assert AuditEvent.objects.count() == events
    return error


# --- errors ---------------------------------------------------------------------------------


def test_execution_dated_before_signing_or_after_the_end_plus_grace(p: dict[str, Any]) -> None:
    c = contract(p, signed_on="2025-03-01", start_on="2025-03-01", end_on="2025-03-10")
    error = refused(lambda: execution(p, c, "E-0", "1", executed_on="2025-02-28"))
    assert (error.code, error.field) == ("before_signing", "executed_on")
    assert "2025-02-28" in error.message_en and "2025-03-01" in error.message_en
    assert execution(p, c, "E-1", "1", executed_on="2025-03-01").pk  # the signing day itself
    assert execution(p, c, "E-2", "1", executed_on="2025-06-08").pk  # end + 90 days
    error = refused(lambda: execution(p, c, "E-3", "1", executed_on="2025-06-09"))
    assert (error.code, error.field) == ("after_end", "executed_on")
    assert "90" in error.message_en and "2025-03-10" in error.message_en


def test_the_grace_is_configurable(p: dict[str, Any], settings: Any) -> None:
    settings.SOMS_EXECUTION_GRACE_DAYS = 0
    c = contract(p, signed_on="2025-03-01", end_on="2025-03-10")
    assert execution(p, c, "E-1", "1", executed_on="2025-03-10").pk
    assert refused(lambda: execution(p, c, "E-2", "1", executed_on="2025-03-11")).code == (
        "after_end"
    )


def test_an_amendment_before_signing_is_refused(p: dict[str, Any]) -> None:
    c = contract(p)
    error = refused(
        lambda: create(
            p,
            Amendment,
            {"contract": c, "amendment_no": "A-1"},
            {"effective_on": "2025-04-30", "new_amount": "1"},
        )
    )
    assert (error.code, error.field) == ("before_signing", "effective_on")


def test_a_contract_cannot_end_before_it_starts(p: dict[str, Any]) -> None:
    error = refused(lambda: contract(p, start_on="2025-05-02", end_on="2025-05-01"))
    assert (error.code, error.field) == ("end_before_start", "end_on")
    assert contract(p, start_on="2025-05-01", end_on="2025-05-01").pk


def test_cumulative_executions_stay_within_the_contract(p: dict[str, Any]) -> None:
    c = contract(p, approve=True)

    def submitted(row: Execution) -> Execution:
        return services.submit(actor=p["filer"], row=row, context=CTX)

    e1 = submitted(execution(p, c, "E-1", "60000"))
    review.approve_record(actor=p["reviewer"], row=e1, context=CTX)
    e2 = submitted(execution(p, c, "E-2", "30000"))  # awaiting review: counts toward the total
    e3 = execution(p, c, "E-3", "10000")  # exactly the contract's value
    assert refused(lambda: execution(p, c, "E-4", "10000.01")).code == "above_contract"
    assert execution(p, c, "E-4", "0.01").pk  # drafts (E-3) are not added
    services.discard(actor=p["filer"], row=Execution.objects.get(execution_no="E-4"))
    submitted(e3)
    error = refused(lambda: execution(p, c, "E-4", "0.01"))
    assert (error.code, error.field) == ("above_contract", "amount")
    assert "100,000.01" in error.message_en and "100,000.00" in error.message_en

    # Returned, E-2 no longer counts.
    review.return_record(actor=p["reviewer"], row=e2, reason="x")
    submitted(execution(p, c, "E-4", "30000"))

    # An approved amendment raises the limit; one awaiting review does not.
    amendment = create(
        p,
        Amendment,
        {"contract": c, "amendment_no": "A-1"},
        {"effective_on": "2025-06-01", "new_amount": "150000"},
    )
    services.submit(actor=p["filer"], row=amendment, context=CTX)
    assert refused(lambda: execution(p, c, "E-5", "0.01")).code == "above_contract"
    review.approve_record(actor=p["reviewer"], row=amendment, context=CTX)
    assert rules.contract_value(c) == Decimal("150000")
    assert rules.contract_value(c, on=dt.date(2025, 5, 31)) == Decimal("100000")
    assert execution(p, c, "E-5", "50000").pk
    assert refused(lambda: execution(p, c, "E-6", "50000.01")).code == "above_contract"


def test_executions_in_another_currency_are_compared_in_yuan(p: dict[str, Any]) -> None:
    c = contract(p, currency="USD", amount="10000", signed_on="2025-05-02")  # 71,000 yuan
    assert execution(p, c, "E-1", "71000", currency="CNY").pk
    error = refused(lambda: execution(p, c, "E-2", "71000.01", currency="CNY"))
    assert error.code == "above_contract"


def test_college_counts_cannot_exceed_totals(p: dict[str, Any]) -> None:
    def report(**over: int) -> Any:
        data = {"employees": 10, "employees_college": 10, "new_hires": 2, "new_hires_college": 2}
        return create(p, WorkforceReport, {"month": dt.date(2025, 5, 1)}, {**data, **over})

    error = refused(lambda: report(employees_college=11))
    assert (error.code, error.field) == ("college_above_total", "employees_college")
    assert "11" in error.message_en and "10" in error.message_en
    error = refused(lambda: report(new_hires_college=3))
    assert (error.code, error.field) == ("college_above_total", "new_hires_college")
    row = report()  # equal is fine
    error = refused(
        lambda: services.update_record(
            actor=p["filer"],
            row=row,
            data={"employees": 9, "employees_college": 10, "new_hires": 0, "new_hires_college": 0},
            context=CTX,
        )
    )
    assert error.code == "college_above_total"
    assert WorkforceReport.objects.get().employees == 10


def test_currency_must_be_known_and_have_a_rate(p: dict[str, Any]) -> None:
    error = refused(lambda: contract(p, currency="XYZ"))
    assert (error.code, error.field) == ("unknown_currency", "currency")
    assert "XYZ" in error.message_en
    error = refused(lambda: contract(p, currency="EUR"))
    assert (error.code, error.field) == ("no_rate", "currency")
    assert "EUR" in error.message_en and "2025-05" in error.message_en
    assert "EUR" in error.message_zh and "2025-05" in error.message_zh
    error = refused(lambda: contract(p, currency="USD", signed_on="2025-04-30"))
    assert error.code == "no_rate" and "2025-04" in error.message_en
    assert contract(p, currency="usd").currency_id == "USD"
    c = contract(p, "C-2", currency="CNY")  # the yuan needs no rate
    error = refused(lambda: execution(p, c, "E-1", "5", currency="EUR"))
    assert (error.code, error.field) == ("no_rate", "currency")


def test_a_missing_rate_blocks_approval(p: dict[str, Any]) -> None:
    row = contract(p, currency="USD")
    services.submit(actor=p["filer"], row=row, context=CTX)
    ExchangeRate.objects.filter(currency_id="USD", month=dt.date(2025, 5, 1)).delete()
    before = snapshot(Contract.objects.get(pk=row.pk))
    error = refused(lambda: review.approve_record(actor=p["reviewer"], row=row, context=CTX))
    assert error.code == "no_rate" and "USD" in error.message_en
    assert snapshot(Contract.objects.get(pk=row.pk)) == before


def test_the_category_is_a_leaf_of_the_catalogue_in_force(p: dict[str, Any]) -> None:
    for code in ("ITO", "BPO", "ZZZ99"):
        error = refused(lambda code=code: contract(p, category=code))
        assert (error.code, error.field) == ("category_not_leaf", "category")
        assert code in error.message_en and "v1" in error.message_en
    assert contract(p, category=" ito01 ").category.code == "ITO01"

    # A second version in force from 2025-06-01 without ITO01.
    v1 = CatalogueVersion.objects.get(code="v1")
    v2 = CatalogueVersion.objects.create(
        code="v2",
        status=CatalogueStatus.PUBLISHED,
        effective_from=dt.date(2025, 6, 1),
        predecessor=v1,
    )
    top = CatalogueItem.objects.create(
        version=v2, code="ITO", level=1, name_zh="信息", name_en="IT"
    )
    CatalogueItem.objects.create(
        version=v2, code="ITO11", parent=top, level=2, name_zh="新", name_en="New"
    )
    error = refused(lambda: contract(p, "C-2", category="ITO01", signed_on="2025-06-02"))
    assert error.code == "category_not_leaf" and "v2" in error.message_en
    assert "2025-06-02" in error.message_en
    assert contract(p, "C-3", category="ITO11", signed_on="2025-06-02").category.version == v2
    old = contract(p, "C-4", category="ITO01", signed_on="2025-05-31")
    assert old.category.version == v1

    # The rule itself: the record's category must belong to the version of its signing date.
    old.signed_on = dt.date(2025, 6, 2)
    found = [v for v in rules.check(old, CTX) if v.code == "category_not_leaf"]
    assert found and found[0].field == "category" and found[0].severity == Severity.ERROR
    old.signed_on = dt.date(2025, 5, 31)
    assert not [v for v in rules.check(old, CTX) if v.code == "category_not_leaf"]
    old.category = CatalogueItem.objects.get(version=v1, code="KPO")
    assert [v.code for v in rules.check(old, CTX, Severity.ERROR)] == ["category_not_leaf"]


def test_the_counterpart_country_must_be_known(p: dict[str, Any]) -> None:
    error = refused(lambda: contract(p, counterpart_country="XX"))
    assert (error.code, error.field) == ("unknown_country", "counterpart_country")
    assert "XX" in error.message_en
    us = Country.objects.get(code="US")
    for given in ("us", us.name_zh, us.name_en.upper()):
        assert contract(p, f"C-{given}", counterpart_country=given).counterpart_country == us
    assert contract(p, "C-HK", counterpart_country="HK").counterpart_country_id == "HK"


# --- warnings -------------------------------------------------------------------------------


def approved_history(p: dict[str, Any], amounts: list[int], kind: str = "execution") -> Contract:
    """An approved contract and approved executions (or further contracts), written directly."""
    base: dict[str, Any] = {
        "enterprise": p["enterprise"],
        "created_by": p["filer"],
        "status": RecordStatus.APPROVED,
        "decided_at": timezone.now(),
        "period": dt.date(2025, 5, 1),
    }
    values: dict[str, Any] = {
        "direction": "inbound",
        "counterpart_name": "History Ltd",
        "counterpart_country_id": "US",
        "category": CatalogueItem.objects.get(version__code="v1", code="ITO01"),
        "currency_id": "CNY",
        "signed_on": dt.date(2025, 5, 1),
    }
    big = Contract.objects.create(contract_no="H-0", amount=Decimal(10**9), **base, **values)
    for i, amount in enumerate(amounts, 1):
        if kind == "execution":
            Execution.objects.create(
                contract=big,
                execution_no=f"H-{i}",
                executed_on=dt.date(2025, 5, 2),
                currency_id="CNY",
                amount=Decimal(amount),
                **base,
            )
        else:
            Contract.objects.create(contract_no=f"H-{i}", amount=Decimal(amount), **base, **values)
    return big


def codes(row: Any, severity: str = Severity.WARNING) -> list[str]:
    return [v.code for v in rules.check(row, CTX, severity)]


HISTORY = [80_001, 90_001, 95_001, 100_001, 100_001, 105_001, 110_001, 120_001]


def test_amount_outlier_by_modified_z_score(p: dict[str, Any]) -> None:
    big = approved_history(p, HISTORY)
    history = [Decimal(a) for a in HISTORY]
    median = statistics.median(history)
    mad = statistics.median(abs(a - median) for a in history)
    assert (median, mad) == (Decimal(100_001), Decimal(7_500))

    def score(x: int) -> Decimal:
        return Decimal("0.6745") * (Decimal(x) - median) / mad

    assert score(139_001) > Decimal("3.5") > score(138_001)
    assert score(100_001 - 39_000) < Decimal("-3.5") < score(100_001 - 38_000)

    high = execution(p, big, "E-1", "139001")
    assert [w["code"] for w in high.warnings] == ["amount_outlier"]
    assert high.warnings[0]["field"] == "amount"
    assert f"{score(139_001):.1f}" in high.warnings[0]["message_en"]
    assert "100,001.00" in high.warnings[0]["message_en"]
    assert high.warnings[0]["message_zh"] != high.warnings[0]["message_en"]
    assert execution(p, big, "E-2", "138001").warnings == []
    assert [w["code"] for w in execution(p, big, "E-3", "61001").warnings] == ["amount_outlier"]
    assert execution(p, big, "E-4", "62001").warnings == []


def test_no_outlier_without_enough_approved_history(p: dict[str, Any]) -> None:
    big = approved_history(p, HISTORY[:7])
    assert execution(p, big, "E-1", "900001").warnings == []
    # A draft or submitted history does not count either.
    extra = execution(p, big, "E-2", "100001")
    services.submit(actor=p["filer"], row=extra, context=CTX)
    assert execution(p, big, "E-3", "900001").warnings == []
    # With eight but no spread (MAD 0) the score is undefined: no warning.
    Execution.objects.filter(execution_no__startswith="H-").update(amount=Decimal(100_001))
    review.approve_record(actor=p["reviewer"], row=extra, context=CTX)
    assert Execution.objects.counting().filter(amount=100_001).count() == 8
    assert execution(p, big, "E-4", "900001").warnings == []


def test_a_contract_like_another_enterprises(p: dict[str, Any]) -> None:
    theirs = services.create_record(
        actor=p["other_filer"],
        model=Contract,
        enterprise=p["other"],
        key={"contract_no": "T-1"},
        data=contract_data(counterpart_name="Globex", amount="500000"),
        context=CTX,
    )
    same = {"counterpart_name": "Globex", "amount": "500000"}
    assert contract(p, "C-1", **same).warnings == []  # their draft is not a twin
    services.submit(actor=p["other_filer"], row=theirs, context=CTX)
    twin = contract(p, "C-2", **same)
    assert [w["code"] for w in twin.warnings] == ["similar_contract"]
    assert twin.warnings[0]["field"] == "counterpart_name"
    assert p["other"].uscc in twin.warnings[0]["message_en"]
    assert contract(p, "C-3", counterpart_name="Globex", amount="500000.01").warnings == []
    assert contract(p, "C-4", **same, signed_on="2025-05-02").warnings == []
    assert contract(p, "C-5", counterpart_name="Globex Ltd", amount="500000").warnings == []
    # The enterprise's own contracts are not twins.
    own = Contract.objects.get(contract_no="C-1")
    services.submit(actor=p["filer"], row=own, context=CTX, comment="renewal")
    assert codes(Contract.objects.get(contract_no="C-2")) == ["similar_contract"]


def test_a_round_series(p: dict[str, Any]) -> None:
    approved_history(p, [10_000, 20_000, 30_000, 40_000, 50_001], kind="contract")
    # H-0 (10**9) is round too: six amounts, five round — at most one is not.
    assert [w["code"] for w in contract(p, "C-1", amount="60000").warnings] == ["round_series"]
    assert contract(p, "C-2", amount="60001").warnings == []
    Contract.objects.filter(contract_no="H-1").update(amount=Decimal(10_001))
    assert codes(Contract.objects.get(contract_no="C-1")) == []  # two are not round now


def test_no_round_series_with_a_short_history(p: dict[str, Any]) -> None:
    approved_history(p, [10_000, 20_000, 30_000], kind="contract")  # with H-0: four
    assert contract(p, "C-1", amount="60000").warnings == []


def test_warnings_need_a_comment_to_submit(p: dict[str, Any]) -> None:
    big = approved_history(p, HISTORY)
    row = execution(p, big, "E-1", "500001")
    before = snapshot(Execution.objects.get(pk=row.pk))
    for comment in ("", "  "):
        error = refused(
            lambda comment=comment: services.submit(
                actor=p["filer"], row=row, comment=comment, context=CTX
            )
        )
        assert (error.code, error.field) == ("warning_comment_required", "warning_comment")
        assert "z-score" in error.message_en
    assert snapshot(Execution.objects.get(pk=row.pk)) == before
    row = services.submit(actor=p["filer"], row=row, comment=" 一次性项目结算 ", context=CTX)
    assert row.status == RecordStatus.SUBMITTED and row.warning_comment == "一次性项目结算"
    assert [w["code"] for w in row.warnings] == ["amount_outlier"]
    event = AuditEvent.objects.get(action="filing.execution.submitted", object_id=str(row.pk))
    assert event.reason == "一次性项目结算"
    # Warnings do not block approval.
    assert review.approve_record(actor=p["reviewer"], row=row, context=CTX).status == "approved"


def test_a_comment_without_warnings_is_not_kept(p: dict[str, Any]) -> None:
    row = services.submit(actor=p["filer"], row=contract(p), comment="nothing", context=CTX)
    assert row.warnings == [] and row.warning_comment == ""


def test_a_violation_speaks_both_languages(p: dict[str, Any]) -> None:
    row = Contract(
        enterprise=p["enterprise"],
        contract_no="X",
        direction="inbound",
        counterpart_name="A",
        counterpart_country_id="US",
        category=CatalogueItem.objects.get(version__code="v1", code="ITO"),
        currency_id="EUR",
        amount=Decimal(1),
        signed_on=dt.date(2025, 7, 1),
    )
    found = {v.code: v.as_dict() for v in rules.check(row, CTX)}
    assert set(found) == {"future_date", "no_rate", "category_not_leaf"}
    for item in found.values():
        assert item["severity"] == "error" and item["field"]
        assert item["message"] == f"{item['message_zh']} / {item['message_en']}"


# --- bad input everywhere -------------------------------------------------------------------


def contract_case(field: str, value: Any) -> tuple[type[FiledRecord], dict[str, Any], Any]:
    return Contract, {"contract_no": "C-1"}, contract_data(**{field: value})


BAD_CONTRACTS = [
    ("direction", "sideways", "invalid_choice"),
    ("direction", None, "invalid_choice"),
    ("counterpart_name", "  ", "required"),
    ("counterpart_name", "A" * 301, "too_long"),
    ("counterpart_country", "", "required"),
    ("counterpart_country", "Atlantis", "unknown_country"),
    ("category", "", "required"),
    ("currency", None, "required"),
    ("amount", "", "required"),
    ("amount", "abc", "invalid_number"),
    ("amount", "NaN", "invalid_number"),
    ("amount", "-Infinity", "invalid_number"),
    ("amount", "0", "invalid_amount"),
    ("amount", "-5", "invalid_amount"),
    ("amount", "1.001", "invalid_amount"),
    ("amount", "1E+18", "too_large"),
    ("amount", "1E+40", "too_large"),
    ("signed_on", "", "required"),
    ("signed_on", "2025-02-30", "invalid_date"),
    ("signed_on", "yesterday", "invalid_date"),
    ("start_on", "2025-13-01", "invalid_date"),
]


@pytest.mark.parametrize(("field", "value", "code"), BAD_CONTRACTS)
def test_bad_contract_input(p: dict[str, Any], field: str, value: Any, code: str) -> None:
    error = refused(lambda: contract(p, **{field: value}))
    assert (error.code, error.field) == (code, field)
    if code == "required":
        with override("en"):
            label = str(Contract._meta.get_field(field).verbose_name)
        assert f"“{label}”" in error.message_en


def test_the_largest_amount_fits(p: dict[str, Any]) -> None:
    assert contract(p, amount="999999999999999999.99").amount == Decimal("999999999999999999.99")


@pytest.mark.parametrize(
    ("key", "code", "field"),
    [
        ({"contract_no": ""}, "required", "contract_no"),
        ({"contract_no": "   "}, "required", "contract_no"),
        ({}, "required", "contract_no"),
        ({"contract_no": "N" * 101}, "too_long", "contract_no"),
        ({"contract_no": "DUP"}, "duplicate", "contract_no"),
        ({"contract_no": " DUP "}, "duplicate", "contract_no"),
    ],
)
def test_bad_contract_keys(p: dict[str, Any], key: dict[str, Any], code: str, field: str) -> None:
    contract(p, "DUP")
    error = refused(lambda: create(p, Contract, key, contract_data()))
    assert (error.code, error.field) == (code, field)


def test_a_key_sets_nothing_but_the_key(p: dict[str, Any]) -> None:
    row = create(
        p,
        Contract,
        {"contract_no": "C-1", "status": "approved", "lock_version": 9},
        contract_data(),
    )
    assert row.status == RecordStatus.DRAFT and row.lock_version == 1


@pytest.mark.parametrize(
    ("model", "key", "data", "code", "field"),
    [
        (Execution, {"execution_no": ""}, {}, "required", "execution_no"),
        (Execution, {}, {"executed_on": ""}, "required", "executed_on"),
        (Execution, {}, {"executed_on": "2025-5-1"}, "invalid_date", "executed_on"),
        (Execution, {}, {"currency": "ABC"}, "unknown_currency", "currency"),
        (Execution, {}, {"amount": "1,000"}, "invalid_number", "amount"),
        (Execution, {}, {"amount": "0.00"}, "invalid_amount", "amount"),
        (Execution, {}, {"receipt_no": "R" * 101}, "too_long", "receipt_no"),
        (Execution, {"execution_no": "E" * 101}, {}, "too_long", "execution_no"),
        (Amendment, {"amendment_no": ""}, {}, "required", "amendment_no"),
        (Amendment, {}, {"effective_on": "soon"}, "invalid_date", "effective_on"),
        (Amendment, {}, {"new_amount": "-1"}, "invalid_amount", "new_amount"),
        (Amendment, {}, {"new_amount": None}, "required", "new_amount"),
        (Amendment, {}, {"new_amount": "1e20"}, "too_large", "new_amount"),
    ],
)
def test_bad_execution_and_amendment_input(
    p: dict[str, Any],
    model: type[FiledRecord],
    key: dict[str, Any],
    data: dict[str, Any],
    code: str,
    field: str,
) -> None:
    c = contract(p)
    if model is Execution:
        full_key = {"contract": c, "execution_no": "E-1", **key}
        full = {"executed_on": "2025-05-20", "currency": "CNY", "amount": "1", **data}
    else:
        full_key = {"contract": c, "amendment_no": "A-1", **key}
        full = {"effective_on": "2025-05-20", "new_amount": "1", **data}
    error = refused(lambda: create(p, model, full_key, full))
    assert (error.code, error.field) == (code, field)


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("employees", "", "required"),
        ("employees", None, "required"),
        ("employees", "-1", "invalid_count"),
        ("employees", "1.5", "invalid_count"),
        ("employees", "ten", "invalid_count"),
        ("new_hires", "3000000000", "too_large"),
        ("new_hires_college", "-0.5", "invalid_count"),
    ],
)
def test_bad_workforce_input(p: dict[str, Any], field: str, value: Any, code: str) -> None:
    data = {"employees": "10", "employees_college": "0", "new_hires": "1", "new_hires_college": 0}
    data[field] = value
    error = refused(lambda: create(p, WorkforceReport, {"month": dt.date(2025, 5, 1)}, data))
    assert (error.code, error.field) == (code, field)


def test_a_workforce_month_as_text(p: dict[str, Any]) -> None:
    data = {"employees": 1, "employees_college": 0, "new_hires": 0, "new_hires_college": 0}
    error = refused(lambda: create(p, WorkforceReport, {"month": "2025-13-01"}, data))
    assert (error.code, error.field) == ("invalid_date", "month")
    row = create(p, WorkforceReport, {"month": "2025-05-17"}, data)
    assert row.month == dt.date(2025, 5, 1)


def test_bad_input_to_an_edit_changes_nothing(p: dict[str, Any]) -> None:
    row = contract(p)
    before = snapshot(Contract.objects.get(pk=row.pk))
    for field, value, code in BAD_CONTRACTS:
        error = refused(
            lambda field=field, value=value: services.update_record(
                actor=p["filer"], row=row, data=contract_data(**{field: value}), context=CTX
            )
        )
        assert (error.code, error.field) == (code, field)
    assert snapshot(Contract.objects.get(pk=row.pk)) == before
