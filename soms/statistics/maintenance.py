"""Keeping facts current: the listener of ``record_counted`` and the full rebuild.

A contract's facts depend on its amendments (each amendment counts its delta from the amount in
force before it) and its executions inherit the contract's category and counterpart, so a change
to a contract or an amendment refreshes the contract's whole family.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from soms.filing.models import Amendment, Contract, Execution
from soms.filing.signals import record_counted
from soms.reference.models import ExchangeRate
from soms.statistics.models import Fact


class Rates:
    """Monthly rates, read once per refresh."""

    def __init__(self) -> None:
        self._rates: dict[tuple[dt.date, str], Decimal] = {}

    def get(self, currency: str, day: dt.date) -> Decimal | None:
        if currency == "CNY":
            return Decimal(1)
        month = day.replace(day=1)
        key = (month, currency)
        if key not in self._rates:
            value = (
                ExchangeRate.objects.filter(month=month, currency_id=currency)
                .values_list("cny_per_unit", flat=True)
                .first()
            )
            if value is None:
                return None
            self._rates[key] = value
        return self._rates[key]

    def convert(
        self, amount: Decimal, currency: str, day: dt.date
    ) -> tuple[Decimal, Decimal | None]:
        cny_rate = self.get(currency, day)
        if cny_rate is None:  # approval refuses a record without its rate; kept defensive
            raise LookupError(f"no rate for {currency} in {day:%Y-%m}")
        cny = amount * cny_rate
        usd_rate = self.get("USD", day)
        return cny, (cny / usd_rate if usd_rate else None)


def _fact(
    kind: str,
    record_id: int,
    contract: Contract,
    day: dt.date,
    amount: Decimal,
    currency: str,
    rates: Rates,
    contracts: int = 0,
) -> Fact:
    cny, usd = rates.convert(amount, currency, day)
    return Fact(
        kind=kind,
        record_id=record_id,
        direction=contract.direction,
        enterprise_id=contract.enterprise_id,
        day=day,
        month=day.replace(day=1),
        category_code=contract.category.code,
        category_l1=contract.category.level1_code,
        counterpart_country=contract.counterpart_country_id,
        value_cny=cny,
        value_usd=usd,
        contracts=contracts,
    )


def contract_family(contract: Contract, rates: Rates) -> Iterator[Fact]:
    """The facts of an approved contract, its approved amendments and executions."""
    if contract.status != "approved" or contract.corrects_id is not None:
        return
    yield _fact(
        "contract",
        contract.pk,
        contract,
        contract.signed_on,
        contract.amount,
        contract.currency_id,
        rates,
        contracts=1,
    )
    in_force = contract.amount
    for amendment in (
        Amendment.objects.counting().filter(contract=contract).order_by("effective_on", "pk")
    ):
        delta = amendment.new_amount - in_force
        in_force = amendment.new_amount
        yield _fact(
            "amendment",
            amendment.pk,
            contract,
            amendment.effective_on,
            delta,
            contract.currency_id,
            rates,
        )
    for execution in Execution.objects.counting().filter(contract=contract):
        yield _fact(
            "execution",
            execution.pk,
            contract,
            execution.executed_on,
            execution.amount,
            execution.currency_id,
            rates,
        )


def refresh_contract(contract: Contract, rates: Rates | None = None) -> None:
    rates = rates or Rates()
    amendments = Amendment.objects.filter(contract=contract).values_list("pk", flat=True)
    executions = Execution.objects.filter(contract=contract).values_list("pk", flat=True)
    Fact.objects.filter(kind="contract", record_id=contract.pk).delete()
    Fact.objects.filter(kind="amendment", record_id__in=list(amendments)).delete()
    Fact.objects.filter(kind="execution", record_id__in=list(executions)).delete()
    Fact.objects.bulk_create(list(contract_family(contract, rates)))


@receiver(record_counted)
def follow_decision(sender: Any, record: Any, **kwargs: Any) -> None:
    if isinstance(record, Contract):
        refresh_contract(Contract.objects.select_related("category").get(pk=record.pk))
    elif isinstance(record, Amendment | Execution):
        refresh_contract(Contract.objects.select_related("category").get(pk=record.contract_id))


@receiver(post_save, sender=ExchangeRate)
@transaction.atomic
def follow_rate(sender: Any, instance: ExchangeRate, **kwargs: Any) -> None:
    """A rate published or revised: the facts dated in its month are converted again (a
    dollar rate converts every fact of the month to dollars; another currency's, the facts of
    records filed in it). Without this, figures would keep the old rate, or no dollar value,
    until a rebuild."""
    month, currency = instance.month, instance.currency_id
    facts = Fact.objects.filter(month=month)
    contracts = Contract.objects.filter(pk__in=facts.filter(kind="contract").values("record_id"))
    amendments = Amendment.objects.filter(pk__in=facts.filter(kind="amendment").values("record_id"))
    executions = Execution.objects.filter(pk__in=facts.filter(kind="execution").values("record_id"))
    if currency != "USD":
        contracts = contracts.filter(currency_id=currency)
        amendments = amendments.filter(contract__currency_id=currency)
        executions = executions.filter(currency_id=currency)
    ids = {
        *contracts.values_list("pk", flat=True),
        *amendments.values_list("contract_id", flat=True),
        *executions.values_list("contract_id", flat=True),
    }
    rates = Rates()
    for contract in Contract.objects.filter(pk__in=ids).select_related("category"):
        refresh_contract(contract, rates)


def _batches(facts: Iterable[Fact], size: int = 2000) -> Iterator[list[Fact]]:
    batch: list[Fact] = []
    for fact in facts:
        batch.append(fact)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@transaction.atomic
def rebuild() -> int:
    """Every fact again from the records; returns the number of facts."""
    Fact.objects.all().delete()
    rates = Rates()
    contracts = Contract.objects.counting().select_related("category", "category__parent")

    def all_facts() -> Iterator[Fact]:
        for contract in contracts.iterator(chunk_size=2000):
            yield from contract_family(contract, rates)

    total = 0
    for batch in _batches(all_facts()):
        Fact.objects.bulk_create(batch)
        total += len(batch)
    return total
