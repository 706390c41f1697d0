"""Keeping facts and rollups current: the listener of ``record_counted``, of rate revisions, of
enterprises moving and of country-group changes, and the full rebuild.

A contract's facts depend on its amendments (each amendment counts its delta from the amount in
force before it) and its executions inherit the contract's category and counterpart, so a change
to a contract or an amendment refreshes the contract's whole family. Facts are written by one
SQL statement per record kind, for one family on a decision and for every record on a rebuild,
so that a rebuild at national scale takes minutes, not a night.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from soms.core import db
from soms.filing.models import Amendment, Contract, Execution
from soms.filing.signals import record_counted
from soms.reference.models import (
    CatalogueItem,
    CityDesignation,
    CountryGroupMembership,
    ExchangeRate,
)
from soms.registry.models import Enterprise
from soms.statistics import rollups, versions
from soms.statistics.models import Fact, Rollup


def _month(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"date({column}, 'start of month')"


ALL_KINDS = ("contract", "amendment", "execution")


def _write_facts(
    contracts: Sequence[int] | None = None,
    kinds: Sequence[str] = ALL_KINDS,
    executions: Sequence[int] | None = None,
) -> list[int]:
    """Insert the facts of approved contracts (all, or those named), their approved amendments
    and executions, converted at their month's rates (statistics-rules.md).

    A contract counts once, with its number; an amendment counts its delta from the amount in
    force before it (the contract's, then each earlier amendment's by effective date); an
    execution counts its amount in its own currency. Each record inherits the contract's
    direction, category and counterpart. Values keep full precision (rounding happens once,
    on the final figure): the dollar value is divided out at 30 decimal places.
    """
    item = CatalogueItem._meta.db_table
    rate = ExchangeRate._meta.db_table
    contract_table = Contract._meta.db_table
    only, params = "", cast(list[Any], [])
    prepared = contracts is not None and db.uses_prepared()
    if contracts is not None:
        if not contracts:
            return []
        if prepared:
            only = " AND c.id = ANY($1)"
        else:
            only = f" AND c.id IN ({', '.join(['%s'] * len(contracts))})"
            params = list(contracts)
    approved = f"c.status = 'approved' AND c.corrects_id IS NULL{only}"
    # PostgreSQL multiplies and divides NUMERIC exactly to 30 places; SQLite has REAL (and
    # would divide two whole numbers as integers without the cast).
    exact = "NUMERIC(60, 30)" if connection.vendor == "postgresql" else "REAL"
    columns = (
        "kind, record_id, direction, enterprise_id, day, month, category_code, category_l1,"
        " counterpart_country, value_cny, value_usd, contracts"
    )

    def select(kind: str, record: str, day: str, amount: str, currency: str, count: int) -> str:
        month = _month(day)
        cny = (
            f"CAST({amount} AS {exact}) * "
            f"(CASE WHEN {currency} = 'CNY' THEN 1 ELSE r.cny_per_unit END)"
        )
        # Table names and constants only; values are parameters.
        return (
            f"SELECT '{kind}', {record}, c.direction, c.enterprise_id, {day}, {month},"  # noqa: S608
            " cat.code, COALESCE(p3.code, p2.code, p1.code, cat.code),"
            f" c.counterpart_country_id, {cny}, {cny} / u.cny_per_unit, {count}"
            f" FROM {{source}}"
            f" JOIN {item} cat ON cat.id = c.category_id"
            f" LEFT JOIN {item} p1 ON p1.id = cat.parent_id"
            f" LEFT JOIN {item} p2 ON p2.id = p1.parent_id"
            f" LEFT JOIN {item} p3 ON p3.id = p2.parent_id"
            f" LEFT JOIN {rate} r ON r.currency_id = {currency} AND r.month = {month}"
            f" LEFT JOIN {rate} u ON u.currency_id = 'USD' AND u.month = {month}"
        )

    counting = "x.status = 'approved' AND x.corrects_id IS NULL"
    amendments = (
        "(SELECT x.id, x.contract_id, x.effective_on, x.new_amount - COALESCE(LAG(x.new_amount)"  # noqa: S608
        " OVER (PARTITION BY x.contract_id ORDER BY x.effective_on, x.id), c.amount) AS delta"
        f" FROM {Amendment._meta.db_table} x JOIN {contract_table} c ON c.id = x.contract_id"
        f" WHERE {counting} AND {approved}) a"
        f" JOIN {contract_table} c ON c.id = a.contract_id"
    )
    statements = {
        "contract": select(
            "contract", "c.id", "c.signed_on", "c.amount", "c.currency_id", 1
        ).format(source=f"{contract_table} c")
        + f" WHERE {approved}",
        "amendment": select(
            "amendment", "a.id", "a.effective_on", "a.delta", "c.currency_id", 0
        ).format(source=amendments),
        "execution": select(
            "execution", "x.id", "x.executed_on", "x.amount", "x.currency_id", 0
        ).format(
            source=f"{Execution._meta.db_table} x JOIN {contract_table} c ON c.id = x.contract_id"
        )
        + f" WHERE {counting} AND {approved}",
    }
    written: list[int] = []
    with connection.cursor() as cursor:
        for kind in kinds:
            statement, statement_params = statements[kind], list(params)
            types, values = ["bigint[]"], [list(contracts or [])]
            if kind == "execution" and executions is not None:
                if prepared:
                    statement += " AND x.id = ANY($2)"
                    types.append("bigint[]")
                    values.append(list(executions))
                else:
                    statement += f" AND x.id IN ({', '.join(['%s'] * len(executions))})"
                    statement_params += list(executions)
            if contracts is None:
                # A rebuild writes each kind's facts month by month, so that a range of months
                # is read from neighbouring pages (the public figures read facts), and needs
                # no list of what it wrote.
                cursor.execute(
                    f"INSERT INTO {Fact._meta.db_table} ({columns}) {statement} ORDER BY 6, 4",
                    statement_params,
                )
                continue
            sql = f"INSERT INTO {Fact._meta.db_table} ({columns}) {statement} RETURNING id"
            if prepared:
                db.execute_prepared(cursor, sql, types, values)
            else:
                cursor.execute(sql, statement_params)
            written.extend(row[0] for row in cursor.fetchall())
    return written


def _facts_of(
    contracts: Sequence[int], kinds: Sequence[str], executions: Sequence[int] | None
) -> Q:
    q = Q(pk__in=[])
    if "contract" in kinds:
        q |= Q(kind="contract", record_id__in=contracts)
    if "amendment" in kinds:
        q |= Q(
            kind="amendment",
            record_id__in=Amendment.objects.filter(contract__in=contracts).values("pk"),
        )
    if "execution" in kinds:
        chosen = (
            list(executions)
            if executions is not None
            else Execution.objects.filter(contract__in=contracts).values("pk")
        )
        q |= Q(kind="execution", record_id__in=chosen)
    return q


def refresh(
    contracts: Sequence[int],
    kinds: Sequence[str] = ALL_KINDS,
    executions: Sequence[int] | None = None,
) -> None:
    """Rewrite the facts of these contracts (of the kinds named; of the executions named), and
    move the rollups by the difference: the facts replaced are subtracted, the facts written
    added."""
    contracts = sorted(set(contracts))
    if not contracts:
        return
    old = list(
        Fact.objects.filter(_facts_of(contracts, kinds, executions)).values_list("pk", flat=True)
    )
    if old:
        rollups.add(-1, facts=old)
        Fact.objects.filter(pk__in=old).delete()
    new = _write_facts(contracts, kinds, executions)
    rollups.add(1, facts=new)
    if old or new:
        versions.bump()


@receiver(record_counted)
def follow_decision(sender: Any, record: Any, **kwargs: Any) -> None:
    # A contract's facts carry its category, counterpart and direction into its amendments'
    # and executions: a contract decision rewrites the family. An amendment changes the deltas
    # of the amendments after it; an execution only its own fact.
    if isinstance(record, Contract):
        refresh([record.pk])
    elif isinstance(record, Amendment):
        refresh([record.contract_id], kinds=("amendment",))
    elif isinstance(record, Execution):
        refresh([record.contract_id], kinds=("execution",), executions=[record.pk])


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
    for batch in _chunks(sorted(ids), 500):
        refresh(batch)


@receiver(pre_save, sender=Enterprise)
def enterprise_leaving(sender: Any, instance: Enterprise, **kwargs: Any) -> None:
    """An enterprise moving to another division takes its figures with it (statistics count an
    enterprise where it is registered now): its facts leave the area rollups before the move
    and join them after it."""
    if instance.pk is None or kwargs.get("raw"):
        return
    before = Enterprise.objects.filter(pk=instance.pk).values_list("division_id", flat=True)
    old = before.first()
    if old is not None and old != instance.division_id:
        rollups.add(-1, enterprise=instance.pk, grains=rollups.AREA_GRAINS)
        instance._soms_moved = True  # type: ignore[attr-defined]


@receiver(post_save, sender=Enterprise)
def enterprise_arrived(sender: Any, instance: Enterprise, **kwargs: Any) -> None:
    if getattr(instance, "_soms_moved", False):
        rollups.add(1, enterprise=instance.pk, grains=rollups.AREA_GRAINS)
        versions.bump()
        instance._soms_moved = False  # type: ignore[attr-defined]


@receiver(post_save, sender=CountryGroupMembership)
@receiver(post_delete, sender=CountryGroupMembership)
def follow_membership(sender: Any, **kwargs: Any) -> None:
    """A country joined or left a group (or its dates changed): the group rollup again."""
    rollups.rebuild(rollups.GROUP_GRAINS)
    versions.bump()


@receiver(post_save, sender=CityDesignation)
@receiver(post_delete, sender=CityDesignation)
def follow_designation(sender: Any, **kwargs: Any) -> None:
    """A city designated (or its designation revoked): figures by demonstration city change;
    the rollups keep cities, not designations, so only public figures kept aside are stale."""
    versions.bump()


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for n in range(0, len(items), size):
        yield items[n : n + size]


@transaction.atomic
def rebuild() -> int:
    """Every fact again from the records, then every rollup from the facts; returns the
    number of facts."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # room to sort and group in memory
            cursor.execute("SET LOCAL work_mem = '256MB'")
    Rollup.objects.all().delete()
    Fact.objects.all().delete()
    _write_facts()
    rollups.rebuild()
    versions.bump()
    return Fact.objects.count()
