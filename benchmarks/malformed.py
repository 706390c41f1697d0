"""The peak memory of refusing malformed files (``make bench``; never in ``make test``).

Each file of the malformed-file corpus (``soms/exchange/tests/test_malformed_files.py``: a zip
bomb, truncated XLSX, binary junk, 100 MB in one cell, wrong encodings …) and a 100 MB CSV whose
every row is refused is imported with ``soms import executions FILE --user …`` in a child process
of its own; the bench prints each file's size, the error the command ends with, and the child's
peak resident memory, and writes ``benchmarks/results/malformed.json``. Target (issue P7): every
file refused with a clear error in bounded memory (under 512 MB, as any import).

    python benchmarks/malformed.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATABASE = ROOT / "var" / "bench-malformed" / "soms.sqlite3"
os.environ["DATABASE_URL"] = f"sqlite:///{DATABASE}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soms.settings")
LIMIT_MB = 512
BAD_ROWS_MB = 100

# The child: one import, then its own peak resident memory (KiB) on the last line.
CHILD = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(done.returncode)
print((done.stderr.strip().splitlines() or [""])[-1][:300])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def prepare() -> tuple[str, str]:
    import django

    DATABASE.parent.mkdir(parents=True, exist_ok=True)
    DATABASE.unlink(missing_ok=True)
    django.setup()
    from django.core.management import call_command

    from soms.accounts.choices import Role
    from soms.testing import make_enterprise, make_user

    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)
    firm = make_enterprise("320508")
    make_user(Role.ENTERPRISE_ADMIN, enterprise=firm, username="bench-malformed")
    return "bench-malformed", firm.uscc


def bad_rows(path: Path, uscc: str) -> None:
    """About 100 MB of executions of a contract that does not exist: every row refused."""
    line = f"{uscc},NO-SUCH-CONTRACT,E-{{}},2026-10-05,USD,1000.00\n"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("uscc,contract_no,execution_no,executed_on,currency,amount\n")
        n = 0
        while handle.tell() < BAD_ROWS_MB << 20:
            handle.writelines(line.format(n + k) for k in range(10_000))
            n += 10_000


def measure(username: str, kind: str, path: Path) -> dict[str, object]:
    command = [sys.executable, "-m", "soms", "import", "executions", str(path), "--user", username]
    started = time.perf_counter()
    child = subprocess.run(  # noqa: S603
        [sys.executable, "-c", CHILD, *command], capture_output=True, text=True, check=True
    )
    code, message, peak_kb = child.stdout.strip().splitlines()[-3:]
    return {
        "file": kind,
        "size_mb": round(path.stat().st_size / (1 << 20), 1),
        "exit_code": int(code),
        "error": message,
        "peak_mb": round(int(peak_kb) / 1024, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    username, uscc = prepare()
    from soms.exchange.tests.test_malformed_files import CORPUS

    results = []
    with tempfile.TemporaryDirectory() as folder:
        files: dict[str, Path] = {}
        for kind, (make, _words) in CORPUS.items():
            files[kind] = Path(folder) / kind.replace(" ", "-")
            make(files[kind])
        files[f"{BAD_ROWS_MB} MB of refused rows"] = Path(folder) / "bad-rows.csv"
        bad_rows(files[f"{BAD_ROWS_MB} MB of refused rows"], uscc)
        for kind, path in files.items():
            result = measure(username, kind, path)
            log(
                f"{kind:32} {result['size_mb']:>7} MB  exit {result['exit_code']}  "
                f"peak {result['peak_mb']:>6} MB  {result['seconds']} s  {result['error'][:90]}"
            )
            results.append(result)
    worst = max(float(r["peak_mb"]) for r in results)  # type: ignore[arg-type]
    refused = all(r["exit_code"] != 0 for r in results)
    summary = {
        "files": results,
        "worst_peak_mb": worst,
        "limit_mb": LIMIT_MB,
        "all_refused": refused,
    }
    out = ROOT / "benchmarks" / "results" / "malformed.json"
    out.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    log(f"worst peak {worst} MB (limit {LIMIT_MB} MB); every file refused: {refused}; {out}")
    if worst > LIMIT_MB or not refused:
        sys.exit(1)


if __name__ == "__main__":
    main()
