"""Import jobs (exchange-format.md, "Large files run as background jobs").

An upload is stored and becomes an :class:`ImportJob`; a process of its own (``soms
run_import_job ID``) imports it in one transaction, writing its progress to a small file beside
the upload that the page reads while the transaction is still open. The job's outcome is saved
in the import's own transaction, so "done" and the rows it wrote commit together. A process that
dies (killed, out of memory, the machine restarting) leaves nothing written: its transaction is
rolled back by the database, and the page, finding the process gone, shows the job as failed.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from soms.accounts.models import User
from soms.core.db import database_url
from soms.core.errors import ServiceError, bilingual
from soms.core.imports import IMPORTERS, ImportResult, load_importers
from soms.core.tabular import FileError, RowError, raw_rows
from soms.exchange.models import ImportJob, JobStatus

OPTIONS = ("dry_run", "partial", "submit", "as_approved")
PROGRESS_EVERY = 50  # rows


def _folder() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _count_rows(path: Path) -> int:
    """The rows under the header, for the progress bar (lines of a CSV, rows of a sheet)."""
    with path.open("rb") as handle:
        if handle.read(4) == b"PK\x03\x04":
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True)
            try:
                return max((book.worksheets[0].max_row or 1) - 1, 0)
            finally:
                book.close()
        handle.seek(0)
        return max(
            sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) - 1, 0
        )


def create(*, actor: User, kind: str, upload: UploadedFile, options: dict[str, bool]) -> ImportJob:
    """Store the upload and make its job (not started)."""
    if kind not in load_importers():
        raise ServiceError(_("Choose the kind of file."), code="unknown_kind", field="kind")
    importer_class = IMPORTERS[kind]
    chosen = {k: bool(options.get(k)) for k in OPTIONS}
    for name in ("submit", "as_approved"):
        if chosen[name] and name not in importer_class.options:
            raise ServiceError(
                _("This option does not apply to this kind of file."),
                code="option_not_applicable",
                field=name,
            )
    importer = importer_class(**{k: True for k in ("submit", "as_approved") if chosen[k]})
    importer.check_actor(actor)  # refused now, not in the background
    name = Path(upload.name or "upload").name
    path = _folder() / f"{uuid.uuid4().hex}-{name}"
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            out.write(chunk)
    return ImportJob.objects.create(
        kind=kind,
        file_name=name,
        path=str(path.relative_to(settings.MEDIA_ROOT)),
        sha256=digest.hexdigest(),
        options=chosen,
        created_by=actor,
        rows_total=_count_rows(path),
    )


def start(job: ImportJob) -> None:
    """Run the job in a process of its own (it outlives the request that started it)."""
    log = (_folder() / f"job-{job.pk}.log").open("ab")
    subprocess.Popen(  # noqa: S603 (our own command, with the job's number)
        [sys.executable, "-m", "soms", "run_import_job", str(job.pk)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        # The same database and files as this process (in tests, the test database).
        env={**os.environ, "DATABASE_URL": database_url(), "MEDIA_ROOT": str(settings.MEDIA_ROOT)},
    )


def progress_path(job: ImportJob) -> Path:
    return _folder() / f"job-{job.pk}.progress"


def _write_progress(job: ImportJob, rows: int) -> None:
    target = progress_path(job)
    scratch = target.with_suffix(".tmp")
    scratch.write_text(json.dumps({"rows": rows, "at": time.time()}))
    scratch.replace(target)


def rows_done(job: ImportJob) -> int:
    try:
        return int(json.loads(progress_path(job).read_text())["rows"])
    except (OSError, ValueError, KeyError):
        return 0


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - another user's process
        return True
    try:  # a child that ended but was not yet reaped is a zombie: not running
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return True


def refresh(job: ImportJob) -> ImportJob:
    """The job as it stands; a running job whose process is gone has failed."""
    job.refresh_from_db()
    if job.status in (JobStatus.RUNNING, JobStatus.QUEUED) and job.pid and not _alive(job.pid):
        job.refresh_from_db()  # it may have finished between the two reads
        if job.status == JobStatus.RUNNING:
            job.status = JobStatus.FAILED
            job.finished_at = timezone.now()
            job.message = bilingual(
                _("The import stopped before it finished (its process ended); nothing was written.")
            )
            job.save(update_fields=["status", "finished_at", "message"])
    return job


def run(job_id: int) -> ImportJob:
    """Import the job's file (in this process)."""
    load_importers()
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    job.status, job.pid, job.message = JobStatus.RUNNING, os.getpid(), ""
    job.result, job.report, job.finished_at = {}, "", None
    job.save()
    _write_progress(job, 0)
    options = job.options
    importer = IMPORTERS[job.kind](**{k: True for k in ("submit", "as_approved") if options.get(k)})
    path = Path(settings.MEDIA_ROOT) / job.path
    counter = {"rows": 0}

    def progress(rows: int) -> None:
        counter["rows"] = rows
        if rows % PROGRESS_EVERY == 0:
            _write_progress(job, rows)

    try:
        with transaction.atomic():
            result = importer.run(
                path,
                actor=job.created_by,
                dry_run=bool(options.get("dry_run")),
                partial=bool(options.get("partial")),
                progress=progress,
            )
            _finish(job, result, path)
    except (FileError, ServiceError) as error:
        job.status, job.message = JobStatus.REFUSED, str(error)
        job.finished_at = timezone.now()
        job.save()
    _write_progress(job, counter["rows"])
    return job


def _finish(job: ImportJob, result: ImportResult, path: Path) -> None:
    job.result = {
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "errors": result.error_count,
        "written": result.written,
    }
    job.rows_total = max(job.rows_total, result.rows)
    job.status = JobStatus.DONE if result.written or not result.errors else JobStatus.REFUSED
    if result.errors:
        job.report = write_report(job, path, result.errors)
    job.finished_at = timezone.now()
    job.save()


def write_report(job: ImportJob, path: Path, errors: list[RowError]) -> str:
    """An XLSX copy of the uploaded file with a column of errors added, row by row."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    by_row: dict[int, list[str]] = defaultdict(list)
    for error in errors:
        by_row[error.row].append(f"{error.column}: {error.message}")
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for number, cells in raw_rows(path):
        note = "错误 / Errors" if number == 1 else "\n".join(by_row.get(number, []))
        row = []
        for value in [*cells, note]:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # a copy of the data, never a formula
            row.append(cell)
        sheet.append(row)
    target = _folder() / f"job-{job.pk}-errors.xlsx"
    book.save(target)
    return str(target.relative_to(settings.MEDIA_ROOT))


def summary(job: ImportJob) -> dict[str, Any]:
    done = job.result.get("rows") if job.finished_at else rows_done(job)
    total = max(job.rows_total, done or 0)
    percent = (
        100
        if job.finished_at and job.status == JobStatus.DONE
        else (int((done or 0) * 100 / total) if total else 0)
    )
    return {"rows_done": done or 0, "rows_total": total, "percent": min(percent, 100)}
