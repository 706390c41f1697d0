"""The filing deadline under load (``make bench``; never in ``make test``).

Builds a PostgreSQL database of its own (reference data; ``--users`` enterprises in eight
districts, each with an approved contract and an administrator; a reviewer per district), starts
the production server configuration the README recommends for 2 cores (gunicorn, 3 workers of
8 threads, ``SOMS_ENV=production``), and runs locust in its own process: the enterprise users
sign in, file executions of their month through the API and submit them while the reviewers
approve. It prints users, throughput, p50 and p99 per request, errors, lost submissions
(acknowledged minus stored) and the cost of a submission against a trivial authenticated page,
and writes ``benchmarks/results/deadline-<users>.json``. Targets (issue P7): 200 concurrent
users with no error and no lost submission; a submission at most 5 times the trivial page.

    python benchmarks/deadline.py --users 200 --seconds 120
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATABASE = "soms_bench_load"
SERVER = "postgres://postgres@127.0.0.1:5432"
PORT = 8765
PASSWORD = "load-" + secrets.token_hex(8)
DISTRICTS = ["310101", "310115", "320402", "320508", "420106", "429004", "500101", "510104"]
TOTP_KEYS: dict[str, str] = {}  # reviewer: the hex key of the authenticator set up for them
RAMP = 40  # seconds over which the users sign in
WORKERS, THREADS = 3, 8  # 2 cores: (2 × cores − 1) workers, threads for the waits on the DB
os.environ["DATABASE_URL"] = f"{SERVER}/{DATABASE}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soms.settings")


def log(message: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {message}", flush=True)


def prepare(users: int) -> None:
    import django
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.utils import timezone

    from soms.accounts.choices import Role
    from soms.accounts.models import User
    from soms.filing.models import Contract
    from soms.reference.models import CatalogueItem
    from soms.testing import make_enterprise

    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)
    password = make_password(PASSWORD)
    leaf = CatalogueItem.objects.get(code="ITO01")
    today = timezone.localdate()
    for n in range(users):
        firm = make_enterprise(DISTRICTS[n % len(DISTRICTS)])
        user = User.objects.create(
            username=f"load-firm-{n}",
            password=password,
            role=Role.ENTERPRISE_ADMIN,
            enterprise=firm,
        )
        Contract.objects.create(
            enterprise=firm,
            status="approved",
            period=today.replace(day=1),
            contract_no="C-1",
            direction="inbound",
            counterpart_name="Client",
            counterpart_country_id="CN",
            category=leaf,
            currency_id="CNY",
            amount=Decimal("900000000.00"),
            signed_on=today.replace(day=1),
            created_by=user,
            submitted_at=timezone.now(),
            decided_at=timezone.now(),
            decided_by=user,
        )
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for code in DISTRICTS:
        reviewer = User.objects.create(
            username=f"load-reviewer-{code}",
            password=password,
            role=Role.DISTRICT_REVIEWER,
            division_id=code,
        )
        # Production requires two-factor sign-in of officials: each reviewer's phone is the
        # key locust computes the codes with (TOTP_KEYS).
        device = TOTPDevice.objects.create(user=reviewer, name="load", confirmed=True)
        TOTP_KEYS[reviewer.username] = device.key


def start_server() -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SOMS_ENV": "production",  # two-factor sign-in required of officials
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SOMS_HTTPS": "0",
        "SOMS_INSECURE_COOKIES": "1",
        "SOMS_LOGIN_FAILURE_LIMIT": "1000",
        "LOG_LEVEL": "WARNING",
    }
    # Production serves the collected, fingerprinted static files (WhiteNoise).
    subprocess.run(
        [sys.executable, "-m", "soms", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "soms.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(WORKERS),
            "--threads",
            str(THREADS),
            "--worker-class",
            "gthread",
            "--timeout",
            "60",
            # Longer than a user's pause: an idle connection closed by the server just as the
            # client reuses it is reset (nginx in front of gunicorn has its own keep-alive).
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _n in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/accounts/login/", timeout=2)
            return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("the server did not start")


def run_locust(users: int, seconds: int, folder: Path) -> Path:
    ack = folder / "acknowledged.json"
    env = {
        **os.environ,
        "SOMS_LOAD_PASSWORD": PASSWORD,
        "SOMS_LOAD_FIRMS": str(users),
        "SOMS_LOAD_DISTRICTS": json.dumps(DISTRICTS),
        "SOMS_LOAD_ACK": str(ack),
        "SOMS_LOAD_TOTP": json.dumps(TOTP_KEYS),
    }
    total = users + len(DISTRICTS)
    subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "benchmarks" / "locustfile.py"),
            "--headless",
            "--users",
            str(total),
            # Sign-ins arrive over the first RAMP seconds, as on a deadline morning, not at once:
            # each one is a PBKDF2 hash of a million rounds.
            "--spawn-rate",
            f"{total / RAMP:.2f}",
            "--run-time",
            f"{seconds + RAMP}s",
            "--host",
            f"http://127.0.0.1:{PORT}",
            "--csv",
            str(folder / "locust"),
            "--only-summary",
            "--stop-timeout",
            "20",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        check=False,
    )
    return ack


def stored(ack: Path) -> tuple[int, int]:
    import psycopg

    acknowledged = json.loads(ack.read_text()) if ack.exists() else []
    ids = [pk for pk, _no in acknowledged]
    with psycopg.connect(f"{SERVER}/{DATABASE}") as conn:
        found = conn.execute(
            "SELECT count(*) FROM filing_execution WHERE id = ANY(%s)"
            " AND status IN ('submitted', 'approved')",
            [ids],
        ).fetchone()
    return len(ids), int(found[0]) if found else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=120)
    args = parser.parse_args()
    folder = ROOT / "var" / "bench-load"
    folder.mkdir(parents=True, exist_ok=True)
    log(f"preparing {args.users} enterprises and {len(DISTRICTS)} reviewers")
    prepare(args.users)
    log(f"gunicorn: {WORKERS} workers × {THREADS} threads, production settings")
    server = start_server()
    try:
        log(
            f"locust: {args.users} enterprise users and {len(DISTRICTS)} reviewers, "
            f"{args.seconds} s"
        )
        ack = run_locust(args.users, args.seconds, folder)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    rows = {r["Name"]: r for r in csv.DictReader((folder / "locust_stats.csv").open())}
    acknowledged, kept = stored(ack)
    total = rows["Aggregated"]

    def figures(name: str) -> dict[str, float]:
        row = rows.get(name, {})
        return {
            "requests": int(row.get("Request Count", 0) or 0),
            "failures": int(row.get("Failure Count", 0) or 0),
            "p50_ms": float(row.get("50%", 0) or 0),
            "p99_ms": float(row.get("99%", 0) or 0),
            "per_second": float(row.get("Requests/s", 0) or 0),
        }

    names = ["login", "file", "submit", "trivial", "queue", "approve"]
    report = {
        "users": args.users,
        "reviewers": len(DISTRICTS),
        "seconds": args.seconds,
        "server": f"gunicorn {WORKERS} workers × {THREADS} threads",
        "requests": {name: figures(name) for name in names},
        "throughput_per_second": float(total["Requests/s"]),
        "errors": int(total["Failure Count"]),
        "acknowledged_submissions": acknowledged,
        "stored_submissions": kept,
        "lost_submissions": acknowledged - kept,
    }
    trivial = report["requests"]["trivial"]["p50_ms"] or 1.0
    report["submit_to_trivial_p50"] = report["requests"]["submit"]["p50_ms"] / trivial
    report["targets_met"] = (
        report["errors"] == 0
        and report["lost_submissions"] == 0
        and report["submit_to_trivial_p50"] <= 5
    )
    print()
    print(f"users {args.users} + {len(DISTRICTS)} reviewers, {args.seconds} s, {report['server']}")
    print(f"{'request':10} {'count':>7} {'fail':>5} {'p50 ms':>8} {'p99 ms':>8} {'/s':>7}")
    for name in names:
        f = report["requests"][name]
        print(
            f"{name:10} {f['requests']:7} {f['failures']:5} {f['p50_ms']:8.0f} "
            f"{f['p99_ms']:8.0f} {f['per_second']:7.1f}"
        )
    print(f"throughput {report['throughput_per_second']:.1f} requests/s, errors {report['errors']}")
    print(f"submissions acknowledged {acknowledged}, stored {kept}, lost {acknowledged - kept}")
    print(f"submission / trivial page (p50): {report['submit_to_trivial_p50']:.1f} (target ≤ 5)")
    print("targets met" if report["targets_met"] else "TARGETS NOT MET")
    out = ROOT / "benchmarks" / "results" / f"deadline-{args.users}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
