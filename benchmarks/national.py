"""The statistics engine at national scale, on PostgreSQL (``make bench``; never in ``make test``).

1. Generates a national ten-year dataset (November 2016 to October 2026): 100,000
   enterprises, 2,000,000 contracts, 100,000 amendments and 10,000,000 executions at
   ``--scale 1`` (smaller with a smaller scale), loaded with COPY into a database of its
   own, then builds facts and rollups with the product's own rebuild (``soms stats --rebuild``).
2. Runs 10 standard queries through the statistics API (``GET /api/v1/stats/`` as the ministry)
   and reports p50/p95 of each.
3. Computes the same figures with a plain SQL GROUP BY over the records (converted at each
   month's rates, amendments as deltas, as statistics-rules.md counts them), checks that they
   equal the API's, and times it; then the same SQL in DuckDB over a CSV export of the records.
4. Approves a batch of 1,000 submitted executions through the review service, with and without
   aggregate maintenance (facts and rollups), and reports the overhead.

It writes ``benchmarks/results/national-<scale>.json`` and prints the ratios. Targets (issue P3):
every standard query ≥ 20× faster than the GROUP BY and ≥ 3× faster than DuckDB; maintenance
adds ≤ 50% to the approval of a batch.

    python benchmarks/national.py --scale 1        # about 30 minutes on 2 cores
    python benchmarks/national.py --scale 0.01 --repeat 10
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATABASE = "soms_bench"
SERVER = "postgres://postgres@127.0.0.1:5432"
os.environ["DATABASE_URL"] = f"{SERVER}/{DATABASE}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soms.settings")

# Ten years to last month: the approvals are of a month still open for filing.
FIRST, LAST = dt.date(2016, 11, 1), dt.date(2026, 10, 31)
YTD = ("2026-01", "2026-10")
CURRENCIES = {"USD": (6.2, 7.3), "EUR": (7.2, 8.2), "JPY": (0.045, 0.065), "HKD": (0.8, 0.93)}
# Counterparts as the published figures weigh them (US, Hong Kong, EU, Japan, ASEAN …).
COUNTRIES = [
    ("CN", 22),
    ("US", 20),
    ("HK", 12),
    ("JP", 7),
    ("DE", 4),
    ("GB", 4),
    ("SG", 4),
    ("KR", 3),
    ("FR", 3),
    ("NL", 2),
    ("IN", 2),
    ("MY", 2),
    ("AU", 2),
    ("TW", 2),
    ("MO", 1),
    ("VN", 2),
    ("TH", 1),
    ("ID", 1),
    ("AE", 1),
    ("SA", 1),
    ("BR", 1),
    ("RU", 1),
    ("IT", 1),
    ("ES", 1),
    ("CA", 1),
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]

    return {"p50_ms": at(0.5) * 1000, "p95_ms": at(0.95) * 1000, "n": len(ordered)}


def user(role: str, username: str, **extra: Any) -> Any:
    from soms.accounts.models import User
    from soms.testing import make_user

    found = User.objects.filter(username=username).first()
    return found or make_user(role, username=username, **extra)


# --- the database ------------------------------------------------------------------------------


def fresh_database() -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")


def setup_django() -> None:
    import django

    django.setup()


def prepare_reference() -> dict[str, Any]:
    from django.core.management import call_command

    from soms.accounts.choices import Role
    from soms.reference.models import CatalogueItem, CityDesignation, Division, ExchangeRate
    from soms.testing import make_user

    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)
    rng = random.Random(7)
    months = []
    month = FIRST
    while month <= LAST:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    ExchangeRate.objects.bulk_create(
        ExchangeRate(
            month=m,
            currency_id=currency,
            cny_per_unit=Decimal(str(round(rng.uniform(low, high), 4))),
        )
        for m in months
        for currency, (low, high) in CURRENCIES.items()
    )
    demonstration = set(CityDesignation.objects.values_list("division_id", flat=True))
    counties = list(
        Division.objects.filter(accepts_enterprises=True).values_list("code", "city_code")
    )
    # Seven enterprises in ten register in a demonstration city, as the published figures show.
    weights = [14.0 if city in demonstration else 1.0 for _code, city in counties]
    leaves = list(
        CatalogueItem.objects.filter(parent__isnull=False, children__isnull=True)
        .values_list("pk", flat=True)
        .distinct()
    )
    filer = make_user(Role.ENTERPRISE_FILER, username="bench-filer")
    return {
        "counties": [code for code, _city in counties],
        "weights": weights,
        "leaves": leaves,
        "filer": filer.pk,
        "rng": rng,
    }


def _copy(table: str, columns: str, rows: Iterator[str]) -> int:
    from django.db import connection

    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for line in rows:
                buffer.write(line)
                count += 1
                if count % 50000 == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
    return count


def _without_indexes(tables: list[str], load: Callable[[], None]) -> None:
    """COPY into bare tables (no secondary indexes, no foreign-key triggers), then index."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET session_replication_role = replica")
        load()
        cursor.execute("SET session_replication_role = DEFAULT")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


def generate(scale: float, ref: dict[str, Any]) -> dict[str, int]:
    from soms.testing import make_uscc

    rng: random.Random = ref["rng"]
    n_enterprises = max(60, int(100_000 * scale))
    n_contracts = max(300, int(2_000_000 * scale))
    executions_per_contract = 5
    now = "2026-11-05 09:00:00+08"
    filer = ref["filer"]
    ownerships = ["private", "state", "foreign", "hmt", "collective"]
    divisions = rng.choices(ref["counties"], ref["weights"], k=n_enterprises)
    countries, country_weights = zip(*COUNTRIES, strict=True)
    days = (LAST - FIRST).days
    counts = {"enterprises": n_enterprises}

    def enterprises() -> Iterator[str]:
        for n in range(1, n_enterprises + 1):
            yield (
                f"{n}\t{make_uscc(n)}\t企业{n}\tEnterprise {n}\t{rng.choice(ownerships)}\tsmall"
                f"\t2014-01-01\t\t\t\t\tapproved\t\t2015-06-01\t\\N\t{now}\t1\t{divisions[n - 1]}\n"
            )

    contracts: list[
        tuple[int, int, dt.date, str, int]
    ] = []  # id, enterprise, signed, currency, cents

    def contract_rows() -> Iterator[str]:
        for n in range(1, n_contracts + 1):
            enterprise = rng.randint(1, n_enterprises)
            signed = FIRST + dt.timedelta(days=int(days * rng.random() ** 0.7))
            country = rng.choices(countries, country_weights)[0]
            currency = (
                "CNY" if country == "CN" else rng.choice(("USD", "USD", "USD", "EUR", "JPY", "HKD"))
            )
            cents = int(rng.lognormvariate(12.5, 1.2))
            if currency == "JPY":
                cents *= 150
            direction = "inbound" if rng.random() < 0.92 else "outbound"
            contracts.append((n, enterprise, signed, currency, cents))
            yield (
                f"{n}\tapproved\t{signed:%Y-%m-01}\tf\t[]\t\t\t{now}\t{now}\t{now}\t1\tC-{n}"
                f"\t{direction}\tCounterpart {n}\t{cents / 100:.2f}\t{signed}\t\\N\t\\N"
                f"\t{rng.choice(ref['leaves'])}\t\\N\t{country}\t{filer}\t{currency}\t{filer}"
                f"\t{enterprise}\n"
            )

    def amendment_rows() -> Iterator[str]:
        n = 0
        for cid, enterprise, signed, _currency, cents in contracts:
            if rng.random() < 0.05:
                n += 1
                effective = min(LAST, signed + dt.timedelta(days=rng.randint(20, 300)))
                new_cents = int(cents * rng.uniform(0.7, 1.5))
                yield (
                    f"{n}\tapproved\t{effective:%Y-%m-01}\tf\t[]\t\t\t{now}\t{now}\t{now}\t1"
                    f"\tA-{n}\t{effective}\t{new_cents / 100:.2f}\t\t\\N\t{filer}\t{filer}"
                    f"\t{enterprise}\t{cid}\n"
                )
        counts["amendments"] = n

    def execution_rows() -> Iterator[str]:
        n = 0
        for cid, enterprise, signed, currency, cents in contracts:
            for k in range(executions_per_contract):
                n += 1
                executed = min(LAST, signed + dt.timedelta(days=30 * k + rng.randint(0, 40)))
                amount = cents * rng.uniform(0.03, 0.12) / 100
                yield (
                    f"{n}\tapproved\t{executed:%Y-%m-01}\tf\t[]\t\t\t{now}\t{now}\t{now}\t1"
                    f"\tE-{k}\t{executed}\t{amount:.2f}\t\t{cid}\t\\N\t{filer}\t{currency}"
                    f"\t{filer}\t{enterprise}\n"
                )
        counts["executions"] = n

    tables = ["registry_enterprise", "filing_contract", "filing_amendment", "filing_execution"]

    def load() -> None:
        _copy(
            "registry_enterprise",
            "id, uscc, name, name_en, ownership, size, established_on, address, contact_name,"
            " contact_phone, contact_email, status, return_reason, registered_on,"
            " deregistered_on, submitted_at, lock_version, division_id",
            enterprises(),
        )
        log(f"  {n_enterprises:,} enterprises")
        record = (
            "id, status, period, is_late, warnings, warning_comment, return_reason, created_at,"
            " submitted_at, decided_at, lock_version"
        )
        counts["contracts"] = _copy(
            "filing_contract",
            f"{record}, contract_no, direction, counterpart_name, amount, signed_on, start_on,"
            " end_on, category_id, corrects_id, counterpart_country_id, created_by_id,"
            " currency_id, decided_by_id, enterprise_id",
            contract_rows(),
        )
        log(f"  {counts['contracts']:,} contracts")
        _copy(
            "filing_amendment",
            f"{record}, amendment_no, effective_on, new_amount, reason, corrects_id,"
            " created_by_id, decided_by_id, enterprise_id, contract_id",
            amendment_rows(),
        )
        log(f"  {counts['amendments']:,} amendments")
        _copy(
            "filing_execution",
            f"{record}, execution_no, executed_on, amount, receipt_no, contract_id, corrects_id,"
            " created_by_id, currency_id, decided_by_id, enterprise_id",
            execution_rows(),
        )
        log(f"  {counts['executions']:,} executions")

    _without_indexes(tables, load)
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT MAX(id) FROM {table}))"
            )
    return counts


# --- the standard queries -------------------------------------------------------------------


STANDARD = [
    # name, API parameters
    ("national YTD by province", {"measure": "execution_value", "by": "province"}),
    ("national YTD by category", {"measure": "execution_value", "by": "category"}),
    (
        "national YTD offshore by counterpart group",
        {"measure": "execution_value", "by": "counterpart_group", "flow": "offshore"},
    ),
    (
        "36 months of national trend",
        {"measure": "execution_value", "by": "month", "from": "2023-11", "to": "2026-10"},
    ),
    (
        "one city (Suzhou) by category",
        {"measure": "execution_value", "by": "category", "where": "city:320500"},
    ),
    ("national YTD contract value by province", {"measure": "contract_value", "by": "province"}),
    (
        "national YTD offshore by counterpart country",
        {"measure": "execution_value", "by": "counterpart_country", "flow": "offshore"},
    ),
    (
        "demonstration cities and others",
        {"measure": "execution_value", "by": "demonstration_city"},
    ),
    (
        "NBS regions in dollars",
        {"measure": "execution_value", "by": "nbs_region", "currency": "USD"},
    ),
    (
        "one province (Jiangsu) contract value by city",
        {"measure": "contract_value", "by": "city", "where": "province:320000"},
    ),
]


def api_params(params: dict[str, str]) -> dict[str, str]:
    return {"from": YTD[0], "to": YTD[1], "currency": "CNY", **params}


def months_of(params: dict[str, str]) -> tuple[dt.date, dt.date]:
    p = api_params(params)
    start = dt.date(*map(int, p["from"].split("-")), 1)  # type: ignore[misc]
    end = dt.date(*map(int, p["to"].split("-")), 1)  # type: ignore[misc]
    following = (end + dt.timedelta(days=32)).replace(day=1)
    return start, following


def group_by_sql(params: dict[str, str], dialect: str) -> str:
    """Plain SQL over the records for the current range and the same range a year earlier."""
    p = api_params(params)
    start, following = months_of(params)
    prev_start, prev_following = (
        start.replace(year=start.year - 1),
        following.replace(year=following.year - 1),
    )
    month = "CAST(date_trunc('month', {0}) AS date)"
    usd = p["currency"] == "USD"

    def converted(amount: str, currency: str, day: str, alias: str) -> tuple[str, str]:
        """The value in yuan (or dollars) and the joins of the month's rates."""
        m = month.format(day)
        joins = (
            f" LEFT JOIN reference_exchangerate {alias}r"
            f" ON {alias}r.currency_id = {currency} AND {alias}r.month = {m}"
        )
        value = f"{amount} * (CASE WHEN {currency} = 'CNY' THEN 1 ELSE {alias}r.cny_per_unit END)"
        if usd:
            joins += (
                f" LEFT JOIN reference_exchangerate {alias}u"
                f" ON {alias}u.currency_id = 'USD' AND {alias}u.month = {m}"
            )
            value = f"{value} / {alias}u.cny_per_unit"
        return value, joins

    counted = "{0}.status = 'approved' AND {0}.corrects_id IS NULL"
    if p["measure"] == "execution_value":
        value, rates = converted("x.amount", "x.currency_id", "x.executed_on", "x")
        records = (
            f"SELECT x.executed_on AS day, {value} AS v,"
            " c.enterprise_id, c.category_id, c.counterpart_country_id AS country"
            f" FROM filing_execution x JOIN filing_contract c ON c.id = x.contract_id{rates}"
            f" WHERE {counted.format('x')} AND {counted.format('c')} AND c.direction = 'inbound'"
            f" AND ((x.executed_on >= DATE '{start}' AND x.executed_on < DATE '{following}')"
            f" OR (x.executed_on >= DATE '{prev_start}'"
            f" AND x.executed_on < DATE '{prev_following}'))"
        )
    else:
        value, rates = converted("c.amount", "c.currency_id", "c.signed_on", "c")
        delta, delta_rates = converted("a.delta", "a.currency_id", "a.day", "a")
        records = (
            f"SELECT c.signed_on AS day, {value} AS v,"
            " c.enterprise_id, c.category_id, c.counterpart_country_id AS country"
            f" FROM filing_contract c{rates}"
            f" WHERE {counted.format('c')} AND c.direction = 'inbound'"
            " UNION ALL"
            f" SELECT a.day, {delta}, a.enterprise_id, a.category_id, a.country FROM ("
            " SELECT x.effective_on AS day, c.currency_id, c.enterprise_id, c.category_id,"
            " c.counterpart_country_id AS country, x.new_amount - COALESCE(LAG(x.new_amount)"
            " OVER (PARTITION BY x.contract_id ORDER BY x.effective_on, x.id), c.amount) AS delta"
            " FROM filing_amendment x JOIN filing_contract c ON c.id = x.contract_id"
            f" WHERE {counted.format('x')} AND {counted.format('c')}"
            f" AND c.direction = 'inbound') a{delta_rates}"
        )
    dim = p["by"]
    joins = (
        " JOIN registry_enterprise e ON e.id = r.enterprise_id"
        " JOIN reference_division d ON d.code = e.division_id"
    )
    key = {
        "province": "d.province_code",
        "city": "d.city_code",
        "category": "cat.code",
        "counterpart_country": "r.country",
        "counterpart_group": "m.group_id",
        "month": month.format("r.day"),
        "nbs_region": "COALESCE(rg.region_id, '')",
        "demonstration_city": (
            f"CASE WHEN dc.first_day <= {month.format('r.day')} THEN 'yes' ELSE 'no' END"
        ),
    }[dim]
    if dim == "category":
        joins += " JOIN reference_catalogueitem cat ON cat.id = r.category_id"
    if dim == "counterpart_group":
        joins += (
            " JOIN reference_countrygroupmembership m ON m.country_id = r.country"
            " AND (m.valid_from IS NULL OR m.valid_from <= r.day)"
            " AND (m.valid_to IS NULL OR r.day <= m.valid_to)"
        )
    if dim == "nbs_region":
        joins += (
            " LEFT JOIN (SELECT rm.region_id, rm.division_id FROM reference_region_members rm"
            " JOIN reference_region g ON g.code = rm.region_id WHERE g.kind = 'nbs') rg"
            " ON rg.division_id = d.province_code"
        )
    if dim == "demonstration_city":
        joins += (
            " LEFT JOIN (SELECT division_id, MIN(designated_on) AS first_day"
            " FROM reference_citydesignation WHERE kind = 'demonstration'"
            " AND revoked_on IS NULL GROUP BY division_id) dc ON dc.division_id = d.city_code"
        )
    where: list[str] = []
    if p.get("flow") == "offshore":
        where.append("r.country <> 'CN'")
    for clause in [p["where"]] if p.get("where") else []:
        field, value = clause.split(":")
        where.append(
            {"city": "d.city_code", "province": "d.province_code"}[field] + f" = '{value}'"
        )
    current = f"r.day >= DATE '{start}' AND r.day < DATE '{following}'"
    previous = f"r.day >= DATE '{prev_start}' AND r.day < DATE '{prev_following}'"
    # The previous year's figures are keyed a year on, so that trend months line up; ranges
    # may overlap (36 months), so the records are grouped once for each.
    shifted = f"CAST({key} + INTERVAL '1 year' AS date)" if dim == "month" else key
    filters = " AND ".join(where) or "1 = 1"
    body = f" FROM ({records}) r{joins} WHERE {filters} AND"
    return (
        "SELECT k, SUM(value) AS value, SUM(value_prev) AS value_prev FROM ("
        f"SELECT {key} AS k, SUM(r.v) AS value, NULL AS value_prev{body} {current} GROUP BY 1"
        " UNION ALL"
        f" SELECT {shifted} AS k, NULL AS value, SUM(r.v) AS value_prev{body} {previous}"
        " GROUP BY 1) t GROUP BY k"
    )


def rounded(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def compare(api_rows: dict[str, tuple[Any, Any]], sql_rows: dict[str, tuple[Any, Any]]) -> int:
    """Rows whose values differ by more than a cent (floating-point sums in DuckDB)."""
    differences = 0
    for key in set(api_rows) | set(sql_rows):
        for expected, got in zip(
            api_rows.get(key, (None, None)), sql_rows.get(key, (None, None)), strict=True
        ):
            if expected is None and got is None:
                continue
            if (
                expected is None
                or got is None
                or abs(Decimal(expected) - Decimal(str(got))) > Decimal("0.011")
            ):
                differences += 1
    return differences


# --- the run -----------------------------------------------------------------------------------


def run_api(repeat: int) -> tuple[dict[str, Any], dict[str, dict[str, tuple[Any, Any]]]]:
    from django.test import Client

    from soms.accounts.choices import Role

    client = Client()
    client.force_login(user(Role.MINISTRY_STATISTICIAN, "bench-stat"))
    results, figures = {}, {}
    for name, params in STANDARD:

        def ask(params: dict[str, str] = params) -> Any:
            response = client.get("/api/v1/stats/", api_params(params))
            assert response.status_code == 200, response.content[:500]
            return response.json()

        ask()  # warm
        samples = []
        for _ in range(repeat):
            elapsed, body = timed(ask)
            samples.append(elapsed)
        dim = params["by"]
        figures[name] = {r[dim]: (r["value"], r["value_prev"]) for r in body["rows"]}
        results[name] = percentiles(samples)
        log(
            f"  API {name}: p50 {results[name]['p50_ms']:.1f} ms,"
            f" p95 {results[name]['p95_ms']:.1f} ms, {len(body['rows'])} rows"
        )
    return results, figures


def run_group_by(repeat: int, figures: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection

    results = {}
    for name, params in STANDARD:
        sql = group_by_sql(params, "postgresql")
        samples, rows = [], []
        for _ in range(repeat):

            def ask(sql: str = sql) -> list[Any]:
                with connection.cursor() as cursor:
                    cursor.execute(sql)
                    return cursor.fetchall()

            elapsed, rows = timed(ask)
            samples.append(elapsed)
        got = {str(k) if not isinstance(k, dt.date) else f"{k:%Y-%m}": (v, p) for k, v, p in rows}
        results[name] = percentiles(samples) | {"differences": compare(figures[name], got)}
        log(
            f"  GROUP BY {name}: p50 {results[name]['p50_ms']:.0f} ms,"
            f" differences from the API {results[name]['differences']}"
        )
    return results


EXPORT = {
    "filing_execution": "id BIGINT, status VARCHAR, corrects_id BIGINT, contract_id BIGINT,"
    " executed_on DATE, amount DECIMAL(20,2), currency_id VARCHAR",
    "filing_contract": "id BIGINT, status VARCHAR, corrects_id BIGINT, direction VARCHAR,"
    " enterprise_id BIGINT, category_id BIGINT, counterpart_country_id VARCHAR, signed_on DATE,"
    " amount DECIMAL(20,2), currency_id VARCHAR",
    "filing_amendment": "id BIGINT, status VARCHAR, corrects_id BIGINT, contract_id BIGINT,"
    " effective_on DATE, new_amount DECIMAL(20,2)",
    "registry_enterprise": "id BIGINT, division_id VARCHAR",
    "reference_division": "code VARCHAR, province_code VARCHAR, city_code VARCHAR",
    "reference_exchangerate": "month DATE, currency_id VARCHAR, cny_per_unit DECIMAL(20,8)",
    "reference_catalogueitem": "id BIGINT, code VARCHAR",
    "reference_countrygroupmembership": "group_id VARCHAR, country_id VARCHAR,"
    " valid_from DATE, valid_to DATE",
    "reference_region_members": "region_id VARCHAR, division_id VARCHAR",
    "reference_region": "code VARCHAR, kind VARCHAR",
    "reference_citydesignation": "division_id VARCHAR, designated_on DATE, kind VARCHAR,"
    " revoked_on DATE",
}


def _columns(table: str) -> list[tuple[str, str]]:
    parts = re.split(r",(?![^()]*\))", EXPORT[table])
    return [(p.strip().split(" ", 1)[0], p.strip().split(" ", 1)[1]) for p in parts]


def run_duckdb(repeat: int, figures: dict[str, Any], folder: Path) -> tuple[dict[str, Any], float]:
    import duckdb
    from django.db import connection

    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for table in EXPORT:
            names = ", ".join(name for name, _type in _columns(table))
            with (
                open(folder / f"{table}.csv", "wb") as out,
                raw.copy(f"COPY (SELECT {names} FROM {table}) TO STDOUT WITH CSV HEADER") as copy,
            ):
                for chunk in copy:
                    out.write(chunk)
    db = duckdb.connect()
    for table in EXPORT:
        types = ", ".join(f"'{name}': '{kind}'" for name, kind in _columns(table))
        db.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_csv('{folder / table}.csv',"
            f" header=true, columns={{{types}}})"
        )
    export_seconds = time.perf_counter() - start
    log(f"  exported the records to CSV and loaded them into DuckDB in {export_seconds:.0f} s")
    results = {}
    for name, params in STANDARD:
        sql = group_by_sql(params, "duckdb")
        samples, rows = [], []
        for _ in range(repeat):
            elapsed, rows = timed(lambda: db.execute(sql).fetchall())  # noqa: B023
            samples.append(elapsed)
        got = {str(k) if not isinstance(k, dt.date) else f"{k:%Y-%m}": (v, p) for k, v, p in rows}
        results[name] = percentiles(samples) | {"differences": compare(figures[name], got)}
        log(
            f"  DuckDB {name}: p50 {results[name]['p50_ms']:.1f} ms,"
            f" differences from the API {results[name]['differences']}"
        )
    return results, export_seconds


def run_approvals(batch: int) -> dict[str, Any]:
    """Submitted executions approved one by one (each its own transaction, as reviewers do)."""
    from django.db import connection

    from soms.accounts.choices import Role
    from soms.filing.models import Execution
    from soms.filing.signals import record_counted
    from soms.review.services import decide_many
    from soms.statistics import maintenance

    with connection.cursor() as cursor:
        # Two batches of executions, dated in an open month, made submitted again.
        cursor.execute(
            "SELECT id FROM filing_execution WHERE executed_on >= DATE '2026-10-01'"
            " AND executed_on < DATE '2026-11-01' ORDER BY id LIMIT %s",
            [2 * batch],
        )
        ids = [row[0] for row in cursor.fetchall()]
    # Made submitted again, as filed and awaiting review: not counted, so no facts.
    Execution.objects.filter(pk__in=ids).update(status="submitted", decided_at=None)
    for execution in Execution.objects.filter(pk__in=ids).only("pk", "contract_id"):
        maintenance.refresh([execution.contract_id], ("execution",), [execution.pk])
    results = {}
    for label, chosen, connected in (
        ("with maintenance", ids[:batch], True),
        ("without maintenance", ids[batch:], False),
    ):
        rows = list(
            Execution.objects.filter(pk__in=chosen).select_related("contract", "enterprise")
        )
        # Each district's reviewer approves its own enterprises' records.
        by_district: dict[str, list[Any]] = {}
        for row in rows:
            by_district.setdefault(row.enterprise.division_id, []).append(row)
        reviewers = {
            code: user(Role.DISTRICT_REVIEWER, f"bench-reviewer-{code}", division=code)
            for code in by_district
        }
        if not connected:
            record_counted.disconnect(maintenance.follow_decision)
        try:

            def approve_all() -> list[Any]:
                refused = []
                for code, records in by_district.items():  # noqa: B023
                    outcome = decide_many(actor=reviewers[code], rows=records, approve=True)  # noqa: B023
                    refused.extend(outcome.refused)
                return refused

            elapsed, refused = timed(approve_all)
        finally:
            if not connected:
                record_counted.connect(maintenance.follow_decision)
        outcome = type("Outcome", (), {"refused": refused})
        assert not outcome.refused, outcome.refused[:3]
        results[label] = {
            "seconds": elapsed,
            "records": len(rows),
            "per_record_ms": elapsed / len(rows) * 1000,
        }
        log(f"  approve {len(rows)} executions {label}: {elapsed:.1f} s")
    with_, without = (
        results["with maintenance"]["seconds"],
        results["without maintenance"]["seconds"],
    )
    results["overhead_pct"] = (with_ - without) / without * 100
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=30, help="API and DuckDB runs per query")
    parser.add_argument("--sql-repeat", type=int, default=5, help="GROUP BY runs per query")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="reuse the database of the last run")
    args = parser.parse_args()
    report: dict[str, Any] = {
        "scale": args.scale,
        "started": dt.datetime.now().isoformat(timespec="seconds"),
    }
    if not args.keep:
        fresh_database()
    setup_django()
    from django.db import connection

    from soms.statistics.maintenance import rebuild
    from soms.statistics.models import Fact, Rollup

    if not args.keep:
        log(f"generating the national dataset at scale {args.scale}")
        ref = prepare_reference()
        report["generate_seconds"], report["counts"] = timed(lambda: generate(args.scale, ref))
        log("building facts and rollups (soms stats --rebuild)")
        report["rebuild_seconds"], _facts = timed(rebuild)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    report["facts"] = Fact.objects.count()
    report["rollup_cells"] = Rollup.objects.count()
    log(f"  {report['facts']:,} facts, {report['rollup_cells']:,} rollup cells")
    log("standard queries through the API")
    report["api"], figures = run_api(args.repeat)
    log("the same figures by a plain SQL GROUP BY over the records")
    report["group_by"] = run_group_by(args.sql_repeat, figures)
    log("the same figures by DuckDB over an export of the records")
    report["duckdb"], report["duckdb_export_seconds"] = run_duckdb(
        args.repeat, figures, ROOT / "var" / "bench-export"
    )
    log(f"approving a batch of {args.batch} executions")
    report["approval"] = run_approvals(args.batch)

    print()
    print(
        f"{'query':48} {'API p50':>9} {'p95':>8} {'GROUP BY':>10} {'×':>7} {'DuckDB':>8} {'×':>6}"
    )
    ok = True
    for name, _params in STANDARD:
        api, sql, duck = report["api"][name], report["group_by"][name], report["duckdb"][name]
        vs_sql = sql["p50_ms"] / api["p50_ms"]
        vs_duck = duck["p50_ms"] / api["p50_ms"]
        report["api"][name]["vs_group_by"] = vs_sql
        report["api"][name]["vs_duckdb"] = vs_duck
        ok = (
            ok
            and vs_sql >= 20
            and vs_duck >= 3
            and not sql["differences"]
            and not duck["differences"]
        )
        print(
            f"{name:48} {api['p50_ms']:8.1f}ms {api['p95_ms']:7.1f}ms"
            f" {sql['p50_ms']:9.0f}ms {vs_sql:6.0f}× {duck['p50_ms']:7.1f}ms {vs_duck:5.1f}×"
        )
    overhead = report["approval"]["overhead_pct"]
    print(f"approval of {args.batch}: aggregate maintenance adds {overhead:.0f}% (target ≤ 50%)")
    report["targets_met"] = ok and overhead <= 50
    print("targets met" if report["targets_met"] else "TARGETS NOT MET")
    out = ROOT / "benchmarks" / "results" / f"national-{args.scale:g}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"results: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
