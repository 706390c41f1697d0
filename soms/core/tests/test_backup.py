"""`soms backup` and `soms restore`: a backup restored into an empty database of the same engine
gives back every row and, recomputed there from the records, the same totals."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys
import uuid
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from soms.core.backup import BackupError, Target, backup, read_manifest, restore, table_counts
from soms.filing.models import Execution
from soms.statistics.tests.desk import Desk, rates

pytestmark = pytest.mark.django_db(transaction=True)


def _file_history() -> Decimal:
    """Approved executions in yuan and dollars; their total in yuan, computed here."""
    rates({(dt.date(2025, m, 1), "USD"): Decimal("7.1") for m in range(1, 13)})
    desk = Desk()
    firm = desk.enterprise("320508")
    contract = desk.approve(
        desk.contract(
            firm, "C-1", currency="USD", amount=Decimal("900000"), signed_on=dt.date(2025, 2, 3)
        )
    )
    for n, (day, amount) in enumerate(((5, "1200.50"), (9, "330000"), (20, "45.25"))):
        desk.approve(
            desk.execution(contract, f"E-{n}", dt.date(2025, 3, day), "USD", Decimal(amount))
        )
    return sum(
        (e.amount * Decimal("7.1") for e in Execution.objects.counting()), Decimal(0)
    ).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _stats_in(database_url: str) -> Decimal:
    """The restored database's execution value for 2025, recomputed there from its records."""
    env = {**os.environ, "DATABASE_URL": database_url}
    command = [sys.executable, "-m", "soms"]
    rebuild = [*command, "stats", "--rebuild"]
    subprocess.run(rebuild, env=env, check=True, capture_output=True)  # noqa: S603
    done = subprocess.run(  # noqa: S603 - our own command
        [*command, "stats", "--measure", "execution_value", "--from", "2025-01", "--to", "2025-12"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    return Decimal(rows[0]["value"])


def _url(target: Target) -> str:
    db = target.settings
    if target.engine == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def media(tmp_path: Path, settings: Any) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    upload = tmp_path / "media" / "imports" / "upload.csv"
    upload.parent.mkdir(parents=True)
    upload.write_text("uscc,contract_no\n")
    return upload


@pytest.fixture
def empty_target(tmp_path: Path) -> Any:
    """An empty database of the test's engine, dropped afterwards."""
    source = Target.configured()
    if source.engine == "sqlite":
        yield Target("sqlite", {**source.settings, "NAME": str(tmp_path / "restored.sqlite3")})
        return
    import psycopg

    name = f"soms_restore_{uuid.uuid4().hex[:8]}"
    admin = {**source.settings}
    server = f"postgres://{admin['USER']}@{admin['HOST']}:{admin['PORT'] or 5432}/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield Target("postgresql", {**source.settings, "NAME": name})
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_backup_restores_into_an_empty_database_with_the_same_totals(
    tmp_path: Path, media: Path, empty_target: Target
) -> None:
    expected = _file_history()
    counts = table_counts()
    archive = tmp_path / "backup.tar"
    manifest = backup(archive)
    assert manifest["counts"] == counts and manifest["engine"] == empty_target.engine
    assert read_manifest(archive)["counts"]["filing_execution"] == 3

    media.unlink()  # the uploaded file comes back from the archive
    restore(archive, empty_target)
    assert media.read_text() == "uscc,contract_no\n"
    # Every row is there, and the totals recomputed from the restored records are the same.
    assert _stats_in(_url(empty_target)) == expected


def test_restore_refuses_a_database_that_is_not_empty(tmp_path: Path, media: Path) -> None:
    _file_history()
    archive = tmp_path / "backup.tar"
    backup(archive)
    with pytest.raises(BackupError, match="not empty"):
        restore(archive)
    assert Execution.objects.count() == 3


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"\x00" * 1024)
    with pytest.raises(BackupError, match="not a SOMS backup"):
        restore(junk)
    assert connection.introspection.table_names()  # nothing touched


def test_the_commands(tmp_path: Path, media: Path) -> None:
    from django.core.management import call_command

    _file_history()
    out = io.StringIO()
    call_command("backup", "--output", str(tmp_path / "b.tar"), stdout=out)
    assert "b.tar" in out.getvalue() and settings.MEDIA_ROOT
    with pytest.raises(Exception, match="not empty"):
        call_command("restore", str(tmp_path / "b.tar"))
