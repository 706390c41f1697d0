"""Filing and deciding records through the services, as an enterprise and its district reviewer
would, for the statistics tests. Every record is filed as history (exempt from the filing window
and the deadlines), so any month of the past can be filed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, TypeVar

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.filing import rules, services
from soms.filing.models import Amendment, Contract, Execution, FiledRecord, WorkforceReport
from soms.reference.services import save_rates
from soms.registry.models import Enterprise
from soms.review import services as review
from soms.testing import make_enterprise, make_user

R = TypeVar("R", bound=FiledRecord)

HISTORY = rules.Context(today=dt.date(2026, 1, 20), history=True)


def rates(table: dict[tuple[dt.date, str], Decimal]) -> None:
    save_rates(actor="test", rates=[(m, c, v) for (m, c), v in sorted(table.items())])


class Desk:
    """One filer per enterprise, one district reviewer per district."""

    def __init__(self) -> None:
        self.filers: dict[int, User] = {}
        self.reviewers: dict[str, User] = {}

    def enterprise(self, division: str, **fields: Any) -> Enterprise:
        enterprise = make_enterprise(division, **fields)
        if enterprise.is_registered:
            self.filers[enterprise.pk] = make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
        return enterprise

    def reviewer(self, division: str) -> User:
        if division not in self.reviewers:
            self.reviewers[division] = make_user(Role.DISTRICT_REVIEWER, division=division)
        return self.reviewers[division]

    def _filer(self, row: FiledRecord) -> User:
        return self.filers[row.enterprise_id]

    def file(
        self, model: type[R], enterprise: Enterprise, key: dict[str, Any], data: dict[str, Any]
    ) -> R:
        """Create and submit."""
        filer = self.filers[enterprise.pk]
        row = services.create_record(
            actor=filer, model=model, enterprise=enterprise, key=key, data=data, context=HISTORY
        )
        return services.submit(actor=filer, row=row, comment="checked", context=HISTORY)

    def approve(self, row: R) -> R:
        reviewer = self.reviewer(Enterprise.objects.get(pk=row.enterprise_id).division_id)
        decided = review.approve_record(actor=reviewer, row=row, context=HISTORY)
        return decided  # type: ignore[return-value]

    def give_back(self, row: R) -> R:
        reviewer = self.reviewer(Enterprise.objects.get(pk=row.enterprise_id).division_id)
        return review.return_record(actor=reviewer, row=row, reason="please check the amount")

    def refile(self, row: R, data: dict[str, Any]) -> R:
        """Edit a returned row and submit it again."""
        filer = self._filer(row)
        row = services.update_record(actor=filer, row=row, data=data, context=HISTORY)
        return services.submit(actor=filer, row=row, comment="checked", context=HISTORY)

    def correct(self, record: R, data: dict[str, Any], decision: str = "approve") -> R:
        """A correction of an approved record, then approved, returned or left pending."""
        filer = self._filer(record)
        correction = services.start_correction(actor=filer, record=record)
        correction = services.update_record(actor=filer, row=correction, data=data, context=HISTORY)
        correction = services.submit(
            actor=filer, row=correction, comment="checked", context=HISTORY
        )
        if decision == "approve":
            self.approve(correction)
        elif decision == "return":
            self.give_back(correction)
        return correction

    # --- the record kinds -----------------------------------------------------------------

    def contract(self, enterprise: Enterprise, number: str, **data: Any) -> Contract:
        return self.file(Contract, enterprise, {"contract_no": number}, contract_data(**data))

    def amendment(
        self, contract: Contract, number: str, effective_on: dt.date, new_amount: Decimal
    ) -> Amendment:
        return self.file(
            Amendment,
            contract.enterprise,
            {"contract": contract, "amendment_no": number},
            {"effective_on": effective_on, "new_amount": str(new_amount), "reason": "scope"},
        )

    def execution(
        self,
        contract: Contract,
        number: str,
        executed_on: dt.date,
        currency: str,
        amount: Decimal,
    ) -> Execution:
        return self.file(
            Execution,
            contract.enterprise,
            {"contract": contract, "execution_no": number},
            {"executed_on": executed_on, "currency": currency, "amount": str(amount)},
        )

    def workforce(self, enterprise: Enterprise, month: dt.date, **counts: int) -> WorkforceReport:
        return self.file(WorkforceReport, enterprise, {"month": month}, counts)


def contract_data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "direction": "inbound",
        "counterpart_name": "Acme Inc.",
        "counterpart_country": "US",
        "category": "ITO01",
        "currency": "CNY",
        "amount": "100000.00",
        "signed_on": dt.date(2025, 3, 10),
    }
    data.update({k: str(v) if isinstance(v, Decimal) else v for k, v in over.items()})
    return data


def values_of(row: FiledRecord) -> dict[str, Any]:
    """The row's values as update_record takes them (to edit a few and keep the rest)."""
    data = dict(row.values())  # foreign keys by id: a country's or currency's code
    if isinstance(row, Contract):
        data["category"] = row.category.code
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in data.items()}
