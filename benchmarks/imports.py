"""Importing executions from CSV with full validation, against PostgreSQL COPY of the same rows
into a bare table (``make bench``; never in ``make test``).

Loads reference data and one enterprise with enough approved contracts into a database of its
own, writes an executions file of ``--rows`` rows (1,000,000 by default), imports it with
``soms import executions FILE --user …`` in a child process (rows per second, the child's peak
resident memory), then COPYs the same rows into a table without constraints or indexes. It writes
``benchmarks/results/imports-<rows>.json`` and prints the ratio. Targets (issue P4): at least a
quarter of COPY's throughput, peak memory under 512 MB.

It also measures the floor of any import that keeps the product's schema: the same rows COPYed
into a staging table and moved by one ``INSERT … SELECT`` (contracts joined by number, no checks
of any rule, no audit events) into ``filing_execution`` with its indexes and deferred foreign
keys, committed. That ratio to COPY bounds what an importer can reach with the database's own
integrity constraints, whatever the importer does; the rows are then removed again.

    python benchmarks/imports.py --rows 20000
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATABASE = "soms_bench_import"
SERVER = "postgres://postgres@127.0.0.1:5432"
os.environ["DATABASE_URL"] = f"{SERVER}/{DATABASE}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soms.settings")
PER_CONTRACT = 100
MONTH = dt.date(2026, 10, 1)  # a month still open for filing on the bench's day


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def prepare(rows: int, folder: Path) -> tuple[str, Path]:
    import django
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    django.setup()
    from decimal import Decimal

    from django.core.management import call_command
    from django.utils import timezone

    from soms.accounts.choices import Role
    from soms.filing.models import Contract
    from soms.reference.models import CatalogueItem, ExchangeRate
    from soms.testing import make_enterprise, make_user

    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)
    ExchangeRate.objects.create(month=MONTH, currency_id="USD", cny_per_unit=Decimal("7.1"))
    firm = make_enterprise("320508")
    filer = make_user(Role.ENTERPRISE_ADMIN, enterprise=firm, username="bench-filer")
    leaf = CatalogueItem.objects.get(code="ITO01")
    contracts = (rows + PER_CONTRACT - 1) // PER_CONTRACT
    Contract.objects.bulk_create(
        Contract(
            enterprise=firm,
            status="approved",
            period=MONTH,
            contract_no=f"C-{n}",
            direction="inbound",
            counterpart_name="Acme",
            counterpart_country_id="US",
            category=leaf,
            currency_id="USD",
            amount=Decimal("100000000.00"),
            signed_on=MONTH,
            created_by=filer,
            submitted_at=timezone.now(),
            decided_at=timezone.now(),
            decided_by=filer,
        )
        for n in range(contracts)
    )
    path = folder / f"executions-{rows}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["uscc", "contract_no", "execution_no", "executed_on", "currency", "amount"]
        )
        for n in range(rows):
            day = MONTH + dt.timedelta(days=n % 28)
            writer.writerow(
                [firm.uscc, f"C-{n // PER_CONTRACT}", f"E-{n}", day, "USD", f"{100 + n % 900}.50"]
            )
    return filer.username, path


def run_import(username: str, path: Path, rows: int) -> dict[str, float]:
    start = time.perf_counter()
    child = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "soms", "import", "executions", str(path), "--user", username],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    seconds = time.perf_counter() - start
    if child.returncode != 0:
        raise SystemExit(f"the import failed:\n{child.stdout}\n{child.stderr[-2000:]}")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    log(f"  import: {child.stdout.strip()}")
    return {"seconds": seconds, "rows_per_second": rows / seconds, "peak_mb": peak_kb / 1024}


def run_copy(path: Path, rows: int) -> dict[str, float]:
    import psycopg

    with psycopg.connect(f"{SERVER}/{DATABASE}", autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bare_executions")
        conn.execute(
            "CREATE TABLE bare_executions (uscc text, contract_no text, execution_no text,"
            " executed_on date, currency text, amount numeric)"
        )
        start = time.perf_counter()
        statement = "COPY bare_executions FROM STDIN WITH (FORMAT csv, HEADER)"
        with (
            conn.cursor() as cursor,
            path.open("rb") as handle,
            cursor.copy(statement) as copy,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows_per_second": rows / seconds}


def run_floor(path: Path, rows: int, user: str) -> dict[str, float]:
    """The same rows into the real executions table by SQL alone (see the module's note)."""
    import psycopg

    with psycopg.connect(f"{SERVER}/{DATABASE}") as conn:
        conn.execute("DROP TABLE IF EXISTS staged_executions")
        conn.execute(
            "CREATE UNLOGGED TABLE staged_executions (uscc text, contract_no text,"
            " execution_no text, executed_on text, currency text, amount text)"
        )
        (before,) = conn.execute("SELECT coalesce(max(id), 0) FROM filing_execution").fetchone()
        conn.commit()
        start = time.perf_counter()
        statement = "COPY staged_executions FROM STDIN WITH (FORMAT csv, HEADER)"
        with conn.cursor() as cursor, path.open("rb") as handle, cursor.copy(statement) as copy:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        conn.execute("ANALYZE staged_executions")  # or the planner joins row by row
        inserted = conn.execute(
            """
            INSERT INTO filing_execution (
                enterprise_id, status, period, is_late, warnings, warning_comment,
                return_reason, created_by_id, created_at, lock_version, contract_id,
                execution_no, executed_on, currency_id, amount, receipt_no)
            SELECT c.enterprise_id, 'draft', date_trunc('month', s.executed_on::date)::date,
                   false, '[]'::jsonb, '', '', u.id, now(), 1, c.id, s.execution_no,
                   s.executed_on::date, s.currency, s.amount::numeric(18, 2), ''
            FROM staged_executions s
            JOIN registry_enterprise e ON e.uscc = s.uscc
            JOIN filing_contract c ON c.enterprise_id = e.id AND c.contract_no = s.contract_no
            CROSS JOIN accounts_user u WHERE u.username = %s
            """,
            [user],
        ).rowcount
        conn.commit()  # the deferred foreign keys are checked here
        seconds = time.perf_counter() - start
        if inserted != rows:
            raise SystemExit(f"the floor moved {inserted} rows, not {rows}")
        conn.execute("DELETE FROM filing_execution WHERE id > %s", [before])
        conn.execute("DROP TABLE staged_executions")
        conn.commit()
    with psycopg.connect(f"{SERVER}/{DATABASE}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE filing_execution")  # the import starts from a clean table
    return {"seconds": seconds, "rows_per_second": rows / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    folder = ROOT / "var" / "bench-import"
    folder.mkdir(parents=True, exist_ok=True)
    log(f"preparing {args.rows:,} executions")
    username, path = prepare(args.rows, folder)
    log("the floor: the same rows into filing_execution by COPY and INSERT … SELECT alone")
    floor = run_floor(path, args.rows, username)
    log("importing with full validation (soms import executions)")
    imported = run_import(username, path, args.rows)
    log("COPY of the same rows into a bare table")
    copied = run_copy(path, args.rows)
    ratio = imported["rows_per_second"] / copied["rows_per_second"]
    floor_ratio = floor["rows_per_second"] / copied["rows_per_second"]
    report = {
        "rows": args.rows,
        "import": imported,
        "copy": copied,
        "floor": floor,
        "ratio": ratio,
        "floor_ratio": floor_ratio,
        "import_to_floor": imported["rows_per_second"] / floor["rows_per_second"],
        "targets_met": ratio >= 0.25 and imported["peak_mb"] < 512,
    }
    print()
    print(f"import: {imported['rows_per_second']:,.0f} rows/s, peak {imported['peak_mb']:.0f} MB")
    print(f"COPY:   {copied['rows_per_second']:,.0f} rows/s")
    print(
        f"floor:  {floor['rows_per_second']:,.0f} rows/s (schema, indexes, foreign keys; no rules)"
    )
    print(f"ratio:  {ratio:.4f} (target ≥ 0.25); peak memory target < 512 MB")
    print(f"floor/COPY: {floor_ratio:.4f}; import/floor: {report['import_to_floor']:.2f}")
    print("targets met" if report["targets_met"] else "TARGETS NOT MET")
    out = ROOT / "benchmarks" / "results" / f"imports-{args.rows}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
