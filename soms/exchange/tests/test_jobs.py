"""Import jobs: an upload imported by a process of its own, with its progress on a page that
survives a reload, an XLSX error report, and nothing written by a process that dies."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import signal
import time
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from soms.accounts.choices import Role
from soms.exchange import jobs
from soms.exchange.models import ImportJob, JobStatus
from soms.filing.models import Contract, Execution
from soms.reference.services import save_rates
from soms.registry.models import Enterprise
from soms.testing import make_enterprise, make_user

HEADER = ["uscc", "contract_no", "direction", "counterpart_name", "counterpart_country",
          "category_code", "currency", "amount", "signed_on"]  # fmt: skip


def contracts_csv(firm: Enterprise, count: int, bad: set[int] = frozenset()) -> bytes:  # type: ignore[assignment]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for n in range(1, count + 1):
        amount = "3.5亿" if n in bad else "1000.00"
        writer.writerow([firm.uscc, f"C-{n}", "inbound", "Acme", "US", "ITO01", "USD", amount,
                         "2026-10-05"])  # fmt: skip
    return buffer.getvalue().encode()


def setup_firm() -> tuple[Enterprise, Any]:
    save_rates(actor="test", rates=[(dt.date(2026, 10, 1), "USD", Decimal("7.1"))])
    firm = make_enterprise("320508")
    return firm, make_user(Role.ENTERPRISE_ADMIN, enterprise=firm)


def wait_for(job: ImportJob, done: Any, seconds: float = 60) -> ImportJob:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = jobs.refresh(job)
        if done(job):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job.pk} still {job.status} after {seconds} s")


@pytest.mark.django_db
def test_a_refused_file_comes_back_with_an_error_column() -> None:
    firm, filer = setup_firm()
    upload = SimpleUploadedFile("contracts.csv", contracts_csv(firm, 5, bad={3}))
    job = jobs.create(actor=filer, kind="contracts", upload=upload, options={})
    assert job.rows_total == 5 and job.status == JobStatus.QUEUED
    job = jobs.run(job.pk)
    assert job.status == JobStatus.REFUSED and Contract.objects.count() == 0
    assert job.result == {
        "rows": 5, "created": 0, "updated": 0, "unchanged": 0, "errors": 1, "written": False
    }  # fmt: skip
    client = Client()
    client.force_login(filer)
    response = client.get(f"/exchange/jobs/{job.pk}/errors.xlsx")
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-1] == "错误 / Errors" and rows[0][:-1] == tuple(HEADER)
    assert rows[3][7] == "3.5亿" and rows[3][-1].startswith("amount: ")
    assert "亿" in rows[3][-1] and all(not r[-1] for r in (rows[1], rows[2], rows[4], rows[5]))
    # Someone else's job is not found.
    other = Client()
    other.force_login(make_user(Role.ENTERPRISE_ADMIN, enterprise=make_enterprise()))
    assert other.get(f"/exchange/jobs/{job.pk}/").status_code == 404


@pytest.mark.django_db
def test_only_the_ministry_administrator_is_offered_history() -> None:
    firm, filer = setup_firm()
    client = Client()
    client.force_login(filer)
    assert b'name="as_approved"' not in client.get("/exchange/import/").content
    upload = SimpleUploadedFile("contracts.csv", contracts_csv(firm, 1))
    with pytest.raises(Exception, match="ministry administrator"):
        jobs.create(actor=filer, kind="contracts", upload=upload, options={"as_approved": True})


@pytest.mark.django_db(transaction=True)
def test_an_upload_is_imported_by_its_own_process() -> None:
    firm, filer = setup_firm()
    client = Client()
    client.force_login(filer)
    upload = SimpleUploadedFile("contracts.csv", contracts_csv(firm, 40))
    response = client.post(
        "/exchange/import/", {"kind": "contracts", "file": upload, "submit": "on"}
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert response["Location"] == f"/exchange/jobs/{job.pk}/"
    job = wait_for(job, lambda j: j.finished_at is not None)
    assert job.status == JobStatus.DONE and job.result["created"] == 40
    assert set(Contract.objects.values_list("status", flat=True)) == {"submitted"}
    page = client.get(f"/exchange/jobs/{job.pk}/", headers={"HX-Request": "true"})
    assert b"100%" in page.content and b"hx-trigger" not in page.content


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_killed_import_writes_nothing_and_runs_again() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the kill is measured on PostgreSQL")
    firm, filer = setup_firm()
    upload = SimpleUploadedFile("contracts.csv", contracts_csv(firm, 1200))
    job = jobs.create(actor=filer, kind="contracts", upload=upload, options={})
    jobs.start(job)
    job = wait_for(job, lambda j: jobs.rows_done(j) >= 2 * jobs.PROGRESS_EVERY)
    os.kill(job.pid or 0, signal.SIGKILL)
    job = wait_for(job, lambda j: j.status == JobStatus.FAILED, seconds=20)
    assert "nothing was written" in job.message
    assert Contract.objects.count() == 0 and Execution.objects.count() == 0
    jobs.start(job)  # run again
    job = wait_for(job, lambda j: j.finished_at is not None and j.status != JobStatus.FAILED, 120)
    assert job.status == JobStatus.DONE and Contract.objects.count() == 1200
