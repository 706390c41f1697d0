"""The PostgreSQL server restarted in the middle of a burst of filings and approvals: every
request either fails cleanly or succeeds, no approval the services acknowledged is lost, and the
statistics maintained through the burst equal a rebuild from the records.

Restarting the server cuts every connection on the machine, so this runs alone: ``make test``
runs it after the parallel PostgreSQL run, with ``SOMS_FAULT_TESTS=1`` (it needs root and
``pg_ctlcluster``, as on the development and CI machines).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError, InterfaceError, OperationalError, connection

from soms.accounts.choices import Role
from soms.filing import rules, services
from soms.filing.choices import RecordStatus
from soms.filing.models import Contract, Execution
from soms.review import services as review
from soms.statistics.maintenance import rebuild
from soms.statistics.models import Fact, Rollup
from soms.testing import make_enterprise, make_user

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql" or os.environ.get("SOMS_FAULT_TESTS") != "1",
        reason="restarts PostgreSQL: run alone with SOMS_FAULT_TESTS=1 (make test does)",
    ),
    pytest.mark.django_db(transaction=True),
]
FIRMS = 6
BURST_SECONDS = 12
HISTORY = rules.Context(today=dt.date(2026, 1, 20), history=True)
DOWN = (OperationalError, InterfaceError, DatabaseError)


def restart_postgresql() -> None:
    cluster = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    subprocess.run(  # noqa: S603
        [
            shutil.which("pg_ctlcluster") or "pg_ctlcluster",
            "--skip-systemctl-redirect",
            cluster,
            "main",
            "restart",
            "--",
            "-m",
            "fast",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def _world() -> list[tuple[Any, Any, Contract]]:
    world = []
    for _n in range(FIRMS):
        firm = make_enterprise("320508")
        filer = make_user(Role.ENTERPRISE_ADMIN, enterprise=firm)
        contract = services.create_record(
            actor=filer,
            model=Contract,
            enterprise=firm,
            key={"contract_no": "C-1"},
            data={
                "direction": "inbound",
                "counterpart_name": "Acme",
                "counterpart_country": "US",
                "category": "ITO01",
                "currency": "CNY",
                "amount": "900000000.00",
                "signed_on": dt.date(2025, 3, 1),
            },
            context=HISTORY,
        )
        contract = services.submit(actor=filer, row=contract, comment="ok", context=HISTORY)
        world.append((firm, filer, contract))
    reviewer = make_user(Role.DISTRICT_REVIEWER, division="320508")
    for _firm, _filer, contract in world:
        review.approve_record(actor=reviewer, row=contract, context=HISTORY)
    return [(f, u, Contract.objects.get(pk=c.pk)) for f, u, c in world]


def test_a_restart_during_a_burst_loses_no_acknowledged_approval() -> None:
    world = _world()
    reviewer = make_user(Role.DISTRICT_REVIEWER, division="320508")
    approved: list[tuple[int, Decimal]] = []
    failures: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + BURST_SECONDS

    def burst(index: int, filer: Any, contract: Contract) -> None:
        n = 0
        while time.monotonic() < stop:
            n += 1
            amount = Decimal(1000 + index * 100 + n)
            try:
                row = services.create_record(
                    actor=filer,
                    model=Execution,
                    enterprise=contract.enterprise,
                    key={"contract": contract, "execution_no": f"E-{index}-{n}"},
                    data={
                        "executed_on": dt.date(2025, 6, 1 + n % 28),
                        "currency": "CNY",
                        "amount": str(amount),
                    },
                    context=HISTORY,
                )
                row = services.submit(actor=filer, row=row, comment="ok", context=HISTORY)
                review.approve_record(actor=reviewer, row=row, context=HISTORY)
            except DOWN as error:  # the server went away: this request fails cleanly
                with lock:
                    failures.append(type(error).__name__)
                connection.close()
                time.sleep(0.2)
                continue
            with lock:
                approved.append((row.pk, amount))
        connection.close()

    threads = [
        threading.Thread(target=burst, args=(i, filer, contract))
        for i, (_firm, filer, contract) in enumerate(world)
    ]
    for thread in threads:
        thread.start()
    time.sleep(BURST_SECONDS / 3)
    restart_postgresql()
    for thread in threads:
        thread.join(timeout=BURST_SECONDS * 5)
    connection.close()  # this thread's connection died with the server too

    assert failures, "the restart interrupted nothing: the test did not test"
    assert len(approved) > FIRMS, "too little went through around the restart"
    stored = dict(
        Execution.objects.filter(status=RecordStatus.APPROVED).values_list("pk", "amount")
    )
    missing = [pk for pk, amount in approved if stored.get(pk) != amount]
    assert missing == []
    # The statistics kept up through the burst are what a rebuild finds.
    facts = set(Fact.objects.values_list("kind", "record_id", "value_cny"))
    cells = set(Rollup.objects.values_list("grain", "family", "month", "area", "value_cny"))
    assert len([f for f in facts if f[0] == "execution"]) == len(stored)
    rebuild()
    assert set(Fact.objects.values_list("kind", "record_id", "value_cny")) == facts
    assert set(Rollup.objects.values_list("grain", "family", "month", "area", "value_cny")) == cells
